/*
 * The machine's record of job creations for one org, user, object and operation, shared by every
 * run on this machine whatever its ledger folder: which run and part asked for a job (intent), and
 * which job it got (or that it got none). It is written under a lock that also makes the creations
 * themselves one at a time across processes, so the org's jobs come in the order of the intents
 * (see orphans.ts), and it says which jobs are claimed, so that no run adopts another's job.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { syncDirSync, syncFileSync } from '../io/durable.js';
import { FileLock, LockOwner } from '../io/fileLock.js';
import { Intent } from './orphans.js';

export type CreationKey = { orgId: string; userId: string; object: string; operation: string };

type Entry =
  | { t: 'intent'; run: string; chunk: number; at: string }
  | { t: 'job'; run: string; chunk: number; jobId: string; at: string }
  | { t: 'none'; run: string; chunk: number; at: string };

/** Entries older than this are dropped when the file is compacted: the org keeps jobs 7 days. */
const KEEP_MS = 8 * 24 * 3_600_000;
const COMPACT_BYTES = 256 * 1024;

export class CreationJournal {
  public readonly path: string;
  private readonly lock: FileLock;

  public constructor(stateDir: string, key: CreationKey, private readonly now: () => number = Date.now) {
    const name = [key.orgId.slice(0, 15), key.userId.slice(0, 15), key.object.toLowerCase(), key.operation].map((p) => p.replace(/[^\w.-]/g, '_')).join('_');
    this.path = join(stateDir, 'creations', `${name}.jsonl`);
    this.lock = new FileLock(`${this.path}.lock`, 'job creation');
  }

  /**
   * Runs `task` holding the machine-wide creation lock of this key; waits (at most `maxWaitMs`)
   * while another process creates a job.
   */
  public async exclusive<T>(
    task: () => Promise<T>,
    wait: { sleep: (ms: number) => Promise<void>; pollMs: number; maxWaitMs: number; onWait?: (owner: LockOwner) => void }
  ): Promise<T> {
    await this.lock.acquireWaiting({ ...wait, now: this.now });
    try {
      this.compact();
      return await task();
    } finally {
      this.lock.release();
    }
  }

  /** Records an intent; `at` is the run ledger's time of the same intent, so the two compare exactly. */
  public intent(run: string, chunk: number, at: string): Intent {
    this.append({ t: 'intent', run, chunk, at });
    return { run, chunk, at };
  }

  public resolved(run: string, chunk: number, jobId: string | undefined): void {
    const at = new Date(this.now()).toISOString();
    this.append(jobId ? { t: 'job', run, chunk, jobId, at } : { t: 'none', run, chunk, at });
  }

  /** Job Ids a run on this machine created or adopted. */
  public claimed(): Map<string, { run: string; chunk: number }> {
    const claims = new Map<string, { run: string; chunk: number }>();
    for (const e of this.read()) if (e.t === 'job') claims.set(e.jobId.slice(0, 15), { run: e.run, chunk: e.chunk });
    return claims;
  }

  /** What the part's latest intent written at or after `since` got; undefined when there is no such intent. */
  public outcome(run: string, chunk: number, since: string): { resolved: boolean; jobId?: string } | undefined {
    let found: { resolved: boolean; jobId?: string } | undefined;
    for (const e of this.read()) {
      if (e.run !== run || e.chunk !== chunk) continue;
      if (e.t === 'intent') found = e.at >= since ? { resolved: false } : undefined;
      else if (found) found = { resolved: true, ...(e.t === 'job' ? { jobId: e.jobId } : {}) };
    }
    return found;
  }

  /** Intents whose outcome no one wrote down, oldest first. */
  public unresolved(): Intent[] {
    const latest = new Map<string, { intent: Intent; resolved: boolean }>();
    for (const e of this.read()) {
      const key = `${e.run}\u0000${e.chunk}`;
      if (e.t === 'intent') latest.set(key, { intent: { run: e.run, chunk: e.chunk, at: e.at }, resolved: false });
      else {
        const open = latest.get(key);
        if (open) open.resolved = true;
      }
    }
    return [...latest.values()].filter((v) => !v.resolved).map((v) => v.intent);
  }

  private read(): Entry[] {
    if (!existsSync(this.path)) return [];
    const entries: Entry[] = [];
    for (const line of readFileSync(this.path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        entries.push(JSON.parse(line) as Entry);
      } catch {
        // a line torn by a crash mid-write: its writer died before it acted on it
      }
    }
    return entries;
  }

  private append(entry: Entry): void {
    const fd = openSync(this.path, 'a+');
    try {
      // A line torn by a crash mid-write gets its end, so this entry is not glued to it.
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      const torn = size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
      writeSync(fd, `${torn ? '\n' : ''}${JSON.stringify(entry)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Keeps the file small: entries past the org's job retention go (under the lock). */
  private compact(): void {
    if (!existsSync(this.path)) {
      appendFileSync(this.path, '');
      return;
    }
    if (statSync(this.path).size < COMPACT_BYTES) return;
    const from = this.now() - KEEP_MS;
    const kept = this.read().filter((e) => Date.parse(e.at) >= from);
    writeFileSync(`${this.path}.tmp`, kept.map((e) => `${JSON.stringify(e)}\n`).join(''));
    syncFileSync(`${this.path}.tmp`);
    renameSync(`${this.path}.tmp`, this.path);
    syncDirSync(dirname(this.path));
  }
}
