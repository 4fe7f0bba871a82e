/*
 * A call retried under the run's policy (retry.ts), each retry told as a 'retry' event so the
 * progress display and CI logs show what is being waited for.
 */
import { OrgApiError } from './orgHttp.js';
import { RetryPolicy, withRetry } from './retry.js';

/** A call that failed and is tried again after `delayMs`. code: the org's error code, when it answered with one (REQUEST_LIMIT_EXCEEDED: throttled). */
export type RetryEvent = { type: 'retry'; what: string; attempt: number; delayMs: number; reason: string; code?: string };

export type Retrying = <T>(what: string, fn: () => Promise<T>, again?: (e: Error) => Promise<T>) => Promise<T>;

export function retryingWithEvents(policy: RetryPolicy, sleep: (ms: number) => Promise<void>, emit: (e: RetryEvent) => void): Retrying {
  return (what, fn, again) =>
    withRetry(fn, { sleep, onRetry: ({ attempt, delayMs, error }) => emit({ type: 'retry', what, attempt, delayMs: Math.round(delayMs), reason: error.message, ...(error instanceof OrgApiError ? { code: error.errorCode } : {}) }) }, policy, again);
}
