/*
 * A lock between processes of this machine: a file created exclusively (O_EXCL), holding the
 * owner's pid, host and process start time. A lock whose owner died (kill -9, a closed laptop) is
 * stale: the next process that finds it takes it over. The start time guards against a reused pid.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync, fsyncSync, mkdirSync, renameSync, linkSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export type LockOwner = { pid: number; host: string; started: string; since: string; purpose?: string };

/** Another live process holds the lock. */
export class LockHeldError extends Error {
  public constructor(public readonly path: string, public readonly owner: LockOwner) {
    super(`${path} is held by process ${owner.pid} on ${owner.host} since ${owner.since}`);
    this.name = 'LockHeldError';
  }
}

/** The start time of a process, where the platform tells it (Linux: /proc); '' elsewhere. */
function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counts from the end of the command name, which may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

const OWN_START = processStart(process.pid);

function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true; // a lock on a shared folder from another machine: never assume it is dead
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = processStart(owner.pid);
  return !owner.started || !started || started === owner.started;
}

function isThisProcess(owner: LockOwner): boolean {
  return owner.pid === process.pid && owner.host === hostname();
}

function readOwner(path: string): { owner?: LockOwner; text: string } | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return { owner: JSON.parse(text) as LockOwner, text };
  } catch {
    // Torn by a crash while it was written: the writer died before it held anything.
    return { text };
  }
}

/** The live process that holds the lock at `path`, if one does (a stale or absent lock: none). */
export function lockHolder(path: string): LockOwner | undefined {
  const owner = readOwner(path)?.owner;
  return owner && (isThisProcess(owner) || alive(owner)) ? owner : undefined;
}

export class FileLock {
  private held = false;

  public constructor(public readonly path: string, private readonly purpose?: string) {}

  /** Takes the lock if it is free or stale; throws LockHeldError when a live process holds it. */
  public acquire(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    for (let attempt = 0; attempt < 5; attempt++) {
      const me: LockOwner = { pid: process.pid, host: hostname(), started: OWN_START, since: new Date().toISOString(), ...(this.purpose ? { purpose: this.purpose } : {}) };
      try {
        const fd = openSync(this.path, 'wx');
        try {
          writeSync(fd, JSON.stringify(me));
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
        this.held = true;
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const found = readOwner(this.path);
      if (!found) continue; // released meanwhile
      // Held by this process through another FileLock object counts as held, like another process.
      if (found.owner && (isThisProcess(found.owner) || alive(found.owner))) throw new LockHeldError(this.path, found.owner);
      // Unreadable and young: its owner may be between creating it and writing its name.
      if (!found.owner && this.young()) throw new LockHeldError(this.path, { pid: 0, host: hostname(), started: '', since: new Date().toISOString() });
      // Stale: moved aside (atomic), then checked to be the file judged stale. Had another process
      // taken it over meanwhile, its fresh lock is put back and this one goes on waiting.
      const aside = `${this.path}.stale-${process.pid}`;
      try {
        renameSync(this.path, aside);
      } catch {
        continue; // someone else moved or released it
      }
      if (readOwner(aside)?.text !== found.text) {
        try {
          linkSync(aside, this.path);
        } catch {
          // a third process holds the path now
        }
      }
      try {
        unlinkSync(aside);
      } catch {
        // gone already
      }
    }
    const owner = readOwner(this.path)?.owner;
    if (owner) throw new LockHeldError(this.path, owner);
    throw new Error(`could not take the lock ${this.path}`);
  }

  /**
   * Waits for the lock, asking again every `pollMs`, at most `maxWaitMs`; then throws the
   * LockHeldError naming the holder.
   */
  public async acquireWaiting(opts: { sleep: (ms: number) => Promise<void>; now: () => number; pollMs: number; maxWaitMs: number; onWait?: (owner: LockOwner) => void }): Promise<void> {
    const until = opts.now() + opts.maxWaitMs;
    let told = false;
    for (;;) {
      try {
        this.acquire();
        return;
      } catch (e) {
        if (!(e instanceof LockHeldError) || opts.now() >= until) throw e;
        if (!told) opts.onWait?.(e.owner);
        told = true;
        await opts.sleep(opts.pollMs);
      }
    }
  }

  /** A lock file made in the last few seconds (an unreadable one may still be being written). */
  private young(): boolean {
    try {
      return Date.now() - statSync(this.path).mtimeMs < 5000;
    } catch {
      return false;
    }
  }

  public release(): void {
    if (!this.held) return;
    this.held = false;
    const found = readOwner(this.path);
    if (found?.owner && isThisProcess(found.owner)) {
      try {
        unlinkSync(this.path);
      } catch {
        // gone already
      }
    }
  }
}
