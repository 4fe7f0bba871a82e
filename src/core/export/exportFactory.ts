/*
 * An export's dependencies over any OrgHttp (commands pass a Connection-backed one, tests an
 * emulator-backed one): the same retries and time-outs as load, polls a stop wakes.
 */
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import type { OrgHttp } from '../http/orgHttp.js';
import type { RetryPolicy } from '../http/retry.js';
import { retryingWithEvents } from '../http/retrying.js';
import { fetchIdentity } from '../org/identity.js';
import { describeFromOrg } from '../preflight/describe.js';
import { pollSettings, retrySettings } from '../org/connection.js';
import type { StopToken } from '../runtime/stopToken.js';
import type { ExportDeps } from './exportRun.js';
import type { ExportEvent } from './types.js';

/** Pages asked for ahead of the one being written: SF_BULKOPS_EXPORT_AHEAD, else 3. */
export function aheadSettings(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.SF_BULKOPS_EXPORT_AHEAD ?? '');
  return Number.isInteger(n) && n >= 1 ? n : 3;
}

export type ExportOptions = {
  onEvent?: (e: ExportEvent) => void;
  retryMinutes?: number;
  stop?: StopToken;
  retry?: RetryPolicy;
  poll?: { minMs: number; maxMs: number };
  ahead?: number;
};

export function exportDeps(http: OrgHttp, opts: ExportOptions = {}): ExportDeps {
  const sleep = opts.stop?.sleep ?? ((ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)));
  const retry = retryingWithEvents(opts.retry ?? retrySettings(process.env, opts.retryMinutes), sleep, (e) => opts.onEvent?.(e));
  return {
    query: new BulkV2Query(http),
    identity: () => retry('identity', () => fetchIdentity(http)),
    describe: describeFromOrg(http, retry),
    retry,
    sleep,
    poll: opts.poll ?? pollSettings(),
    ahead: opts.ahead ?? aheadSettings(),
    ...(opts.stop ? { stop: opts.stop } : {}),
    ...(opts.onEvent ? { onEvent: opts.onEvent } : {}),
  };
}
