/*
 * Open jobs nobody closes (Salesforce Developer Limits and Allocations Quick Reference: Bulk API and
 * Bulk API 2.0 Limits; Bulk API Limits: "You can't create batches associated with a job that is more
 * than 24 hours old"): on the emulator's clock, a Bulk API 2.0 job still Open 24 hours after its
 * creation ends Failed (its uploaded rows unprocessed) and is removed 7 days later; a V1 job stays
 * Open but refuses new batches. Time is moved with the control API, never waited for.
 */
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { OPEN_JOB_EXPIRED } from '../../emulator/bulk2-ingest.js';
import { NS, V, V1, call, control, ms, readCsv, runIngest, xmlText, type JobInfo } from './support.js';

const HOUR = 3_600_000;

describe('emulator: Open jobs expire after 24 simulated hours', function () {
  this.timeout(30_000);
  let emu: Emulator;

  beforeEach(async () => {
    emu = await startEmulator();
  });

  afterEach(() => emu.stop());

  const advance = (advanceMs: number): Promise<unknown> => control(emu, 'POST', '/clock', { advanceMs });
  const info = async (id: string): Promise<JobInfo & { errorMessage?: string }> => (await call(emu, 'GET', `${V}/jobs/ingest/${id}`)).json as JobInfo & { errorMessage?: string };

  it('Bulk API 2.0: a job left Open is Failed 24 hours after its creation, its rows unprocessed; it cannot be closed; retention removes it 7 days later', async () => {
    const created = await call(emu, 'POST', `${V}/jobs/ingest`, { body: JSON.stringify({ object: 'Account', operation: 'insert' }), contentType: 'application/json' });
    const job = created.json as JobInfo;
    const put = await call(emu, 'PUT', `${V}/jobs/ingest/${job.id}/batches`, { body: 'Name\nLeft Open One\nLeft Open Two\n', contentType: 'text/csv' });
    expect(put.status).to.equal(201);
    const empty = (await call(emu, 'POST', `${V}/jobs/ingest`, { body: JSON.stringify({ object: 'Contact', operation: 'insert' }), contentType: 'application/json' })).json as JobInfo;

    await advance(23 * HOUR);
    expect((await info(job.id)).state).to.equal('Open');
    // A job closed in time is processed as always.
    const closedInTime = await runIngest(emu, 'Account', 'insert', 'Name\nClosed In Time\n');
    expect(closedInTime.info.state).to.equal('JobComplete');

    await advance(1 * HOUR + 60_000);
    const failed = await info(job.id);
    expect(failed).to.include({ state: 'Failed', errorMessage: OPEN_JOB_EXPIRED, numberRecordsProcessed: 0, numberRecordsFailed: 0 });
    expect(ms(failed.systemModstamp) - ms(failed.createdDate)).to.equal(24 * HOUR);
    expect((await info(empty.id)).state).to.equal('Failed');
    expect((await info(closedInTime.info.id)).state).to.equal('JobComplete');

    const listed = (await call(emu, 'GET', `${V}/jobs/ingest`)).json as { records: Array<{ id: string; state: string }> };
    expect(listed.records.find((r) => r.id === job.id)?.state).to.equal('Failed');

    const close = await call(emu, 'PATCH', `${V}/jobs/ingest/${job.id}`, { body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json' });
    expect(close.status).to.equal(400);
    expect(close.json).to.deep.equal([{ errorCode: 'INVALIDJOBSTATE', message: 'Closing already Failed Job not allowed' }]);
    const unprocessed = await call(emu, 'GET', `${V}/jobs/ingest/${job.id}/unprocessedrecords`);
    expect(readCsv(unprocessed.text).map((r) => r.Name)).to.deep.equal(['Left Open One', 'Left Open Two']);
    expect([...emu.store.all('Account')].map((a) => a.Name)).to.deep.equal(['Closed In Time']);

    await advance(7 * 24 * HOUR);
    expect((await call(emu, 'GET', `${V}/jobs/ingest/${job.id}`)).status).to.equal(404);
  });

  it('Bulk API (V1): a job 24 hours old stays Open but refuses a new batch (InvalidJobState); it can still be closed', async () => {
    const created = await call(emu, 'POST', `${V1}/job`, {
      body: `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="${NS}"><operation>insert</operation><object>Account</object><contentType>CSV</contentType></jobInfo>`,
      contentType: 'application/xml; charset=UTF-8',
    });
    const jobId = xmlText(created.text, 'id')!;
    const batch = (): ReturnType<typeof call> => call(emu, 'POST', `${V1}/job/${jobId}/batch`, { body: 'Name\nV1 Late\n', contentType: 'text/csv; charset=UTF-8' });

    await advance(23 * HOUR);
    expect((await batch()).status).to.equal(201);

    await advance(1 * HOUR + 60_000);
    const late = await batch();
    expect(late.status).to.equal(400);
    expect(xmlText(late.text, 'exceptionCode')).to.equal('InvalidJobState');
    expect(xmlText(late.text, 'exceptionMessage')).to.equal('Failed to create batch, since the Job is more than 24 hours old');
    expect(xmlText((await call(emu, 'GET', `${V1}/job/${jobId}`)).text, 'state')).to.equal('Open');

    const close = await call(emu, 'POST', `${V1}/job/${jobId}`, { body: `<jobInfo xmlns="${NS}"><state>Closed</state></jobInfo>`, contentType: 'application/xml' });
    expect(close.status).to.equal(200);
    expect(xmlText(close.text, 'state')).to.equal('Closed');
    expect(xmlText(close.text, 'numberBatchesTotal')).to.equal('1');
  });
});
