/*
 * A refused hardDelete through the real `sf`: the wrong count under --json (no prompt possible)
 * stops the load, and neither `resume --latest` nor `resume --run-id` can turn it into a delete.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { SfHome } from '../../helpers/sf.js';

describe('sf bulkops load --operation hardDelete, refused, then resume', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let sf: SfHome;

  let linked: LinkedSf;

  before(async () => {
    linked = await sfOnEmulator();
    ({ emu, sf } = linked);
  });

  after(() => linked.stop());

  it('deletes nothing, and leaves no run for resume to pick up', async () => {
    const ids = emu.insertRecords('Account', Array.from({ length: 6 }, (_, i) => ({ Name: `Keep ${i}` })));
    const file = join(sf.home, 'ids.csv');
    writeFileSync(file, ['Id', ...ids].join('\n') + '\n');
    const ledgerDir = join(sf.home, 'runs');
    const load = await sf.run(['bulkops', 'load', '-s', 'Account', '-p', 'hardDelete', '-f', file, '--confirm-hard-delete', '5', '--ledger-dir', ledgerDir, '-o', 'emu', '--json']);
    expect(load.code, load.stdout).to.equal(1);
    expect(load.json?.message).to.match(/6/);
    const runs = readdirSync(ledgerDir);
    expect(runs).to.have.length(1);

    // The refused run says why when resumed: by --latest (never an earlier run instead) and by its id.
    const latest = await sf.run(['bulkops', 'resume', '--latest', '--ledger-dir', ledgerDir, '--json']);
    expect(latest.code).to.equal(1);
    expect(latest.json?.message).to.match(/ended before it sent anything/);
    const byId = await sf.run(['bulkops', 'resume', '--run-id', runs[0], '--ledger-dir', ledgerDir, '--json']);
    expect(byId.code).to.equal(1);
    expect(byId.json?.message).to.match(/ended before it sent anything/);
    expect(emu.store.count('Account')).to.equal(6);
    expect(emu.requests.filter((r) => r.path.includes('/jobs/ingest'))).to.have.length(0);
  });
});
