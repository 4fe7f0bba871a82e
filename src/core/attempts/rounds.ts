/*
 * Rounds after the load: each sends rows again through the same job runner, as new parts of the same
 * run and ledger (plan.ts), and is merged into the result files once all its jobs gave results
 * (merge.ts). A round cut short (the wait ran out, a crash) is finished by resume, or by the
 * reconcile command run again, before anything else happens to the run.
 */
import { Ledger } from '../ledger/ledger.js';
import { allChunks, AttemptState, RunState } from '../ledger/records.js';
import { LoadEvent } from '../run/types.js';
import { runRows } from '../run/runRows.js';
import type { RunRow } from '../run/runRow.js';
import { Deadline, JobRunner } from '../runner/jobRunner.js';
import { InFlight } from '../runner/inFlight.js';
import { isRetryable } from '../results/errors.js';
import { mayResend } from '../run/runRows.js';
import { mergeRound } from './merge.js';
import { planRound, RoundRow } from './plan.js';

export type RoundContext = {
  runner: JobRunner;
  ledger: Ledger;
  runDir: string;
  state: RunState;
  deadline: Deadline;
  emit: (e: LoadEvent) => void;
  claimedByOtherRuns?: () => Set<string>;
};

/** Lock failures are retried one job at a time, at most this many rounds, unless the load says otherwise. */
export const DEFAULT_LOCK_ROUNDS = 3;

/** Runs the rounds not merged yet; false when one is still under way (the wait ran out). */
export async function finishRounds(ctx: RoundContext): Promise<boolean> {
  for (const round of ctx.state.attempts) {
    if (round.merged) continue;
    if (!(await runRound(ctx, round))) return false;
  }
  return true;
}

async function runRound(ctx: RoundContext, round: AttemptState): Promise<boolean> {
  ctx.emit({ type: 'round', round: round.round, kind: round.kind, rows: round.rows, serial: round.serial });
  await ctx.runner.run(
    {
      ledger: ctx.ledger,
      state: ctx.state,
      deadline: ctx.deadline,
      claimedByOtherRuns: ctx.claimedByOtherRuns,
      inFlight: round.serial ? new InFlight({ max: 1 }) : undefined,
      // A V1 run's serial round goes as V1 Serial jobs: their batches run one at a time too.
      ...(round.serial && ctx.state.spec.v1 ? { v1: { ...ctx.state.spec.v1, concurrencyMode: 'Serial' as const } } : {}),
    },
    round.chunks
  );
  if (!round.chunks.every((c) => c.results)) return false;
  const outcome = await mergeRound(ctx.ledger, ctx.runDir, ctx.state, round);
  ctx.emit({ type: 'round-done', round: round.round, kind: round.kind, rows: round.rows, succeeded: outcome.succeeded, failed: outcome.failed, unprocessed: outcome.unprocessed });
  return true;
}

/** The rows whose latest outcome is a lock failure, in input order (read as they are split: memory stays flat). */
async function* lockFailures(state: RunState, runDir: string): AsyncGenerator<RoundRow & Pick<RunRow, 'state' | 'part'>> {
  for await (const row of runRows(state, runDir)) if (row.state === 'failed' && row.code === 'UNABLE_TO_LOCK_ROW') yield resendRow(row);
}

/** Whether any job of the run (load or round) reported a row failed with UNABLE_TO_LOCK_ROW. */
function anyLockFailure(state: RunState): boolean {
  return allChunks(state).some((c) => (c.results?.errorCodes?.UNABLE_TO_LOCK_ROW ?? 0) > 0);
}

function resendRow(row: RunRow): RoundRow & Pick<RunRow, 'state' | 'part'> {
  return { fileIndex: row.fileIndex, line: row.line, values: row.values, state: row.state, part: row.part };
}

/**
 * Once the load is done: the rows that failed with UNABLE_TO_LOCK_ROW (and only those) go again, one
 * job at a time, round after round until none is left or the rounds run out. Only a run whose rounds
 * so far are all lock rounds takes more (a run retried by hand is the user's to drive).
 */
export async function lockRounds(ctx: RoundContext): Promise<boolean> {
  const max = ctx.state.spec.lockRounds ?? 0;
  if (!(await finishRounds(ctx))) return false;
  while (ctx.state.attempts.length < max && ctx.state.attempts.every((a) => a.kind === 'lock-retry')) {
    // No job reported a lock failure: no row can be one, and the run's rows are not read for nothing
    // (on a 1M-row load that read took seconds).
    if (!anyLockFailure(ctx.state)) break;
    const round = await planRound(ctx.ledger, ctx.runDir, ctx.state, { kind: 'lock-retry', serial: true, rows: lockFailures(ctx.state, ctx.runDir) });
    if (!round) break;
    if (!(await runRound(ctx, round))) return false;
  }
  return true;
}

/** --retry: how many rows go and how many are lock failures, and the rows an earlier round loaded (the first few, and how many). */
export type RetryChoice = {
  rows: () => AsyncIterable<RoundRow & Pick<RunRow, 'state' | 'part'>>;
  count: number;
  locks: number;
  succeededSince: { count: number; first: Array<{ fileIndex: number; line: number; round: number }> };
};

/**
 * reconcile --retry: the rows whose latest outcome is worth sending again as it is (the retry set of
 * reconcile's classification: lock failures, time-outs, limits, server errors, rows never
 * processed). Rows an earlier round sent again that have succeeded since are named, never sent. One
 * read counts them (whether the round must run one job at a time); the rows are read again as they
 * are split, so memory stays flat.
 */
export async function retryableRows(state: RunState, runDir: string, listed: number): Promise<RetryChoice> {
  const choice: RetryChoice = { rows: () => retryable(state, runDir), count: 0, locks: 0, succeededSince: { count: 0, first: [] } };
  for await (const row of runRows(state, runDir)) {
    if (row.state === 'succeeded' && row.round) {
      if (choice.succeededSince.count++ < listed) choice.succeededSince.first.push({ fileIndex: row.fileIndex, line: row.line, round: row.round });
    } else if (mayResend(row) && isRetryableRow(row)) {
      choice.count++;
      if (row.code === 'UNABLE_TO_LOCK_ROW') choice.locks++;
    }
  }
  return choice;
}

async function* retryable(state: RunState, runDir: string): AsyncGenerator<RoundRow & Pick<RunRow, 'state' | 'part'>> {
  for await (const row of runRows(state, runDir)) if (mayResend(row) && isRetryableRow(row)) yield resendRow(row);
}

/** A failed row with a retryable code, or a row no job processed (a job that completed may have saved it: not that one). */
export function isRetryableRow(row: RunRow): boolean {
  if (row.state === 'failed') return isRetryable(row.code ?? '');
  return row.state === 'unprocessed' && row.part?.terminal?.state !== 'JobComplete';
}
