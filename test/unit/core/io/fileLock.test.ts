/*
 * The lock between processes: held by a live process, it refuses; left by a dead one (kill -9), it
 * is taken over; a torn lock file is stale; waiting is bounded.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { FileLock, LockHeldError } from '../../../../src/core/io/fileLock.js';

describe('file lock between processes', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second holder while the first holds it, and frees it on release', () => {
    const path = join(dir, 'run.lock');
    const first = new FileLock(path);
    first.acquire();
    expect(() => new FileLock(path).acquire()).to.throw(LockHeldError).with.property('owner').that.includes({ pid: process.pid });
    first.release();
    expect(existsSync(path)).to.equal(false);
    const second = new FileLock(path);
    second.acquire();
    second.release();
  });

  it('takes over a lock whose process is dead', () => {
    const path = join(dir, 'run.lock');
    // A process that has exited: its pid is free (or reused with another start time).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    writeFileSync(path, JSON.stringify({ pid: Number(dead), host: hostname(), started: '1', since: '2026-01-01T00:00:00.000Z' }));
    const lock = new FileLock(path);
    lock.acquire();
    expect(JSON.parse(readFileSync(path, 'utf8'))).to.include({ pid: process.pid });
    lock.release();
  });

  it('treats a young unreadable lock as held (its owner may be writing it), and an old one as torn', () => {
    const path = join(dir, 'run.lock');
    writeFileSync(path, '');
    expect(() => new FileLock(path).acquire()).to.throw(LockHeldError);
    writeFileSync(path, '{"pid": 12');
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const lock = new FileLock(path);
    lock.acquire();
    lock.release();
  });

  it('waits a bounded time, then names the holder', async () => {
    const path = join(dir, 'create.lock');
    const holder = new FileLock(path);
    holder.acquire();
    let clock = 0;
    let waits = 0;
    const waiting = new FileLock(path).acquireWaiting({
      now: () => clock,
      sleep: (ms) => {
        waits++;
        clock += ms;
        return Promise.resolve();
      },
      pollMs: 100,
      maxWaitMs: 1000,
    });
    let error: unknown;
    await waiting.catch((e: unknown) => {
      error = e;
    });
    expect(error).to.be.instanceOf(LockHeldError);
    expect(waits).to.equal(10);
    holder.release();
  });

  it('gets the lock once the holder lets it go while it waits', async () => {
    const path = join(dir, 'create.lock');
    const holder = new FileLock(path);
    holder.acquire();
    let waits = 0;
    await new FileLock(path).acquireWaiting({
      now: () => 0,
      sleep: () => {
        if (++waits === 3) holder.release();
        return Promise.resolve();
      },
      pollMs: 10,
      maxWaitMs: 1000,
    });
    expect(waits).to.equal(3);
  });
});
