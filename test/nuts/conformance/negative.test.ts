/*
 * Conformance: whole-job failures and refused calls, as the official `sf` CLI and the raw Bulk 2.0
 * API see them (Bulk API Developer Guide: Job States; Bulk API 2.0 Errors; Prepare CSV Files): unknown or BOM-polluted header fields, a line ending
 * that does not match the job, a second upload, and state changes a job may not make.
 */
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { SfHome } from '../../helpers/sf.js';
import { API, call, createIngestJob, firstError, jobInfo, waitForJob, write } from './support.js';

const INGEST = `/services/data/${API}/jobs/ingest`;

describe('conformance: job failures and refused calls', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let sf: SfHome;

  before(async () => {
    emu = await startEmulator();
    emu.settings.processingDelayMs = 0;
    sf = new SfHome();
    await sf.login(emu.url, emu.accessToken, 'emu');
  });

  after(async () => {
    await emu.stop();
    sf.dispose();
  });

  const accountsNamed = (prefix: string): string[] =>
    [...emu.store.all('Account', true)].map((a) => String(a.Name)).filter((n) => n.startsWith(prefix));

  /** Runs `sf data import bulk` on a file; returns the CLI's JSON error and the job the emulator holds. */
  const importFails = async (name: string, content: string | Buffer, extra: string[] = []): Promise<{ message: string; jobId: string; name: string }> => {
    const file = write(sf.home, name, content);
    const mark = emu.requests.length;
    const r = await sf.run(['data', 'import', 'bulk', '--file', file, '--sobject', 'Account', '--wait', '2', '--target-org', 'emu', '--json', ...extra]);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const created = emu.requests.slice(mark).find((q) => q.method === 'PUT' && q.path.endsWith('/batches'));
    expect(created, 'the CLI uploaded the file').to.not.equal(undefined);
    const jobId = created!.path.split('/')[6];
    return { message: String(r.json?.message), jobId, name: String(r.json?.name) };
  };

  it('an unknown header field fails the whole job: InvalidBatch : Field name not found', async () => {
    const { message, jobId, name } = await importFails('unknown.csv', 'Name,Bogus__c\nUnknown 1,x\nUnknown 2,y\n');
    expect(name).to.equal('JobFailedError');
    expect(message).to.equal('Job failed to be processed due to:\n\nInvalidBatch : Field name not found : Bogus__c');
    const info = await jobInfo(emu, jobId);
    expect(info).to.include({ state: 'Failed', errorMessage: 'InvalidBatch : Field name not found : Bogus__c', numberRecordsProcessed: 0, numberRecordsFailed: 0 });
    expect(accountsNamed('Unknown')).to.deep.equal([]);
  });

  it('a UTF-8 BOM uploaded as is becomes part of the first field name and fails the job', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Name,External_Id__c\nBom 1,BOM-1\n')]);
    const { message, jobId } = await importFails('bom.csv', bom);
    expect(message).to.equal('Job failed to be processed due to:\n\nInvalidBatch : Field name not found : \uFEFFName');
    expect((await jobInfo(emu, jobId)).state).to.equal('Failed');
    expect(accountsNamed('Bom')).to.deep.equal([]);
  });

  it('a CRLF file in a job declared LF fails with ClientInputError; declared CRLF it loads', async () => {
    const crlf = 'Name,External_Id__c\r\nCrlf 1,CRLF-1\r\nCrlf 2,CRLF-2\r\n';
    const { message, jobId } = await importFails('crlf.csv', crlf, ['--line-ending', 'LF']);
    expect(message).to.match(/^Job failed to be processed due to:\n\nClientInputError : LineEnding is invalid on user data/);
    expect((await jobInfo(emu, jobId)).state).to.equal('Failed');
    expect(accountsNamed('Crlf')).to.deep.equal([]);

    // Header names match case-insensitively, and the object name too (plugin-data's NUTs load
    // NAME,TYPE,… into --sobject account on real orgs).
    const crlfUpper = crlf.replace('Name,External_Id__c', 'NAME,EXTERNAL_ID__C');
    const ok = await sf.run([
      'data', 'import', 'bulk', '--file', write(sf.home, 'crlf-ok.csv', crlfUpper), '--sobject', 'account', '--line-ending', 'CRLF', '--wait', '2', '--target-org', 'emu', '--json',
    ]);
    expect(ok.code, ok.stdout).to.equal(0);
    expect(ok.json?.result).to.include({ processedRecords: 2, successfulRecords: 2, failedRecords: 0 });
    // No stray carriage return is stored in the last column.
    expect([...emu.store.all('Account')].filter((a) => String(a.Name).startsWith('Crlf')).map((a) => a.External_Id__c).sort()).to.deep.equal(['CRLF-1', 'CRLF-2']);
  });

  it('raw API: an unknown field fails the job, and its result files hold no rows', async () => {
    const id = await createIngestJob(emu, { object: 'Account', operation: 'insert', contentType: 'CSV', lineEnding: 'LF' });
    const put = await call(emu, 'PUT', `${INGEST}/${id}/batches`, { body: 'Name,Nope\nRaw 1,1\n', contentType: 'text/csv' });
    expect(put.status).to.equal(201);
    expect(put.text).to.equal('');
    const close = await call(emu, 'PATCH', `${INGEST}/${id}`, { body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json' });
    expect(close.status).to.equal(200);
    expect((close.json as { state: string }).state).to.equal('UploadComplete');
    const info = await waitForJob(emu, id);
    expect(info).to.include({ state: 'Failed', errorMessage: 'InvalidBatch : Field name not found : Nope', numberRecordsProcessed: 0 });
    const success = await call(emu, 'GET', `${INGEST}/${id}/successfulResults`, { accept: 'text/csv' });
    const failed = await call(emu, 'GET', `${INGEST}/${id}/failedResults`, { accept: 'text/csv' });
    expect(success.status).to.equal(200);
    expect(success.text.trim().split('\n')).to.have.length(1);
    expect(failed.text.trim().split('\n')).to.have.length(1);
    expect(accountsNamed('Raw 1')).to.deep.equal([]);
  });

  it('raw API: a second upload to a job is refused and the first one alone is processed', async () => {
    const id = await createIngestJob(emu, { object: 'Account', operation: 'insert' });
    const first = await call(emu, 'PUT', `${INGEST}/${id}/batches`, { body: 'Name\nFirst Upload\n', contentType: 'text/csv' });
    expect(first.status).to.equal(201);
    const second = await call(emu, 'PUT', `${INGEST}/${id}/batches`, { body: 'Name\nSecond Upload\n', contentType: 'text/csv' });
    expect(second.status).to.equal(400);
    const err = firstError(second);
    expect(err.errorCode).to.equal('INVALIDJOBSTATE');
    // Observed wording (Bulk API Developer Guide: Bulk API 2.0 Errors); the exact error code is not documented.
    expect(err.message).to.match(/^Found multiple contents for job/);
    await call(emu, 'PATCH', `${INGEST}/${id}`, { body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json' });
    const info = await waitForJob(emu, id);
    expect(info).to.include({ state: 'JobComplete', numberRecordsProcessed: 1, numberRecordsFailed: 0 });
    expect(accountsNamed('First Upload')).to.have.length(1);
    expect(accountsNamed('Second Upload')).to.deep.equal([]);
  });

  it('raw API: illegal state changes get INVALIDJOBSTATE, and an upload to a closed job is refused', async () => {
    const id = await createIngestJob(emu, { object: 'Account', operation: 'insert' });
    await call(emu, 'PUT', `${INGEST}/${id}/batches`, { body: 'Name\nState Check\n', contentType: 'text/csv' });
    await call(emu, 'PATCH', `${INGEST}/${id}`, { body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json' });
    expect((await waitForJob(emu, id)).state).to.equal('JobComplete');

    const close = await call(emu, 'PATCH', `${INGEST}/${id}`, { body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json' });
    expect(close.status).to.equal(400);
    expect(firstError(close)).to.deep.equal({ errorCode: 'INVALIDJOBSTATE', message: 'Closing already Completed Job not allowed' });
    const abort = await call(emu, 'PATCH', `${INGEST}/${id}`, { body: JSON.stringify({ state: 'Aborted' }), contentType: 'application/json' });
    expect(abort.status).to.equal(400);
    expect(firstError(abort)).to.deep.equal({ errorCode: 'INVALIDJOBSTATE', message: 'Aborting already Completed Job not allowed' });
    const upload = await call(emu, 'PUT', `${INGEST}/${id}/batches`, { body: 'Name\nToo Late\n', contentType: 'text/csv' });
    // Refused with a 400 error envelope (the exact code for this case is not documented).
    expect(upload.status).to.equal(400);
    expect(firstError(upload).errorCode).to.be.a('string');
    // The refused calls changed nothing.
    expect((await jobInfo(emu, id)).state).to.equal('JobComplete');
    expect(accountsNamed('Too Late')).to.deep.equal([]);

    // An Open job cannot be deleted (only UploadComplete or terminal jobs can), but it can be aborted once.
    const open = await createIngestJob(emu, { object: 'Account', operation: 'insert' });
    const del = await call(emu, 'DELETE', `${INGEST}/${open}`);
    expect(del.status).to.equal(400);
    const aborted = await call(emu, 'PATCH', `${INGEST}/${open}`, { body: JSON.stringify({ state: 'Aborted' }), contentType: 'application/json' });
    expect(aborted.status).to.equal(200);
    expect((aborted.json as { state: string }).state).to.equal('Aborted');
    const again = await call(emu, 'PATCH', `${INGEST}/${open}`, { body: JSON.stringify({ state: 'Aborted' }), contentType: 'application/json' });
    expect(again.status).to.equal(400);
    expect(firstError(again).errorCode).to.equal('INVALIDJOBSTATE');
    expect((await call(emu, 'DELETE', `${INGEST}/${open}`)).status).to.equal(204);
    expect((await call(emu, 'GET', `${INGEST}/${open}`)).status).to.equal(404);
  });
});
