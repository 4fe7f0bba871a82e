/*
 * Conformance: jsforce, as @salesforce/core hands it out (Connection.create on an access-token
 * AuthInfo), against the emulator: Bulk 2.0 ingest and query, REST query paging, and the errors
 * jsforce raises when the emulator refuses a call or fails a job.
 */
import { expect } from 'chai';
import { AuthInfo, Connection } from '@salesforce/core';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { SfHome } from '../../helpers/sf.js';
import { API, byKey, call, jobInfo, parseCsv } from './support.js';

type Row = Record<string, string>;

describe('conformance: jsforce through @salesforce/core', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let sf: SfHome;
  let conn: Connection;
  let restoreEnv: () => void = () => {};

  before(async () => {
    emu = await startEmulator();
    emu.settings.processingDelayMs = 50;
    sf = new SfHome();
    // @salesforce/core runs in this process: keep its state and logs in the throw-away home.
    restoreEnv = sf.useInThisProcess();
    const authInfo = await AuthInfo.create({
      accessTokenOptions: { accessToken: emu.accessToken, instanceUrl: emu.url, loginUrl: emu.url },
    });
    conn = await Connection.create({ authInfo });
  });

  after(async () => {
    restoreEnv();
    await emu.stop();
    sf.dispose();
  });

  it('Connection.create resolves the user and the latest API version from the emulator', () => {
    expect(conn.getUsername()).to.equal('admin@bulkops.emu');
    expect(conn.getApiVersion()).to.equal('66.0');
    expect(conn.instanceUrl).to.equal(emu.url);
    expect(emu.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).to.include.members([
      'GET /services/oauth2/userinfo 200',
      'GET /services/data 200',
    ]);
  });

  it('bulk2.loadAndWaitForResults inserts records and returns successful and failed results with sf__ columns', async () => {
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'insert',
      input: [
        { FirstName: 'Kay', LastName: 'Jsforce', Email: 'kay@example.com', External_Id__c: 'JS-1', HasOptedOutOfEmail: true },
        { FirstName: 'Lee', LastName: 'Jsforce', Email: 'lee@example.com', External_Id__c: 'JS-2', HasOptedOutOfEmail: false },
        { FirstName: 'Max', LastName: null, Email: 'max@example.com', External_Id__c: 'JS-3', HasOptedOutOfEmail: false },
        { FirstName: 'Ned', LastName: 'Jsforce', Email: 'not-an-email', External_Id__c: 'JS-4', HasOptedOutOfEmail: false },
      ],
      pollInterval: 100,
      pollTimeout: 20_000,
    });
    const stored = new Map([...emu.store.all('Contact')].filter((c) => String(c.External_Id__c).startsWith('JS-')).map((c) => [c.External_Id__c, c]));
    expect([...stored.keys()].sort()).to.deep.equal(['JS-1', 'JS-2']);
    expect(stored.get('JS-1')).to.include({ FirstName: 'Kay', HasOptedOutOfEmail: true, Email: 'kay@example.com' });
    expect(stored.get('JS-2')).to.include({ HasOptedOutOfEmail: false });

    const ok = byKey(results.successfulResults as unknown as Row[], 'External_Id__c');
    expect(ok.size).to.equal(2);
    for (const ext of ['JS-1', 'JS-2']) {
      expect(ok.get(ext), ext).to.include({ sf__Id: stored.get(ext)!.Id, sf__Created: 'true', LastName: 'Jsforce' });
    }
    const failed = byKey(results.failedResults as unknown as Row[], 'External_Id__c');
    expect(failed.size).to.equal(2);
    // jsforce writes null as #N/A, which on insert leaves the required LastName empty.
    expect(failed.get('JS-3')).to.include({ sf__Id: '', sf__Error: 'REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --' });
    expect(failed.get('JS-4')!.sf__Error).to.match(/^INVALID_EMAIL_ADDRESS:.*:Email --$/);
    expect(results.unprocessedRecords).to.deep.equal([]);
  });

  it('bulk2.loadAndWaitForResults upserts on an external ID from a CSV string', async () => {
    const [existing] = emu.insertRecords('Account', [{ Name: 'JS Before', External_Id__c: 'JSU-1', Industry: 'Energy' }]);
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Account',
      operation: 'upsert',
      externalIdFieldName: 'External_Id__c',
      input: 'External_Id__c,Name,Industry\nJSU-1,JS After,\nJSU-2,JS New,Retail\n',
      pollInterval: 100,
      pollTimeout: 20_000,
    });
    const ok = byKey(results.successfulResults as unknown as Row[], 'External_Id__c');
    expect(ok.get('JSU-1')).to.include({ sf__Id: existing, sf__Created: 'false', Name: 'JS After' });
    const created = [...emu.store.all('Account')].find((a) => a.External_Id__c === 'JSU-2');
    expect(ok.get('JSU-2')).to.include({ sf__Id: created?.Id, sf__Created: 'true' });
    expect(emu.store.get('Account', existing)).to.include({ Name: 'JS After', Industry: 'Energy' });
    expect(created).to.include({ Name: 'JS New', Industry: 'Retail' });
    expect(results.failedResults).to.deep.equal([]);
  });

  it('bulk2.loadAndWaitForResults update: a failed row keeps its record Id in sf__Id', async () => {
    const [live, binned] = emu.insertRecords('Contact', [
      { LastName: 'Live', Title: 'Before', External_Id__c: 'JSD-1' },
      { LastName: 'Binned', Title: 'Before', External_Id__c: 'JSD-2' },
    ]);
    emu.store.softDelete(emu.store.describe('Contact')!, emu.store.get('Contact', binned)!);
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'Contact',
      operation: 'update',
      input: `Id,Title\n${live},After\n${binned},After\n`,
      pollInterval: 100,
      pollTimeout: 20_000,
    });
    expect(results.successfulResults).to.deep.equal([{ sf__Id: live, sf__Created: 'false', Id: live, Title: 'After' }]);
    // Since v53 a failed update row carries the Id it named (Bulk API Developer Guide: Get Job Successful and Failed Record Results).
    expect(results.failedResults).to.deep.equal([{ sf__Id: binned, sf__Error: 'ENTITY_IS_DELETED:entity is deleted:--', Id: binned, Title: 'After' }]);
    expect(emu.store.get('Contact', live)).to.include({ Title: 'After' });
    expect(emu.store.get('Contact', binned)).to.include({ Title: 'Before', IsDeleted: true });
  });

  it('bulk2.query streams back the records the org holds, including parent fields', async () => {
    const [acct] = emu.insertRecords('Account', [{ Name: 'Query Parent', External_Id__c: 'JSQ-A', AnnualRevenue: 1250.5 }]);
    emu.insertRecords('Contact', [
      { LastName: 'Q1', AccountId: acct, External_Id__c: 'JSQ-1', Title: 'Line, "quoted"\nsecond line' },
      { LastName: 'Q2', AccountId: null, External_Id__c: 'JSQ-2' },
    ]);
    const stream = await conn.bulk2.query("SELECT Id, LastName, Title, Account.Name, Account.AnnualRevenue FROM Contact WHERE External_Id__c LIKE 'JSQ-%'", {
      pollInterval: 100,
      pollTimeout: 20_000,
    });
    const records: Row[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('record', (r: Row) => records.push(r));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    const q1 = [...emu.store.all('Contact')].find((c) => c.External_Id__c === 'JSQ-1')!;
    const q2 = [...emu.store.all('Contact')].find((c) => c.External_Id__c === 'JSQ-2')!;
    expect(records.sort((a, b) => a.LastName.localeCompare(b.LastName))).to.deep.equal([
      { Id: q1.Id, LastName: 'Q1', Title: 'Line, "quoted"\nsecond line', 'Account.Name': 'Query Parent', 'Account.AnnualRevenue': '1250.5' },
      { Id: q2.Id, LastName: 'Q2', Title: '', 'Account.Name': '', 'Account.AnnualRevenue': '' },
    ]);
  });

  it('bulk2.query refuses COUNT() at job creation, as a real org does', async () => {
    const mark = emu.requests.length;
    let error: Error | undefined;
    try {
      await conn.bulk2.query('SELECT COUNT() FROM Account', { pollInterval: 100, pollTimeout: 5000 });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).to.equal('API_ERROR');
    expect(error?.message).to.match(/COUNT not supported in Bulk Query/);
    const created = emu.requests.slice(mark).filter((q) => q.method === 'POST' && q.path.endsWith('/jobs/query'));
    expect(created.map((q) => q.status)).to.deep.equal([400]);
    expect(emu.query.jobs.list().filter((j) => /count\(/i.test(j.query))).to.deep.equal([]);
  });

  it('raw API: query results page with maxRecords and Sforce-Locator, ending with the literal "null"', async () => {
    emu.insertRecords(
      'Lead',
      Array.from({ length: 5 }, (_, i) => ({ LastName: `Loc ${i}`, Company: 'Locator Ltd' }))
    );
    const create = await call(emu, 'POST', `/services/data/${API}/jobs/query`, {
      body: JSON.stringify({ operation: 'query', query: "SELECT Id, LastName FROM Lead WHERE Company = 'Locator Ltd'" }),
      contentType: 'application/json',
    });
    expect(create.status).to.equal(200);
    const id = (create.json as { id: string }).id;
    for (let i = 0; i < 100 && (await jobInfo(emu, id, 'query')).state !== 'JobComplete'; i++) await new Promise((r) => setTimeout(r, 20));
    const names: string[] = [];
    const locators: string[] = [];
    let locator = '';
    do {
      const page = await call(emu, 'GET', `/services/data/${API}/jobs/query/${id}/results?maxRecords=2${locator ? `&locator=${locator}` : ''}`, { accept: 'text/csv' });
      expect(page.status).to.equal(200);
      const csv = parseCsv(page.text);
      expect(csv.header).to.deep.equal(['Id', 'LastName']);
      expect(page.headers.get('sforce-numberofrecords')).to.equal(String(csv.rows.length));
      names.push(...csv.rows.map((r) => r.LastName));
      locator = page.headers.get('sforce-locator') ?? '';
      locators.push(locator);
    } while (locator && locator !== 'null');
    expect(names.sort()).to.deep.equal(['Loc 0', 'Loc 1', 'Loc 2', 'Loc 3', 'Loc 4']);
    expect(locators).to.have.length(3);
    expect(locators[2]).to.equal('null');
  });

  it('conn.query pages with nextRecordsUrl: queryMore by hand and autoFetch both return every record', async () => {
    emu.insertRecords(
      'Account',
      Array.from({ length: 7 }, (_, i) => ({ Name: `JS Page ${i}`, External_Id__c: `JSP-${i}` }))
    );
    const saved = emu.settings.queryPageSize;
    emu.settings.queryPageSize = 3;
    try {
      const soql = "SELECT Id, Name FROM Account WHERE Name LIKE 'JS Page%' ORDER BY Name";
      const first = await conn.query<{ Name: string }>(soql);
      expect(first.totalSize).to.equal(7);
      expect(first.done).to.equal(false);
      expect(first.records.map((r) => r.Name)).to.deep.equal(['JS Page 0', 'JS Page 1', 'JS Page 2']);
      // jsforce keeps only the locator (the last path segment) and rebuilds an absolute URL from it.
      expect(first.nextRecordsUrl).to.match(/\/services\/data\/v66\.0\/query\/01g\w+-3$/);
      // On the wire Salesforce sends it relative to the instance.
      const raw = await call(emu, 'GET', `/services/data/${API}/query?q=${encodeURIComponent(soql)}`);
      expect((raw.json as { nextRecordsUrl: string }).nextRecordsUrl).to.match(/^\/services\/data\/v66\.0\/query\/01g\w+-3$/);
      const second = await conn.queryMore<{ Name: string }>(first.nextRecordsUrl!);
      expect(second.records.map((r) => r.Name)).to.deep.equal(['JS Page 3', 'JS Page 4', 'JS Page 5']);
      expect(second.done).to.equal(false);
      const third = await conn.queryMore<{ Name: string }>(second.nextRecordsUrl!);
      expect(third.records.map((r) => r.Name)).to.deep.equal(['JS Page 6']);
      expect(third.done).to.equal(true);
      expect(third.nextRecordsUrl).to.equal(undefined);

      // Sforce-Limit-Info on every versioned REST answer, which jsforce keeps as limitInfo.
      const used = emu.requests.filter((q) => /^\/services\/data\/v\d/.test(q.path)).length;
      expect(conn.limitInfo?.apiUsage).to.deep.equal({ used, limit: emu.settings.dailyApiRequests });

      const all = await conn.query<{ Name: string }>(soql, { autoFetch: true, maxFetch: 100 });
      expect(all.records.map((r) => r.Name)).to.deep.equal(Array.from({ length: 7 }, (_, i) => `JS Page ${i}`));
      expect(all.totalSize).to.equal(7);
    } finally {
      emu.settings.queryPageSize = saved;
    }
  });

  it('conn.query errors carry Salesforce error codes and the wording plugin-data checks for', async () => {
    const failure = async (soql: string): Promise<Error | undefined> => {
      try {
        await conn.query(soql);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    };
    // plugin-data's query NUT (real scratch orgs): 'unexpected token' and "No such column '…' on entity '…'".
    const syntax = await failure('SELECT');
    expect(syntax?.name).to.equal('MALFORMED_QUERY');
    expect(syntax?.message.toLowerCase()).to.include('unexpected token');
    const column = await failure('SELECT Id, Bogus__c FROM Account');
    expect(column?.name).to.equal('INVALID_FIELD');
    expect(column?.message).to.include("No such column 'Bogus__c' on entity 'Account'");
    const type = await failure('SELECT Id FROM Nope__c');
    expect(type?.name).to.equal('INVALID_TYPE');
    expect(type?.message).to.include("sObject type 'Nope__c' is not supported");
  });

  it('jsforce reports a job failed on a BOM-prefixed header, then deletes the job', async () => {
    const before = [...emu.store.all('Account')].length;
    const mark = emu.requests.length;
    let error: Error | undefined;
    try {
      await conn.bulk2.loadAndWaitForResults({ object: 'Account', operation: 'insert', input: '\uFEFFName\nBom Js\n', pollInterval: 100, pollTimeout: 20_000 });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.equal('Ingest job failed to complete due to: InvalidBatch : Field name not found : \uFEFFName');
    expect([...emu.store.all('Account')].length).to.equal(before);
    // loadAndWaitForResults cleans up after a failure with DELETE, which a Failed job allows.
    await new Promise((r) => setTimeout(r, 200));
    const del = emu.requests.slice(mark).find((q) => q.method === 'DELETE');
    expect(del?.status).to.equal(204);
    expect((await call(emu, 'GET', del!.path)).status).to.equal(404);
  });

  it('jsforce surfaces INVALIDJOBSTATE for a second upload and for closing a completed job', async () => {
    const job = conn.bulk2.createJob({ object: 'Account', operation: 'insert' });
    await job.open();
    await job.uploadData('Name\nJs Once\n');
    // A second client object on the same job id: jsforce itself only guards one object's uploads.
    const sameJob = conn.bulk2.job('ingest', { id: job.id });
    let uploadError: (Error & { errorCode?: string }) | undefined;
    try {
      await sameJob.uploadData('Name\nJs Twice\n');
    } catch (e) {
      uploadError = e as Error;
    }
    expect(uploadError?.name).to.equal('INVALIDJOBSTATE');
    expect(uploadError?.message).to.match(/^Found multiple contents for job/);

    await job.close();
    await job.poll(100, 20_000);
    expect(job.getInfo()).to.include({ state: 'JobComplete', numberRecordsProcessed: 1 });
    let closeError: Error | undefined;
    try {
      await job.close();
    } catch (e) {
      closeError = e as Error;
    }
    expect(closeError?.name).to.equal('INVALIDJOBSTATE');
    expect(closeError?.message).to.equal('Closing already Completed Job not allowed');
    const names = [...emu.store.all('Account')].map((a) => a.Name);
    expect(names).to.include('Js Once');
    expect(names).to.not.include('Js Twice');
  });
});
