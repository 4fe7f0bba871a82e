/*
 * Retries for calls that failed for reasons that pass: server errors, resets, throttling. Each
 * caller decides whether a retry is safe (an upload or a job creation needs a check first).
 */
import { OrgApiError, OrgNetworkError } from './orgHttp.js';

export type RetryPolicy = { attempts: number; baseMs: number; maxMs: number };

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 500, maxMs: 30_000 };

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
};

/** Runs fn; on a transient failure waits (exponential, with jitter) and runs `again` (default fn). */
export async function withRetry<T>(fn: () => Promise<T>, hooks: RetryHooks, policy: RetryPolicy = DEFAULT_RETRY, again?: (error: Error) => Promise<T>): Promise<T> {
  let attempt = 0;
  let lastError: Error | undefined;
  for (;;) {
    try {
      return attempt === 0 || !again || !lastError ? await fn() : await again(lastError);
    } catch (e) {
      attempt++;
      if (!isTransient(e) || attempt >= policy.attempts) throw e;
      lastError = e as Error;
      const delayMs = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1)) * (0.75 + Math.random() * 0.5);
      hooks.onRetry?.({ attempt, delayMs, error: e as Error });
      await hooks.sleep(delayMs);
    }
  }
}
