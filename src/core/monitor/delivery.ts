/*
 * Sending one alert to a webhook, retried the way Slack asks (Slack API: Rate limits; Sending
 * messages using incoming webhooks): HTTP 429 waits out its Retry-After in full, 5xx and network
 * failures back off exponentially; other answers (400 invalid_payload, 403, 404 channel_not_found,
 * 410 channel_is_archived) are not retried, since sending the same thing again cannot help.
 * An alert not delivered is kept by the caller for the next run.
 *
 * The URL is a secret: no outcome, reason or error returned from here contains it.
 */
import { retryDelay, RetryPolicy } from '../http/retry.js';
import { parseRetryAfter } from '../http/orgHttp.js';

export type WebhookAnswer = { status: number; body: string; retryAfter?: string | null };
export type Post = (url: string, json: string) => Promise<WebhookAnswer>;

export type Delivery = {
  delivered: boolean;
  attempts: number;
  /** the last HTTP status, when there was an answer */
  status?: number;
  /** why it was not delivered (never the URL) */
  reason?: string;
  /** the webhook must be set up again (404, 410, Slack's no_service, invalid_token...) */
  reconfigure?: boolean;
};

export type DeliveryHooks = { post: Post; sleep: (ms: number) => Promise<void>; now?: () => number };

/** Slack's answer to a message is 200 ok; a generic webhook's any 2xx. */
export const WEBHOOK_POLICY: RetryPolicy = { attempts: 5, baseMs: 1000, maxMs: 30_000, budgetMs: 120_000 };

const RECONFIGURE = /^(no_service|no_active_hooks|invalid_token|team_disabled|channel_not_found|channel_is_archived|action_prohibited)$/;

/** POST with a time-out, over Node's fetch. */
export const fetchPost: Post = async (url, json) => {
  const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: json, signal: AbortSignal.timeout(30_000), redirect: 'error' });
  return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
};

/** A short, URL-free word for a failed request: the system error code (ECONNREFUSED...) or the error's name. */
function networkReason(e: unknown): string {
  const cause = (e as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (e as { code?: string }).code;
  return code ? `network error ${code}` : `network error ${(e as Error).name ?? 'Error'}`;
}

/** The answer's body only when it is a short error word (what Slack sends); a body could echo anything. */
function answerReason(a: WebhookAnswer): string {
  const word = a.body.trim();
  return /^[\w .-]{1,80}$/.test(word) ? `HTTP ${a.status} ${word}` : `HTTP ${a.status}`;
}

export async function deliver(url: string, json: string, hooks: DeliveryHooks, policy: RetryPolicy = WEBHOOK_POLICY): Promise<Delivery> {
  const now = hooks.now ?? Date.now;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    let answer: WebhookAnswer | undefined;
    let reason: string;
    try {
      answer = await hooks.post(url, json);
      if (answer.status >= 200 && answer.status < 300) return { delivered: true, attempts: attempt, status: answer.status };
      reason = answerReason(answer);
      const transient = answer.status === 429 || answer.status >= 500 || answer.status === 408;
      if (!transient) return { delivered: false, attempts: attempt, status: answer.status, reason, ...(isReconfigure(answer) ? { reconfigure: true } : {}) };
    } catch (e) {
      reason = networkReason(e);
    }
    const elapsed = now() - started;
    const backoff = retryDelay(policy, attempt, undefined, elapsed);
    const asked = answer ? parseRetryAfter(answer.retryAfter, now()) : undefined;
    const left = (policy.budgetMs ?? Infinity) - elapsed;
    // Ignoring Retry-After risks the app being disabled: when it asks for longer than is left, the alert waits for the next run.
    if (backoff === undefined || (asked !== undefined && asked > left)) return { delivered: false, attempts: attempt, ...(answer ? { status: answer.status } : {}), reason };
    await hooks.sleep(Math.max(backoff, asked ?? 0));
  }
}

function isReconfigure(a: WebhookAnswer): boolean {
  return a.status === 404 || a.status === 410 || RECONFIGURE.test(a.body.trim());
}
