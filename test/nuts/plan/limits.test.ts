/*
 * The daily batch allocation before the first job, through the real sf: a load (or a plan) that
 * would pass what the org has left is refused with the numbers, nothing sent; above 80% it warns;
 * the org counts the allocation over a rolling 24 hours (batches used a day ago are back).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import type { SfHome } from '../../helpers/sf.js';
import { OPPORTUNITY_SEED, writePlanFiles } from '../../helpers/planSeed.js';

const HOUR = 60 * 60 * 1000;

describe('sf bulkops load: the batch allocation is checked before the first job', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let sf: SfHome;
  let linked: LinkedSf;

  before(async () => {
    linked = await sfOnEmulator({ seed: OPPORTUNITY_SEED, settings: { dailyBulkApiBatches: 100 } });
    ({ emu, sf } = linked);
  });

  after(() => linked.stop());

  const contacts = (rows: number): string => {
    const file = join(sf.home, `contacts-${rows}.csv`);
    writeFileSync(file, ['LastName,External_Id__c', ...Array.from({ length: rows }, (_, i) => `N${i},E-${rows}-${i}`)].join('\n') + '\n');
    return file;
  };

  it('refuses a load that needs more batches than are left, with the numbers, and sends nothing; the allocation rolls over 24 hours', async () => {
    // 98 batches used two hours ago: 2 left; the load needs 3 (25,000 rows in 10,000-record chunks).
    emu.batches.use(98, emu.clock.now() - 2 * HOUR);
    const file = contacts(25_000);
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--max-job-size', '100', '--json']);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.json?.name).to.equal('AllocationExceededError');
    expect(r.json?.message).to.include('needs up to 3 batches').and.include('for 25000 records, and the org has 2 left (of 100 per 24 hours');
    expect([...emu.store.all('Contact')]).to.have.length(0);
    expect(emu.requests.some((l) => l.method === 'POST' && l.path.includes('/jobs/ingest'))).to.equal(false);

    // 23 hours later those batches still count; a day after they were used they no longer do.
    emu.clock.advance(21 * HOUR);
    expect((await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--max-job-size', '100', '--json'])).code).to.equal(1);
    emu.clock.advance(3 * HOUR);
    const ok = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--max-job-size', '100', '--json']);
    expect(ok.code, ok.stderr).to.equal(0);
    expect([...emu.store.all('Contact')]).to.have.length(25_000);
    // Above 80% of what is left: a warning, and the load goes on (97 left; 94 more used: 3 left, 3 needed).
    emu.batches.use(94);
    const warned = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', contacts(25_001), '--target-org', 'emu', '--max-job-size', '100', '--json']);
    expect(warned.code, warned.stderr).to.equal(0);
    expect(warned.json?.warnings?.join('\n')).to.match(/will use up to 3 of the 3 batches left of the org's daily allocation \(100 per 24 hours/);
  });

  it('refuses a plan whose steps together need more than is left, before its first step', async () => {
    const { plan } = writePlanFiles(sf.home, { accounts: 1000, contactsPer: 5, oppsPer: 5 });
    // What is left now is 0: every batch of the day is used.
    emu.batches.use(100);
    const r = await sf.run(['bulkops', 'load', '--plan', plan, '--target-org', 'emu', '--ledger-dir', join(sf.home, 'plan-runs'), '--json']);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.json?.name).to.equal('AllocationExceededError');
    expect(r.json?.message).to.include('for 11000 records, and the org has 0 left');
    expect([...emu.store.all('Account')]).to.have.length(0);
  });
});
