/*
 * What a plan run returns (the JSON of `load --plan`, of its resume and of `plan validate`): each
 * step's counts from its run's state (load/result.ts), and the plan's totals.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from '../ledger/ledger.js';
import { replay } from '../ledger/records.js';
import { roundsOf } from '../attempts/summary.js';
import { loadResult } from '../load/result.js';
import type { IngestOperation } from '../bulk/types.js';
import type { LoadResult } from '../run/types.js';
import type { ResolvedStep } from './planFile.js';
import type { PlanState } from './planLedger.js';

export type StepStatus = 'Completed' | 'Inconsistent' | 'InProgress' | 'NotStarted' | 'Checked';

export type PlanStepResult = {
  step: number;
  name: string;
  object: string;
  operation: IngestOperation;
  externalId?: string;
  /** the step's own run (resume and reconcile take it as --run-id); absent before the step starts */
  runId?: string;
  status: StepStatus;
  rows: number;
  successful: number;
  failed: number;
  unprocessed: number;
  /** rows the checks left out (rejected.csv) */
  rejected: number;
  /** rows not sent because their parent did not load (the latest skipped.csv), sent once it does */
  skipped: number;
  resultsDir: string;
  skippedFile?: string;
  /** --concurrency auto, decided on this step's own rows and parents: how its parts were sent, and why */
  concurrency?: { mode: string; reason: string };
  /** runs of rows skipped before whose parent loaded later (reconcile of the plan) */
  catchUps?: Array<{ runId: string; rows: number; successful: number; failed: number; skipped: number; status: StepStatus }>;
  /** --dry-run: rows whose parent key neither an earlier step's file nor the org has */
  missingParents?: number;
  /** --dry-run: the first rows with a missing parent: line, column and key */
  missingParentExamples?: Array<{ line: number; column: string; key: string }>;
  /** --dry-run: the step's own dry-run result (problems file, plan, estimate) */
  check?: LoadResult;
};

export type PlanStatus = 'Completed' | 'Inconsistent' | 'InProgress' | 'Checked';

export type PlanResult = {
  /** the plan's run (resume --run-id and reconcile --run-id take it); absent for --dry-run */
  planRunId?: string;
  status: PlanStatus;
  planFile: string;
  runDir: string;
  steps: PlanStepResult[];
  rows: number;
  successful: number;
  failed: number;
  unprocessed: number;
  rejected: number;
  skipped: number;
  startedAt: string;
  finishedAt: string;
  elapsedMs: number;
};

export function stepRunDir(ledgerDir: string, runId: string): string {
  return join(ledgerDir, runId);
}

/** A run's result read from its ledger; undefined when it has none yet. */
export function runResult(runDir: string, now: number): LoadResult | undefined {
  const records = Ledger.read(runDir);
  if (records.length === 0) return undefined;
  const state = replay(records);
  // Each row's latest outcome: a reconcile round's successes count where the load's failures were.
  const result = roundsOf(loadResult(runDir, state, Date.parse(state.startedAt), now), state);
  return state.concurrency ? { ...result, concurrency: { decision: state.concurrency, changes: [] } } : result;
}

function stepOf(step: ResolvedStep, resultsDir: string): PlanStepResult {
  return {
    step: step.index,
    name: step.name,
    object: step.object,
    operation: step.operation,
    ...(step.externalId ? { externalId: step.externalId } : {}),
    status: 'NotStarted',
    rows: 0,
    successful: 0,
    failed: 0,
    unprocessed: 0,
    rejected: 0,
    skipped: 0,
    resultsDir,
  };
}

/** Each step's counts from its runs, the plan's totals, at `finished`. */
export function planResult(planDir: string, state: PlanState, stepResults: (step: ResolvedStep) => string, started: number, finished: number): PlanResult {
  const ledgerDir = join(planDir, '..');
  const steps = state.plan.steps.map((step, i) => {
    const out = stepOf(step, stepResults(step));
    const s = state.steps[i];
    const main = s.runId ? runResult(stepRunDir(ledgerDir, s.runId), finished) : undefined;
    if (!main) return out;
    Object.assign(out, { runId: s.runId, status: main.status, rows: main.rows, successful: main.successful, failed: main.failed, unprocessed: main.unprocessed, rejected: main.rejected, skipped: main.skipped ?? 0 });
    if (main.files?.skipped) out.skippedFile = main.files.skipped;
    if (main.concurrency) out.concurrency = { mode: main.concurrency.decision.mode, reason: main.concurrency.decision.reason };
    const catchUps = s.catchUps.flatMap((c) => {
      const r = runResult(stepRunDir(ledgerDir, c.runId), finished);
      return r ? [{ runId: c.runId, rows: r.rows, successful: r.successful, failed: r.failed, skipped: r.skipped ?? 0, status: r.status }] : [];
    });
    if (catchUps.length) {
      out.catchUps = catchUps;
      // The rows a catch-up sent were skipped before: they count where they ended now.
      const last = catchUps[catchUps.length - 1];
      out.successful += catchUps.reduce((n, c) => n + c.successful, 0);
      out.failed += catchUps.reduce((n, c) => n + c.failed, 0);
      out.skipped = last.skipped;
      const lastFile = join(stepResults(step), `catch-up-${catchUps.length}`, 'skipped.csv');
      out.skippedFile = last.skipped && existsSync(lastFile) ? lastFile : undefined;
      if (!out.skippedFile) delete out.skippedFile;
      if (catchUps.some((c) => c.status === 'InProgress')) out.status = 'InProgress';
    }
    return out;
  });
  const sum = (k: 'rows' | 'successful' | 'failed' | 'unprocessed' | 'rejected' | 'skipped'): number => steps.reduce((n, s) => n + s[k], 0);
  const status: PlanStatus = steps.some((s) => s.status === 'InProgress' || s.status === 'NotStarted') ? 'InProgress' : steps.some((s) => s.status === 'Inconsistent') ? 'Inconsistent' : 'Completed';
  return {
    planRunId: state.planRunId,
    status,
    planFile: state.plan.file,
    runDir: planDir,
    steps,
    rows: sum('rows'),
    successful: sum('successful'),
    failed: sum('failed'),
    unprocessed: sum('unprocessed'),
    rejected: sum('rejected'),
    skipped: sum('skipped'),
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    elapsedMs: finished - started,
  };
}
