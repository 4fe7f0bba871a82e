/*
 * The rounds of a Bulk API V1 run send batches too: a reconcile --retry round and a lock round
 * (the load's UNABLE_TO_LOCK_ROW rows sent again in V1 Serial jobs). Killed -9 while the org holds
 * one of a round's batch adds (it has the whole request and finishes it after the process died),
 * then resumed at once: the resume waits for that add while the org could still be working on it
 * (SF_BULKOPS_MAX_ANSWER_MS) and takes the batch it made, so every row is loaded once.
 *
 * The held add lands once the resume has looked (as it says it waits, or, a resume that does not
 * wait, as it sends its own add). Run with SF_BULKOPS_MAX_ANSWER_MS=0 to see both fail.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine } from '../../helpers/engine.js';
import { killWhileHeld, landingAsResumed, type Route } from '../../helpers/held.js';
import { scrambledParents } from '../../helpers/skew.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';

const ADD: Route = { method: 'POST', path: /\/job\/\w+\/batch$/ };
const BOUND_MS = process.env.SF_BULKOPS_MAX_ANSWER_MS ?? '60000';

describe('load engine: V1 rounds (reconcile --retry, lock rounds) killed while the org holds a batch add', function () {
  this.timeout(180_000);
  let emu: Emulator;
  let work: string;
  let savedBound: string | undefined;

  beforeEach(() => {
    savedBound = process.env.SF_BULKOPS_MAX_ANSWER_MS;
    process.env.SF_BULKOPS_MAX_ANSWER_MS = BOUND_MS;
    work = mkdtempSync(join(tmpdir(), 'bulkops-held-v1-rounds-'));
  });

  afterEach(async () => {
    if (savedBound === undefined) delete process.env.SF_BULKOPS_MAX_ANSWER_MS;
    else process.env.SF_BULKOPS_MAX_ANSWER_MS = savedBound;
    await emu?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });
  /** Contacts per LastName (unique per input row, not unique in the org: a row sent twice is two records). */
  const recordsPerRow = (): Map<string, number> => {
    const n = new Map<string, number>();
    for (const c of emu.store.all('Contact')) n.set(c.LastName as string, (n.get(c.LastName as string) ?? 0) + 1);
    return n;
  };
  const jobOf = (path: string): string => /\/job\/(\w+)\/batch$/.exec(path)![1];

  it('a reconcile --retry round: killed while the org holds its second batch add, resumed at once: every row once', async () => {
    // Every batch of the load runs past the time limit with no retry: 20 rows of each 60 run, the rest are unprocessed.
    emu = await startEmulator({ settings: { batchTimeLimitMs: 1, batchMaxRetries: 0, transactionSize: 20 } });
    const file = join(work, 'contacts.csv');
    writeFileSync(file, 'LastName,Title\n' + Array.from({ length: 250 }, (_, i) => `Row${i + 1},T${i + 1}`).join('\n') + '\n');
    const load = await testEngine(target()).engine.start(contactLoad(file, work, { concurrency: 1, v1: { concurrencyMode: 'Serial', batchRows: 60 } }));
    expect(load).to.include({ status: 'Completed', successful: 90, unprocessed: 160, retryable: 160 });
    emu.updateSettings({ batchTimeLimitMs: 600_000, batchMaxRetries: 10, transactionSize: 200 });
    const loadJobs = new Set(emu.bulkV1.listJobs().map((j) => j.id));

    // The round (160 rows: 3 batches of 60) in a child, killed while the org holds its second add.
    const exit = await killWhileHeld(emu, { target: target(), resend: { runDir: load.runDir, how: { kind: 'retry' }, waitMs: 60_000 } }, ADD, 2);
    expect(exit.signal, exit.stderr).to.equal('SIGKILL');
    const { result, waits } = await landingAsResumed(emu, ADD, (onEvent) => testEngine(target(), onEvent).engine.resume(load.runDir, 60_000));

    expect(result).to.include({ status: 'Completed', rows: 250, successful: 250, failed: 0, unprocessed: 0, unmatched: 0 });
    const records = recordsPerRow();
    expect([...records.values()].reduce((a, b) => a + b, 0), 'records for 250 rows').to.equal(250);
    expect(records.size).to.equal(250);
    const roundJobs = emu.bulkV1.listJobs().filter((j) => !loadJobs.has(j.id));
    expect(roundJobs.flatMap((j) => j.batches)).to.have.length(3);
    expect(roundJobs.map((j) => j.state)).to.deep.equal(['Closed']);
    expect(waits.map((w) => w.what === 'batch' && w.batch)).to.deep.equal([2]);
    expect(Ledger.read(load.runDir).filter((r) => r.t === 'batch-added' && r.adopted).map((r) => (r as { batch: number }).batch)).to.deep.equal([2]);
  });

  it('a lock round: killed while the org holds the first batch add of a round job (V1 Serial), resumed at once: every row once', async () => {
    // As in bulkV1.test.ts: a V1 Parallel load of skewed children leaves lock failures, sent again in V1 Serial jobs.
    emu = await startEmulator({ settings: { lockTimeoutMs: 200, clockSpeed: 2 } });
    const skew = [1200, 800, 400, 200, 100, 100, 100, 100];
    const accounts = emu.insertRecords('Account', skew.map((_, i) => ({ Name: `Parent ${i}` })));
    const parents = scrambledParents(skew);
    const file = join(work, 'children.csv');
    writeFileSync(file, 'LastName,AccountId\n' + parents.map((a, i) => `Child${i},${accounts[a]}`).join('\n') + '\n');
    const req = contactLoad(file, work, { concurrency: 5, maxJobBytes: 1000 * 42, lockRounds: 3, v1: { concurrencyMode: 'Parallel', batchRows: 500 } });
    // The load's jobs are Parallel; a round's are Serial: the first add to a Serial job is a lock round's.
    const ofRound = (e: { path: string }): boolean => emu.bulkV1.getJob(jobOf(e.path))?.concurrencyMode === 'Serial';
    const exit = await killWhileHeld(emu, { target: target(), request: req }, ADD, 1, ofRound);
    expect(exit.signal, `${exit.stdout.slice(0, 300)} ${exit.stderr}`).to.equal('SIGKILL');
    const runDir = join(req.ledgerDir, req.runId);
    const { result, waits } = await landingAsResumed(emu, ADD, (onEvent) => testEngine(target(), onEvent).engine.resume(runDir, 60_000));

    expect(result).to.include({ status: 'Completed', rows: parents.length, successful: parents.length, failed: 0, unprocessed: 0, unmatched: 0 });
    const records = recordsPerRow();
    expect([...records.values()].reduce((a, b) => a + b, 0), `records for ${parents.length} rows`).to.equal(parents.length);
    expect(records.size).to.equal(parents.length);
    expect(waits.filter((w) => w.what === 'batch')).to.have.length(1);
    expect(Ledger.read(runDir).filter((r) => r.t === 'batch-added' && r.adopted)).to.have.length(1);
    expect(emu.bulkV1.listJobs().filter((j) => j.state === 'Open').map((j) => j.id)).to.deep.equal([]);
  });
});
