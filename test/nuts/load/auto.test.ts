/*
 * `sf bulkops load` with its default `--concurrency auto`, through the real `sf` binary: the
 * decision line in the log, the JSON's concurrency field (checked against the schema), and
 * `--concurrency parallel` leaving it out.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';

describe('sf bulkops load --concurrency auto (through the real sf binary)', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let sf: SfHome;
  let file: string;

  before(async () => {
    emu = await startEmulator();
    sf = new SfHome();
    await sf.loginAndLink(emu.url, emu.accessToken);
    const accounts = emu.insertRecords('Account', [0, 1, 2].map((i) => ({ Name: `Parent ${i}` })));
    file = join(sf.home, 'contacts.csv');
    writeFileSync(file, 'LastName,AccountId\n' + Array.from({ length: 12_000 }, (_, i) => `Contact ${i},${accounts[i % 3]}`).join('\n') + '\n');
  });

  after(async () => {
    await emu.stop();
    sf.dispose();
  });

  it('decides by default, says why in the log and in the JSON', async () => {
    const reason = 'grouped by AccountId: 12,000 rows share 3 Account records (up to 4,000 on one)';
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const result = r.json?.result as { successful: number; concurrency: { decision: { mode: string; reason: string }; changes: unknown[] }; jobs: Array<{ rows: number }> };
    expect(schemaErrors('bulkops-load.json', result)).to.deep.equal([]);
    expect(result.successful).to.equal(12_000);
    expect(result.concurrency.decision).to.include({ mode: 'grouped', reason });
    // Parts of one 10,000-row chunk; no Account's children in two of them.
    expect(result.jobs.map((j) => j.rows)).to.deep.equal([8000, 4000]);

    const ci = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--force'], { env: { CI: 'true' } });
    expect(ci.code, ci.stderr).to.equal(0);
    expect(ci.stdout + ci.stderr).to.include(`Concurrency ${reason}`);
  });

  it('--concurrency parallel sends as before (one job of two chunks that lock each other out), then the lock failures again one job at a time, to 0', async () => {
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--concurrency', 'parallel', '--force', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    type Round = { round: number; kind: string; rows: number; succeeded: number; stillLocked: number };
    const result = r.json?.result as { successful: number; failed: number; concurrency?: unknown; errorCodes: Array<{ code: string; count: number }>; rounds: Round[] };
    const locks = result.rounds[0].rows;
    console.log(`      12,000 Contacts over 3 Accounts, emulator defaults: UNABLE_TO_LOCK_ROW parallel ${locks}, auto 0; lock rounds: ${result.rounds.map((x) => `${x.rows} sent, ${x.stillLocked} still locked`).join('; ')}`);
    expect(locks).to.be.greaterThan(0);
    expect(result.rounds.every((x) => x.kind === 'lock-retry')).to.equal(true);
    expect(result.rounds.at(-1)!.stillLocked).to.equal(0);
    expect(result).to.include({ successful: 12_000, failed: 0 });
    expect(result.errorCodes).to.deep.equal([]);
    expect(result.concurrency).to.equal(undefined);
    const human = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--concurrency', 'parallel', '--force', '--lock-rounds', '0']);
    expect(human.code, human.stderr).to.equal(68);
    expect(human.stdout).to.not.contain('Round 1');
  });
});
