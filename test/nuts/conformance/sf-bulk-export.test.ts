/*
 * Conformance: `sf data export bulk` (a Bulk 2.0 query job whose result pages plugin-data fetches
 * itself, following Sforce-Locator) against the emulator, checked against the records it holds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { SfHome } from '../../helpers/sf.js';
import { readCsvFile } from './support.js';

// More rows than one result page: without maxRecords the emulator cuts pages at 100,000 rows.
const LEADS = 100_000 + 2345;

describe('conformance: sf data export bulk', function () {
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

  it('writes every record once, across result pages joined by Sforce-Locator', async () => {
    emu.insertRecords(
      'Lead',
      Array.from({ length: LEADS }, (_, i) => ({
        LastName: `Lead ${i}`,
        Company: i % 7 === 0 ? 'Comma, Inc.' : `Company "${i % 3}"`,
        City: i % 5 === 0 ? null : 'Lyon',
        Email: `lead${i}@example.com`,
      }))
    );
    const mark = emu.requests.length;
    const r = await sf.run([
      'data', 'export', 'bulk', '--query', 'SELECT Id, LastName, Company, City FROM Lead', '--output-file', 'leads.csv', '--wait', '2', '--target-org', 'emu', '--json',
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const result = r.json?.result as { totalSize: number; filePath: string };
    expect(result.totalSize).to.equal(LEADS);

    const csv = readCsvFile(join(sf.home, 'leads.csv'));
    // Columns in SELECT order (v50+), one header row even though the rows came in several pages.
    expect(csv.header).to.deep.equal(['Id', 'LastName', 'Company', 'City']);
    expect(csv.rows).to.have.length(LEADS);
    const store = new Map([...emu.store.all('Lead')].map((l) => [l.Id as string, l]));
    const seen = new Set<string>();
    for (const row of csv.rows) {
      const rec = store.get(row.Id);
      expect(rec, row.Id).to.not.equal(undefined);
      expect(seen.has(row.Id), `${row.Id} twice`).to.equal(false);
      seen.add(row.Id);
      if (row.LastName !== rec!.LastName || row.Company !== rec!.Company || row.City !== (rec!.City ?? '')) {
        expect(row, row.Id).to.deep.equal({ Id: rec!.Id, LastName: rec!.LastName, Company: rec!.Company, City: rec!.City ?? '' });
      }
    }
    expect(seen.size).to.equal(store.size);

    // Two result pages: the first without a locator, the second with the locator the first gave.
    const pages = emu.requests.slice(mark).filter((q) => /\/jobs\/query\/750\w+\/results$/.test(q.path));
    expect(pages).to.have.length(2);
    expect(pages.every((p) => p.status === 200)).to.equal(true);
  });

  it('exports parent fields as dotted columns and, with --all-rows, deleted records too', async () => {
    const [acct] = emu.insertRecords('Account', [{ Name: 'Export Parent', External_Id__c: 'EXP-A' }]);
    const [c1, c2] = emu.insertRecords('Contact', [
      { LastName: 'Kept', AccountId: acct, External_Id__c: 'EXP-1' },
      { LastName: 'Binned', AccountId: null, External_Id__c: 'EXP-2' },
    ]);
    emu.store.softDelete(emu.store.describe('Contact')!, emu.store.get('Contact', c2)!);
    const r = await sf.run([
      'data', 'export', 'bulk', '--query', "SELECT Id, LastName, Account.Name, IsDeleted FROM Contact WHERE External_Id__c LIKE 'EXP-%'",
      '--all-rows', '--output-file', 'contacts.csv', '--wait', '2', '--target-org', 'emu', '--json',
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const csv = readCsvFile(join(sf.home, 'contacts.csv'));
    expect(csv.header).to.deep.equal(['Id', 'LastName', 'Account.Name', 'IsDeleted']);
    expect(csv.rows.sort((a, b) => a.LastName.localeCompare(b.LastName))).to.deep.equal([
      { Id: c2, LastName: 'Binned', 'Account.Name': '', IsDeleted: 'true' },
      { Id: c1, LastName: 'Kept', 'Account.Name': 'Export Parent', IsDeleted: 'false' },
    ]);
  });

  it('--result-format json: lower-case SOQL, canonical field names, one JSON object per record', async () => {
    // plugin-data closes the JSON array after numberRecordsProcessed records, so the job's count
    // must equal the rows in the result pages.
    const ids = emu.insertRecords('Account', [
      { Name: 'Json 1', Phone: '415-555-0000', AnnualRevenue: 1000, External_Id__c: 'JSON-1' },
      { Name: 'Json 2', Phone: null, AnnualRevenue: null, External_Id__c: 'JSON-2' },
    ]);
    const r = await sf.run([
      'data', 'export', 'bulk', '--query', "select id,name,phone, annualrevenue from account where external_id__c like 'JSON-%'",
      '--result-format', 'json', '--output-file', 'accounts.json', '--wait', '2', '--target-org', 'emu', '--json',
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.json?.result).to.include({ totalSize: 2, filePath: 'accounts.json' });
    const rows = JSON.parse(readFileSync(join(sf.home, 'accounts.json'), 'utf8')) as Array<Record<string, string>>;
    expect(rows.sort((a, b) => a.Name.localeCompare(b.Name))).to.deep.equal([
      { Id: ids[0], Name: 'Json 1', Phone: '415-555-0000', AnnualRevenue: '1000' },
      { Id: ids[1], Name: 'Json 2', Phone: '', AnnualRevenue: '' },
    ]);
  });
});
