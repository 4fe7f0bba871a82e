/*
 * Measure before scaling: a load's processing cost is read from Bulk API 2.0 job info, whose
 * totalProcessingTime is the time the org spent on the job's chunks (lock waits included),
 * apiActiveProcessingTime the time spent processing its rows, and apexProcessingTime the time of the
 * triggers, flows and other automation they set off ("Bulk API 2.0 and Bulk API Developer Guide:
 * Get Information About an Ingest Job"). Rows cost about the same whatever part they are in, so a
 * measured job (the probe: a large load's first part, run alone) prices the rest of the load.
 * Pure functions: no I/O.
 */
import type { LoadEstimate } from '../ledger/shapes.js';

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
  /** the org's elapsed time of the measured jobs and their plan (absent in measurements kept before it was) */
  timing?: MeasuredTiming;
};

/**
 * The shape of a plan, in what it asks of the org: `parts` jobs of `rows` rows between them (each
 * part's own count in `partRows` when known, split evenly when not), `jobsAtOnce` of them at a time,
 * each cut into chunks of `chunkRows` rows (Bulk 2.0) or sent as batches of that many rows (V1);
 * `serial`: a V1 Serial job, whose batches the org processes one at a time.
 */
export type PlanShape = { rows: number; parts: number; jobsAtOnce: number; chunkRows: number; partRows?: number[]; serial?: boolean };

/**
 * How measured jobs ran in the org's time, to learn how many chunks the org processes at once: the
 * org's time from the first job's close (handed to the org) to the last one's end (createdDate to systemModstamp of
 * their info), and the plan they ran under (probed: its first part ran alone before the others).
 */
export type MeasuredTiming = { elapsedMs: number; plan: PlanShape; probed?: boolean };

/** Where the org's limit on chunks at once was learnt, and the figure. */
export type OrgLimit = { chunksAtOnce: number; from: 'probe' | 'earlier-runs' };

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

/**
 * What the plan should cost, at the measured cost per row. The org's limit on chunks at once is not
 * in the API; `limit` is what measured jobs showed of it (learnLimit). Without it the estimate
 * assumes the org processes every chunk the plan offers at once, so wallMs is the least time.
 */
export function estimateLoad(m: Measurement, plan: PlanShape, source: LoadEstimate['source'], limit?: OrgLimit): LoadEstimate {
  const msPerRow = m.processingMs / m.rows;
  const processingMs = Math.round(plan.rows * msPerRow);
  const offered = offeredAtOnce(plan);
  const chunksAtOnce = limit ? Math.min(limit.chunksAtOnce, offered) : offered;
  return {
    source,
    msPerRow: round2(msPerRow),
    apexMsPerRow: round2(m.apexMs / m.rows),
    lockRate: round4(m.lockFailures / m.rows),
    rows: plan.rows,
    parts: plan.parts,
    jobsAtOnce: plan.jobsAtOnce,
    processingMs,
    wallMs: Math.round(orgElapsedMs(plan, msPerRow, chunksAtOnce)),
    chunksAtOnce,
    chunksAtOnceFrom: limit ? limit.from : 'plan',
  };
}

/** Each part's rows: as given, or `rows` split evenly over `parts`. */
export function partRowsOf(plan: PlanShape): number[] {
  if (plan.partRows && plan.partRows.length === plan.parts) return plan.partRows;
  if (plan.parts <= 0) return [];
  const base = Math.floor(plan.rows / plan.parts);
  const extra = plan.rows - base * plan.parts;
  return Array.from({ length: plan.parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/** A part's chunks (V1: batches), by rows: full ones, then what is left. */
function unitsOf(rows: number, chunkRows: number): number[] {
  const size = Math.max(1, chunkRows);
  const units: number[] = [];
  for (let left = rows; left > 0; left -= size) units.push(Math.min(size, left));
  return units;
}

/** The most chunks the plan itself can have in the org at once: a V1 Serial job has one batch processed at a time. */
export function offeredAtOnce(plan: PlanShape): number {
  const parts = partRowsOf(plan);
  const jobs = Math.max(1, Math.min(plan.jobsAtOnce, parts.length));
  if (plan.serial) return jobs;
  const sizes = parts.map((r) => unitsOf(r, plan.chunkRows).length).sort((a, b) => b - a);
  return Math.max(1, sizes.slice(0, jobs).reduce((n, k) => n + k, 0));
}

/**
 * The org's time a plan takes, client delays left out: jobs start in part order, `jobsAtOnce` at a
 * time, the next when one ends; their chunks join one queue, first come first served, and at most
 * `chunksAtOnce` are processed at once (a V1 Serial job's batches one after another); a chunk takes
 * its rows × msPerRow. This is how the Bulk API Developer Guide's "How Requests Are Processed"
 * describes the work: chunks queued, processed as the org's resources allow.
 */
export function orgElapsedMs(plan: PlanShape, msPerRow: number, chunksAtOnce: number): number {
  const parts = partRowsOf(plan).map((rows) => unitsOf(rows, plan.chunkRows));
  if (parts.length === 0 || msPerRow <= 0) return 0;
  const slots = Math.max(1, Math.floor(chunksAtOnce));
  const jobsAtOnce = Math.max(1, plan.jobsAtOnce);
  type Job = { part: number; next: number; running: number };
  const jobs: Job[] = [];
  const running: Array<{ end: number; job: Job }> = [];
  let nextPart = 0;
  let now = 0;
  const startJobs = (): void => {
    while (jobs.length < jobsAtOnce && nextPart < parts.length) jobs.push({ part: nextPart++, next: 0, running: 0 });
  };
  const dispatch = (): void => {
    // The first job (oldest first) with a chunk waiting that may start: its chunks were queued first.
    while (running.length < slots) {
      const job = jobs.find((j) => j.next < parts[j.part].length && !(plan.serial && j.running > 0));
      if (!job) return;
      running.push({ end: now + parts[job.part][job.next] * msPerRow, job });
      job.next++;
      job.running++;
    }
  };
  startJobs();
  dispatch();
  while (running.length > 0) {
    let first = 0;
    for (let i = 1; i < running.length; i++) if (running[i].end < running[first].end) first = i;
    const [done] = running.splice(first, 1);
    now = done.end;
    done.job.running--;
    if (done.job.running === 0 && done.job.next >= parts[done.job.part].length) {
      jobs.splice(jobs.indexOf(done.job), 1);
      startJobs();
    }
    dispatch();
  }
  return now;
}

/**
 * What measured jobs show of the org's limit on chunks at once: the fewest chunks at once with which
 * their plan takes no longer (5% allowed) than their elapsed time did. Jobs that took no longer than
 * their own plan allows showed no limit: undefined. The elapsed time starts at the first job's
 * creation, before its data was uploaded, and a run that stopped with a job in the org and was
 * resumed counts the pause, so the figure errs low and the estimate long, not short.
 */
export function learnLimit(m: Measurement | undefined, from: OrgLimit['from']): OrgLimit | undefined {
  const t = m?.timing;
  if (!m || !t || m.rows <= 0 || t.elapsedMs <= 0) return undefined;
  const msPerRow = m.processingMs / m.rows;
  // A probed run is two plans one after the other: its first part alone, then the rest.
  const [first, ...rest] = partRowsOf(t.plan);
  const plans = t.probed
    ? [
        { ...t.plan, rows: first, parts: 1, partRows: [first] },
        { ...t.plan, rows: t.plan.rows - first, parts: rest.length, partRows: rest },
      ].filter((p) => p.parts > 0)
    : [t.plan];
  const offered = Math.max(...plans.map(offeredAtOnce));
  const takes = (slots: number): number => plans.reduce((ms, p) => ms + orgElapsedMs(p, msPerRow, slots), 0);
  const allowed = t.elapsedMs * 1.05;
  if (offered <= 1 || takes(offered - 1) > allowed) return undefined;
  // The time taken falls as chunks at once rise: the fewest that fit, by bisection.
  let low = 1;
  let high = offered - 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (takes(mid) <= allowed) high = mid;
    else low = mid + 1;
  }
  return { chunksAtOnce: low, from };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;
const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;
