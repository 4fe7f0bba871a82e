/*
 * The estimate's arithmetic over job info, the measurements kept per org and object, and ledgers
 * with and without the estimate, in-flight and observed records.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { combine, estimateLoad, learnLimit, measureJob, offeredAtOnce, orgElapsedMs, type Measurement } from '../../../../src/core/estimate/estimate.js';
import { measurementsFile, readMeasurement, saveMeasurement } from '../../../../src/core/estimate/measurements.js';
import { measurePart, measureRun } from '../../../../src/core/estimate/observed.js';
import { dryRunPlan } from '../../../../src/core/estimate/probe.js';
import { replay, type LedgerRecord } from '../../../../src/core/ledger/records.js';
import type { PlannedChunk } from '../../../../src/core/ledger/shapes.js';
import { plannedChunk } from '../../../helpers/ledger.js';

const AT = '2026-12-01T10:00:00.000Z';

describe('load estimate', () => {
  const probe = measureJob(
    { numberRecordsProcessed: 10_000, totalProcessingTime: 120_000, apiActiveProcessingTime: 100_000, apexProcessingTime: 80_000 },
    { operation: 'insert', lockFailures: 200, measuredAt: AT, runId: 'r1' }
  )!;

  it('prices the rest of a plan at the measured processing time a row, automation and lock rate included', () => {
    const e = estimateLoad(probe, { rows: 190_000, parts: 19, jobsAtOnce: 5, chunkRows: 10_000 }, 'probe');
    expect(e).to.deep.equal({
      source: 'probe',
      msPerRow: 12,
      apexMsPerRow: 8,
      lockRate: 0.02,
      rows: 190_000,
      parts: 19,
      jobsAtOnce: 5,
      processingMs: 2_280_000,
      // Nothing showed a limit: the plan's 5 one-chunk parts at once, 4 rounds of 120 s (19 = 5+5+5+4).
      wallMs: 480_000,
      chunksAtOnce: 5,
      chunksAtOnceFrom: 'plan',
    });
    // Parts of several chunks: every chunk of the jobs in flight can run at once.
    expect(estimateLoad(probe, { rows: 1_000_000, parts: 2, jobsAtOnce: 5, chunkRows: 10_000 }, 'probe')).to.include({ wallMs: 120_000, chunksAtOnce: 100 });
    // An org seen to process 4 chunks at once: the same 100 chunks in 25 rounds.
    expect(estimateLoad(probe, { rows: 1_000_000, parts: 2, jobsAtOnce: 5, chunkRows: 10_000 }, 'probe', { chunksAtOnce: 4, from: 'probe' })).to.include({
      wallMs: 25 * 120_000,
      chunksAtOnce: 4,
      chunksAtOnceFrom: 'probe',
    });
    // A limit above what the plan offers changes nothing.
    expect(estimateLoad(probe, { rows: 190_000, parts: 19, jobsAtOnce: 5, chunkRows: 10_000 }, 'probe', { chunksAtOnce: 50, from: 'earlier-runs' })).to.include({ wallMs: 480_000, chunksAtOnce: 5 });
  });

  describe("the org's time of a plan", () => {
    it('queues chunks first come first served over the chunks the org processes at once', () => {
      // 10 ms a row; 3 parts of 3 chunks (100, 100, 50 rows), all jobs at once.
      const plan = { rows: 750, parts: 3, jobsAtOnce: 3, chunkRows: 100 };
      expect(offeredAtOnce(plan)).to.equal(9);
      expect(orgElapsedMs(plan, 10, 9), 'all side by side: the longest chunk').to.equal(1000);
      expect(orgElapsedMs(plan, 10, 1), 'one at a time: all the processing').to.equal(7500);
      // 4 at once: 7,500 ms of chunks over 4 is 1,875 at the least; whole chunks in queue order end at 2,000.
      expect(orgElapsedMs(plan, 10, 4)).to.equal(2000);
    });

    it('starts a job only when one of the jobs at once has ended', () => {
      // 4 one-chunk parts, 2 jobs at once, an org that would take them all: 2 rounds.
      expect(orgElapsedMs({ rows: 400, parts: 4, jobsAtOnce: 2, chunkRows: 10_000 }, 10, 100)).to.equal(2000);
      // Parts of their own sizes: the long part holds a job slot while the short ones go through the other.
      expect(orgElapsedMs({ rows: 400, parts: 3, jobsAtOnce: 2, chunkRows: 10_000, partRows: [300, 50, 50] }, 10, 100)).to.equal(3000);
    });

    it('a V1 Serial job has one batch processed at a time, whatever the org could take', () => {
      const serial = { rows: 1000, parts: 2, jobsAtOnce: 1, chunkRows: 100, serial: true };
      expect(offeredAtOnce(serial)).to.equal(1);
      expect(orgElapsedMs(serial, 10, 10)).to.equal(10_000);
      // Two Serial jobs at once: a batch of each.
      expect(orgElapsedMs({ ...serial, jobsAtOnce: 2 }, 10, 10)).to.equal(5000);
      expect(offeredAtOnce({ ...serial, jobsAtOnce: 2 })).to.equal(2);
      // V1 Parallel: every batch of the job may run at once.
      expect(orgElapsedMs({ ...serial, serial: false }, 10, 10)).to.equal(2000);
    });

    it('is nothing for no rows', () => {
      expect(orgElapsedMs({ rows: 0, parts: 0, jobsAtOnce: 5, chunkRows: 10_000 }, 10, 4)).to.equal(0);
    });
  });

  describe("what measured jobs show of the org's chunks at once", () => {
    // One job of 7 chunks (50 rows × 6, then 40) at 10 ms a row.
    const measured = (elapsedMs: number, extra: Partial<Measurement['timing'] & object> = {}): Measurement => ({
      operation: 'insert',
      rows: 340,
      processingMs: 3400,
      activeMs: 680,
      apexMs: 2720,
      lockFailures: 0,
      measuredAt: AT,
      timing: { elapsedMs, plan: { rows: 340, parts: 1, jobsAtOnce: 1, chunkRows: 50 }, ...extra },
    });

    it('a job that took two rounds of its 7 chunks ran 4 at once', () => {
      // 4 chunks, then 3: 1000 ms; a little more for the upload before the first chunk.
      expect(learnLimit(measured(1030), 'probe')).to.deep.equal({ chunksAtOnce: 4, from: 'probe' });
      // One at a time: every chunk's time end to end.
      expect(learnLimit(measured(3400), 'earlier-runs')).to.deep.equal({ chunksAtOnce: 1, from: 'earlier-runs' });
    });

    it('shows no limit when the jobs took no longer than their plan allows, or there is nothing to learn from', () => {
      expect(learnLimit(measured(520), 'probe'), 'all 7 side by side').to.equal(undefined);
      const { timing, ...untimed } = measured(1000);
      expect(timing).to.not.equal(undefined);
      expect(learnLimit(untimed, 'probe'), 'a measurement kept before timings were').to.equal(undefined);
      expect(learnLimit(measured(100_000, { plan: { rows: 340, parts: 1, jobsAtOnce: 1, chunkRows: 10_000 } }), 'probe'), 'a job of one chunk').to.equal(undefined);
      expect(learnLimit(undefined, 'earlier-runs')).to.equal(undefined);
    });

    it('a probed run: its first part alone, then the rest', () => {
      // 3 parts of 7 chunks, 5 jobs at once, the first alone: at 4 at once 1,000 ms, then 1,900 for the other 14 chunks.
      const plan = { rows: 1020, parts: 3, jobsAtOnce: 5, chunkRows: 50 };
      const m = { ...measured(0), rows: 1020, processingMs: 10_200, timing: { elapsedMs: 2900, plan, probed: true } };
      expect(orgElapsedMs({ ...plan, rows: 680, parts: 2 }, 10, 4)).to.equal(1900);
      expect(learnLimit(m, 'earlier-runs')).to.deep.equal({ chunksAtOnce: 4, from: 'earlier-runs' });
      // The first part's 7 chunks side by side, then the other 14: 1,000 ms, no limit seen.
      expect(learnLimit({ ...m, timing: { ...m.timing, elapsedMs: 1000 } }, 'earlier-runs')).to.equal(undefined);
    });
  });

  it('measures nothing from a job that processed no row or whose info has no processing time', () => {
    expect(measureJob({ numberRecordsProcessed: 0, totalProcessingTime: 0 }, { operation: 'insert', lockFailures: 0, measuredAt: AT })).to.equal(undefined);
    expect(measureJob({ numberRecordsProcessed: 10 }, { operation: 'insert', lockFailures: 0, measuredAt: AT })).to.equal(undefined);
  });

  it('adds measured jobs up into one measurement', () => {
    const other = measureJob({ numberRecordsProcessed: 5000, totalProcessingTime: 30_000, apexProcessingTime: 0 }, { operation: 'insert', lockFailures: 0, measuredAt: AT })!;
    expect(combine([probe, other])).to.include({ rows: 15_000, processingMs: 150_000, apexMs: 80_000, lockFailures: 200 });
    expect(combine([])).to.equal(undefined);
  });

  it('a dry run plans parts by size, and prices them only when a measurement exists', () => {
    const MB = 1024 * 1024;
    expect(dryRunPlan({ rows: 1000, bytes: 250 * MB, maxJobBytes: 100 * MB, jobsAtOnce: 5, chunkRows: 10_000 })).to.deep.equal({
      plan: { rows: 1000, parts: 3, maxJobBytes: 100 * MB, jobsAtOnce: 5 },
    });
    expect(dryRunPlan({ rows: 0, bytes: 10, maxJobBytes: MB, jobsAtOnce: 1, chunkRows: 10_000, measured: probe }).plan.parts).to.equal(0);
    const priced = dryRunPlan({ rows: 20_000, bytes: MB, maxJobBytes: 100 * MB, jobsAtOnce: 1, chunkRows: 10_000, measured: probe });
    expect(priced.estimate).to.include({ source: 'earlier-runs', processingMs: 240_000, wallMs: 120_000, chunksAtOnce: 2, chunksAtOnceFrom: 'plan' });
  });

  describe("a run's measurement, with the org's elapsed time of its jobs", () => {
    const part = (index: number, rows: number): PlannedChunk => plannedChunk(index, 2 + (index - 1) * rows, rows);
    /** A part's job: created at `from` s, ended at `to` s on the org's clock (Salesforce's +0000 form), 10 ms a row. */
    const job = (index: number, rows: number, from: number, to: number | undefined): LedgerRecord[] => [
      { t: 'created', at: AT, chunk: index, jobId: `750${index}` },
      {
        t: 'terminal',
        at: AT,
        chunk: index,
        jobId: `750${index}`,
        state: 'JobComplete',
        processed: rows,
        failed: 0,
        times: {
          processingMs: rows * 10,
          activeMs: rows * 2,
          apexMs: rows * 8,
          ...(to === undefined ? {} : { createdDate: `2026-12-01T10:00:${String(from).padStart(2, '0')}.000+0000`, systemModstamp: `2026-12-01T10:00:${String(to).padStart(2, '0')}.000+0000` }),
        },
      },
      { t: 'results', at: AT, chunk: index, jobId: `750${index}`, successful: rows, failed: 0, unprocessed: 0, unmatched: 0, errorCodes: {}, retryable: 0 },
    ];
    const runRecord: LedgerRecord = {
      t: 'run',
      at: AT,
      runId: 'r1',
      object: 'Heavy__c',
      operation: 'insert',
      files: ['a.csv'],
      resultsDir: '/tmp/r1',
      org: { username: 'u', orgId: 'o', userId: 'u1', instanceUrl: 'http://x' },
      concurrency: 5,
      chunkRows: 50,
      backup: false,
    };
    const planned: LedgerRecord = { t: 'planned', at: AT, chunks: [1, 2, 3].map((i) => part(i, 350)), rows: 1050, rejected: 0, header: ['Name'], fileSha256: 'x', fileBytes: 1 };

    it("keeps a part's elapsed time from its job's createdDate to its systemModstamp, with its plan", () => {
      const state = replay([runRecord, planned, ...job(1, 350, 0, 2)]);
      expect(measurePart(state.chunks[0], state)?.timing).to.deep.equal({ elapsedMs: 2000, plan: { rows: 350, parts: 1, jobsAtOnce: 1, partRows: [350], chunkRows: 50 } });
      // V1 Serial: batches of the run's batch size, one at a time.
      const v1 = replay([{ ...runRecord, v1: { concurrencyMode: 'Serial', batchRows: 100 } } as LedgerRecord, planned, ...job(1, 350, 0, 2)]);
      expect(measurePart(v1.chunks[0], v1)?.timing?.plan).to.include({ chunkRows: 100, serial: true });
    });

    it("keeps the run's elapsed time, while at least one of its jobs was in the org, and its plan; a probed run says so", () => {
      // 0 to 2 s, then 3 to 7 s: the second between the first job's end and the next ones' creation is the client's.
      const state = replay([runRecord, planned, ...job(1, 350, 0, 2), ...job(2, 350, 3, 6), ...job(3, 350, 3, 7)]);
      expect(measureRun(state)).to.deep.include({
        rows: 1050,
        processingMs: 10_500,
        timing: { elapsedMs: 6000, plan: { rows: 1050, parts: 3, jobsAtOnce: 5, partRows: [350, 350, 350], chunkRows: 50 } },
      });
      const probed = replay([runRecord, planned, ...job(1, 350, 0, 2), { t: 'estimate', at: AT, ...estimateLoad(probe, { rows: 700, parts: 2, jobsAtOnce: 5, chunkRows: 50 }, 'probe') }, ...job(2, 350, 3, 6), ...job(3, 350, 3, 7)]);
      expect(measureRun(probed)?.timing?.probed).to.equal(true);
    });

    it("keeps the first job's elapsed time when the run's plan does not say how its jobs ran, and none without dates", () => {
      const jobs = [...job(1, 350, 0, 2), ...job(2, 350, 3, 6), ...job(3, 350, 3, 7)];
      const changed = replay([runRecord, planned, ...jobs, { t: 'in-flight', at: AT, limit: 2, reason: 'locks' }]);
      expect(measureRun(changed)?.timing).to.deep.include({ elapsedMs: 2000 });
      expect(measureRun(changed)?.timing?.plan).to.include({ parts: 1 });
      const grouped = replay([runRecord, { ...planned, concurrency: { mode: 'grouped', reason: 'shared parents', maxInFlight: 5 } } as LedgerRecord, ...jobs]);
      expect(measureRun(grouped)?.timing).to.deep.include({ elapsedMs: 2000 });
      const undated = replay([runRecord, planned, ...job(1, 350, 0, undefined), ...job(2, 350, 3, undefined), ...job(3, 350, 3, undefined)]);
      expect(measureRun(undated)).to.not.have.property('timing');
      expect(measureRun(undated)).to.include({ rows: 1050 });
    });
  });

  describe('measurements per org and object', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bulkops-measure-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps the latest measurement of each operation, apart per org and object, and reads a damaged file as none', () => {
      saveMeasurement(dir, '00D000000000001AAA', 'Contact', probe);
      saveMeasurement(dir, '00D000000000001AAA', 'Contact', { ...probe, operation: 'upsert', rows: 5 });
      expect(readMeasurement(dir, '00D000000000001AAA', 'contact', 'insert')).to.deep.equal(probe);
      expect(readMeasurement(dir, '00D000000000001AAA', 'Contact', 'upsert')?.rows).to.equal(5);
      expect(readMeasurement(dir, '00D000000000002AAA', 'Contact', 'insert')).to.equal(undefined);
      expect(readMeasurement(dir, '00D000000000001AAA', 'Account', 'insert')).to.equal(undefined);
      writeFileSync(measurementsFile(dir, '00D000000000001AAA', 'Contact'), '{"insert": {"rows"');
      expect(readMeasurement(dir, '00D000000000001AAA', 'Contact', 'insert')).to.equal(undefined);
    });
  });

  describe('ledger replay', () => {
    const run: LedgerRecord = {
      t: 'run',
      at: AT,
      runId: 'r1',
      object: 'Contact',
      operation: 'insert',
      files: ['a.csv'],
      resultsDir: '/tmp/r1',
      org: { username: 'u', orgId: 'o', userId: 'u1', instanceUrl: 'http://x' },
      concurrency: 5,
      backup: false,
    };

    it('replays a ledger written before estimates and observed rates were recorded', () => {
      const state = replay([run]);
      expect(state.estimate).to.equal(undefined);
      expect(state.observed).to.equal(undefined);
      expect(state.inFlightChanges).to.deep.equal([]);
    });

    it('replays the estimate, each change of the jobs in flight and the observed rates', () => {
      const e = estimateLoad(probe, { rows: 10, parts: 4, jobsAtOnce: 5, chunkRows: 10_000 }, 'probe');
      const state = replay([
        run,
        { t: 'estimate', at: AT, ...e },
        { t: 'in-flight', at: AT, limit: 2, reason: 'UNABLE_TO_LOCK_ROW on 3.0% of the last 1,000 rows' },
        { t: 'observed', at: AT, processed: 10, lockFailures: 1, lockRate: 0.1, throttled: 2, inFlightChanges: 1 },
      ]);
      expect(state.estimate).to.deep.include(e);
      expect(state.inFlightChanges.map((c) => c.limit)).to.deep.equal([2]);
      expect(state.observed).to.include({ throttled: 2, lockFailures: 1 });
    });
  });
});
