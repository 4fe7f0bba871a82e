/*
 * The shapes a run's ledger records, owned here so that the ledger depends on no room above it:
 * the split, the concurrency decision, the estimate, the observed rates and the in-flight gate
 * build these values and import their types from here.
 */

export type PlannedChunk = {
  index: number;
  /** which input file the rows come from (a chunk never spans two files) */
  fileIndex: number;
  file: string;
  linesFile: string;
  rows: number;
  bytes: number;
  firstLine: number;
  lastLine: number;
  sha256: string;
  /** grouped parts (--concurrency auto): the first and last parent key of the part's rows, in key order */
  parentKeys?: { first: string; last: string };
};

export type ConcurrencyMode = 'parallel' | 'grouped' | 'serial';

export type ConcurrencyDecision = {
  mode: ConcurrencyMode;
  /** why, in one line */
  reason: string;
  /** grouped: the column rows are sorted on */
  groupBy?: { index: number; header: string };
  /** grouped and serial: rows per part (one chunk each) */
  partRows?: number;
  /** the most jobs in flight at once */
  maxInFlight: number;
};

/** What a plan is expected to cost in the org, from a measurement. */
export type LoadEstimate = {
  /** 'probe': this run's first part; 'earlier-runs': a run before this one, on this org and object */
  source: 'probe' | 'earlier-runs';
  /** org processing time per row (totalProcessingTime / rows), ms */
  msPerRow: number;
  /** of which automation (apexProcessingTime / rows), ms */
  apexMsPerRow: number;
  /** share of the measured rows that failed with UNABLE_TO_LOCK_ROW (0 to 1) */
  lockRate: number;
  /** rows the estimate is for (the rest of the load after a probe) */
  rows: number;
  parts: number;
  jobsAtOnce: number;
  /** rows × msPerRow: the org's processing time, as the jobs' totalProcessingTime will add up */
  processingMs: number;
  /**
   * The org's time the rows should take from the first job's close (handed to the org) to the last one's end, client
   * delays left out: the plan's chunks (V1: batches) at msPerRow each, jobsAtOnce jobs at a time,
   * at most chunksAtOnce of them processed at once
   */
  wallMs: number;
  /** the most chunks (V1: batches) wallMs has the org process at once */
  chunksAtOnce?: number;
  /**
   * where chunksAtOnce comes from: 'probe' or 'earlier-runs' when measured jobs took longer than
   * running all their chunks side by side would have (the org held chunks back); 'plan' when nothing
   * showed a limit, so the plan's own chunks at once are assumed, and wallMs is the least time
   */
  chunksAtOnceFrom?: 'probe' | 'earlier-runs' | 'plan';
};

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

export type InFlightChange = { at: string; limit: number; reason: string };

/**
 * A step of a load plan whose child column points to an earlier step's rows: the file listing the
 * parents that did not load (key, line, error), whose children the run skips (load/parentSkip.ts).
 */
export type ParentFailures = { column: string; parentStep: string; file: string };
