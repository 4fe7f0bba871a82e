/*
 * reconcile --retry and --fixed-file against the emulator (issue: "re-runs of exactly the failed
 * subset"): a load with lock failures, data errors, rows left out by the checks and a job that
 * failed half-way; then the retryable rows sent again, then the data errors and the left-out rows
 * corrected and sent: the org holds exactly one record per input row, and reconcile shows every
 * round of every row. Rows that already loaded, lines that never failed, repeated lines and rows the
 * checks refuse are refused with the reason. Killed during either, then resumed: exact.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine, type EngineTarget } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import { resend } from '../../../src/core/reconcile/resend.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import { replay } from '../../../src/core/ledger/records.js';
import type { LoadResult } from '../../../src/core/run/types.js';
import { RunNotDoneError } from '../../../src/core/run/errors.js';
import { reconcileRun } from '../../../src/core/reconcile/reconcileRun.js';
import { csvLine } from '../../../src/core/csv/writer.js';

const ROWS = 300;

describe('reconcile --retry and --fixed-file: new rounds of a run', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let work: string;
  let live: string;
  let gone: string;
  let target: EngineTarget;

  beforeEach(async () => {
    // Small internal chunks, a short lock time-out and slow rows: chunks of one job that share the
    // Account wait for each other, and some rows fail with UNABLE_TO_LOCK_ROW.
    emu = await startEmulator({ settings: { chunkSize: 20, lockTimeoutMs: 50, baseRowCostMs: 20, workers: 4 } });
    emu.insertRecords('Contact', [{ LastName: 'Taken', External_Id__c: 'TAKEN-1' }, { LastName: 'Taken', External_Id__c: 'TAKEN-2' }]);
    [live, gone] = emu.insertRecords('Account', [{ Name: 'Live parent' }, { Name: 'Deleted parent' }]);
    emu.store.hardDelete(emu.store.describe('Account')!, emu.store.get('Account', gone)!);
    work = mkdtempSync(join(tmpdir(), 'bulkops-resend-'));
    target = { instanceUrl: emu.url, accessToken: emu.accessToken };
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** 300 rows on the live Account; lines 11 and 201 duplicate an existing external ID, 21 points to a deleted Account, 31 and 32 have no LastName. */
  const writeInput = (): string => {
    const rows = ['LastName,External_Id__c,AccountId'];
    for (let i = 1; i <= ROWS; i++) {
      if (i === 10 || i === 200) rows.push(`Dup ${i},TAKEN-${i === 10 ? 1 : 2},${live}`);
      else if (i === 20) rows.push(`Orphan ${i},R-${i},${gone}`);
      else if (i === 30 || i === 31) rows.push(`,R-${i},${live}`);
      else rows.push(`Row ${i},R-${i},${live}`);
    }
    const file = join(work, 'contacts.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    return file;
  };

  /** A load that leaves every kind of trouble: lock failures, data errors, left-out rows, a job failed half-way. */
  const troubledLoad = async (): Promise<LoadResult> => {
    const { engine } = testEngine(target);
    emu.addJobFailure({ afterRows: 5 });
    const load = await engine.start(contactLoad(writeInput(), work, { maxJobBytes: 3 * 1024, chunkRows: 20 }));
    expect(load.status).to.equal('Completed');
    expect(load.rejected).to.equal(2);
    expect(load.unprocessed, 'the failed job left rows unprocessed').to.be.greaterThan(0);
    // A row that lost the race for its Account's lock fails with UNABLE_TO_LOCK_ROW before its own
    // problem is looked at: which data errors show before --retry depends on the machine's pace.
    expect(load.errorCodes.map((c) => c.code)).to.include('UNABLE_TO_LOCK_ROW');
    return load;
  };

  /** The corrected copy of a result file: each row's values changed by `fix` (sf__ columns kept). */
  const fixedCopy = (from: string, name: string, fix: (row: Record<string, string>) => void, extra: Array<Record<string, string>> = []): string => {
    const rows = readCsv(from);
    const header = Object.keys(rows[0] ?? extra[0]);
    for (const row of rows) fix(row);
    const file = join(work, name);
    writeFileSync(file, [header, ...[...rows, ...extra].map((r) => header.map((h) => r[h] ?? ''))].map((r) => csvLine(r)).join(''));
    return file;
  };
  const fixData = (row: Record<string, string>): void => {
    if (row.External_Id__c.startsWith('TAKEN')) row.External_Id__c = `R-${Number(row.sf__Line) - 1}`;
    if (row.AccountId === gone) row.AccountId = live;
  };
  const fixName = (row: Record<string, string>): void => {
    row.LastName = `Row ${Number(row.sf__Line) - 1}`;
  };

  /** Exactly one Contact per input row (besides the two the org had), each with its line's external ID. */
  const expectOneRecordPerRow = (): void => {
    const ids = [...emu.store.all('Contact')].map((c) => c.External_Id__c as string);
    expect(ids).to.have.length(ROWS + 2);
    expect(new Set(ids).size).to.equal(ROWS + 2);
    for (let i = 1; i <= ROWS; i++) expect(ids, `R-${i}`).to.include(`R-${i}`);
  };

  it('loads every input row exactly once after --retry and --fixed-file, and reconcile shows every round of every row', async () => {
    const load = await troubledLoad();
    const { engine } = testEngine(target);

    // --retry: the lock failures and the rows the failed job never processed, one job at a time.
    const retried = await resend(engine, load.runDir, { kind: 'retry' }, 120_000);
    const lockRows = load.errorCodes.find((c) => c.code === 'UNABLE_TO_LOCK_ROW')!.count;
    expect(retried).to.include({ kind: 'retry', round: 1, sent: lockRows + load.unprocessed, locks: lockRows, refused: 0, status: 'Completed' });
    const afterRetry = await reconcileRun(load.runDir);
    expect(afterRetry.counts).to.include({ unprocessed: 0, rejected: 2, retryable: 0 });
    expect(afterRetry.errorCodes.map((c) => c.code).sort()).to.deep.equal(['DUPLICATE_VALUE', 'INVALID_CROSS_REFERENCE_KEY']);
    const round1 = afterRetry.rounds![0];
    expect(round1).to.include({ round: 1, kind: 'retry', rows: retried.sent, serial: true, status: 'Completed', unprocessed: 0, stillLocked: 0 });
    expect(round1.succeeded! + round1.failed!).to.equal(retried.sent);

    // --fixed-file: failed.csv with the data errors corrected, then rejected.csv with the names filled in.
    const failed = fixedCopy(load.files!.failed, 'failed-fixed.csv', fixData);
    const fixed = await resend(engine, load.runDir, { kind: 'fixed', file: failed }, 120_000);
    expect(fixed).to.include({ kind: 'fixed', round: 2, sent: 3, refused: 0 });
    const rejected = fixedCopy(load.files!.rejected!, 'rejected-fixed.csv', fixName);
    expect(await resend(engine, load.runDir, { kind: 'fixed', file: rejected }, 120_000)).to.include({ round: 3, sent: 2, refused: 0 });

    expectOneRecordPerRow();
    const r = await reconcileRun(load.runDir);
    expect(r.counts).to.include({ rows: ROWS, succeeded: ROWS, failed: 0, unprocessed: 0, rejected: 0, pending: 0, neverSent: 0 });
    expect(r.rounds!.map((x) => x.kind)).to.deep.equal(['retry', 'fixed', 'fixed']);
    // The result files show each row's latest outcome: every line succeeded, once.
    const success = readCsv(load.files!.success);
    expect(success.map((x) => Number(x.sf__Line))).to.deep.equal(Array.from({ length: ROWS }, (_, i) => i + 2));
    expect(readCsv(load.files!.failed)).to.have.length(0);
    expect(readCsv(load.files!.unprocessed)).to.have.length(0);
    expect(readCsv(load.files!.rejected!)).to.have.length(0);
    for (const s of success) expect(emu.store.get('Contact', s.sf__Id)!.External_Id__c).to.equal(`R-${Number(s.sf__Line) - 1}`);

    // rows.csv: each row's round, and the outcome of every round that sent it.
    const rows = new Map(readCsv(r.files.rows).map((x) => [Number(x.sf__Line), x]));
    // A data error may have shown only in round 1 (its row lost a lock race, or its job failed first).
    expect(rows.get(11)).to.include({ sf__State: 'succeeded', sf__Round: '2' });
    expect(rows.get(11)!.sf__History).to.match(/^0:\S+ (1:\S+ )?2:succeeded$/).and.include('failed:DUPLICATE_VALUE');
    expect(rows.get(21)).to.include({ sf__Round: '2' });
    expect(rows.get(21)!.sf__History).to.match(/^0:\S+ (1:\S+ )?2:succeeded$/).and.include('failed:INVALID_CROSS_REFERENCE_KEY');
    expect(rows.get(31)).to.include({ sf__Round: '3', sf__History: '0:rejected 3:succeeded' });
    const dataErrors = new Set([11, 21, 201]);
    const lockLines = [...rows.values()].filter((x) => x.sf__History.startsWith('0:failed:UNABLE_TO_LOCK_ROW'));
    expect(lockLines).to.have.length(lockRows);
    for (const x of lockLines.filter((l) => !dataErrors.has(Number(l.sf__Line)))) expect(x).to.include({ sf__Round: '1', sf__History: '0:failed:UNABLE_TO_LOCK_ROW 1:succeeded' });
    expect([...rows.values()].filter((x) => x.sf__Round === '0').every((x) => x.sf__History === '')).to.equal(true);
    expect([...rows.values()].filter((x) => x.sf__History.startsWith('0:unprocessed'))).to.have.length(load.unprocessed);
    // Each round's jobs are recorded in the run's one ledger.
    const state = replay(Ledger.read(load.runDir));
    expect(state.attempts.map((a) => a.chunks.every((c) => c.jobId && c.results!.successful + c.results!.failed === c.chunk.rows))).to.deep.equal([true, true, true]);
    expect(state.attempts.slice(1).map((a) => a.chunks.every((c) => c.results!.successful === c.chunk.rows))).to.deep.equal([true, true]);
  });

  it('refuses rows that already loaded, lines that never failed, repeated lines and rows the checks refuse, and says why', async () => {
    const load = await troubledLoad();
    const { engine } = testEngine(target);
    await resend(engine, load.runDir, { kind: 'retry' }, 120_000);
    const before = emu.store.count('Contact');

    // --retry again: nothing left worth sending; the rows round 1 loaded are named, never sent.
    const again = await resend(engine, load.runDir, { kind: 'retry' }, 120_000);
    expect(again).to.include({ sent: 0 }).and.not.have.property('round');
    expect(again.refusedBy.succeeded).to.be.greaterThan(0);
    expect(again.refusals[0]).to.include({ reason: 'succeeded', detail: '1' });

    // A fixed file with a line that loaded in round 0 (never a failure), a line loaded by round 1,
    // a line given twice, and a row the checks refuse (LastName blank).
    const lockLine = readCsv(join(load.runDir, 'rounds', '1', 'success.csv'))[0];
    const loadedFirst = readCsv((await reconcileRun(load.runDir)).files.rows).find((x) => x.sf__State === 'succeeded' && x.sf__Round === '0')!;
    const failed = fixedCopy(load.files!.failed, 'bad-fixed.csv', (row) => {
      if (row.AccountId === gone) row.LastName = '';
      fixData(row);
    }, [
      { sf__Line: loadedFirst.sf__Line, LastName: 'Again', External_Id__c: loadedFirst.External_Id__c, AccountId: live },
      { sf__Line: lockLine.sf__Line, LastName: lockLine.LastName, External_Id__c: lockLine.External_Id__c, AccountId: live },
      { sf__Line: '11', LastName: 'Again', External_Id__c: 'R-10', AccountId: live },
      { sf__Line: '99999', LastName: 'Nowhere', External_Id__c: 'R-X', AccountId: live },
    ]);
    const fixed = await resend(engine, load.runDir, { kind: 'fixed', file: failed }, 120_000);
    expect(fixed).to.include({ sent: 2, refused: 5 });
    expect(fixed.refusedBy).to.deep.equal({ preflight: 1, 'not-a-failure': 2, succeeded: 1, repeated: 1 });
    const reasons = new Map(fixed.refusals.map((x) => [`${x.line}:${x.reason}`, x]));
    expect(reasons.get('21:preflight')!.detail).to.match(/LastName/);
    expect(reasons.has(`${loadedFirst.sf__Line}:not-a-failure`)).to.equal(true);
    expect(reasons.has('99999:not-a-failure')).to.equal(true);
    expect(reasons.has(`${lockLine.sf__Line}:succeeded`)).to.equal(true);
    expect(reasons.has('11:repeated')).to.equal(true);
    expect(readFileSync(fixed.refusedFile!, 'utf8').split('\n')[0]).to.equal('sf__Line,sf__FixedFileLine,sf__Reason,sf__Detail');
    // Only the two duplicates went: no row that already loaded was sent again.
    expect(emu.store.count('Contact')).to.equal(before + 2);
    const r = await reconcileRun(load.runDir);
    expect(r.counts).to.include({ failed: 1, rejected: 2 });
  });

  it('refuses to send rows of a run not finished yet, naming it (resume finishes it first)', async () => {
    const { engine } = testEngine(target);
    const load = await engine.start(contactLoad(writeInput(), work, { waitMs: 0 }));
    expect(load.status).to.equal('InProgress');
    let error: unknown;
    try {
      await resend(engine, load.runDir, { kind: 'retry' }, 60_000);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(RunNotDoneError);
    expect((error as RunNotDoneError).runId).to.equal(load.runId);
    expect(Ledger.read(load.runDir).some((r) => r.t === 'attempt')).to.equal(false);
  });

  it('a run of two files: a fixed rejected.csv names each row by file and line, and each file\'s row loads once', async () => {
    const a = join(work, 'a.csv');
    const b = join(work, 'b.csv');
    writeFileSync(a, `LastName,External_Id__c,AccountId\nA1,MA-1,${live}\n,MA-2,${live}\n`);
    writeFileSync(b, `LastName,External_Id__c,AccountId\n,MB-1,${live}\nB2,MB-2,${live}\n`);
    const { engine } = testEngine(target);
    const load = await engine.start(contactLoad(a, work, { files: [a, b] }));
    expect(load).to.include({ successful: 2, rejected: 2 });
    const fixed = fixedCopy(load.files!.rejected!, 'rejected-fixed.csv', (row) => (row.LastName = `Fixed ${row.External_Id__c}`));
    expect(readCsv(fixed).map((x) => [x.sf__File, x.sf__Line])).to.deep.equal([
      ['a.csv', '3'],
      ['b.csv', '2'],
    ]);
    expect(await resend(engine, load.runDir, { kind: 'fixed', file: fixed }, 120_000)).to.include({ round: 1, sent: 2, refused: 0 });
    const ids = [...emu.store.all('Contact')].map((c) => c.External_Id__c as string).filter((x) => x.startsWith('M'));
    expect(ids.sort()).to.deep.equal(['MA-1', 'MA-2', 'MB-1', 'MB-2']);
    const rows = readCsv((await reconcileRun(load.runDir)).files.rows);
    expect(rows.map((x) => [x.sf__File, x.sf__Line, x.sf__State, x.sf__Round])).to.deep.equal([
      ['a.csv', '2', 'succeeded', '0'],
      ['a.csv', '3', 'succeeded', '1'],
      ['b.csv', '2', 'succeeded', '1'],
      ['b.csv', '3', 'succeeded', '0'],
    ]);
    expect(readCsv(load.files!.success).map((x) => [x.sf__File, x.sf__Line])).to.deep.equal([
      ['a.csv', '2'],
      ['a.csv', '3'],
      ['b.csv', '2'],
      ['b.csv', '3'],
    ]);
  });

  for (const [what, crashAt, finish] of [
    ['--retry, at the creation of its first job', 'after-create', 'resume'],
    ['--retry, mid-way through its results', 'mid-results', 'again'],
    ['--fixed-file, before its round is merged', 'before-round-merged', 'resume'],
  ] as const) {
    it(`killed during ${what}, then ${finish === 'resume' ? 'resumed' : 'run again'}: one record per input row`, async () => {
      const load = await troubledLoad();
      const { engine } = testEngine(target);
      const firstRoundPart = load.jobs.length + 1;
      let how: { kind: 'retry' } | { kind: 'fixed'; file: string } = { kind: 'retry' };
      if (crashAt === 'before-round-merged') {
        await resend(engine, load.runDir, { kind: 'retry' }, 120_000);
        how = { kind: 'fixed', file: fixedCopy(load.files!.failed, 'failed-fixed.csv', fixData) };
      }
      const point = crashAt === 'before-round-merged' ? crashAt : `${crashAt}:${firstRoundPart}`;
      const killed = await runCrashChild({ target, resend: { runDir: load.runDir, how, waitMs: 120_000 } }, point);
      expect(killed.signal, killed.stderr).to.equal('SIGKILL');
      if (finish === 'again') {
        // The same command again finishes the round first; then nothing is left worth sending again.
        const again = await resend(engine, load.runDir, how, 120_000);
        expect(again).to.include({ sent: 0, status: 'Completed' });
      }
      const resumed = await engine.resume(load.runDir, 120_000);
      expect(resumed.status).to.equal('Completed');
      expect(resumed.rounds!.every((x) => x.status === 'Completed')).to.equal(true);
      if (how.kind === 'retry') {
        expect(resumed).to.include({ unprocessed: 0 });
        expect(resumed.errorCodes.map((c) => c.code)).to.not.include('UNABLE_TO_LOCK_ROW');
      } else expect(resumed.failed).to.equal(0);
      // Every row that loaded is in the org once: no row sent twice, none lost.
      const ids = [...emu.store.all('Contact')].map((c) => c.External_Id__c as string);
      expect(new Set(ids).size).to.equal(ids.length);
      expect(ids.length).to.equal(resumed.successful + 2);
      const success = readCsv(resumed.files!.success);
      expect(new Set(success.map((x) => x.sf__Line)).size).to.equal(success.length);
      expect(success.length).to.equal(resumed.successful);
      // Done: the rejected rows corrected, every input row is in the org exactly once.
      await resend(engine, load.runDir, { kind: 'fixed', file: fixedCopy(resumed.files!.rejected!, 'rejected-fixed.csv', fixName) }, 120_000);
      if (how.kind === 'retry') await resend(engine, load.runDir, { kind: 'fixed', file: fixedCopy(resumed.files!.failed, 'failed-fixed.csv', fixData) }, 120_000);
      expectOneRecordPerRow();
      expect((await reconcileRun(load.runDir)).counts).to.include({ succeeded: ROWS, failed: 0, unprocessed: 0, rejected: 0 });
    });
  }
});
