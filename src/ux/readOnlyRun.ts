/*
 * How a command that reads the org and starts no run (jobs, audit, monitor, inventory init) runs its
 * work: a signal stops it at once (it sends no rows; what it saves is written record by record, and
 * alerts are kept in an outbox until sent), retry back-offs wake on the signal, and an error that
 * ends it says what happened and what to do (readEndError), with no raw answer and no stack.
 */
import type { OrgHttp } from '../core/http/orgHttp.js';
import type { Retrier } from '../core/http/retry.js';
import { retrier, retrySettings } from '../core/org/connection.js';
import { interruptedReadError } from './interruptedError.js';
import { readEndError } from './runEndError.js';
import { SignalStop, stopNotice } from './signalStop.js';

export type ReadOnlyContext = {
  http: OrgHttp;
  /** the org's username, named in the session's log-in steps */
  user: string;
  /** the folder the command writes to (its history), named when that disk fails */
  folder: string;
};

/**
 * Runs `work` with a retrier and a sleep that a signal wakes (retry back-offs, lock waits); the
 * command's _run must use withOwnStopSignals.
 */
export async function readOnly<T>(ctx: ReadOnlyContext, work: (retry: Retrier, sleep: (ms: number) => Promise<void>) => Promise<T>): Promise<T> {
  const stop = new SignalStop({ graceMs: 0, notice: stopNotice }).arm();
  try {
    return await stop.within(work(retrier(retrySettings(), undefined, stop.token.sleep), stop.token.sleep));
  } catch (e) {
    if (stop.stoppedBy) throw interruptedReadError(stop.stoppedBy);
    throw await readEndError(e, ctx);
  } finally {
    stop.disarm();
  }
}
