/*
 * A call retried under the run's policy (http/retry.ts), each retry told as a 'retry' event so the
 * progress display and CI logs show what is being waited for.
 */
import { OrgApiError } from '../http/orgHttp.js';
import { RetryPolicy, withRetry } from '../http/retry.js';
import { LoadEvent } from '../load/types.js';

export type Retrying = <T>(what: string, fn: () => Promise<T>, again?: (e: Error) => Promise<T>) => Promise<T>;

export function retryingWithEvents(policy: RetryPolicy, sleep: (ms: number) => Promise<void>, emit: (e: LoadEvent) => void): Retrying {
  return (what, fn, again) =>
    withRetry(fn, { sleep, onRetry: ({ attempt, delayMs, error }) => emit({ type: 'retry', what, attempt, delayMs: Math.round(delayMs), reason: error.message, ...(error instanceof OrgApiError ? { code: error.errorCode } : {}) }) }, policy, again);
}
