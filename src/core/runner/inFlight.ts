/*
 * How many jobs a run keeps in flight, asked by the job runner before it starts each part.
 *
 * - Parts that conflict (two parts of a grouped load that hold children of one parent) never run
 *   at the same time: the second waits for the first. Other parts go past it.
 * - The limit starts at the run's maximum and is lowered while jobs run when lock failures or
 *   throttling rise ("start Parallel, switch to Serial when lock errors appear"):
 *   * UNABLE_TO_LOCK_ROW: while a job runs, its info only says how many rows failed, not why; a
 *     job's results, joined when it ends, give the codes. The lock failures of the rows processed
 *     since the last change are estimated as the finished jobs' exact counts plus the running jobs'
 *     failures times the share of failures that were lock failures in the finished jobs (all of
 *     them until a job has ended: the cautious guess). Past LOCK_RATE of those rows, the limit
 *     halves.
 *   * REQUEST_LIMIT_EXCEEDED: each throttled call that is retried lowers the limit by one, at most
 *     once per cool-down.
 *   After a clean stretch (no lock failure in WINDOW_ROWS rows, no throttling for a cool-down) the
 *   limit goes up by one again, never past the maximum.
 */
import type { InFlightChange } from '../ledger/shapes.js';

export type InFlightOptions<T> = {
  max: number;
  /** parts that must not run at the same time */
  conflicts?: (a: T, b: T) => boolean;
  now?: () => number;
  /** told of every change of the limit */
  onChange?: (change: InFlightChange) => void;
};

/** Lock failures above this share of the rows processed lower the limit. */
export const LOCK_RATE = 0.01;
/** Rows a lock rate is judged over. */
export const WINDOW_ROWS = 1000;
/** The least time between two changes for throttling, or before the limit goes up again. */
export const COOL_DOWN_MS = 10_000;

type JobSeen = { processed: number; failed: number; locks?: number };

export class InFlight<T> {
  public readonly changes: InFlightChange[] = [];
  private current: number;
  private readonly running = new Set<T>();
  /** parts whose job still runs in the org though this process stopped waiting for it (the wait ran out) */
  private readonly lingering = new Set<T>();
  private wake: Array<() => void> = [];
  private closed = false;
  private readonly jobs = new Map<string, JobSeen>();
  private mark = { rows: 0, locks: 0 };
  private lastChange = -Infinity;

  public constructor(private readonly opts: InFlightOptions<T>) {
    this.current = Math.max(1, opts.max);
  }

  public get max(): number {
    return Math.max(1, this.opts.max);
  }

  public get limit(): number {
    return this.current;
  }

  /**
   * The next part of the queue that may start now, taken off the queue and counted in flight;
   * waits while none may. Undefined once the queue is empty, the run stopped (close()), or nothing
   * left may start and nothing in flight can change that (the rest conflicts with jobs left running:
   * resume sends it).
   */
  public async next(queue: T[]): Promise<T | undefined> {
    for (;;) {
      if (this.closed || queue.length === 0) return undefined;
      const i = queue.findIndex((p) => !this.conflicting(p));
      if (i >= 0 && this.running.size < this.current) {
        const [part] = queue.splice(i, 1);
        this.running.add(part);
        this.notify();
        return part;
      }
      if (i < 0 && this.running.size === 0) return undefined;
      await new Promise<void>((resolve) => this.wake.push(resolve));
    }
  }

  /**
   * The part is no longer in flight here (finished, left for resume, or failed). `stillRunning`: its
   * job goes on in the org (the wait ran out), so parts that conflict with it do not start.
   */
  public done(part: T, stillRunning = false): void {
    this.running.delete(part);
    if (stillRunning) this.lingering.add(part);
    this.notify();
  }

  /** The run stops: parts not started stay queued, every waiter gets undefined. */
  public close(): void {
    this.closed = true;
    this.notify();
  }

  /** What a running job's info says (numberRecordsProcessed and numberRecordsFailed). */
  public progress(jobId: string, processed: number, failed: number): void {
    const seen = this.jobs.get(jobId);
    if (seen?.locks !== undefined) return;
    this.jobs.set(jobId, { processed, failed });
    this.judge();
  }

  /** A job's results are joined: its lock failures are known exactly. */
  public finished(jobId: string, processed: number, failed: number, locks: number): void {
    this.jobs.set(jobId, { processed, failed, locks });
    this.judge();
  }

  /** A call was throttled (REQUEST_LIMIT_EXCEEDED) and is being retried. */
  public throttled(): void {
    const now = this.now();
    if (now - this.lastChange < COOL_DOWN_MS || this.current === 1) return;
    this.set(this.current - 1, 'the org throttles requests (REQUEST_LIMIT_EXCEEDED)');
  }

  private judge(): void {
    const { rows, locks } = this.totals();
    const windowRows = rows - this.mark.rows;
    if (windowRows < WINDOW_ROWS) return;
    const windowLocks = Math.max(0, locks - this.mark.locks);
    const rate = windowLocks / windowRows;
    if (rate > LOCK_RATE) {
      if (this.current > 1) this.set(Math.floor(this.current / 2), `UNABLE_TO_LOCK_ROW on ${(rate * 100).toFixed(1)}% of the last ${windowRows.toLocaleString('en-US')} rows`);
      else this.mark = { rows, locks };
    } else if (windowLocks === 0 && this.current < this.max && this.now() - this.lastChange >= COOL_DOWN_MS) {
      this.set(this.current + 1, `no lock failure in the last ${windowRows.toLocaleString('en-US')} rows`);
    } else {
      this.mark = { rows, locks };
    }
  }

  /** Rows processed and lock failures (exact for finished jobs, estimated for running ones). */
  private totals(): { rows: number; locks: number } {
    let rows = 0;
    let exact = 0;
    let failedOfFinished = 0;
    let runningFailed = 0;
    for (const j of this.jobs.values()) {
      rows += j.processed;
      if (j.locks === undefined) runningFailed += j.failed;
      else {
        exact += j.locks;
        failedOfFinished += j.failed;
      }
    }
    const share = failedOfFinished > 0 ? exact / failedOfFinished : 1;
    return { rows, locks: exact + runningFailed * share };
  }

  private set(limit: number, reason: string): void {
    this.current = Math.max(1, Math.min(this.max, limit));
    this.lastChange = this.now();
    this.mark = this.totals();
    const change = { at: new Date(this.lastChange).toISOString(), limit: this.current, reason };
    this.changes.push(change);
    this.opts.onChange?.(change);
    this.notify();
  }

  private conflicting(part: T): boolean {
    const conflicts = this.opts.conflicts;
    if (!conflicts) return false;
    for (const r of this.running) if (conflicts(part, r)) return true;
    for (const r of this.lingering) if (conflicts(part, r)) return true;
    return false;
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  private notify(): void {
    const waiting = this.wake;
    this.wake = [];
    for (const w of waiting) w();
  }
}
