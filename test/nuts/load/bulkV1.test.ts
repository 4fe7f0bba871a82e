/*
 * `sf bulkops load --bulk-api v1` through the real `sf` binary against the emulator org: the JSON
 * names the API and its mode, records land once, failed rows keep their lines, and the flags that do
 * not fit V1 are refused before anything is read or sent.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';
import { readCsv } from '../../helpers/csv.js';

type LoadJson = {
  status: string;
  bulkApi: string;
  v1?: { concurrencyMode: string; batchRows: number };
  rows: number;
  successful: number;
  failed: number;
  jobs: Array<{ id: string; state: string; batches?: number }>;
  files: { success: string; failed: string };
};

describe('sf bulkops load --bulk-api v1 (through the real sf binary)', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let sf: SfHome;
  let linked: LinkedSf;

  before(async () => {
    linked = await sfOnEmulator();
    ({ emu, sf } = linked);
  });

  after(() => linked.stop());

  const write = (name: string, text: string): string => {
    const path = join(sf.home, name);
    writeFileSync(path, text);
    return path;
  };

  it('loads with a Serial V1 job of batches; --json says which API and mode, failed rows keep their lines (exit 68)', async () => {
    emu.insertRecords('Account', [{ Name: 'Held', External_Id__c: 'V1-7' }]);
    const lines = ['Name,External_Id__c'];
    for (let i = 1; i <= 25; i++) lines.push(`V1 Account ${i},V1-${i}`);
    const file = write('v1-accounts.csv', lines.join('\n') + '\n');
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--bulk-api', 'v1', '--concurrency', 'serial', '--batch-size', '10', '--results-dir', 'v1-results', '--json']);
    expect(r.code, r.stderr).to.equal(68);
    const result = r.json?.result as LoadJson;
    expect(schemaErrors('bulkops-load.json', result)).to.deep.equal([]);
    expect(result).to.include({ status: 'Completed', bulkApi: 'v1', rows: 25, successful: 24, failed: 1 });
    expect(result.v1).to.deep.equal({ concurrencyMode: 'Serial', batchRows: 10 });
    expect(result.jobs).to.have.length(1);
    expect(result.jobs[0]).to.include({ state: 'JobComplete', batches: 3 });
    const [job] = emu.bulkV1.listJobs();
    expect(job.concurrencyMode).to.equal('Serial');
    expect(job.batches).to.have.length(3);
    const inOrg = [...emu.store.all('Account')].filter((a) => String(a.Name).startsWith('V1 Account')).map((a) => a.External_Id__c as string);
    expect(inOrg).to.have.length(24);
    expect(new Set(inOrg).size).to.equal(24);
    const failed = readCsv(result.files.failed);
    expect(failed.map((f) => [f.sf__Line, f.External_Id__c, f.sf__ErrorCode])).to.deep.equal([['8', 'V1-7', 'DUPLICATE_VALUE']]);
  });

  it('refuses --batch-size over 10,000, --concurrency auto with v1, and --batch-size without v1 (exit 2, nothing sent)', async () => {
    const file = write('few.csv', 'Name\nX\n');
    const base = ['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--json'];
    const before = emu.bulkV1.listJobs().length;

    const big = await sf.run([...base, '--bulk-api', 'v1', '--concurrency', 'parallel', '--batch-size', '20000']);
    expect(big.code).to.equal(2);
    expect(big.json?.name).to.equal('BatchSizeOverLimitError');
    expect(big.json?.message).to.match(/--batch-size 20000 is over the limit of 10000 rows per Bulk API V1 batch/);

    const auto = await sf.run([...base, '--bulk-api', 'v1']);
    expect(auto.code).to.equal(2);
    expect(auto.json?.name).to.equal('V1NeedsConcurrencyError');
    expect(auto.json?.message).to.match(/--concurrency serial .* or --concurrency parallel/);

    const v2 = await sf.run([...base, '--batch-size', '500']);
    expect(v2.code).to.equal(2);
    expect(v2.json?.name).to.equal('BatchSizeNeedsV1Error');

    expect(emu.bulkV1.listJobs()).to.have.length(before);
    expect(emu.ingest.jobs.list()).to.have.length(0);
  });
});
