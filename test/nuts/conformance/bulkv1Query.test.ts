/*
 * Conformance: Bulk API V1 query jobs (Bulk API Developer Guide: Use Bulk Query; Get Batch Results;
 * Get a Query Result), as jsforce's `conn.bulk.query` (and Data Loader) use them: a job with
 * operation query or queryAll, a batch whose body is the SOQL, the batch's result list, each result
 * by its id, CSV. jsforce through @salesforce/core, and raw calls for what jsforce hides.
 */
import { expect } from 'chai';
import type { Connection } from '@salesforce/core';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { SfHome } from '../../helpers/sf.js';
import { jsforceConnection, parseCsv } from './support.js';

const V1 = '/services/async/66.0';
const NS = 'http://www.force.com/2009/06/asyncapi/dataload';
type Row = Record<string, unknown>;

const xmlText = (xml: string, name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const xmlAll = (xml: string, name: string): string[] => [...xml.matchAll(new RegExp(`<${name}>([^<]*)</${name}>`, 'g'))].map((m) => m[1]);

describe('conformance: Bulk API V1 query jobs (jsforce conn.bulk.query)', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let sf: SfHome;
  let conn: Connection;
  let restoreEnv: () => void = () => {};

  before(async () => {
    emu = await startEmulator();
    sf = new SfHome();
    restoreEnv = sf.useInThisProcess();
    conn = await jsforceConnection(emu);
    const [acme] = emu.insertRecords('Account', [{ Name: 'Query Acme', External_Id__c: 'Q-1' }, { Name: 'Query Globex', External_Id__c: 'Q-2' }]);
    emu.insertRecords('Contact', [
      { LastName: 'Quinn', AccountId: acme },
      { LastName: 'Quade', AccountId: acme },
      { LastName: 'Orphan' },
    ]);
  });

  after(async () => {
    restoreEnv();
    await emu.stop();
    sf.dispose();
  });

  const v1 = async (method: string, path: string, body?: string, contentType?: string): Promise<{ status: number; type: string; text: string }> => {
    const headers: Record<string, string> = { 'X-SFDC-Session': emu.accessToken };
    if (contentType) headers['Content-Type'] = contentType;
    const res = await fetch(`${emu.url}${V1}${path}`, { method, headers, body });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const records = async (soql: string): Promise<Row[]> => {
    const stream = await conn.bulk.query(soql);
    const out: Row[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('record', (r: Row) => out.push(r));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    return out;
  };

  /** One query batch through jsforce's createJob/createBatch/execute/poll: its ids and result ids. */
  const batchOf = (operation: 'query' | 'queryAll', soql: string): Promise<{ jobId: string; batchId: string; results: Array<{ id: string }> }> =>
    new Promise((resolve, reject) => {
      const job = conn.bulk.createJob('Account', operation);
      const b = job.createBatch();
      void b.on('error', reject);
      void b.on('queue', () => b.poll(25, 20_000));
      void b.on('response', (results: Array<{ id: string }>) => resolve({ jobId: job.id!, batchId: b.id!, results }));
      void b.execute(soql);
    });

  it('conn.bulk.query returns the records, parent fields included, and closes its job', async () => {
    const rows = await records("SELECT Id, LastName, Account.Name FROM Contact WHERE LastName LIKE 'Qu%' ORDER BY LastName");
    expect(rows.map((r) => [r.LastName, r['Account.Name']])).to.deep.equal([
      ['Quade', 'Query Acme'],
      ['Quinn', 'Query Acme'],
    ]);
    const job = emu.bulkV1.listJobs().find((j) => j.operation === 'query' && j.object === 'Contact')!;
    expect(job).to.include({ state: 'Closed', contentType: 'CSV', numberRecordsProcessed: 2 });
    expect(job.batches.map((b) => [b.state, b.numberRecordsProcessed, b.request.toString('utf8')])).to.deep.equal([['Completed', 2, "SELECT Id, LastName, Account.Name FROM Contact WHERE LastName LIKE 'Qu%' ORDER BY LastName"]]);
  });

  it('raw calls: create a query job, add the SOQL as a batch, read the result list (XML) and the result by id (CSV)', async () => {
    const created = await v1('POST', '/job', `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="${NS}"><operation>query</operation><object>Account</object><contentType>CSV</contentType></jobInfo>`, 'application/xml; charset=UTF-8');
    expect(created.status).to.equal(201);
    expect(xmlText(created.text, 'operation')).to.equal('query');
    const jobId = xmlText(created.text, 'id')!;
    const batch = await v1('POST', `/job/${jobId}/batch`, "SELECT Id, Name FROM Account WHERE Name LIKE 'Query%' ORDER BY Name", 'text/csv; charset=UTF-8');
    expect(batch.status).to.equal(201);
    expect(xmlText(batch.text, 'state')).to.equal('Queued');
    const batchId = xmlText(batch.text, 'id')!;
    const end = Date.now() + 10_000;
    let info = '';
    while (xmlText(info, 'state') !== 'Completed') {
      if (Date.now() > end) throw new Error(`batch still ${xmlText(info, 'state')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      info = (await v1('GET', `/job/${jobId}/batch/${batchId}`)).text;
    }
    expect(xmlText(info, 'numberRecordsProcessed')).to.equal('2');

    const list = await v1('GET', `/job/${jobId}/batch/${batchId}/result`);
    expect(list.type).to.match(/^application\/xml/);
    expect(list.text).to.match(new RegExp(`<result-list xmlns="${NS}"><result>752\\w{15}</result></result-list>`));
    const [resultId] = xmlAll(list.text, 'result');
    const file = await v1('GET', `/job/${jobId}/batch/${batchId}/result/${resultId}`);
    expect(file.type).to.match(/^text\/csv/);
    expect(parseCsv(file.text).rows.map((r) => r.Name)).to.deep.equal(['Query Acme', 'Query Globex']);
    expect(file.text.split('\n')[0]).to.equal('"Id","Name"');
    expect((await v1('GET', `/job/${jobId}/batch/${batchId}/request`)).text).to.equal("SELECT Id, Name FROM Account WHERE Name LIKE 'Query%' ORDER BY Name");

    const unknown = await v1('GET', `/job/${jobId}/batch/${batchId}/result/752000000000000AAA`);
    expect(unknown.status).to.equal(400);
    expect(xmlText(unknown.text, 'exceptionCode')).to.equal('InvalidBatch');
  });

  it('queryAll sees deleted records; query does not; no match is "Records not found for this query"; bad SOQL fails the batch', async () => {
    const [gone] = emu.insertRecords('Account', [{ Name: 'Query Deleted' }]);
    emu.store.get('Account', gone)!.IsDeleted = true;
    const soql = "SELECT Id, Name FROM Account WHERE Name = 'Query Deleted'";
    expect(await records(soql)).to.deep.equal([]);

    const all = await batchOf('queryAll', soql);
    const text = (await v1('GET', `/job/${all.jobId}/batch/${all.batchId}/result/${all.results[0].id}`)).text;
    expect(parseCsv(text).rows.map((r) => r.Name)).to.deep.equal(['Query Deleted']);

    const none = await batchOf('query', "SELECT Id FROM Account WHERE Name = 'Nobody'");
    expect((await v1('GET', `/job/${none.jobId}/batch/${none.batchId}/result/${none.results[0].id}`)).text).to.equal('Records not found for this query');

    const failure = await batchOf('query', 'SELECT Nope__c FROM Account').then(
      () => new Error('the batch did not fail'),
      (e: Error) => e
    );
    expect(failure.message).to.match(/^InvalidBatch : Failed to process query: INVALID_FIELD: /);
  });
});
