/*
 * Retries for calls that failed for reasons that pass: server errors, resets, time-outs, throttling.
 * Each caller decides whether a retry is safe (an upload or a job creation needs a check first).
 *
 * A retry waits out the back-off (exponential, with jitter), or what the org asked for in
 * `Retry-After`, and gives up once the attempts or the time budget are spent: a real org can have a
 * few bad minutes (maintenance, an instance refresh, "Bulk API 2.0 and Bulk API Developer Guide:
 * Limits" throttling), which a retry spread over seconds would not outlast.
 */
import { OrgApiError, OrgNetworkError } from './orgHttp.js';

export type RetryPolicy = {
  /** tries in all, the first one included */
  attempts: number;
  /** the first back-off; each next one doubles, up to maxMs */
  baseMs: number;
  maxMs: number;
  /**
   * the most time a call may take from its first try until the last retry starts (no limit when
   * absent): no retry starts past it, and no wait runs over it, Retry-After included
   */
  budgetMs?: number;
};

export const DEFAULT_RETRY_MINUTES = 5;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 30, baseMs: 500, maxMs: 30_000, budgetMs: DEFAULT_RETRY_MINUTES * 60_000 };

const TRANSIENT_STATUS = new Set([408, 420, 429, 500, 502, 503, 504]);
const TRANSIENT_CODES = new Set(['REQUEST_LIMIT_EXCEEDED', 'SERVER_UNAVAILABLE', 'UNKNOWN_EXCEPTION', 'API_CURRENTLY_DISABLED']);

export function isTransient(e: unknown): boolean {
  if (e instanceof OrgNetworkError) return true;
  if (e instanceof OrgApiError) return TRANSIENT_STATUS.has(e.status) || TRANSIENT_CODES.has(e.errorCode);
  return false;
}

export type RetryHooks = {
  sleep: (ms: number) => Promise<void>;
  /** told about each retry, for the progress display and logs */
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
  /** the clock the budget is kept with (Date.now when absent) */
  now?: () => number;
};

/**
 * The wait before retry number `attempt` (1 for the first retry), or undefined when the policy says
 * to give up. The org's Retry-After, when it sent one, is waited in full (the back-off too, if
 * longer); either way no wait runs past the budget, and none starts once it is spent.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, error: unknown, elapsedMs: number, random = Math.random): number | undefined {
  if (attempt >= policy.attempts) return undefined;
  const left = policy.budgetMs === undefined ? Infinity : policy.budgetMs - elapsedMs;
  if (left <= 0) return undefined;
  const backoff = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)) * (0.75 + random() * 0.5);
  const asked = error instanceof OrgApiError ? error.retryAfterMs : undefined;
  return Math.min(left, Math.max(backoff, asked ?? 0));
}

/** A call run under a retry policy; `what` names it in the retry events. */
export type Retrier = <T>(what: string, fn: () => Promise<T>) => Promise<T>;

/** Runs fn; on a transient failure waits (see retryDelay) and runs `again` (default fn). */
export async function withRetry<T>(fn: () => Promise<T>, hooks: RetryHooks, policy: RetryPolicy = DEFAULT_RETRY, again?: (error: Error) => Promise<T>): Promise<T> {
  const now = hooks.now ?? Date.now;
  const started = now();
  let attempt = 0;
  let lastError: Error | undefined;
  for (;;) {
    try {
      return attempt === 0 || !again || !lastError ? await fn() : await again(lastError);
    } catch (e) {
      attempt++;
      if (!isTransient(e)) throw e;
      const delayMs = retryDelay(policy, attempt, e, now() - started);
      if (delayMs === undefined) throw e;
      lastError = e as Error;
      hooks.onRetry?.({ attempt, delayMs, error: e as Error });
      await hooks.sleep(delayMs);
    }
  }
}
