/*
 * Reconcile of a run against the emulator: a load with lock failures, data errors, a missing
 * parent, rows left out by the checks and a job that failed half-way; then every input row has
 * exactly one state that agrees with the org, failures are grouped by cause with the action, and
 * the files hold the right rows. A run still in flight shows pending and never-sent rows.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadRequest } from '../../../src/core/run/types.js';
import { reconcileRun } from '../../../src/core/reconcile/reconcileRun.js';

describe('reconcile of a run', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;
  let live: string;
  let gone: string;

  beforeEach(async () => {
    // Small internal chunks, a short lock time-out and slow rows: chunks of one job that share an
    // Account wait for each other, and some rows fail with UNABLE_TO_LOCK_ROW.
    emu = await startEmulator({ settings: { chunkSize: 20, lockTimeoutMs: 50, baseRowCostMs: 20, workers: 4 } });
    emu.insertRecords('Contact', [{ LastName: 'Taken', External_Id__c: 'TAKEN-1' }, { LastName: 'Taken', External_Id__c: 'TAKEN-2' }]);
    [live, gone] = emu.insertRecords('Account', [{ Name: 'Live parent' }, { Name: 'Deleted parent' }]);
    const accounts = emu.store.describe('Account')!;
    emu.store.hardDelete(accounts, emu.store.get('Account', gone)!);
    work = mkdtempSync(join(tmpdir(), 'bulkops-reconcile-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const request = (file: string, extra: Partial<LoadRequest> = {}): LoadRequest => contactLoad(file, work, { maxJobBytes: 3 * 1024, ...extra });

  /** 300 rows: every row on the live Account, except the kinds of trouble at fixed lines. */
  const writeInput = (): { file: string; lines: Map<number, string> } => {
    const rows = ['LastName,External_Id__c,AccountId'];
    const lines = new Map<number, string>();
    for (let i = 1; i <= 300; i++) {
      const line = i + 1;
      if (i === 10 || i === 200) {
        rows.push(`Dup ${i},TAKEN-${i === 10 ? 1 : 2},${live}`);
        lines.set(line, 'duplicate');
      } else if (i === 20) {
        rows.push(`Orphan ${i},R-${i},${gone}`);
        lines.set(line, 'reference');
      } else if (i === 30 || i === 31) {
        rows.push(`,R-${i},${live}`); // no LastName: the checks leave it out
        lines.set(line, 'rejected');
      } else rows.push(`Row ${i},R-${i},${live}`);
    }
    const file = join(work, 'contacts.csv');
    writeFileSync(file, rows.join('\n') + '\n');
    return { file, lines };
  };

  it('gives every input row one state, groups failures by code and field with the action, and writes the files', async () => {
    const { file, lines } = writeInput();
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    // The second job to start fails after 5 rows: the rest of its rows are unprocessed.
    emu.addJobFailure({ afterRows: 5 });
    const load = await engine.start(request(file));
    expect(load.status).to.equal('Completed');
    expect(load.jobs.length).to.be.greaterThan(2);

    const r = await reconcileRun(load.runDir);
    const c = r.counts;
    expect(r.status).to.equal('Completed');
    expect(c.rows).to.equal(300);
    expect(c.succeeded + c.failed + c.unprocessed + c.rejected + c.pending + c.neverSent).to.equal(300);
    expect(c).to.include({ rejected: 2, pending: 0, neverSent: 0, succeeded: load.successful, failed: load.failed, unprocessed: load.unprocessed });
    expect(c.unprocessed, 'the failed job left rows unprocessed').to.be.greaterThan(0);
    // The org holds one record per succeeded row (plus the two it had).
    expect(emu.store.count('Contact')).to.equal(c.succeeded + 2);
    expect(c.created).to.equal(c.succeeded);

    // rows.csv: every input line once, in order, with a state that matches the load's result files.
    const rows = readCsv(r.files.rows);
    expect(rows.map((x) => Number(x.sf__Line))).to.deep.equal(Array.from({ length: 300 }, (_, i) => i + 2));
    const stateOf = new Map(rows.map((x) => [Number(x.sf__Line), x]));
    for (const [line, kind] of lines) {
      const row = stateOf.get(line)!;
      if (kind === 'rejected') expect(row).to.include({ sf__State: 'rejected', sf__Action: 'fix-data', sf__Part: '', sf__JobId: '' });
      // A row of the job that failed half-way may be unprocessed instead.
      // A row that lost the race for its Account's lock fails with UNABLE_TO_LOCK_ROW before its own
      // problem is looked at (which chunks overlap depends on the machine's pace).
      else if (row.sf__State === 'failed' && row.sf__ErrorCode === 'UNABLE_TO_LOCK_ROW') {
        expect(row.sf__Action).to.equal('retry');
      } else if (row.sf__State === 'failed') {
        expect(row.sf__ErrorCode).to.equal(kind === 'duplicate' ? 'DUPLICATE_VALUE' : 'INVALID_CROSS_REFERENCE_KEY');
        expect(row.sf__Action).to.equal(kind === 'duplicate' ? 'use-upsert' : 'fix-reference');
      } else expect(row.sf__State, `line ${line}`).to.equal('unprocessed');
    }
    for (const s of readCsv(load.files!.success)) {
      const row = stateOf.get(Number(s.sf__Line))!;
      expect(row).to.include({ sf__State: 'succeeded', sf__Id: s.sf__Id, sf__Created: 'true', sf__Attempt: '1' });
      expect(emu.store.get('Contact', s.sf__Id)).to.include({ LastName: row.LastName, External_Id__c: row.External_Id__c });
      expect(load.jobs.map((j) => j.id)).to.include(row.sf__JobId);
    }

    // Groups: by code and field, with the action; each group's file holds its rows.
    const byCode = new Map(r.groups.map((g) => [`${g.state}:${g.code}`, g]));
    const dup = byCode.get('failed:DUPLICATE_VALUE');
    if (dup) expect(dup).to.include({ action: 'use-upsert' }).and.have.property('fields').that.deep.equals(['External_Id__c']);
    const locks = byCode.get('failed:UNABLE_TO_LOCK_ROW');
    expect(locks, 'some rows lost the race for their Account').to.not.equal(undefined);
    expect(locks!.action).to.equal('retry');
    const unprocessed = byCode.get('unprocessed:')!;
    expect(unprocessed).to.include({ action: 'retry', count: c.unprocessed });
    for (const g of r.groups) {
      const groupRows = readCsv(g.file);
      expect(groupRows.length, g.file).to.equal(g.count);
      if (g.state === 'failed') for (const row of groupRows) expect(row.sf__ErrorCode).to.equal(g.code);
    }
    expect(r.groups.reduce((n, g) => n + g.count, 0)).to.equal(c.failed + c.unprocessed);
    expect(r.errorCodes.reduce((n, e) => n + e.count, 0)).to.equal(c.failed);

    // retry.csv: the lock failures and the unprocessed rows, ready to load (input columns only).
    const retry = readCsv(r.files.retry);
    expect(retry.length).to.equal(c.retryable).and.equal(locks!.count + c.unprocessed);
    expect(Object.keys(retry[0])).to.deep.equal(['LastName', 'External_Id__c', 'AccountId']);
    expect(readFileSync(r.files.retry, 'utf8')).to.equal(readFileSync(load.files!.retry, 'utf8'));

    // Each part's jobs, as the ledger has them.
    expect(r.parts.map((p) => p.jobs.at(-1)?.jobId)).to.deep.equal(load.jobs.map((j) => j.id));
    expect(r.parts.some((p) => p.state === 'Failed')).to.equal(true);
  });

  it('works from the run folder alone once the run is tidied and the org has forgotten its jobs', async () => {
    const { file } = writeInput();
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const load = await engine.start(request(file));
    expect(existsSync(join(load.runDir, 'chunks'))).to.equal(false);
    expect(existsSync(join(load.runDir, 'parts'))).to.equal(false);
    const first = await reconcileRun(load.runDir);
    await emu.stop(); // no org at all
    const again = await reconcileRun(load.runDir);
    expect(again.counts).to.deep.equal(first.counts);
    expect(again.counts.succeeded).to.equal(load.successful);
    emu = await startEmulator();
  });

  it('a run still in flight: rows of jobs not ended are pending, those of jobs uploaded and not yet closed too (never retried)', async () => {
    const { file } = writeInput();
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    // Serial, and the wait is over at once: the first part's job is closed; the others' data went
    // up as the file was split, and their jobs wait Open for resume to close them.
    const load = await engine.start(request(file, { concurrency: 1, waitMs: 0 }));
    expect(load.status).to.equal('InProgress');
    expect(load.jobs.slice(1).map((j) => j.state)).to.deep.equal(load.jobs.slice(1).map(() => 'Open'));
    const r = await reconcileRun(load.runDir);
    const rows = readCsv(r.files.rows);
    expect(r.status).to.equal('InProgress');
    expect(r.counts.rows).to.equal(300);
    // Their rows are in a job that resume will close: never offered for retry, or they would go twice.
    expect(r.counts.pending).to.equal(300 - 2);
    expect(r.counts.neverSent).to.equal(0);
    expect(rows.filter((x) => x.sf__State === 'pending').every((x) => x.sf__JobId !== '')).to.equal(true);
    expect(readCsv(r.files.retry)).to.have.length(0);
    expect(readdirSync(r.files.folder).map((f) => basename(f))).to.include.members(['rows.csv', 'retry.csv']);

    // Resume finishes it; reconcile then agrees with the load's files.
    const done = await engine.resume(load.runDir, 60_000);
    const after = await reconcileRun(load.runDir);
    expect(after.counts).to.include({ pending: 0, neverSent: 0, succeeded: done.successful, failed: done.failed, rejected: 2 });
  });
});
