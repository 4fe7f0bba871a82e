/*
 * Builds the load engine for an org the user chose with --target-org (an @salesforce/core
 * Connection), so load and resume wire it the same way.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '@salesforce/core';
import { BulkV1 } from '../bulk/bulkV1.js';
import { BulkV2 } from '../bulk/bulkV2.js';
import { sessionOf } from '../http/connectionSession.js';
import { HttpTimeouts, OrgHttp } from '../http/orgHttp.js';
import { DEFAULT_RETRY, DEFAULT_RETRY_MINUTES, Retrier, RetryPolicy } from '../http/retry.js';
import { retryingWithEvents } from '../runner/retrying.js';
import { LoadEngine } from '../load/engine.js';
import { LoadEvent } from '../load/types.js';
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import { describeFromOrg } from '../preflight/describe.js';
import { keepStreamingGarbageYoung } from '../runtime/heap.js';
import { fetchIdentity } from './identity.js';
import { isProductionOrg } from './orgKind.js';

export type EngineOptions = {
  onEvent?: (e: LoadEvent) => void;
  /** how long a failing call is retried (--retry-minutes); else SF_BULKOPS_RETRY_MINUTES, else 5 */
  retryMinutes?: number;
};

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

/** A call retried under the run's policy, each retry told as a 'retry' event (as the engine does). */
export function retrier(policy: RetryPolicy, onEvent?: (e: LoadEvent) => void): Retrier {
  return retryingWithEvents(policy, (ms) => new Promise((resolve) => setTimeout(resolve, ms)), (e) => onEvent?.(e));
}

export function orgHttp(conn: Connection, timeouts?: HttpTimeouts): OrgHttp {
  return new OrgHttp(sessionOf(conn), timeouts);
}

export type EngineTiming = {
  stateDir?: string;
  /** the engine's clock (default Date.now): tests set it ahead or back to stand for time gone by */
  now?: () => number;
  poll?: { minMs: number; maxMs: number };
  retry?: RetryPolicy;
};

/** The engine over any OrgHttp: commands pass a Connection-backed one, tests an emulator-backed one. */
export function engineForHttp(http: OrgHttp, opts: EngineOptions & EngineTiming = {}): LoadEngine {
  const policy = opts.retry ?? retrySettings(process.env, opts.retryMinutes);
  // The calls before the first job (who we are, the object's describe) are retried like the rest.
  const retry = retrier(policy, opts.onEvent);
  const describe = describeFromOrg(http, retry);
  return new LoadEngine({
    bulk: new BulkV2(http),
    bulkV1: new BulkV1(http),
    identity: () => retry('identity', () => fetchIdentity(http)),
    onEvent: opts.onEvent,
    ...(opts.now ? { now: opts.now } : {}),
    poll: opts.poll ?? pollSettings(),
    retry: policy,
    query: new BulkV2Query(http),
    describe,
    fields: async (object: string) => (await describe(object)).fields,
    stateDir: opts.stateDir ?? defaultStateDir(),
    splitThreads: splitSettings(),
  });
}

/**
 * For commands: the process is theirs for the run, so the heap is tuned for streaming too. The
 * production check (hardDelete's warning) goes through the same HTTP and retries.
 */
export function engineFor(conn: Connection, opts: EngineOptions = {}): { engine: LoadEngine; http: OrgHttp; isProduction: () => Promise<boolean> } {
  keepStreamingGarbageYoung();
  const http = orgHttp(conn);
  const policy = retrySettings(process.env, opts.retryMinutes);
  const retry = retrier(policy, opts.onEvent);
  return { engine: engineForHttp(http, { ...opts, retry: policy }), http, isProduction: () => retry('org query', () => isProductionOrg(http)) };
}
