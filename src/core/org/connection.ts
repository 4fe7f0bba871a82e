/*
 * What every command that talks to an org shares: its HTTP client over the user's login, the retry
 * policy and where this machine keeps bulkops state, each with the environment settings tests use.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '@salesforce/core';
import { sessionOf } from '../http/connectionSession.js';
import { HttpTimeouts, OrgHttp } from '../http/orgHttp.js';
import { DEFAULT_RETRY, DEFAULT_RETRY_MINUTES, Retrier, RetryPolicy } from '../http/retry.js';
import { RetryEvent, retryingWithEvents } from '../http/retrying.js';

/**
 * The machine's bulkops state (the job creation journal that every run on this machine shares):
 * SF_BULKOPS_STATE_DIR, else bulkops/ in the sf state folder (~/.sf).
 */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SF_BULKOPS_STATE_DIR ?? join(homedir(), '.sf', 'bulkops');
}

/** Poll timing; SF_BULKOPS_POLL_MS lowers the first interval (tests against the emulator). */
export function pollSettings(env: NodeJS.ProcessEnv = process.env): { minMs: number; maxMs: number } {
  const min = Number(env.SF_BULKOPS_POLL_MS ?? '') || 1000;
  return { minMs: min, maxMs: Math.max(min, 10_000) };
}

/**
 * The split on worker threads: inputs of at least SF_BULKOPS_SPLIT_THREADS_MIN_MB megabytes (default
 * 64) are read, checked and split on one thread per core; 0 sends every input through them (tests).
 */
export function splitSettings(env: NodeJS.ProcessEnv = process.env): { minBytes?: number } {
  const mb = Number(env.SF_BULKOPS_SPLIT_THREADS_MIN_MB ?? '');
  return env.SF_BULKOPS_SPLIT_THREADS_MIN_MB !== undefined && env.SF_BULKOPS_SPLIT_THREADS_MIN_MB !== '' && mb >= 0 ? { minBytes: mb * 1024 * 1024 } : {};
}

/**
 * Retry timing: the time budget from `minutes`, else SF_BULKOPS_RETRY_MINUTES, else 5 minutes;
 * SF_BULKOPS_RETRY_MS shortens the back-off (tests against the emulator).
 */
export function retrySettings(env: NodeJS.ProcessEnv = process.env, minutes?: number): RetryPolicy {
  const base = Number(env.SF_BULKOPS_RETRY_MS ?? '') || DEFAULT_RETRY.baseMs;
  const fromEnv = Number(env.SF_BULKOPS_RETRY_MINUTES ?? '');
  const budgetMinutes = minutes ?? (fromEnv > 0 ? fromEnv : DEFAULT_RETRY_MINUTES);
  return { ...DEFAULT_RETRY, baseMs: base, maxMs: Math.max(base, DEFAULT_RETRY.maxMs), budgetMs: budgetMinutes * 60_000 };
}

/**
 * A call retried under the run's policy, each retry told as a 'retry' event (as the engine does).
 * `sleep`: a stop token's sleep, so that a signal during a back-off wakes it and ends the call.
 */
export function retrier(policy: RetryPolicy, onEvent?: (e: RetryEvent) => void, sleep?: (ms: number) => Promise<void>): Retrier {
  return retryingWithEvents(policy, sleep ?? ((ms): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))), (e) => onEvent?.(e));
}

export function orgHttp(conn: Connection, timeouts?: HttpTimeouts): OrgHttp {
  return new OrgHttp(sessionOf(conn), timeouts);
}
