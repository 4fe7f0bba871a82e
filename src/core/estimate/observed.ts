/*
 * What the org did with a run's rows, from its ledger: how many failed on a lock, how often the org
 * throttled, what processing cost per row (each job's info when it ended). Kept in the ledger's
 * 'observed' record and the --json result, and as the measurement the next --dry-run of this org
 * and object prices its plan with.
 */
import { CHUNK_ROWS } from '../bulk/types.js';
import type { ChunkState, RunSpec, RunState } from '../ledger/records.js';
import type { ObservedRates } from '../ledger/shapes.js';
import { combine, Measurement, MeasuredTiming, measureJob, PlanShape } from './estimate.js';

const LOCK = 'UNABLE_TO_LOCK_ROW';

/**
 * What the org gets of a run's parts: Bulk 2.0 cuts a job into chunks of 10,000 rows (a test's own
 * chunkRows when it set the emulator's); V1 sends batches of the run's batch size, and a V1 Serial
 * job has them processed one at a time.
 */
export function unitsOfRun(spec: Pick<RunSpec, 'chunkRows' | 'v1'>): Pick<PlanShape, 'chunkRows' | 'serial'> {
  if (spec.v1) return { chunkRows: spec.v1.batchRows, ...(spec.v1.concurrencyMode === 'Serial' ? { serial: true } : {}) };
  return { chunkRows: spec.chunkRows ?? CHUNK_ROWS };
}

/**
 * The org's time between a part's job being handed to it (closed) and its end: the job info's
 * createdDate and systemModstamp, less the time the job waited Open (its data went up as the input
 * was split, or it waited for a slot), measured on this machine's clock between the ledger's
 * created and closed records; undefined when the info had no dates.
 */
function jobSpan(c: ChunkState): { from: number; to: number } | undefined {
  const times = c.terminal?.times;
  const open = Date.parse(c.closedAt ?? '') - Date.parse(c.createdAt ?? '');
  const from = Date.parse(times?.createdDate ?? '') + (open > 0 ? open : 0);
  const to = Date.parse(times?.systemModstamp ?? '');
  return Number.isFinite(from) && Number.isFinite(to) && to >= from ? { from, to } : undefined;
}

/** A part's job as a measurement (its times from the terminal record, its lock failures from its results), with its elapsed time in the org. */
export function measurePart(c: ChunkState, state: RunState): Measurement | undefined {
  const times = c.terminal?.times;
  if (!times || !c.results) return undefined;
  const measured = measureJob(
    { numberRecordsProcessed: c.terminal!.processed, totalProcessingTime: times.processingMs, apiActiveProcessingTime: times.activeMs, apexProcessingTime: times.apexMs },
    { operation: state.spec.operation, lockFailures: c.results.errorCodes[LOCK] ?? 0, measuredAt: c.results.at, runId: state.spec.runId }
  );
  const span = jobSpan(c);
  if (!measured || !span) return measured;
  const plan: PlanShape = { rows: c.chunk.rows, parts: 1, jobsAtOnce: 1, partRows: [c.chunk.rows], ...unitsOfRun(state.spec) };
  return { ...measured, timing: { elapsedMs: span.to - span.from, plan } };
}

/**
 * The whole run's elapsed time in the org, the time at least one of its jobs was there (each from its
 * creation to its end; the time between jobs, when none was, is the client's: polls, creating the next
 * job, a pause before a resume), and its plan; undefined when a part has no dates, or when the run's
 * plan does not say how its jobs went side by side (the jobs in flight changed, or an auto run kept
 * conflicting parts apart or ran them one at a time).
 */
function runTiming(state: RunState): MeasuredTiming | undefined {
  if (state.inFlightChanges.length > 0 || (state.concurrency && state.concurrency.mode !== 'parallel')) return undefined;
  const spans = state.chunks.map((c) => jobSpan(c));
  if (spans.length === 0 || spans.some((s) => s === undefined)) return undefined;
  // A probed run hands the org no other part before the probe ended.
  const probe = state.estimate ? spans[0]! : undefined;
  if (probe) for (const s of spans.slice(1)) s!.from = Math.min(s!.to, Math.max(s!.from, probe.to));
  const known = (spans as Array<{ from: number; to: number }>).sort((a, b) => a.from - b.from);
  let elapsedMs = 0;
  let until = -Infinity;
  for (const s of known) {
    elapsedMs += Math.max(0, s.to - Math.max(s.from, until));
    until = Math.max(until, s.to);
  }
  const partRows = state.chunks.map((c) => c.chunk.rows);
  const plan: PlanShape = { rows: partRows.reduce((n, r) => n + r, 0), parts: partRows.length, jobsAtOnce: state.spec.concurrency, partRows, ...unitsOfRun(state.spec) };
  return { elapsedMs, plan, ...(state.estimate ? { probed: true } : {}) };
}

/** Every measured part of the run, as one measurement; its timing the run's, or else the first part's. */
export function measureRun(state: RunState): Measurement | undefined {
  const parts = state.chunks.map((c) => measurePart(c, state)).filter((m): m is Measurement => m !== undefined);
  const all = combine(parts);
  if (!all) return undefined;
  // combine() keeps the last part's timing: the run's own replaces it.
  const timing = runTiming(state) ?? parts[0].timing;
  if (timing) return { ...all, timing };
  delete all.timing;
  return all;
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
