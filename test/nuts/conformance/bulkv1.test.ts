/*
 * Conformance: Bulk API V1 (/services/async/…) against jsforce's `conn.bulk`, as @salesforce/core
 * hands it out (Connection.create on an access-token AuthInfo): load in Serial and Parallel mode,
 * createJob/createBatch/execute/poll/retrieve with results in input order, upsert, delete, close
 * and abort, asynchronous batch failure, limits, the V1 error envelope and an expired session.
 * Every test checks what landed in the emulator's store, not only that the calls succeeded.
 */
import { expect } from 'chai';
import { AuthInfo, Connection } from '@salesforce/core';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { SfHome } from '../../helpers/sf.js';
import { parseCsv } from './support.js';

const V1 = '/services/async/66.0';
const NS = 'http://www.force.com/2009/06/asyncapi/dataload';

type IngestResult = { id: string | null; success: boolean; created: boolean; errors: string[] };
type BatchInfo = { id: string; jobId: string; state: string; stateMessage?: string; numberRecordsProcessed: string; numberRecordsFailed: string };
type JobInfo = Record<string, string>;
/** A promise, or jsforce's thenable Batch (whose `then` is not a full PromiseLike). */
type Settles = { then(onResolved: (value: unknown) => void, onRejected: (reason: unknown) => void): unknown };
type Raw = { status: number; contentType: string; text: string };

/** The text of one XML element (V1 bodies are flat enough for this). */
function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

describe('conformance: Bulk API V1 through jsforce conn.bulk', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let sf: SfHome;
  let conn: Connection;
  let restoreEnv: () => void = () => {};

  const connect = async (token: string): Promise<Connection> => {
    const authInfo = await AuthInfo.create({ accessTokenOptions: { accessToken: token, instanceUrl: emu.url, loginUrl: emu.url } });
    const c = await Connection.create({ authInfo });
    c.bulk.pollInterval = 25;
    c.bulk.pollTimeout = 20_000;
    return c;
  };

  /** One raw V1 call with X-SFDC-Session, as the API expects. */
  const v1 = async (method: string, path: string, opts: { body?: string; contentType?: string; token?: string } = {}): Promise<Raw> => {
    const headers: Record<string, string> = { 'X-SFDC-Session': opts.token ?? emu.accessToken };
    if (opts.contentType) headers['Content-Type'] = opts.contentType;
    const res = await fetch(`${emu.url}${V1}${path}`, { method, headers, body: opts.body });
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
  };

  const waitForBatch = async (c: Connection, jobId: string, batchId: string): Promise<BatchInfo> => {
    const batch = c.bulk.job(jobId).batch(batchId);
    const end = Date.now() + 20_000;
    for (;;) {
      const info = (await batch.check()) as unknown as BatchInfo;
      if (['Completed', 'Failed', 'NotProcessed'].includes(info.state)) return info;
      if (Date.now() > end) throw new Error(`batch ${batchId} still ${info.state}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  };

  const contacts = (): Array<Record<string, unknown>> => [...emu.store.all('Contact')];

  /** The error a call ends with (a jsforce Batch is thenable too), or undefined when it succeeds. */
  const failureOf = (work: Settles): Promise<(Error & { errorCode?: string }) | undefined> =>
    new Promise((resolve) => {
      void work.then(
        () => resolve(undefined),
        (e) => resolve(e as Error)
      );
    });

  /** load() closes its job after the results arrive, without waiting: give that call time to land. */
  const eventually = async (check: () => boolean): Promise<void> => {
    const end = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > end) throw new Error('condition not reached');
      // eslint-disable-next-line no-await-in-loop
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  before(async () => {
    emu = await startEmulator();
    emu.settings.processingDelayMs = 30;
    sf = new SfHome();
    // @salesforce/core runs in this process: keep its state and logs in the throw-away home.
    restoreEnv = sf.useInThisProcess();
    conn = await connect(emu.accessToken);
  });

  after(async () => {
    restoreEnv();
    await emu.stop();
    sf.dispose();
  });

  it('load (Serial) inserts records and returns one result per input row, in input order, failures included', async () => {
    const before = contacts().length;
    const results = (await conn.bulk.load('Contact', 'insert', { concurrencyMode: 'Serial' }, [
      { FirstName: 'Ser', LastName: 'One', Email: 'one@serial.test' },
      { FirstName: 'Ser', LastName: '', Email: 'two@serial.test' },
      { FirstName: 'Ser', LastName: 'Three', Email: 'three@serial.test' },
    ])) as IngestResult[];

    expect(results).to.have.length(3);
    expect(results.map((r) => [r.success, r.created])).to.deep.equal([
      [true, true],
      [false, false],
      [true, true],
    ]);
    expect(results[1].id).to.equal(null);
    expect(results[1].errors).to.deep.equal(['REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --']);
    // Positional results: the Id in row i is the record made from input row i.
    expect(emu.store.get('Contact', results[0].id!)?.Email).to.equal('one@serial.test');
    expect(emu.store.get('Contact', results[2].id!)?.Email).to.equal('three@serial.test');
    expect(contacts().length).to.equal(before + 2);

    const job = emu.bulkV1.listJobs().find((j) => j.batches.some((b) => b.outcomes?.[0]?.id === results[0].id))!;
    await eventually(() => job.state === 'Closed');
    expect(job).to.include({ concurrencyMode: 'Serial', contentType: 'CSV', operation: 'insert', object: 'Contact', state: 'Closed', jobType: 'Classic' });
    expect(job).to.include({ numberRecordsProcessed: 3, numberRecordsFailed: 1 });
  });

  it('load (Parallel) with a CSV string gives results in input order', async () => {
    const csv = 'LastName,Email,Birthdate\nPar-A,a@par.test,2001-02-03\nPar-B,b@par.test,not-a-date\nPar-C,c@par.test,\n';
    const results = (await conn.bulk.load('Contact', 'insert', { concurrencyMode: 'Parallel' }, csv)) as IngestResult[];
    expect(results.map((r) => r.success)).to.deep.equal([true, false, true]);
    expect(results[1].errors[0]).to.match(/^INVALID_FIELD:Failed to deserialize field at col 2\. Due to, 'not-a-date' is not a valid value/);
    expect(emu.store.get('Contact', results[0].id!)).to.include({ LastName: 'Par-A', Birthdate: '2001-02-03' });
    expect(emu.store.get('Contact', results[2].id!)).to.include({ LastName: 'Par-C', Birthdate: null });
    const job = emu.bulkV1.listJobs().find((j) => j.batches.some((b) => b.outcomes?.[0]?.id === results[0].id))!;
    expect(job.concurrencyMode).to.equal('Parallel');
  });

  it('createJob/createBatch/execute/poll/retrieve: several batches, each with positional results', async () => {
    const job = conn.bulk.createJob('Contact', 'insert', { concurrencyMode: 'Parallel' });
    const inputs = [
      'LastName,External_Id__c\nB1-r1,B1-1\n,B1-2\nB1-r3,B1-3\n',
      'LastName,External_Id__c\nB2-r1,B2-1\nB2-r2,B2-2\n',
      'LastName,External_Id__c\nB3-r1,B1-1\nB3-r2,B3-2\n',
    ];
    const batches = inputs.map(() => job.createBatch());
    const queued = await Promise.all(
      batches.map(
        (b, i) =>
          new Promise<BatchInfo>((resolve, reject) => {
            void b.once('queue', (info: BatchInfo) => resolve(info));
            void b.once('error', reject);
            void b.execute(inputs[i]);
          })
      )
    );
    // Batch creation answers Queued; processing happens later.
    expect(queued.map((q) => q.state)).to.deep.equal(['Queued', 'Queued', 'Queued']);
    const jobId = queued[0].jobId;

    // The first batch through the Promise interface (poll + retrieve), the others by hand.
    batches[0].poll(25, 20_000);
    const first = (await batches[0]) as IngestResult[];
    expect(first.map((r) => r.success)).to.deep.equal([true, false, true]);
    expect(first[1].errors[0]).to.match(/^REQUIRED_FIELD_MISSING:/);

    for (const b of batches.slice(1)) await waitForBatch(conn, jobId, b.id!);
    const second = (await batches[1].retrieve()) as IngestResult[];
    const third = (await batches[2].retrieve()) as IngestResult[];
    expect(second.map((r) => r.success)).to.deep.equal([true, true]);
    // B3's first row repeats B1's unique external id: a DUPLICATE_VALUE failure, positional.
    expect(third.map((r) => r.success)).to.deep.equal([false, true]);
    expect(third[0].errors[0]).to.match(/^DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record with id: 003/);

    const byExt = (ext: string): Record<string, unknown> | undefined => contacts().find((c) => c.External_Id__c === ext);
    expect(byExt('B1-1')?.Id).to.equal(first[0].id);
    expect(byExt('B1-3')?.Id).to.equal(first[2].id);
    expect(byExt('B2-2')?.Id).to.equal(second[1].id);
    expect(byExt('B3-2')?.Id).to.equal(third[1].id);
    expect(byExt('B1-2')).to.equal(undefined);

    // jsforce forgets the job id once it closes the job, so close after the results are in.
    const closed = (await job.close()) as unknown as JobInfo;
    expect(closed.state).to.equal('Closed');
    const info = (await conn.bulk.job(jobId).check()) as unknown as JobInfo;
    expect(info).to.include({
      state: 'Closed',
      numberBatchesTotal: '3',
      numberBatchesCompleted: '3',
      numberBatchesQueued: '0',
      numberRecordsProcessed: '7',
      numberRecordsFailed: '2',
    });
    const list = await conn.bulk.job(jobId).list();
    expect(list.map((b) => b.id)).to.deep.equal(queued.map((q) => q.id));
  });

  it('a Serial job runs its batches one at a time, in the order they were added', async () => {
    const job = conn.bulk.createJob('Contact', 'upsert', { extIdField: 'External_Id__c', concurrencyMode: 'Serial' });
    const inputs = ['LastName,External_Id__c\nFirst,SER-1\n', 'LastName,External_Id__c\nSecond,SER-1\n', 'LastName,External_Id__c\nThird,SER-1\n'];
    const ids: string[] = [];
    for (const input of inputs) {
      const b = job.createBatch();
      // eslint-disable-next-line no-await-in-loop
      const info = await new Promise<BatchInfo>((resolve, reject) => {
        void b.once('queue', resolve);
        void b.once('error', reject);
        void b.execute(input);
      });
      ids.push(info.id);
    }
    const jobId = (await job.info()).id;
    for (const id of ids) await waitForBatch(conn, jobId, id);
    await job.close();
    const v1Job = emu.bulkV1.getJob(jobId)!;
    const [b1, b2, b3] = v1Job.batches;
    expect(b2.startSeq).to.be.greaterThan(b1.endSeq!);
    expect(b3.startSeq).to.be.greaterThan(b2.endSeq!);
    expect(v1Job.batches.map((b) => b.outcomes?.map((o) => o.created))).to.deep.equal([[true], [false], [false]]);
    expect(contacts().filter((c) => c.External_Id__c === 'SER-1').map((c) => c.LastName)).to.deep.equal(['Third']);
  });

  it('upsert with extIdField updates matches and creates the rest', async () => {
    const [existing] = emu.insertRecords('Contact', [{ LastName: 'Before', External_Id__c: 'UPS-1', Title: 'Keep' }]);
    const results = (await conn.bulk.load('Contact', 'upsert', { extIdField: 'External_Id__c' }, [
      { External_Id__c: 'UPS-1', LastName: 'After' },
      { External_Id__c: 'UPS-2', LastName: 'New' },
      { External_Id__c: 'UPS-3', LastName: 'x'.repeat(81) },
    ])) as IngestResult[];
    expect(results.map((r) => [r.success, r.created])).to.deep.equal([
      [true, false],
      [true, true],
      [false, false],
    ]);
    expect(results[0].id).to.equal(existing);
    expect(results[2].errors[0]).to.match(/^STRING_TOO_LONG:/);
    expect(emu.store.get('Contact', existing)).to.include({ LastName: 'After', Title: 'Keep' });
    expect(emu.store.get('Contact', results[1].id!)).to.include({ LastName: 'New', External_Id__c: 'UPS-2' });
    expect(contacts().some((c) => c.External_Id__c === 'UPS-3')).to.equal(false);
  });

  it('delete moves records to the recycle bin; an unknown Id fails in its own row', async () => {
    const ids = emu.insertRecords('Contact', [{ LastName: 'Del-1' }, { LastName: 'Del-2' }]);
    const missing = '003000000000000AAA';
    const results = (await conn.bulk.load('Contact', 'delete', [{ Id: ids[0] }, { Id: missing }, { Id: ids[1] }])) as IngestResult[];
    expect(results.map((r) => r.success)).to.deep.equal([true, false, true]);
    expect(results.map((r) => r.id)).to.deep.equal([ids[0], missing, ids[1]]);
    expect(results[1].errors[0]).to.match(/^INVALID_CROSS_REFERENCE_KEY:/);
    for (const id of ids) expect(emu.store.get('Contact', id)?.IsDeleted).to.equal(true);
  });

  it('hardDelete needs the Bulk API Hard Delete permission', async () => {
    const loader = await connect(emu.tokenFor('loader@bulkops.emu'));
    const err = await failureOf(loader.bulk.createJob('Contact', 'hardDelete').open());
    expect(err?.name).to.equal('FeatureNotEnabled');

    const [id] = emu.insertRecords('Contact', [{ LastName: 'Gone' }]);
    const results = (await conn.bulk.load('Contact', 'hardDelete', [{ Id: id }])) as IngestResult[];
    expect(results[0]).to.include({ success: true, id });
    expect(emu.store.get('Contact', id)).to.equal(undefined);
  });

  it('close, then a batch on the closed job is refused with InvalidJobState', async () => {
    const job = conn.bulk.createJob('Contact', 'insert');
    const opened = await job.open();
    expect(opened.state).to.equal('Open');
    const jobId = opened.id;
    const closed = await job.close();
    expect(closed?.state).to.equal('Closed');

    const r = await v1('POST', `/job/${jobId}/batch`, { body: 'LastName\nLate\n', contentType: 'text/csv' });
    expect(r.status).to.equal(400);
    expect(xmlText(r.text, 'exceptionCode')).to.equal('InvalidJobState');
    expect(xmlText(r.text, 'exceptionMessage')).to.equal("Failed to create batch, since the Job is not Open. Current job state is 'Closed'");
    expect(contacts().some((c) => c.LastName === 'Late')).to.equal(false);
  });

  it('abort turns queued batches NotProcessed and leaves the data untouched', async () => {
    emu.settings.processingDelayMs = 2000;
    try {
      const job = conn.bulk.createJob('Contact', 'insert');
      const b = job.createBatch();
      const info = await new Promise<BatchInfo>((resolve, reject) => {
        void b.once('queue', resolve);
        void b.once('error', reject);
        void b.execute('LastName\nAborted-1\n');
      });
      const aborted = await job.abort();
      expect(aborted?.state).to.equal('Aborted');
      const batch = (await conn.bulk.job(info.jobId).batch(info.id).check()) as unknown as BatchInfo;
      expect(batch.state).to.equal('NotProcessed');
      // jsforce drops the job id on abort; a fresh handle on the batch polls it.
      const handle = conn.bulk.job(info.jobId).batch(info.id);
      const err = await new Promise<Error>((resolve) => {
        void handle.once('error', resolve);
        void handle.poll(25, 5000);
      });
      expect(err.message).to.equal('Job has been aborted');
      const again = await v1('POST', `/job/${info.jobId}`, { body: `<jobInfo xmlns="${NS}"><state>Closed</state></jobInfo>`, contentType: 'application/xml' });
      expect(again.status).to.equal(400);
      expect(xmlText(again.text, 'exceptionCode')).to.equal('InvalidJobState');
    } finally {
      emu.settings.processingDelayMs = 30;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(contacts().some((c) => c.LastName === 'Aborted-1')).to.equal(false);
  });

  it('a bad header is accepted as Queued, then fails the batch with InvalidBatch : Field name not found', async () => {
    const job = conn.bulk.createJob('Contact', 'insert');
    const b = job.createBatch();
    const queued = await new Promise<BatchInfo>((resolve, reject) => {
      void b.once('queue', resolve);
      void b.once('error', reject);
      void b.execute('LastName,Nope__c\nHeader-1,x\n');
    });
    expect(queued.state).to.equal('Queued');
    const err = await new Promise<Error>((resolve) => {
      void b.once('error', resolve);
      void b.poll(25, 10_000);
    });
    expect(err.message).to.equal('InvalidBatch : Field name not found : Nope__c');
    const info = await waitForBatch(conn, queued.jobId, queued.id);
    expect(info).to.include({ state: 'Failed', stateMessage: 'InvalidBatch : Field name not found : Nope__c', numberRecordsProcessed: '0' });
    await job.close();
    expect(contacts().some((c) => c.LastName === 'Header-1')).to.equal(false);
  });

  it('a batch over 10,000 records is refused with InvalidBatch', async () => {
    const csv = `LastName\n${Array.from({ length: 10_001 }, (_, i) => `Big-${i}`).join('\n')}\n`;
    const err = await failureOf(conn.bulk.load('Contact', 'insert', csv));
    expect(err?.name).to.equal('InvalidBatch');
    expect(err?.message).to.match(/^Exceeded number of records: 10001\./);
    expect(contacts().some((c) => c.LastName === 'Big-0')).to.equal(false);
  });

  it('speaks V1 XML: namespace, .000Z dates, exact-case operations, the original request back, CSV results', async () => {
    const bad = await v1('POST', '/job', { body: `<jobInfo xmlns="${NS}"><operation>Insert</operation><object>Contact</object></jobInfo>`, contentType: 'application/xml' });
    expect(bad.status).to.equal(400);
    expect(bad.text).to.contain(`<error xmlns="${NS}">`);
    expect(xmlText(bad.text, 'exceptionCode')).to.equal('InvalidJob');

    const noExt = await v1('POST', '/job', { body: `<jobInfo xmlns="${NS}"><operation>upsert</operation><object>Contact</object><contentType>CSV</contentType></jobInfo>`, contentType: 'application/xml' });
    expect(xmlText(noExt.text, 'exceptionCode')).to.equal('InvalidJob');
    expect(xmlText(noExt.text, 'exceptionMessage')).to.equal('External ID was blank for Contact. An External ID must be specified for upsert.');

    const created = await v1('POST', '/job', { body: `<jobInfo xmlns="${NS}"><operation>insert</operation><object>Contact</object><contentType>CSV</contentType></jobInfo>`, contentType: 'application/xml; charset=UTF-8' });
    expect(created.status).to.equal(201);
    expect(created.contentType).to.match(/^application\/xml/);
    expect(created.text).to.contain(`<jobInfo xmlns="${NS}">`);
    expect(xmlText(created.text, 'createdDate')).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(xmlText(created.text, 'apiVersion')).to.equal('66.0');
    expect(xmlText(created.text, 'concurrencyMode')).to.equal('Parallel');
    const jobId = xmlText(created.text, 'id')!;

    const onlyState = await v1('POST', `/job/${jobId}`, { body: `<jobInfo xmlns="${NS}"><state>Closed</state><createdById>005x</createdById></jobInfo>`, contentType: 'application/xml' });
    expect(xmlText(onlyState.text, 'exceptionCode')).to.equal('InvalidJob');

    const csv = 'LastName,Title\nXml-1,"Says ""hi"""\n';
    const batch = await v1('POST', `/job/${jobId}/batch`, { body: csv, contentType: 'text/csv' });
    expect(batch.status).to.equal(201);
    const batchId = xmlText(batch.text, 'id')!;
    expect(xmlText(batch.text, 'state')).to.equal('Queued');
    const early = await v1('GET', `/job/${jobId}/batch/${batchId}/result`);
    expect(early.status).to.equal(400);
    expect(xmlText(early.text, 'exceptionMessage')).to.equal('Batch not completed');

    await waitForBatch(conn, jobId, batchId);
    const request = await v1('GET', `/job/${jobId}/batch/${batchId}/request`);
    expect(request.text).to.equal(csv);
    const result = await v1('GET', `/job/${jobId}/batch/${batchId}/result`);
    expect(result.contentType).to.match(/^text\/csv/);
    const parsed = parseCsv(result.text);
    expect(parsed.header).to.deep.equal(['Id', 'Success', 'Created', 'Error']);
    expect(result.text.split('\n')[0]).to.equal('"Id","Success","Created","Error"');
    expect(parsed.rows[0]).to.include({ Success: 'true', Created: 'true', Error: '' });
    expect(emu.store.get('Contact', parsed.rows[0].Id)).to.include({ LastName: 'Xml-1', Title: 'Says "hi"' });

    const unknownBatch = await v1('GET', `/job/${jobId}/batch/751000000000000AAA`);
    expect(xmlText(unknownBatch.text, 'exceptionCode')).to.equal('InvalidBatch');
    const unknownJob = await v1('GET', '/job/750000000000000AAA');
    expect(unknownJob.status).to.equal(400);
    expect(xmlText(unknownJob.text, 'exceptionCode')).to.equal('InvalidJob');
    const unknownUrl = await v1('GET', '/jobs');
    expect(unknownUrl.status).to.equal(400);
    expect(xmlText(unknownUrl.text, 'exceptionCode')).to.equal('InvalidUrl');
  });

  it('takes XML sObjects batches for XML jobs (parent lookup, xsi:nil) and answers XML results in input order', async () => {
    const [accountId] = emu.insertRecords('Account', [{ Name: 'Xml Parent', External_Id__c: 'XML-ACC' }]);
    const [existing] = emu.insertRecords('Contact', [{ LastName: 'Xml-Upd', External_Id__c: 'XML-C1', Title: 'Old title' }]);
    const created = await v1('POST', '/job', {
      body: `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="${NS}"><operation>upsert</operation><object>Contact</object><externalIdFieldName>External_Id__c</externalIdFieldName><contentType>XML</contentType></jobInfo>`,
      contentType: 'application/xml',
    });
    expect(created.status).to.equal(201);
    const jobId = xmlText(created.text, 'id')!;
    const body =
      `<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="${NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
      '<sObject><External_Id__c>XML-C1</External_Id__c><Title xsi:nil="true"/></sObject>' +
      '<sObject><External_Id__c>XML-C2</External_Id__c></sObject>' +
      '<sObject><External_Id__c>XML-C3</External_Id__c><LastName>Tom &amp; Jerry</LastName><Account><External_Id__c>XML-ACC</External_Id__c></Account></sObject>' +
      '</sObjects>';
    const batch = await v1('POST', `/job/${jobId}/batch`, { body, contentType: 'application/xml' });
    expect(batch.status).to.equal(201);
    const info = await waitForBatch(conn, jobId, xmlText(batch.text, 'id')!);
    expect(info).to.include({ state: 'Completed', numberRecordsProcessed: '3', numberRecordsFailed: '1' });
    const result = await v1('GET', `/job/${jobId}/batch/${info.id}/result`);
    expect(result.contentType).to.match(/^application\/xml/);
    const results = [...result.text.matchAll(/<result>(.*?)<\/result>/g)].map((m) => m[1]);
    expect(results).to.have.length(3);
    expect(xmlText(results[0], 'id')).to.equal(existing);
    expect(xmlText(results[0], 'created')).to.equal('false');
    expect(xmlText(results[1], 'success')).to.equal('false');
    expect(results[1]).to.contain('<id xsi:nil="true"/>');
    expect(xmlText(results[1], 'statusCode')).to.equal('REQUIRED_FIELD_MISSING');
    expect(xmlText(results[1], 'fields')).to.equal('LastName');
    expect(xmlText(results[2], 'created')).to.equal('true');
    expect(emu.store.get('Contact', existing)).to.include({ LastName: 'Xml-Upd', Title: null });
    expect(emu.store.get('Contact', xmlText(results[2], 'id')!)).to.include({ LastName: 'Tom & Jerry', AccountId: accountId });
  });

  it('speaks V1 JSON for JSON jobs: +0000 dates, JSON batches and JSON results in input order', async () => {
    const created = await v1('POST', '/job', {
      body: JSON.stringify({ operation: 'insert', object: 'Contact', contentType: 'JSON' }),
      contentType: 'application/json',
    });
    expect(created.status).to.equal(201);
    const job = JSON.parse(created.text) as { id: string; createdDate: string; contentType: string; state: string };
    expect(job.createdDate).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+0000$/);
    expect(job).to.include({ contentType: 'JSON', state: 'Open' });

    const body = JSON.stringify([{ LastName: 'Json-1', Email: 'j1@json.test' }, { Email: 'j2@json.test' }, { LastName: 'Json-3', Title: null }]);
    const batch = await v1('POST', `/job/${job.id}/batch`, { body, contentType: 'application/json' });
    expect(batch.status).to.equal(201);
    const batchInfo = JSON.parse(batch.text) as BatchInfo;
    // jsforce reads XML only, so this batch is watched through the raw JSON API.
    let state = batchInfo.state;
    for (let i = 0; i < 200 && !['Completed', 'Failed'].includes(state); i++) {
      // eslint-disable-next-line no-await-in-loop
      await new Promise((resolve) => setTimeout(resolve, 25));
      // eslint-disable-next-line no-await-in-loop
      const r = await v1('GET', `/job/${job.id}/batch/${batchInfo.id}`);
      expect(r.contentType).to.match(/^application\/json/);
      state = (JSON.parse(r.text) as BatchInfo).state;
    }
    expect(state).to.equal('Completed');
    const result = await v1('GET', `/job/${job.id}/batch/${batchInfo.id}/result`);
    const rows = JSON.parse(result.text) as Array<{ success: boolean; created: boolean; id: string | null; errors: Array<{ statusCode: string; fields: string[] }> }>;
    expect(rows.map((r) => r.success)).to.deep.equal([true, false, true]);
    expect(rows[1].errors[0]).to.deep.include({ statusCode: 'REQUIRED_FIELD_MISSING', fields: ['LastName'] });
    expect(emu.store.get('Contact', rows[0].id!)).to.include({ Email: 'j1@json.test' });

    const err = await v1('GET', `/job/${job.id}/batch/751000000000000AAA`);
    expect(JSON.parse(err.text)).to.deep.equal({ exceptionCode: 'InvalidBatch', exceptionMessage: 'Unable to find batch for id: 751000000000000AAA' });
  });

  it('V1 jobs are listed by Get All Jobs as jobType Classic, and each batch counts against DailyBulkApiBatches', async () => {
    const limits = async (): Promise<number> => {
      const r = await fetch(`${emu.url}/services/data/v66.0/limits`, { headers: { Authorization: `Bearer ${emu.accessToken}` } });
      return ((await r.json()) as { DailyBulkApiBatches: { Remaining: number } }).DailyBulkApiBatches.Remaining;
    };
    const remaining = await limits();
    const results = (await conn.bulk.load('Contact', 'insert', [{ LastName: 'Listed' }])) as IngestResult[];
    expect(results[0].success).to.equal(true);
    expect(await limits()).to.equal(remaining - 1);

    const jobId = emu.bulkV1.listJobs().find((j) => j.batches.some((b) => b.outcomes?.[0]?.id === results[0].id))!.id;
    const r = await fetch(`${emu.url}/services/data/v66.0/jobs/ingest?jobType=Classic`, { headers: { Authorization: `Bearer ${emu.accessToken}` } });
    const page = (await r.json()) as { done: boolean; records: Array<Record<string, unknown>> };
    expect(page.done).to.equal(true);
    expect(page.records.length).to.equal(emu.bulkV1.listJobs().length);
    expect(page.records.every((j) => j.jobType === 'Classic')).to.equal(true);
    expect(page.records.find((j) => j.id === jobId)).to.include({ object: 'Contact', operation: 'insert', state: 'Closed', contentType: 'CSV', apiVersion: 66 });

    const v2 = await fetch(`${emu.url}/services/data/v66.0/jobs/ingest?jobType=V2Ingest`, { headers: { Authorization: `Bearer ${emu.accessToken}` } });
    expect(((await v2.json()) as { records: Array<{ id: string }> }).records.some((j) => j.id === jobId)).to.equal(false);
  });

  it('an expired session is HTTP 400 InvalidSessionId, as jsforce sees it', async () => {
    const raw = await v1('GET', '/job/750000000000000AAA', { token: 'not-a-session' });
    expect(raw.status).to.equal(400);
    expect(raw.text).to.contain('<exceptionCode>InvalidSessionId</exceptionCode>');

    emu.sessions.expireAll();
    const err = await failureOf(conn.bulk.load('Contact', 'insert', [{ LastName: 'Expired' }]));
    expect(err?.name).to.equal('InvalidSessionId');
    const last = emu.requests.filter((q) => q.path.startsWith(V1)).pop()!;
    expect(last).to.include({ method: 'POST', path: `${V1}/job`, status: 400 });
    expect(contacts().some((c) => c.LastName === 'Expired')).to.equal(false);
  });
});
