/*
 * A send in doubt: a call that is not idempotent (a V1 batch add) whose request may have reached the
 * org and whose answer never came (the process was killed, the connection broke). Salesforce
 * finishes a request it has fully received whether or not the client is still there, so "the org
 * does not list it" right after a stop does not mean "it never landed": the org may still be working
 * on it. Such a send is settled only once the org can no longer be working on it: its start plus the
 * longest time the org takes to answer a call (MAX_ANSWER_MS). Until then the org is asked again
 * every poll; what it lists meanwhile is taken as soon as it shows. At the end it is asked once more.
 * A send that began longer ago than that waits for nothing.
 */

import { OrgApiError, SessionExpiredError } from '../http/orgHttp.js';

/**
 * Whether the org itself answered a failed call (an error of its own: it is done with the request,
 * and made nothing of it; a session it refused is one). No answer at all (a reset, a time-out, a body cut off, a page that is not
 * the API's answer to a success), or a gateway's 502, 503 or 504 page, leaves the org possibly still
 * working on it.
 */
export function orgAnswered(e: unknown): boolean {
  return e instanceof SessionExpiredError || (e instanceof OrgApiError && !(e.status >= 502 && e.status <= 504));
}

/**
 * The longest the org may take to answer a call, counted from when this machine began sending it:
 * Salesforce Developer Limits and Allocations Quick Reference, "API Request Limits and Allocations"
 * (API Timeout Limits): "The timeout limit for REST and SOAP API calls is 10 minutes", and Bulk API
 * (V1) is built on REST (Bulk API 2.0 and Bulk API Developer Guide: "Bulk API" is "based on REST
 * principles"). One more minute allows for the request's body reaching the org after the ledger
 * recorded its start: a batch is at most 10 MB (Bulk API and Bulk API 2.0 Limits and Allocations).
 */
export const MAX_ANSWER_MS = 11 * 60_000;

/** The bound in effect: SF_BULKOPS_MAX_ANSWER_MS (ms; tests make it short), else MAX_ANSWER_MS. */
export function maxAnswerMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.SF_BULKOPS_MAX_ANSWER_MS ?? '');
  return env.SF_BULKOPS_MAX_ANSWER_MS !== undefined && env.SF_BULKOPS_MAX_ANSWER_MS !== '' && ms >= 0 ? ms : MAX_ANSWER_MS;
}

export type DoubtClock = {
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** how often the org is asked again while waiting */
  pollMs: number;
  /** the longest the org may take to answer (maxAnswerMs()) */
  boundMs: number;
};

/**
 * What `look` finds of a send begun at `since`: at once if the org has it, else by the time the org
 * can no longer be working on it (undefined: it never landed, and may be sent again). `waiting` is
 * told once, with the time waited until, when there is something to wait for.
 */
export async function settleInDoubt<T>(clock: DoubtClock, since: number, look: () => Promise<T | undefined>, waiting: (until: number) => void): Promise<T | undefined> {
  const until = since + clock.boundMs;
  const found = await look();
  if (found !== undefined || clock.now() >= until) return found;
  waiting(until);
  for (;;) {
    await clock.sleep(Math.max(0, Math.min(clock.pollMs, until - clock.now())));
    // Asked at or after the end: what the org lists now is all the send ever made.
    const last = clock.now() >= until;
    const seen = await look();
    if (seen !== undefined || last) return seen;
  }
}
