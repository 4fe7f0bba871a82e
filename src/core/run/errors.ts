/* The errors a run folder's owner gives when a command asks to go on with a run. */
import type { LockOwner } from '../io/fileLock.js';

/** Another process works on the run (its lock is held). */
export class RunLockedError extends Error {
  public constructor(public readonly runId: string, public readonly owner: LockOwner) {
    super(`run ${runId} is being worked on by process ${owner.pid} (since ${owner.since})`);
    this.name = 'RunLockedError';
  }
}

/** The run ended before it sent anything; it cannot be resumed, only started again. */
export class AbandonedRunError extends Error {
  public constructor(public readonly runId: string, public readonly reason: string) {
    super(`run ${runId} ended before it sent anything: ${reason}`);
    this.name = 'AbandonedRunError';
  }
}

/** resume as another user than the run's: its jobs and its confirmation are that user's. */
export class OtherUserError extends Error {
  public constructor(public readonly runId: string, public readonly runUser: string, public readonly user: string) {
    super(`run ${runId} was loaded as ${runUser}, not ${user}`);
    this.name = 'OtherUserError';
  }
}

/** A new round needs the run finished first (resume finishes it). */
export class RunNotDoneError extends Error {
  public constructor(public readonly runId: string) {
    super(`run ${runId} is not finished`);
    this.name = 'RunNotDoneError';
  }
}
