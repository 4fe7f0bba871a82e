/*
 * Builds the load engine for an org the user chose with --target-org (an @salesforce/core
 * Connection), so load and resume wire it the same way.
 */
import type { Connection } from '@salesforce/core';
import { BulkV1 } from '../bulk/bulkV1.js';
import { BulkV2 } from '../bulk/bulkV2.js';
import type { OrgHttp } from '../http/orgHttp.js';
import type { RetryPolicy } from '../http/retry.js';
import { LoadEvent } from '../run/types.js';
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import { describeFromOrg } from '../preflight/describe.js';
import { keepStreamingGarbageYoung } from '../runtime/heap.js';
import type { StopToken } from '../runtime/stopToken.js';
import { fetchIdentity } from '../org/identity.js';
import { loadLimits } from '../http/orgLimits.js';
import { defaultStateDir, orgHttp, pollSettings, retrier, retrySettings, splitSettings } from '../org/connection.js';
import { isProductionOrg } from '../org/orgKind.js';
import { LoadEngine } from './engine.js';

export type EngineOptions = {
  onEvent?: (e: LoadEvent) => void;
  /** how long a failing call is retried (--retry-minutes); else SF_BULKOPS_RETRY_MINUTES, else 5 */
  retryMinutes?: number;
  /** a stop the command asks for on a signal: no send starts after it, and the engine's waits wake at once */
  stop?: StopToken;
};

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
  // The calls before the first job (who we are, the object's describe) are retried like the rest,
  // and a signal during their back-off ends them at once, as it does the runner's.
  const retry = retrier(policy, opts.onEvent, opts.stop?.sleep);
  const describe = describeFromOrg(http, retry);
  return new LoadEngine({
    bulk: new BulkV2(http),
    bulkV1: new BulkV1(http),
    identity: () => retry('identity', () => fetchIdentity(http)),
    limits: () => retry('limits', () => loadLimits(http)),
    onEvent: opts.onEvent,
    poll: opts.poll ?? pollSettings(),
    retry: policy,
    query: new BulkV2Query(http),
    describe,
    fields: async (object: string) => (await describe(object)).fields,
    stateDir: opts.stateDir ?? defaultStateDir(),
    splitThreads: splitSettings(),
    ...(opts.stop ? { stop: opts.stop, sleep: opts.stop.sleep } : {}),
    ...(opts.now ? { now: opts.now } : {}),
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
  const retry = retrier(policy, opts.onEvent, opts.stop?.sleep);
  return { engine: engineForHttp(http, { ...opts, retry: policy }), http, isProduction: () => retry('org query', () => isProductionOrg(http)) };
}
