/*
 * A run's result once rounds followed its load: the counts are each row's latest outcome (those of
 * the result files the last merged round wrote), and each round is listed with what became of its rows.
 */
import { RunState } from '../ledger/records.js';
import { LoadResult, RoundSummary } from '../run/types.js';

export function roundsOf(result: LoadResult, state: RunState): LoadResult {
  if (!state.attempts.length) return result;
  const rounds = roundSummaries(state);
  return withFinalCounts(result, state, rounds);
}

/** Each round of the run, with what became of its rows once it was merged. */
export function roundSummaries(state: RunState): RoundSummary[] {
  return state.attempts.map((a) => ({
    round: a.round,
    kind: a.kind,
    rows: a.rows,
    serial: a.serial,
    status: a.merged ? 'Completed' : 'InProgress',
    ...(a.merged
      ? { succeeded: a.merged.succeeded, failed: a.merged.failed, unprocessed: a.merged.unprocessed, stillLocked: a.merged.final.errorCodes.UNABLE_TO_LOCK_ROW ?? 0 }
      : {}),
  }));
}

function withFinalCounts(result: LoadResult, state: RunState, rounds: RoundSummary[]): LoadResult {
  const last = [...state.attempts].reverse().find((a) => a.merged)?.merged?.final;
  const counts = last
    ? {
        successful: last.successful,
        ...(result.created !== undefined ? { created: last.created, updated: last.updated } : {}),
        failed: last.failed,
        unprocessed: last.unprocessed,
        rejected: last.rejected,
        retryable: last.retryable,
        errorCodes: Object.entries(last.errorCodes)
          .map(([code, count]) => ({ code, count }))
          .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
      }
    : {};
  const unfinished = state.attempts.some((a) => !a.merged);
  return { ...result, ...counts, ...(unfinished && result.status !== 'Inconsistent' ? { status: 'InProgress' } : {}), rounds };
}
