import { expect } from 'chai';
import { apexProblems, jobProblems, type Thresholds } from '../../../../src/core/monitor/problems.js';
import type { ReviewedJob } from '../../../../src/core/jobs/review.js';

const t: Thresholds = { failureRate: 0.05, longAfterMs: 120 * 60_000 };
const cmd = { bin: 'sf', org: 'ops@example.com' };

function job(over: Partial<ReviewedJob>): ReviewedJob {
  return {
    id: '7505e00000B0001AAA',
    api: 'V2Ingest',
    object: 'Account',
    operation: 'insert',
    state: 'JobComplete',
    createdById: '0055e00000U0001AAA',
    createdDate: '2026-12-01T02:00:00.000Z',
    systemModstamp: '2026-12-01T02:05:00.000Z',
    numberRecordsProcessed: 1000,
    numberRecordsFailed: 0,
    failureRate: 0,
    from: 'org',
    observedAt: '2026-12-01T03:00:00.000Z',
    durationMs: 300_000,
    signals: [],
    username: 'int@example.com',
    ...over,
  };
}

describe('monitor problems', () => {
  it('a healthy job is no problem; failed records under both thresholds are none either', () => {
    expect(jobProblems([job({}), job({ numberRecordsFailed: 4, failureRate: 0.004 })], t, cmd)).to.deep.equal([]);
  });

  it('the failure rate or, when set, the failed-record count', () => {
    expect(jobProblems([job({ numberRecordsFailed: 50, failureRate: 0.05 })], t, cmd).map((p) => p.kind)).to.deep.equal(['failure-rate']);
    expect(jobProblems([job({ numberRecordsFailed: 10, failureRate: 0.01 })], { ...t, failedRecords: 10 }, cmd).map((p) => p.kind)).to.deep.equal(['failure-rate']);
    expect(jobProblems([job({ numberRecordsFailed: 10, failureRate: 0.01 })], { ...t, failedRecords: 11 }, cmd)).to.deep.equal([]);
  });

  it('a Failed job is one "failed" problem, not also over the threshold; keys are kind and 15-character Id', () => {
    const p = jobProblems([job({ state: 'Failed', numberRecordsFailed: 1000, failureRate: 1, errorMessage: 'InvalidBatch : x' })], t, cmd);
    expect(p.map((x) => x.key)).to.deep.equal(['failed:7505e00000B0001']);
    expect(p[0].firstError).to.equal('InvalidBatch : x');
    expect(p[0].action).to.equal('Reconcile it: sf bulkops reconcile --job-id 7505e00000B0001AAA --target-org ops@example.com');
  });

  it('long: still running past the threshold, or marked long against its source history; a finished job past the threshold alone is not', () => {
    expect(jobProblems([job({ state: 'InProgress', durationMs: 121 * 60_000 })], t, cmd).map((p) => p.kind)).to.deep.equal(['long-running']);
    expect(jobProblems([job({ state: 'InProgress', durationMs: 119 * 60_000 })], t, cmd)).to.deep.equal([]);
    expect(jobProblems([job({ durationMs: 300 * 60_000 })], t, cmd)).to.deep.equal([]);
    const usual = jobProblems([job({ durationMs: 60 * 60_000, typicalMs: 10 * 60_000, signals: ['long'] })], t, cmd);
    expect(usual[0].message).to.include("its source's jobs usually take 10 min");
  });

  it('query jobs have no failed records to judge', () => {
    expect(jobProblems([job({ api: 'V2Query', operation: 'query', numberRecordsFailed: 5, failureRate: 0.5 })], t, cmd)).to.deep.equal([]);
  });

  it('async Apex: Failed, or Completed with errors; a clean run is none', () => {
    const base = { jobType: 'BatchApex', className: 'Rollup', createdById: '0055e00000U0001AAA', createdDate: '2026-12-01T02:00:00.000Z' };
    const p = apexProblems(
      [
        { ...base, id: '7075e00000C0001AAA', status: 'Failed', numberOfErrors: 1, extendedStatus: 'First error: boom' },
        { ...base, id: '7075e00000C0002AAA', status: 'Completed', numberOfErrors: 2 },
        { ...base, id: '7075e00000C0003AAA', status: 'Completed', numberOfErrors: 0 },
      ],
      new Map([['0055e00000U0001', { username: 'int@example.com' }]]),
      cmd
    );
    expect(p.map((x) => x.key)).to.deep.equal(['apex-failed:7075e00000C0001', 'apex-failed:7075e00000C0002']);
    expect(p[0]).to.include({ user: 'int@example.com', apexClass: 'Rollup', firstError: 'First error: boom' });
    expect(p[1].message).to.include('completed with 2 errors');
  });
});
