/*
 * What `sf bulkops inventory init` does without its terminal: bring the job history up to date,
 * take the jobs seen (since a moment, or all the history holds) and draft an inventory from them.
 */
import type { OrgHttp } from '../http/orgHttp.js';
import type { Retrier } from '../http/retry.js';
import { HistorySave, updatedHistory } from '../jobs/jobsService.js';
import { DraftEntry, draftEntries, draftYaml, withUsernames } from './draft.js';

export type InventoryDraft = {
  orgId: string;
  /** jobs the draft was made from, and those left out because the org does not know their user */
  jobs: number;
  unknownUserJobs: number;
  entries: DraftEntry[];
  yaml: string;
  history: HistorySave;
};

export async function draftInventory(http: OrgHttp, retry: Retrier, opts: { historyDir: string; since?: number; now?: number; org?: string }): Promise<InventoryDraft> {
  const now = opts.now ?? Date.now();
  const { orgId, saved, all, users, apps } = await updatedHistory(http, retry, opts.historyDir, now);
  const period = all.filter((j) => opts.since === undefined || Date.parse(j.createdDate) >= opts.since);
  const seen = withUsernames(period, users, apps);
  const entries = draftEntries(seen);
  const dates = seen.map((j) => j.createdDate).sort();
  const yaml = draftYaml(entries, { org: opts.org, drafted: new Date(now).toISOString().slice(0, 10), from: dates[0], to: dates.at(-1) });
  return { orgId, jobs: seen.length, unknownUserJobs: period.length - seen.length, entries, yaml, history: saved };
}
