/*
 * A run folder, worked on by one process at a time: its lock, and the opening of a run to go on
 * with it (resume, a new round), which replays its ledger under that lock.
 */
import { join } from 'node:path';
import { FileLock, LockHeldError } from '../io/fileLock.js';
import { Ledger } from '../ledger/ledger.js';
import { replay, type RunState } from '../ledger/records.js';
import type { Identity } from '../org/identity.js';
import { AbandonedRunError, OtherUserError, RunLockedError } from './errors.js';
import { RUN_LOCK_FILE } from './runState.js';

/** Takes the run's lock: one process works on a run at a time. */
export function lockRun(runDir: string, runId: string): FileLock {
  const lock = new FileLock(join(runDir, RUN_LOCK_FILE), 'run');
  try {
    lock.acquire();
  } catch (e) {
    if (e instanceof LockHeldError) throw new RunLockedError(runId, e.owner);
    throw e;
  }
  return lock;
}

export type OpenRunHooks = {
  now: () => number;
  identity: () => Promise<Identity>;
  /** a record torn by a crash mid-write was cut off the ledger (the message says where its bytes are kept) */
  repaired: (message: string) => void;
  /** the run was refused after its parts went up, and their abort failed: abort them now */
  abortLeft: (ledger: Ledger, state: RunState) => Promise<void>;
};

/**
 * Opens a run to go on with it, under its lock: the ledger read again under the lock (the process
 * that held it may have written more), a record torn by a crash mid-write cut off first (and only
 * now: no other process can be writing it). An abandoned run, or another user's, is refused.
 */
export async function withOpenRun<T>(runDir: string, hooks: OpenRunHooks, body: (ledger: Ledger, state: RunState) => Promise<T>): Promise<T> {
  const lock = lockRun(runDir, replay(Ledger.read(runDir)).spec.runId);
  const { ledger, records, repaired } = Ledger.open(runDir, hooks.now);
  if (repaired) hooks.repaired(repaired.message);
  try {
    const state = replay(records);
    if (state.abandoned && state.toAbort.length === 0) throw new AbandonedRunError(state.spec.runId, state.abandoned.reason);
    // The run's jobs, its orphan search and a hardDelete's confirmation are the run's user's.
    const me = await hooks.identity();
    if (me.userId.slice(0, 15) !== state.spec.org.userId.slice(0, 15)) throw new OtherUserError(state.spec.runId, state.spec.org.username, me.username);
    if (state.abandoned) {
      // Refused after its parts went up, with an abort that failed: those jobs (never closed) are aborted now.
      await hooks.abortLeft(ledger, state);
      throw new AbandonedRunError(state.spec.runId, state.abandoned.reason);
    }
    return await body(ledger, state);
  } finally {
    ledger.close();
    lock.release();
  }
}
