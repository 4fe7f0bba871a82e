/*
 * Builds the load engine for an org the user chose with --target-org (an @salesforce/core
 * Connection), so load and resume wire it the same way.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '@salesforce/core';
import { BulkV2 } from '../bulk/bulkV2.js';
import { sessionOf } from '../http/connectionSession.js';
import { OrgHttp } from '../http/orgHttp.js';
import { LoadEngine } from '../load/engine.js';
import { LoadEvent } from '../load/types.js';
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import { describeFromOrg } from '../preflight/describe.js';
import { keepStreamingGarbageYoung } from '../runtime/heap.js';
import { fetchIdentity } from './identity.js';

export type EngineOptions = { onEvent?: (e: LoadEvent) => void };

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

/** Retry timing; SF_BULKOPS_RETRY_MS shortens the back-off (tests against the emulator). */
function retrySettings(env: NodeJS.ProcessEnv = process.env): { attempts: number; baseMs: number; maxMs: number } {
  const base = Number(env.SF_BULKOPS_RETRY_MS ?? '') || 500;
  return { attempts: 6, baseMs: base, maxMs: Math.max(base, 30_000) };
}

export function orgHttp(conn: Connection): OrgHttp {
  return new OrgHttp(sessionOf(conn));
}

export type EngineTiming = {
  stateDir?: string;
  poll?: { minMs: number; maxMs: number };
  retry?: { attempts: number; baseMs: number; maxMs: number };
};

/** The engine over any OrgHttp: commands pass a Connection-backed one, tests an emulator-backed one. */
export function engineForHttp(http: OrgHttp, opts: EngineOptions & EngineTiming = {}): LoadEngine {
  const describe = describeFromOrg(http);
  return new LoadEngine({
    bulk: new BulkV2(http),
    identity: () => fetchIdentity(http),
    onEvent: opts.onEvent,
    poll: opts.poll ?? pollSettings(),
    retry: opts.retry ?? retrySettings(),
    query: new BulkV2Query(http),
    describe,
    fields: async (object: string) => (await describe(object)).fields,
    stateDir: opts.stateDir ?? defaultStateDir(),
  });
}

/** For commands: the process is theirs for the run, so the heap is tuned for streaming too. */
export function engineFor(conn: Connection, opts: EngineOptions = {}): { engine: LoadEngine; http: OrgHttp } {
  keepStreamingGarbageYoung();
  const http = orgHttp(conn);
  return { engine: engineForHttp(http, opts), http };
}
