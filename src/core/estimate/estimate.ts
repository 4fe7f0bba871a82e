/*
 * Measure before scaling: a load's processing cost is read from Bulk API 2.0 job info, whose
 * totalProcessingTime is the time the org spent on the job's chunks (lock waits included),
 * apiActiveProcessingTime the time spent processing its rows, and apexProcessingTime the time of the
 * triggers, flows and other automation they set off ("Bulk API 2.0 and Bulk API Developer Guide:
 * Get Information About an Ingest Job"). Rows cost about the same whatever part they are in, so a
 * measured job (the probe: a large load's first part, run alone) prices the rest of the load.
 * Pure functions: no I/O.
 */

/** What measured jobs cost, per row, and how often their rows failed on a lock. */
export type Measurement = {
  operation: string;
  /** rows the measured jobs processed */
  rows: number;
  /** totalProcessingTime, summed */
  processingMs: number;
  /** apiActiveProcessingTime, summed */
  activeMs: number;
  /** apexProcessingTime, summed */
  apexMs: number;
  /** rows that failed with UNABLE_TO_LOCK_ROW */
  lockFailures: number;
  measuredAt: string;
  /** the run that measured it */
  runId?: string;
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
   * processingMs over the chunks that can run side by side (jobs at once × chunks a part): the
   * least time the rest can take; an org runs a limited number of chunks at once, so it can be longer
   */
  wallMs: number;
};

export type PlanShape = { rows: number; parts: number; jobsAtOnce: number; chunkRows: number };

/** A job's info as a measurement; undefined when the org did not report processing times, or processed nothing. */
export function measureJob(
  info: { numberRecordsProcessed?: number; totalProcessingTime?: number; apiActiveProcessingTime?: number; apexProcessingTime?: number },
  extra: { operation: string; lockFailures: number; measuredAt: string; runId?: string }
): Measurement | undefined {
  const rows = info.numberRecordsProcessed ?? 0;
  if (rows <= 0 || info.totalProcessingTime === undefined) return undefined;
  return {
    operation: extra.operation,
    rows,
    processingMs: info.totalProcessingTime,
    activeMs: info.apiActiveProcessingTime ?? info.totalProcessingTime,
    apexMs: info.apexProcessingTime ?? 0,
    lockFailures: extra.lockFailures,
    measuredAt: extra.measuredAt,
    ...(extra.runId ? { runId: extra.runId } : {}),
  };
}

/** Several measured jobs as one (their rows and times added up). */
export function combine(parts: Measurement[]): Measurement | undefined {
  if (parts.length === 0) return undefined;
  const sum = (f: (m: Measurement) => number): number => parts.reduce((n, m) => n + f(m), 0);
  const last = parts[parts.length - 1];
  return {
    ...last,
    rows: sum((m) => m.rows),
    processingMs: sum((m) => m.processingMs),
    activeMs: sum((m) => m.activeMs),
    apexMs: sum((m) => m.apexMs),
    lockFailures: sum((m) => m.lockFailures),
  };
}

/** What the plan should cost, at the measured cost per row. */
export function estimateLoad(m: Measurement, plan: PlanShape, source: LoadEstimate['source']): LoadEstimate {
  const msPerRow = m.processingMs / m.rows;
  const processingMs = Math.round(plan.rows * msPerRow);
  const rowsPerPart = plan.parts > 0 ? plan.rows / plan.parts : 0;
  const side = Math.max(1, Math.min(plan.parts, plan.jobsAtOnce) * Math.max(1, Math.ceil(rowsPerPart / plan.chunkRows)));
  return {
    source,
    msPerRow: round2(msPerRow),
    apexMsPerRow: round2(m.apexMs / m.rows),
    lockRate: round4(m.lockFailures / m.rows),
    rows: plan.rows,
    parts: plan.parts,
    jobsAtOnce: plan.jobsAtOnce,
    processingMs,
    wallMs: Math.round(processingMs / side),
  };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;
