/*
 * `sf bulkops export` through the real sf binary against the emulator: the file and the JSON
 * result, a bad query's refusal, Ctrl-C (exit 130 with the command to go on, which then finishes the
 * file), and the round trip: export --for-load upsert, edit a few rows, `sf bulkops load` them back:
 * exactly the edited records change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import type { SfHome } from '../../helpers/sf.js';
import { orgResults, seedAccounts, SOQL } from '../../helpers/exportTest.js';

const ROWS = 6000;

describe('sf bulkops export (through the real sf binary)', function () {
  this.timeout(300_000);
  let linked: LinkedSf;
  let emu: Emulator;
  let sf: SfHome;

  before(async () => {
    linked = await sfOnEmulator();
    ({ emu, sf } = linked);
    seedAccounts(emu, ROWS);
    let i = 0;
    for (const a of emu.store.all('Account')) a.External_Id__c = `EXP-${i++}`;
  });

  after(async () => {
    emu.holdRequest = undefined;
    await linked.stop();
  });

  it('writes the org results to the file, and says so in --json', async () => {
    const file = join(sf.home, 'accounts.csv');
    const r = await sf.run(['bulkops', 'export', '--query', SOQL, '--output-file', file, '--max-records-per-page', '2500', '--target-org', 'emu', '--json']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const result = r.json?.result as Record<string, unknown>;
    expect(result).to.include({ records: ROWS, pages: 3, jobRecords: ROWS, format: 'csv', file, resumed: false });
    expect(result.runId).to.be.a('string');
    expect(readFileSync(file, 'utf8')).to.equal(await orgResults(emu, SOQL));
  });

  it('a bad query: exit 1, the org error code and the position, no stack', async () => {
    const r = await sf.run(['bulkops', 'export', '--query', 'SELECT Id Name FROM Account WHERE', '--output-file', join(sf.home, 'bad.csv'), '--target-org', 'emu', '--json']);
    expect(r.code).to.equal(1);
    expect(r.json?.name).to.equal('QueryRefusedError');
    expect(r.json?.message).to.match(/MALFORMED_QUERY/).and.match(/ERROR at Row:1:Column:\d+/);
  });

  it('flags that do not go together: exit 2', async () => {
    const r = await sf.run(['bulkops', 'export', '--query', SOQL, '--output-file', join(sf.home, 'x.csv'), '--for-load', 'upsert', '--target-org', 'emu']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('--for-load upsert needs --external-id');
  });

  it('Ctrl-C mid-export: exit 130 with the command to go on; that command finishes the file, no row twice', async () => {
    const file = join(sf.home, 'stopped.csv');
    let pages = 0;
    const child = sf.start(['bulkops', 'export', '--query', SOQL, '--output-file', file, '--max-records-per-page', '1000', '--target-org', 'emu']);
    emu.holdRequest = (entry): Promise<void> | undefined => {
      if (!/\/jobs\/query\/\w+\/results$/.test(entry.path) || ++pages !== 3) return undefined;
      child.child.kill('SIGINT');
      // Held for good: the command ends on the signal, not on the page.
      return new Promise(() => undefined);
    };
    const r = await child.done;
    expect(r.code, r.stdout + r.stderr).to.equal(130);
    expect(r.stderr).to.not.match(/ExitError|^\s+at /m);
    const resume = /(bulkops export --resume \S+)/.exec(r.stderr)?.[1];
    expect(resume, r.stderr).to.be.a('string');
    emu.holdRequest = undefined;
    // `sf bulkops resume` of an export run points to the export's own resume.
    const viaResume = await sf.run(['bulkops', 'resume', '--run-id', resume!.split(' ').at(-1)!, '--target-org', 'emu']);
    expect(viaResume.code).to.equal(1);
    expect(viaResume.stderr).to.include('is an export, not a load').and.include(resume!);
    const again = await sf.run([...resume!.split(' '), '--target-org', 'emu', '--json']);
    expect(again.code, again.stdout + again.stderr).to.equal(0);
    expect(again.json?.result).to.include({ records: ROWS, resumed: true });
    expect(readFileSync(file, 'utf8')).to.equal(await orgResults(emu, SOQL));
  });

  it('round trip: export --for-load upsert, edit three rows, load the file back: exactly those records change, and fields set since on records the snapshot had empty are cleared', async () => {
    const file = join(sf.home, 'snapshot.csv');
    const query = 'SELECT External_Id__c, Name, Description, NumberOfEmployees FROM Account';
    const r = await sf.run(['bulkops', 'export', '--query', query, '--output-file', file, '--for-load', 'upsert', '--external-id', 'External_Id__c', '--target-org', 'emu']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const text = readFileSync(file, 'utf8');
    expect(text).to.include('#N/A');
    const snapshot = (): Map<string, string> =>
      new Map([...emu.store.all('Account')].map((a) => [String(a.External_Id__c), JSON.stringify([a.Name, a.Description, a.NumberOfEmployees])]));
    const before = snapshot();
    const rows: Array<Record<string, string>> = parse(text, { columns: true });
    const edited = new Map([[rows[5].External_Id__c, 'Edited five'], [rows[700].External_Id__c, 'Edited seven hundred'], [rows[5999].External_Id__c, 'Edited last']]);
    const lines = text.split('\n');
    for (const [i, name] of [[5, 'Edited five'], [700, 'Edited seven hundred'], [5999, 'Edited last']] as const) {
      const row = rows[i];
      lines[lines.findIndex((l) => l.startsWith(`${row.External_Id__c},`) || l.startsWith(`"${row.External_Id__c}",`))] = [row.External_Id__c, name, row.Description, row.NumberOfEmployees].map((v) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(',');
    }
    writeFileSync(file, lines.join('\n'));
    // Meanwhile a risky change set fields the snapshot had empty: the snapshot's #N/A clears them again.
    const risky = [...emu.store.all('Account')].filter((a) => a.Description === null).slice(0, 2);
    const noCount = [...emu.store.all('Account')].find((a) => a.NumberOfEmployees === null)!;
    for (const a of risky) a.Description = 'set by a risky load';
    noCount.NumberOfEmployees = 99;
    expect(snapshot().get(String(noCount.External_Id__c))).to.not.equal(before.get(String(noCount.External_Id__c)));
    const load = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--operation', 'upsert', '--external-id', 'External_Id__c', '--file', file, '--target-org', 'emu', '--json']);
    expect(load.code, load.stdout + load.stderr).to.equal(0);
    const after = snapshot();
    const changed = [...after].filter(([id, v]) => before.get(id) !== v).map(([id]) => id);
    expect(changed.sort()).to.deep.equal([...edited.keys()].sort());
    for (const [id, name] of edited) expect((JSON.parse(after.get(id)!) as unknown[])[0]).to.equal(name);
    expect(after.size).to.equal(ROWS);
  });
});
