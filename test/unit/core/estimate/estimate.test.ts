/*
 * The estimate's arithmetic over job info, the measurements kept per org and object, and ledgers
 * with and without the estimate, in-flight and observed records.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { combine, estimateLoad, measureJob } from '../../../../src/core/estimate/estimate.js';
import { measurementsFile, readMeasurement, saveMeasurement } from '../../../../src/core/estimate/measurements.js';
import { dryRunPlan } from '../../../../src/core/estimate/probe.js';
import { replay, type LedgerRecord } from '../../../../src/core/ledger/records.js';

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
      // 5 parts of one 10,000-row chunk each run side by side at most
      wallMs: 456_000,
    });
    // Parts of several chunks: every chunk of the jobs in flight can run at once.
    expect(estimateLoad(probe, { rows: 1_000_000, parts: 2, jobsAtOnce: 5, chunkRows: 10_000 }, 'probe').wallMs).to.equal(12_000_000 / (2 * 50));
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
    expect(priced.estimate).to.include({ source: 'earlier-runs', processingMs: 240_000, wallMs: 120_000 });
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
