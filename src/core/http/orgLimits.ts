/*
 * The org's allocations as the limits resource reports them (REST API Developer Guide: Limits):
 * each limit's Max and Remaining, counted over a rolling 24 hours for the daily ones. Read when a
 * run ends on REQUEST_LIMIT_EXCEEDED, to say which allocation is used up and by how much.
 */
import { OrgHttp } from './orgHttp.js';

export type OrgLimit = { name: string; max: number; remaining: number };

/** The allocations a load draws from: API requests, Bulk API V1 batches, Bulk API 2.0 query jobs. */
export const LOAD_LIMITS = ['DailyApiRequests', 'DailyBulkApiBatches', 'DailyBulkV2QueryJobs'] as const;

/** The load's allocations, in LOAD_LIMITS order; those the org does not report are left out. */
export async function loadLimits(http: OrgHttp): Promise<OrgLimit[]> {
  const all = await http.json<Record<string, { Max?: unknown; Remaining?: unknown } | undefined>>({ method: 'GET', path: http.dataPath('/limits') });
  return LOAD_LIMITS.flatMap((name) => {
    const l = all[name];
    return typeof l?.Max === 'number' && typeof l.Remaining === 'number' ? [{ name, max: l.Max, remaining: l.Remaining }] : [];
  });
}
