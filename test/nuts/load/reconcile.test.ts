/*
 * `sf bulkops reconcile` through the real `sf` binary (plugin linked) against the emulator org:
 * after a load with failed and left-out rows, the table, the files, the Markdown report, the JSON
 * (against its schema), exit 68, and an all-loaded run that exits 0; the errors users see.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { PROJECT_ROOT, SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';
import { readCsv } from '../../helpers/csv.js';

type ReconcileJson = {
  runId: string;
  status: string;
  counts: { rows: number; succeeded: number; failed: number; rejected: number; unprocessed: number; retryable: number };
  groups: Array<{ code: string; fields: string[]; action: string; advice: string; count: number; file: string }>;
  files: { rows: string; retry: string; folder: string };
  report?: string;
};

describe('sf bulkops reconcile (through the real sf binary)', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let sf: SfHome;

  before(async () => {
    emu = await startEmulator();
    emu.insertRecords('Contact', [{ LastName: 'Taken', External_Id__c: 'REC-3' }]);
    sf = new SfHome();
    await sf.login(emu.url, emu.accessToken);
    const link = await sf.run(['plugins', 'link', PROJECT_ROOT]);
    expect(link.code, link.stderr).to.equal(0);
  });

  after(async () => {
    await emu.stop();
    sf.dispose();
  });

  const write = (name: string, text: string): string => {
    const path = join(sf.home, name);
    writeFileSync(path, text);
    return path;
  };

  it('prints the states and the failure groups with what to do, writes the files and the report, and exits 68', async () => {
    // Line 4 duplicates an external ID the org holds (DUPLICATE_VALUE on insert); line 5 has no LastName (left out).
    const file = write('contacts.csv', 'LastName,External_Id__c\nOne,REC-1\nTwo,REC-2\nThree,REC-3\n,REC-4\nFive,REC-5\n');
    const load = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--json']);
    expect(load.code, load.stdout).to.equal(68);
    const runId = (load.json?.result as { runId: string }).runId;

    const text = await sf.run(['bulkops', 'reconcile', '--run-id', runId, '--report', 'reconcile.md']);
    expect(text.code, text.stderr).to.equal(68);
    expect(text.stdout).to.contain(`Run ${runId} (insert Contact, Completed): 5 rows: 3 succeeded, 1 failed, 0 unprocessed, 1 left out by the checks, 0 pending, 0 never sent.`);
    expect(text.stdout).to.contain('DUPLICATE_VALUE');
    expect(text.stdout).to.contain('The records exist already: load with --operation upsert --external-id External_Id__c, or leave these rows out.');
    expect(text.stdout).to.contain('rows.csv: every input row');
    const report = readFileSync(join(sf.home, 'reconcile.md'), 'utf8');
    expect(report).to.contain(`# Reconcile of run ${runId}`);
    expect(report).to.match(/\| 1 \| DUPLICATE_VALUE \| External_Id__c \| The records exist already/);

    const json = await sf.run(['bulkops', 'reconcile', '--latest', '--json']);
    expect(json.code).to.equal(68);
    const result = json.json?.result as ReconcileJson;
    expect(schemaErrors('bulkops-reconcile.json', result)).to.deep.equal([]);
    expect(result).to.include({ runId, status: 'Completed' });
    expect(result.counts).to.include({ rows: 5, succeeded: 3, failed: 1, rejected: 1, unprocessed: 0, retryable: 0 });
    expect(result.groups).to.have.length(1);
    expect(result.groups[0]).to.include({ code: 'DUPLICATE_VALUE', action: 'use-upsert', count: 1 });
    expect(readCsv(result.groups[0].file)).to.deep.equal([
      { sf__Line: '4', sf__Id: '', sf__ErrorCode: 'DUPLICATE_VALUE', sf__Error: `duplicate value found: External_Id__c duplicates value on record with id: ${emu.store.findBy(emu.store.describe('Contact')!, emu.store.field(emu.store.describe('Contact')!, 'External_Id__c')!, 'REC-3')[0].Id as string}`, sf__Fields: 'External_Id__c', LastName: 'Three', External_Id__c: 'REC-3' },
    ]);
    const rows = readCsv(result.files.rows);
    expect(rows.map((r) => [r.sf__Line, r.sf__State])).to.deep.equal([
      ['2', 'succeeded'],
      ['3', 'succeeded'],
      ['4', 'failed'],
      ['5', 'rejected'],
      ['6', 'succeeded'],
    ]);
    for (const r of rows.filter((x) => x.sf__State === 'succeeded')) expect(emu.store.get('Contact', r.sf__Id)?.External_Id__c).to.equal(r.External_Id__c);
  });

  it('exits 0 when every row is loaded, and says so', async () => {
    const file = write('clean.csv', 'LastName,External_Id__c\nA,CLEAN-1\nB,CLEAN-2\n');
    const load = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--json']);
    expect(load.code, load.stdout).to.equal(0);
    const r = await sf.run(['bulkops', 'reconcile', '--latest']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Every row is loaded.');
  });

  it('refuses an unknown run, and a run whose result file was deleted, with the action', async () => {
    const none = await sf.run(['bulkops', 'reconcile', '--run-id', 'no-such-run', '--json']);
    expect(none.code).to.equal(1);
    expect(none.json?.name).to.equal('NoRunError');
    const both = await sf.run(['bulkops', 'reconcile', '--run-id', 'x', '--latest']);
    expect(both.code).to.equal(2);

    const latest = (await sf.run(['bulkops', 'reconcile', '--latest', '--json'])).json?.result as ReconcileJson;
    const success = join(latest.files.folder, '..', 'success.csv');
    rmSync(success);
    const gone = await sf.run(['bulkops', 'reconcile', '--latest', '--json']);
    expect(gone.code).to.equal(1);
    expect(gone.json?.name).to.equal('RunFileMissingError');
    expect(gone.json?.message).to.contain('success.csv is gone');
  });
});
