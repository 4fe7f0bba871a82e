/*
 * Rounds after the load against the emulator: rows that failed with UNABLE_TO_LOCK_ROW go again one
 * job at a time until none is left (or the rounds run out), in the same run and ledger; the result
 * files show each row's latest outcome, the result each round, and the org holds every row once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import { scrambledParents } from '../../helpers/skew.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import { replay } from '../../../src/core/ledger/records.js';
import { reconcileRun } from '../../../src/core/reconcile/reconcileRun.js';
import type { LoadEvent, LoadResult } from '../../../src/core/run/types.js';

const CHUNK = 500;
/** Children per Account: skewed, a few parents hold most children. */
const SKEW = [1200, 800, 400, 200, 100, 100, 100, 100];

describe('lock failures sent again, one job at a time, after the load', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let work: string;
  let accounts: string[];

  beforeEach(async () => {
    emu = await startEmulator({ settings: { chunkSize: CHUNK, lockTimeoutMs: 200 } });
    accounts = emu.insertRecords('Account', SKEW.map((_, i) => ({ Name: `Parent ${i}` })));
    work = mkdtempSync(join(tmpdir(), 'bulkops-rounds-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const writeContacts = (): { file: string; parents: number[] } => {
    const parents = scrambledParents(SKEW);
    const file = join(work, 'contacts.csv');
    writeFileSync(file, 'LastName,External_Id__c,AccountId\n' + parents.map((a, i) => `Contact ${i},C-${i},${accounts[a]}`).join('\n') + '\n');
    return { file, parents };
  };
  const locks = (r: LoadResult): number => r.errorCodes.find((c) => c.code === 'UNABLE_TO_LOCK_ROW')?.count ?? 0;

  it('ends at 0 lock failures on skewed child data loaded plain parallel; each round in the result, the ledger and reconcile', async () => {
    const { file, parents } = writeContacts();
    const events: LoadEvent[] = [];
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
    // Plain parallel: parts of about 1,000 rows (two chunks each), 5 jobs at once.
    const result = await engine.start(contactLoad(file, work, { waitMs: 240_000, maxJobBytes: 1000 * 42, chunkRows: CHUNK, lockRounds: 3 }));
    const rounds = result.rounds ?? [];
    console.log(`      ${parents.length} Contacts over ${SKEW.length} skewed Accounts, plain parallel: ${rounds.map((r) => `round ${r.round}: ${r.rows} sent, ${r.succeeded} succeeded, ${r.stillLocked} still locked`).join('; ')}`);
    expect(rounds.length, 'plain parallel left lock failures to send again').to.be.greaterThan(0);
    expect(rounds.every((r) => r.kind === 'lock-retry' && r.serial && r.status === 'Completed')).to.equal(true);
    expect(rounds.at(-1)!.stillLocked).to.equal(0);
    expect(result).to.include({ status: 'Completed', successful: parents.length, failed: 0, unprocessed: 0 });
    expect(locks(result)).to.equal(0);
    // Round 1 sent exactly the load's lock failures.
    const ledger = Ledger.read(result.runDir);
    const firstResults = ledger.filter((r) => r.t === 'results' && r.chunk <= result.jobs.length);
    const loadLocks = firstResults.reduce((n, r) => n + (r.t === 'results' ? r.errorCodes.UNABLE_TO_LOCK_ROW ?? 0 : 0), 0);
    expect(rounds[0].rows).to.equal(loadLocks);
    expect(ledger.filter((r) => r.t === 'attempt').length).to.equal(rounds.length);
    expect(events.some((e) => e.type === 'round-done')).to.equal(true);

    // The org holds every row once, with the parent its line names; success.csv has every line once.
    const contacts = [...emu.store.all('Contact')];
    expect(contacts).to.have.length(parents.length);
    const success = readCsv(result.files!.success);
    expect(success.map((r) => Number(r.sf__Line))).to.deep.equal(parents.map((_, i) => i + 2));
    for (const row of success) {
      const rec = emu.store.get('Contact', row.sf__Id)!;
      expect(rec.External_Id__c).to.equal(`C-${Number(row.sf__Line) - 2}`);
      expect(rec.AccountId).to.equal(accounts[parents[Number(row.sf__Line) - 2]]);
    }
    expect(readCsv(result.files!.failed)).to.have.length(0);

    // Reconcile shows each row's round and every round's outcome of a row sent again.
    const r = await reconcileRun(result.runDir);
    expect(r.counts).to.include({ succeeded: parents.length, failed: 0 });
    expect(r.rounds!.map((x) => x.round)).to.deep.equal(rounds.map((x) => x.round));
    const rows = readCsv(r.files.rows);
    const resent = rows.filter((x) => x.sf__Round !== '0');
    expect(resent.length).to.equal(rounds.reduce((n, x) => n + (x.succeeded ?? 0), 0));
    for (const x of resent) {
      expect(x.sf__History.startsWith('0:failed:UNABLE_TO_LOCK_ROW')).to.equal(true);
      expect(x.sf__History.endsWith(`${x.sf__Round}:succeeded`)).to.equal(true);
    }
  });

  it('killed before a lock round is recorded, at its first job creation and before its merge, then resumed: every row once, 0 lock failures', async () => {
    const { file, parents } = writeContacts();
    const target = { instanceUrl: emu.url, accessToken: emu.accessToken };
    const request = contactLoad(file, work, { waitMs: 240_000, maxJobBytes: 1000 * 42, chunkRows: CHUNK, lockRounds: 3 });
    const runDir = join(request.ledgerDir, request.runId);
    const first = await runCrashChild({ target, request }, 'before-round-planned');
    expect(first.signal, first.stderr).to.equal('SIGKILL');
    const state = replay(Ledger.read(runDir));
    expect(state.done, 'the load itself finished').to.equal(true);
    expect(state.attempts).to.have.length(0);
    // The round's first part is numbered after the load's parts.
    const second = await runCrashChild({ target, resume: { runDir, waitMs: 240_000 } }, `after-create:${state.chunks.length + 1}`);
    expect(second.signal, second.stderr).to.equal('SIGKILL');
    expect(replay(Ledger.read(runDir)).attempts).to.have.length(1);
    const third = await runCrashChild({ target, resume: { runDir, waitMs: 240_000 } }, 'before-round-merged');
    expect(third.signal, third.stderr).to.equal('SIGKILL');
    const { engine } = testEngine(target);
    const result = await engine.resume(runDir, 240_000);
    expect(result).to.include({ status: 'Completed', successful: parents.length, failed: 0 });
    expect(result.rounds!.at(-1)!.stillLocked).to.equal(0);
    const ids = [...emu.store.all('Contact')].map((c) => c.External_Id__c as string);
    expect(ids).to.have.length(parents.length);
    expect(new Set(ids).size).to.equal(parents.length);
    expect(readCsv(result.files!.success).map((r) => Number(r.sf__Line))).to.deep.equal(parents.map((_, i) => i + 2));
  });
});
