/*
 * What the org did with a run's rows, from its ledger: how many failed on a lock, how often the org
 * throttled, what processing cost per row (each job's info when it ended). Kept in the ledger's
 * 'observed' record and the --json result, and as the measurement the next --dry-run of this org
 * and object prices its plan with.
 */
import type { ChunkState, RunState } from '../ledger/records.js';
import { combine, Measurement, measureJob } from './estimate.js';

const LOCK = 'UNABLE_TO_LOCK_ROW';

export type ObservedRates = {
  /** rows the jobs processed */
  processed: number;
  /** rows that failed with UNABLE_TO_LOCK_ROW, and their share of the rows processed */
  lockFailures: number;
  lockRate: number;
  /** calls the org answered REQUEST_LIMIT_EXCEEDED (each retried), in the process that finished the run */
  throttled: number;
  /** times the jobs in flight changed (--concurrency auto) */
  inFlightChanges: number;
  /** the jobs' totalProcessingTime summed, and per row (absent when the org reported no times) */
  processingMs?: number;
  msPerRow?: number;
  /** the jobs' apexProcessingTime per row: automation */
  apexMsPerRow?: number;
};

/** A part's job as a measurement (its times from the terminal record, its lock failures from its results). */
export function measurePart(c: ChunkState, operation: string, runId: string): Measurement | undefined {
  const times = c.terminal?.times;
  if (!times || !c.results) return undefined;
  return measureJob(
    { numberRecordsProcessed: c.terminal!.processed, totalProcessingTime: times.processingMs, apiActiveProcessingTime: times.activeMs, apexProcessingTime: times.apexMs },
    { operation, lockFailures: c.results.errorCodes[LOCK] ?? 0, measuredAt: c.results.at, runId }
  );
}

/** Every measured part of the run, as one measurement. */
export function measureRun(state: RunState): Measurement | undefined {
  const parts = state.chunks.map((c) => measurePart(c, state.spec.operation, state.spec.runId)).filter((m): m is Measurement => m !== undefined);
  return combine(parts);
}

export function observedRates(state: RunState, throttled: number): ObservedRates {
  const processed = state.chunks.reduce((n, c) => n + (c.terminal?.processed ?? 0), 0);
  const lockFailures = state.chunks.reduce((n, c) => n + (c.results?.errorCodes[LOCK] ?? 0), 0);
  const m = measureRun(state);
  return {
    processed,
    lockFailures,
    lockRate: processed > 0 ? Math.round((lockFailures / processed) * 10_000) / 10_000 : 0,
    throttled,
    inFlightChanges: state.inFlightChanges.length,
    ...(m
      ? { processingMs: m.processingMs, msPerRow: Math.round((m.processingMs / m.rows) * 100) / 100, apexMsPerRow: Math.round((m.apexMs / m.rows) * 100) / 100 }
      : {}),
  };
}
