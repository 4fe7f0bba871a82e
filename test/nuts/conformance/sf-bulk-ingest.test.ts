/*
 * Conformance: the official `sf data … bulk` commands (plugin-data over jsforce's Bulk 2.0 client)
 * against the emulator. Each test checks what the org holds afterwards and what the client wrote
 * or printed, so a wrong answer from the emulator shows up as a failed assertion.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { SfHome } from '../../helpers/sf.js';
import { byKey, readCsvFile, write } from './support.js';

type IngestJson = { jobId: string; processedRecords: number; successfulRecords: number; failedRecords: number };
type ResultRow = Record<string, string>;
type RecordsJson = {
  jobInfo: { id: string; state: string; operation: string; numberRecordsProcessed: number; numberRecordsFailed: number };
  records: { successfulResults: ResultRow[]; failedResults: ResultRow[]; unprocessedRecords: ResultRow[] };
};

const REQUIRED_LASTNAME = 'REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --';

describe('conformance: sf data bulk ingest commands', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let sf: SfHome;

  before(async () => {
    emu = await startEmulator();
    // Jobs start as soon as they are closed, so the CLI's first poll (it then waits 5 s) sees them done.
    emu.settings.processingDelayMs = 0;
    sf = new SfHome();
    await sf.login(emu.url, emu.accessToken, 'emu');
    await sf.login(emu.url, emu.tokenFor('loader@bulkops.emu'), 'loader');
  });

  after(async () => {
    await emu.stop();
    sf.dispose();
  });

  const contactsBy = (prefix: string): Map<string, Record<string, unknown>> =>
    new Map(
      [...emu.store.all('Contact')]
        .filter((c) => String(c.External_Id__c ?? '').startsWith(prefix))
        .map((c) => [String(c.External_Id__c), c])
    );

  it('sf data import bulk inserts the good rows, and sf data bulk results writes both result files row by row', async () => {
    const file = write(
      sf.home,
      'contacts.csv',
      [
        'FirstName,LastName,Email,External_Id__c',
        'Ada,Lovelace,ada@example.com,IMP-1',
        'Grace,Hopper,grace@example.com,IMP-2',
        'Nameless,,nobody@example.com,IMP-3',
        '"Jean ""JJ""",Bartik,jean@example.com,IMP-4',
        '',
      ].join('\n')
    );
    // Slow processing down for this job so the CLI sees UploadComplete/InProgress and must poll on.
    emu.settings.processingDelayMs = 400;
    let r;
    try {
      r = await sf.run(['data', 'import', 'bulk', '--file', file, '--sobject', 'Contact', '--wait', '2', '--target-org', 'emu', '--json']);
    } finally {
      emu.settings.processingDelayMs = 0;
    }
    // One failed row: plugin-data reports it as FailedRecordDetailsError with the job id.
    expect(r.code, r.stdout).to.equal(1);
    expect(r.json?.name).to.equal('FailedRecordDetailsError');
    expect(r.json?.message).to.equal('Job finished being processed but failed to process 1 records.');
    const jobId = (r.json as unknown as { data: { jobId: string; state: string } }).data.jobId;
    expect((r.json as unknown as { data: { state: string } }).data.state).to.equal('JobComplete');
    expect(emu.requests.filter((q) => q.method === 'GET' && q.path === `/services/data/v66.0/jobs/ingest/${jobId}`).length).to.be.at.least(2);

    const inOrg = contactsBy('IMP-');
    expect([...inOrg.keys()].sort()).to.deep.equal(['IMP-1', 'IMP-2', 'IMP-4']);
    expect(inOrg.get('IMP-1')).to.include({ FirstName: 'Ada', LastName: 'Lovelace', Email: 'ada@example.com', IsDeleted: false });
    expect(inOrg.get('IMP-4')).to.include({ FirstName: 'Jean "JJ"', LastName: 'Bartik' });
    expect(inOrg.get('IMP-2')!.CreatedById).to.equal(emu.defaultUserId);

    const res = await sf.run(['data', 'bulk', 'results', '--job-id', jobId, '--target-org', 'emu', '--json']);
    expect(res.code, res.stdout).to.equal(0);
    expect(res.json?.result).to.deep.include({
      processedRecords: 4,
      successfulRecords: 3,
      failedRecords: 1,
      status: 'JobComplete',
      operation: 'insert',
      object: 'Contact',
      successFilePath: `${jobId}-success-records.csv`,
      failedFilePath: `${jobId}-failed-records.csv`,
    });

    const success = readCsvFile(join(sf.home, `${jobId}-success-records.csv`));
    expect(success.header).to.deep.equal(['sf__Id', 'sf__Created', 'FirstName', 'LastName', 'Email', 'External_Id__c']);
    // Salesforce quotes every value in result files.
    expect(success.raw.split('\n')[0]).to.equal('"sf__Id","sf__Created","FirstName","LastName","Email","External_Id__c"');
    expect(success.rows).to.have.length(3);
    const ok = byKey(success.rows, 'External_Id__c');
    for (const [ext, rec] of inOrg) {
      expect(ok.get(ext), ext).to.deep.equal({
        sf__Id: rec.Id,
        sf__Created: 'true',
        FirstName: rec.FirstName,
        LastName: rec.LastName,
        Email: rec.Email,
        External_Id__c: ext,
      });
    }

    const failed = readCsvFile(join(sf.home, `${jobId}-failed-records.csv`));
    expect(failed.header).to.deep.equal(['sf__Id', 'sf__Error', 'FirstName', 'LastName', 'Email', 'External_Id__c']);
    expect(failed.rows).to.deep.equal([
      { sf__Id: '', sf__Error: REQUIRED_LASTNAME, FirstName: 'Nameless', LastName: '', Email: 'nobody@example.com', External_Id__c: 'IMP-3' },
    ]);
  });

  it('sf data update bulk changes the named fields, leaves empty cells alone and nulls #N/A', async () => {
    const [c1, c2] = emu.insertRecords('Contact', [
      { LastName: 'One', Title: 'Old', Phone: '111', External_Id__c: 'UPD-1' },
      { LastName: 'Two', Title: 'Old', Phone: '222', External_Id__c: 'UPD-2' },
    ]);
    const file = write(sf.home, 'update.csv', `Id,Title,Phone\n${c1},Director,\n${c2},Engineer,#N/A\n`);
    const r = await sf.run(['data', 'update', 'bulk', '--file', file, '--sobject', 'Contact', '--wait', '2', '--target-org', 'emu', '--json']);
    expect(r.code, r.stdout).to.equal(0);
    const result = r.json?.result as IngestJson;
    expect(result).to.include({ processedRecords: 2, successfulRecords: 2, failedRecords: 0 });
    expect(result.jobId).to.match(/^750\w{15}$/);
    expect(emu.store.get('Contact', c1)).to.include({ Title: 'Director', Phone: '111', LastName: 'One' });
    expect(emu.store.get('Contact', c2)).to.include({ Title: 'Engineer', Phone: null, LastName: 'Two' });
  });

  it('sf data upsert bulk --external-id updates matched records and creates the rest', async () => {
    const [u1, u2] = emu.insertRecords('Account', [
      { Name: 'Before 1', External_Id__c: 'UPS-1', BillingCity: 'Paris' },
      { Name: 'Before 2', External_Id__c: 'UPS-2', BillingCity: 'Rome' },
    ]);
    const file = write(sf.home, 'upsert.csv', 'External_Id__c,Name,BillingCity\nUPS-1,After 1,\nUPS-2,After 2,Milan\nUPS-3,New 3,Oslo\nUPS-4,New 4,\n');
    const r = await sf.run([
      'data', 'upsert', 'bulk', '--file', file, '--sobject', 'Account', '--external-id', 'External_Id__c', '--wait', '2', '--target-org', 'emu', '--json',
    ]);
    expect(r.code, r.stdout).to.equal(0);
    const { jobInfo, records } = r.json?.result as RecordsJson;
    expect(jobInfo).to.include({ state: 'JobComplete', operation: 'upsert', numberRecordsProcessed: 4, numberRecordsFailed: 0 });
    expect(records.failedResults).to.deep.equal([]);
    expect(records.unprocessedRecords).to.deep.equal([]);

    const accounts = new Map([...emu.store.all('Account')].filter((a) => String(a.External_Id__c).startsWith('UPS-')).map((a) => [a.External_Id__c, a]));
    expect(accounts.size).to.equal(4);
    expect(accounts.get('UPS-1')).to.include({ Id: u1, Name: 'After 1', BillingCity: 'Paris' });
    expect(accounts.get('UPS-2')).to.include({ Id: u2, Name: 'After 2', BillingCity: 'Milan' });
    expect(accounts.get('UPS-3')).to.include({ Name: 'New 3', BillingCity: 'Oslo' });
    expect(accounts.get('UPS-4')).to.include({ Name: 'New 4', BillingCity: null });

    const ok = byKey(records.successfulResults, 'External_Id__c');
    expect(ok.size).to.equal(4);
    for (const [ext, created] of [['UPS-1', 'false'], ['UPS-2', 'false'], ['UPS-3', 'true'], ['UPS-4', 'true']]) {
      expect(ok.get(ext), ext).to.include({ sf__Id: accounts.get(ext)!.Id, sf__Created: created });
    }
  });

  it('sf data upsert bulk --external-id Id on a file without an Id column inserts every row', async () => {
    // plugin-data's NUTs load their upsert fixture (NAME,TYPE,PHONE,WEBSITE,ANNUALREVENUE, no Id)
    // this way into real scratch orgs and get one created record per row.
    const file = write(sf.home, 'upsert-id.csv', 'NAME,PHONE,ANNUALREVENUE\nUpsert Id 0,415-555-0000,0\nUpsert Id 1,415-555-0000,1000\n');
    const r = await sf.run(['data', 'upsert', 'bulk', '--file', file, '--sobject', 'Account', '--external-id', 'Id', '--wait', '2', '--target-org', 'emu', '--json']);
    expect(r.code, r.stdout).to.equal(0);
    const { jobInfo, records } = r.json?.result as RecordsJson;
    expect(jobInfo).to.include({ state: 'JobComplete', numberRecordsProcessed: 2, numberRecordsFailed: 0 });
    const stored = [...emu.store.all('Account')].filter((a) => String(a.Name).startsWith('Upsert Id'));
    expect(stored.map((a) => [a.Name, a.Phone, a.AnnualRevenue]).sort()).to.deep.equal([
      ['Upsert Id 0', '415-555-0000', 0],
      ['Upsert Id 1', '415-555-0000', 1000],
    ]);
    const ok = byKey(records.successfulResults, 'NAME');
    for (const a of stored) expect(ok.get(String(a.Name))).to.include({ sf__Id: a.Id, sf__Created: 'true' });
  });

  it('sf data delete bulk moves records to the recycle bin, where only queryAll sees them; an unknown Id fails its row', async () => {
    const ids = emu.insertRecords('Account', [
      { Name: 'Del 1', External_Id__c: 'DEL-1' },
      { Name: 'Del 2', External_Id__c: 'DEL-2' },
      { Name: 'Del 3', External_Id__c: 'DEL-3' },
    ]);
    const keep = emu.insertRecords('Account', [{ Name: 'Keep', External_Id__c: 'DEL-KEEP' }])[0];
    // A well-formed Account Id that names no record, and no newline after the last row: a real org
    // answers INVALID_CROSS_REFERENCE_KEY and echoes the Id in sf__Id (plugin-data's delete NUT).
    const missing = '001000000000000AAA';
    const file = write(sf.home, 'delete.csv', `Id\n${ids.join('\n')}\n${missing}`);
    const r = await sf.run(['data', 'delete', 'bulk', '--file', file, '--sobject', 'Account', '--wait', '2', '--target-org', 'emu', '--json']);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.json?.message).to.equal('Job finished being processed but failed to process 1 records.');
    const jobId = (r.json as unknown as { data: { jobId: string } }).data.jobId;

    for (const id of ids) expect(emu.store.get('Account', id), id).to.include({ IsDeleted: true });
    expect([...emu.store.all('Account')].map((a) => a.Id)).to.not.include.members(ids);
    expect(emu.store.get('Account', keep)).to.include({ IsDeleted: false });

    const res = await sf.run(['data', 'bulk', 'results', '--job-id', jobId, '--target-org', 'emu', '--json']);
    expect(res.code, res.stdout).to.equal(0);
    expect(res.json?.result).to.deep.include({ processedRecords: 4, successfulRecords: 3, failedRecords: 1, operation: 'delete', status: 'JobComplete' });
    const success = readCsvFile(join(sf.home, `${jobId}-success-records.csv`));
    expect(success.header).to.deep.equal(['sf__Id', 'sf__Created', 'Id']);
    expect(success.rows.sort((a, b) => a.Id.localeCompare(b.Id))).to.deep.equal([...ids].sort().map((id) => ({ sf__Id: id, sf__Created: 'false', Id: id })));
    const failed = readCsvFile(join(sf.home, `${jobId}-failed-records.csv`));
    expect(failed.rows).to.deep.equal([{ sf__Id: missing, sf__Error: 'INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--', Id: missing }]);

    const soql = "SELECT Id, Name, IsDeleted FROM Account WHERE External_Id__c LIKE 'DEL-%' ORDER BY Name";
    const all = await sf.run(['data', 'query', '--query', soql, '--all-rows', '--target-org', 'emu', '--json']);
    expect(all.code, all.stdout).to.equal(0);
    const allRows = (all.json?.result as { records: Array<Record<string, unknown>> }).records;
    expect(allRows.map((a) => [a.Name, a.IsDeleted])).to.deep.equal([
      ['Del 1', true],
      ['Del 2', true],
      ['Del 3', true],
      ['Keep', false],
    ]);
  });

  it('sf data delete bulk --hard-delete removes records for a user with the permission and is refused without it', async () => {
    const adminIds = emu.insertRecords('Account', [
      { Name: 'Hard 1', External_Id__c: 'HARD-1' },
      { Name: 'Hard 2', External_Id__c: 'HARD-2' },
    ]);
    const loaderIds = emu.insertRecords('Account', [{ Name: 'Hard 3', External_Id__c: 'HARD-3' }]);
    const adminFile = write(sf.home, 'hard-admin.csv', `Id\n${adminIds.join('\n')}\n`);
    const loaderFile = write(sf.home, 'hard-loader.csv', `Id\n${loaderIds.join('\n')}\n`);
    const mark = emu.requests.length;
    const hardDelete = (file: string, alias: string): ReturnType<SfHome['run']> =>
      sf.run(['data', 'delete', 'bulk', '--hard-delete', '--file', file, '--sobject', 'Account', '--wait', '2', '--target-org', alias, '--json']);
    const [admin, loader] = await Promise.all([hardDelete(adminFile, 'emu'), hardDelete(loaderFile, 'loader')]);

    expect(admin.code, admin.stdout).to.equal(0);
    const { jobInfo, records } = admin.json?.result as RecordsJson;
    expect(jobInfo).to.include({ state: 'JobComplete', operation: 'hardDelete', numberRecordsProcessed: 2, numberRecordsFailed: 0 });
    expect(records.successfulResults.map((s) => s.sf__Id).sort()).to.deep.equal([...adminIds].sort());
    // Hard-deleted records skip the recycle bin: not even queryAll can see them.
    for (const id of adminIds) expect(emu.store.get('Account', id), id).to.equal(undefined);
    expect([...emu.store.all('Account', true)].map((a) => a.Id)).to.not.include.members(adminIds);

    // plugin-data turns the FEATURENOTENABLED error into its own message.
    expect(loader.code, loader.stdout).to.equal(1);
    expect(loader.json?.message).to.equal(
      'You must have the "Bulk API Hard Delete" system permission to use the --hard-delete flag. This permission is disabled by default and can be enabled only by a system administrator.'
    );
    expect(emu.store.get('Account', loaderIds[0])).to.include({ Name: 'Hard 3', IsDeleted: false });
    const loaderId = [...emu.store.all('User')].find((u) => u.Username === 'loader@bulkops.emu')!.Id;
    const loaderCalls = emu.requests.slice(mark).filter((q) => q.userId === loaderId && q.path.includes('/jobs/ingest'));
    expect(loaderCalls.map((q) => `${q.method} ${q.status}`)).to.include('POST 400');
    expect(loaderCalls.some((q) => q.method === 'PUT')).to.equal(false);
  });

  it('sf org list limits counts one DailyBulkApiBatches batch per processed job chunk and every API call', async () => {
    const r = await sf.run(['org', 'list', 'limits', '--target-org', 'emu', '--json']);
    expect(r.code, r.stdout).to.equal(0);
    const limits = new Map((r.json?.result as Array<{ name: string; max: number; remaining: number }>).map((l) => [l.name, l]));
    // Each job above had fewer than 10,000 rows: one chunk, so one batch each. The refused
    // hard delete never became a job.
    const processed = emu.ingest.jobs.list().filter((j) => j.state === 'JobComplete');
    expect(processed).to.have.length(6);
    expect(limits.get('DailyBulkApiBatches')).to.deep.equal({ name: 'DailyBulkApiBatches', max: 15_000, remaining: 15_000 - processed.length });
    // Every versioned REST call counts against DailyApiRequests, polls and result downloads included.
    const calls = emu.requests.filter((q) => /^\/services\/data\/v\d/.test(q.path)).length;
    expect(limits.get('DailyApiRequests')).to.deep.equal({ name: 'DailyApiRequests', max: 100_000, remaining: 100_000 - calls });
  });
});
