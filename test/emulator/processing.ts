/*
 * The processing model: one org-wide queue, in simulated time, that runs Bulk 2.0 ingest chunks
 * and Bulk V1 batches the way an org does (README: "The org emulator", Processing model; Bulk API Developer Guide: How Requests Are Processed; Bulk API Limits).
 *
 * - Chunks (10,000 rows of a 2.0 job, or one V1 batch) wait in one FIFO queue served by
 *   `settings.workers` workers, so concurrent jobs compete. Chunks sharing a `serialKey` (the
 *   batches of a V1 Serial job) never run at the same time.
 * - A running chunk works through its rows in DML transactions of `transactionSize` rows. Each row
 *   costs `baseRowCostMs` plus the object's `automationCostMs` of simulated time.
 * - Row locks: before a transaction runs it takes a lock on every record its rows point to (parents
 *   through lookup and master-detail fields, and the records it updates or deletes) and the chunk
 *   keeps every lock it took until it ends. A transaction that needs a lock another chunk holds
 *   waits; locks freed meanwhile go to waiting transactions in the order they started to wait. When
 *   `lockTimeoutMs` passes, the rows whose locks did not come fail with UNABLE_TO_LOCK_ROW and the
 *   rest run. Each wait counts as one retry.
 * - A chunk still running after `timeLimitMs` is put back at the end of the queue with its
 *   remaining rows (a retry); past `maxRetries` retries it ends `exhausted` and its owner fails the
 *   job (2.0) or the batch (V1); rows never reached stay unprocessed.
 *
 * Events run in simulated-time order whatever the real timers do, so outcomes do not depend on
 * machine speed. While anything is queued or running, the clock runs at `settings.clockSpeed`.
 */
/* eslint-disable no-param-reassign -- chunks are mutable records this module exists to update */
import type { Clock } from './clock.js';
import type { Settings } from './context.js';

/** Salesforce's per-row lock failure (Bulk API Developer Guide: Get Job Failed Record Results: "…or 1 records: <id>" form). */
export function lockError(lockedId: string): string {
  return `UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: ${lockedId}:--`;
}

/**
 * The failure text of a chunk or batch that ran out of retries: observed for V1 batches
 * (`InternalServerError : Retried more than N times`, simple-salesforce#646); the 2.0 job's
 * errorMessage wording is unverified.
 */
export function retriedMessage(retries: number): string {
  return `InternalServerError : Retried more than ${retries} times`;
}

/**
 * A 2.0 chunk that finds the daily batch allocation used up. UNVERIFIED wording: the docs say only
 * that data past a daily limit is not processed and the job fails; V1's ExceededQuota text is reused.
 */
export const BATCH_QUOTA_MESSAGE = 'ExceededQuota : ApiBatchItems Limit exceeded.';

/** What the owner of a chunk (a Bulk 2.0 job, a V1 batch) plugs into the queue. */
export type ChunkSpec = {
  /** shown by the control API */
  label: string;
  jobId: string;
  /** chunks with the same key never run at the same time (the batches of a V1 Serial job) */
  serialKey?: string;
  /** rows this chunk may process (local indexes 0..n-1); read before every transaction, so an owner can cut it short */
  rowCount(): number;
  /** simulated ms per row for the object's automation (triggers, flows, validation) */
  automationCostMs: number;
  timeLimitMs: number;
  maxRetries: number;
  /** A worker took the chunk; `first` on its first run. false ends it at once ('refused'). */
  onStart(first: boolean): boolean;
  /** the records a row needs locked (canonical 18-character ids) */
  lockKeys(row: number): readonly string[];
  /** rows of a transaction that got their locks: apply them now */
  apply(rows: number[]): void;
  /** rows whose lock did not come within the time-out, each with the id it waited for */
  failLocked(rows: Array<[row: number, lockedId: string]>): void;
  /** true once the owner wants no further rows processed (job aborted, failed) */
  stopped(): boolean;
  onEnd(result: ChunkResult): void;
};

export type ChunkResult = {
  status: 'done' | 'stopped' | 'exhausted' | 'refused';
  /** rows applied or failed on a lock */
  processed: number;
  /** simulated ms the chunk ran, over all its runs (lock waits included, time in the queue not) */
  totalMs: number;
  /** simulated ms of row work: applied rows × (base + automation) */
  activeMs: number;
  /** simulated ms of automation: applied rows × automation */
  apexMs: number;
  /** lock waits + requeues after the time limit */
  retries: number;
  runs: number;
};

type Wait = { rows: number[]; keys: Array<readonly string[]>; missing: Set<string>; token: number };

class Chunk {
  public next = 0;
  public readonly held = new Set<string>();
  public runs = 0;
  public requeues = 0;
  public runStart = 0;
  public processed = 0;
  public totalMs = 0;
  public activeMs = 0;
  public apexMs = 0;
  public retries = 0;
  public wait?: Wait;
  public ended = false;

  public constructor(public readonly spec: ChunkSpec, public readonly seq: number) {}

  public result(status: ChunkResult['status']): ChunkResult {
    return {
      status,
      processed: this.processed,
      totalMs: this.totalMs,
      activeMs: this.activeMs,
      apexMs: this.apexMs,
      retries: this.retries,
      runs: this.runs,
    };
  }
}

type Event = { time: number; seq: number; fn: () => void };

/** Real ms of event handling before the model lets the server answer requests again. */
const SLICE_MS = 25;

/** A min-heap of events by (time, insertion order). */
class EventHeap {
  private readonly items: Event[] = [];

  public get size(): number {
    return this.items.length;
  }

  public peek(): Event | undefined {
    return this.items[0];
  }

  public push(e: Event): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i], a[p])) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }

  public pop(): Event | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l], a[m])) m = l;
        if (r < a.length && before(a[r], a[m])) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }

  public clear(): void {
    this.items.length = 0;
  }
}

const before = (x: Event, y: Event): boolean => x.time < y.time || (x.time === y.time && x.seq < y.seq);

export type ProcessingStats = {
  busy: boolean;
  queued: number;
  running: number;
  waitingForLocks: number;
  locksHeld: number;
  chunks: Array<{ label: string; jobId: string; state: 'queued' | 'running' | 'waiting'; next: number; rows: number; runs: number }>;
};

export class ProcessingModel {
  private readonly queue: Chunk[] = [];
  private readonly running = new Set<Chunk>();
  private readonly runningSerial = new Set<string>();
  private readonly locks = new Map<string, Chunk>();
  private readonly waiters: Chunk[] = [];
  private readonly events = new EventHeap();
  private timer?: NodeJS.Timeout;
  private handling = false;
  private disposed = false;
  private seq = 0;
  private waitSeq = 0;
  private readonly unsubscribe: () => void;

  public constructor(private readonly clock: Clock, private readonly settings: Settings) {
    this.unsubscribe = clock.onAdvance((target) => this.catchUp(target));
    clock.setCeiling(() => this.events.peek()?.time);
  }

  /** Queues chunks, all at this instant and in this order; each starts as soon as a worker is free. */
  public submit(...specs: ChunkSpec[]): void {
    if (this.disposed || specs.length === 0) return;
    this.catchUp();
    for (const spec of specs) this.queue.push(new Chunk(spec, ++this.seq));
    this.schedule(this.clock.now(), () => this.dispatch());
    this.catchUp();
  }

  /** Whether chunks are queued or running. */
  public get busy(): boolean {
    return this.queue.length > 0 || this.running.size > 0;
  }

  public stats(): ProcessingStats {
    const view = (c: Chunk, state: 'queued' | 'running' | 'waiting'): ProcessingStats['chunks'][number] => ({
      label: c.spec.label,
      jobId: c.spec.jobId,
      state,
      next: c.next,
      rows: c.spec.rowCount(),
      runs: c.runs,
    });
    return {
      busy: this.busy,
      queued: this.queue.length,
      running: this.running.size,
      waitingForLocks: this.waiters.length,
      locksHeld: this.locks.size,
      chunks: [...[...this.running].map((c) => view(c, c.wait ? 'waiting' : 'running')), ...this.queue.map((c) => view(c, 'queued'))],
    };
  }

  /**
   * Handles every event due by now (or by `until`, when the clock is advanced), in simulated-time
   * order, then arms a timer for the next one.
   */
  public catchUp(until?: number): void {
    if (this.disposed || this.handling) return;
    this.handling = true;
    // When the machine is slower than the clock, work in slices so requests (polls) are still answered.
    const sliceEnd = until === undefined ? Date.now() + SLICE_MS : Number.POSITIVE_INFINITY;
    try {
      for (;;) {
        const next = this.events.peek();
        if (!next || next.time > (until ?? this.clock.now()) || Date.now() > sliceEnd) break;
        this.events.pop();
        try {
          this.clock.at(next.time, next.fn);
        } catch (e) {
          process.stderr.write(`emulator (processing): ${(e as Error).stack ?? String(e)}\n`);
        }
      }
    } finally {
      this.handling = false;
    }
    this.clock.setRate(this.busy ? Math.max(1, this.settings.clockSpeed) : 1);
    this.arm();
  }

  /** Drops everything (reset, stop). */
  public dispose(): void {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
    this.events.clear();
    this.unsubscribe();
    this.clock.setCeiling(undefined);
    this.clock.setRate(1);
  }

  // ---- scheduling -----------------------------------------------------------------------------

  private schedule(time: number, fn: () => void): void {
    this.events.push({ time, seq: ++this.seq, fn });
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.events.peek();
    if (!next || this.disposed) return;
    const delay = Math.max(0, (next.time - this.clock.now()) / this.clock.rate);
    this.timer = setTimeout(() => this.catchUp(), Math.ceil(delay));
    this.timer.unref();
  }

  private dispatch(): void {
    const workers = Math.max(1, Math.floor(this.settings.workers));
    let i = 0;
    while (i < this.queue.length && this.running.size < workers) {
      const c = this.queue[i];
      const key = c.spec.serialKey;
      if (key !== undefined && this.runningSerial.has(key)) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      this.start(c);
    }
  }

  // ---- a chunk's life -------------------------------------------------------------------------

  private start(c: Chunk): void {
    const first = c.runs === 0;
    c.runs++;
    if (!c.spec.onStart(first)) {
      this.finish(c, 'refused');
      return;
    }
    this.running.add(c);
    if (c.spec.serialKey !== undefined) this.runningSerial.add(c.spec.serialKey);
    c.runStart = this.clock.now();
    this.step(c);
  }

  /** Starts the chunk's next transaction, or ends or requeues the chunk. */
  private step(c: Chunk): void {
    const now = this.clock.now();
    if (c.spec.stopped()) return this.end(c, 'stopped');
    const total = c.spec.rowCount();
    if (c.next >= total) return this.end(c, 'done');
    if (now - c.runStart >= c.spec.timeLimitMs) return this.requeue(c);

    const size = Math.max(1, Math.floor(this.settings.transactionSize));
    const rows: number[] = [];
    for (let r = c.next; r < Math.min(total, c.next + size); r++) rows.push(r);
    const keys = rows.map((r) => c.spec.lockKeys(r));
    const missing = new Set<string>();
    for (const list of keys) {
      for (const k of list) {
        const holder = this.locks.get(k);
        if (!holder) {
          this.locks.set(k, c);
          c.held.add(k);
        } else if (holder !== c) missing.add(k);
      }
    }
    if (missing.size === 0) return this.execute(c, rows, []);

    // Another chunk holds a record this transaction needs: wait for it, up to the lock time-out.
    c.retries++;
    const token = ++this.waitSeq;
    c.wait = { rows, keys, missing, token };
    this.waiters.push(c);
    this.schedule(now + this.settings.lockTimeoutMs, () => this.timeout(c, token));
  }

  private execute(c: Chunk, rows: number[], lockFailed: Array<[number, string]>): void {
    const failed = new Set(lockFailed.map(([r]) => r));
    const ok = rows.filter((r) => !failed.has(r));
    if (lockFailed.length > 0) c.spec.failLocked(lockFailed);
    if (ok.length > 0) c.spec.apply(ok);
    c.processed += rows.length;
    c.next = rows[rows.length - 1] + 1;
    const automation = c.spec.automationCostMs;
    const cost = ok.length * (this.settings.baseRowCostMs + automation);
    c.activeMs += cost;
    c.apexMs += ok.length * automation;
    this.schedule(this.clock.now() + cost, () => this.step(c));
  }

  private timeout(c: Chunk, token: number): void {
    const wait = c.wait;
    if (!wait || wait.token !== token) return;
    c.wait = undefined;
    this.waiters.splice(this.waiters.indexOf(c), 1);
    const failed: Array<[number, string]> = [];
    wait.rows.forEach((r, i) => {
      const locked = wait.keys[i].find((k) => wait.missing.has(k));
      if (locked !== undefined) failed.push([r, locked]);
    });
    this.execute(c, wait.rows, failed);
  }

  /** Gives freed locks to waiting transactions, oldest wait first; a transaction with all its locks runs. */
  private grant(): void {
    for (const w of [...this.waiters]) {
      const wait = w.wait!;
      for (const k of [...wait.missing]) {
        if (!this.locks.has(k)) {
          this.locks.set(k, w);
          w.held.add(k);
          wait.missing.delete(k);
        }
      }
      if (wait.missing.size === 0) {
        w.wait = undefined;
        this.waiters.splice(this.waiters.indexOf(w), 1);
        this.execute(w, wait.rows, []);
      }
    }
  }

  private release(c: Chunk): void {
    for (const k of c.held) if (this.locks.get(k) === c) this.locks.delete(k);
    c.held.clear();
    this.running.delete(c);
    if (c.spec.serialKey !== undefined) this.runningSerial.delete(c.spec.serialKey);
  }

  private end(c: Chunk, status: ChunkResult['status']): void {
    c.totalMs += this.clock.now() - c.runStart;
    this.release(c);
    this.finish(c, status);
    this.grant();
  }

  /** Time limit reached: the remaining rows go back to the end of the queue, or the chunk has run out of retries. */
  private requeue(c: Chunk): void {
    c.totalMs += this.clock.now() - c.runStart;
    this.release(c);
    c.requeues++;
    if (c.requeues > c.spec.maxRetries) {
      this.finish(c, 'exhausted');
    } else {
      c.retries++;
      this.queue.push(c);
      this.schedule(this.clock.now(), () => this.dispatch());
    }
    this.grant();
  }

  private finish(c: Chunk, status: ChunkResult['status']): void {
    if (c.ended) return;
    c.ended = true;
    c.spec.onEnd(c.result(status));
    this.schedule(this.clock.now(), () => this.dispatch());
  }
}
