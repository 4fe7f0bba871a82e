/*
 * What `sf bulkops jobs` does without its terminal: list the org's jobs, add them (and the event
 * logs' jobs the history has not seen) to the job history, and review and filter them.
 */
import type { OrgHttp } from '../http/orgHttp.js';
import type { Retrier } from '../http/retry.js';
import { fetchIdentity } from '../org/identity.js';
import type { Inventory } from '../inventory/schema.js';
import { readEventLogs } from './eventLogs.js';
import { CoverageEntry, Gap, JobHistory } from './history.js';
import { listOrgJobs, OrgUser, queryAll, usersById } from './orgJobs.js';
import { ReviewedJob, reviewJobs, Signal } from './review.js';
import { JobApi, JobRecord, id15 } from './types.js';

export type JobFilters = {
  states?: string[];
  types?: JobApi[];
  objects?: string[];
  operations?: string[];
  /** usernames or user Ids */
  users?: string[];
  since?: number;
  signalsOnly?: boolean;
};

export type HistorySave = {
  dir: string;
  /** jobs new to the history, and jobs whose state changed */
  added: number;
  changed: number;
  /** jobs the history holds now */
  jobs: number;
  eventLogs: { available: boolean; filesRead: number; jobs: number };
  /** days since the history's first job that nothing covered */
  gaps: Gap[];
};

export type JobsReport = {
  orgId: string;
  /** how many jobs the org lists now */
  listed: number;
  jobs: ReviewedJob[];
  signals: Record<Signal, number>;
  history?: HistorySave;
};

const DAY = 86_400_000;

export async function jobsReport(
  http: OrgHttp,
  retry: Retrier,
  opts: { historyDir: string; save: boolean; inventory?: Inventory; filters?: JobFilters; now?: number }
): Promise<JobsReport> {
  const now = opts.now ?? Date.now();
  const { orgId } = await retry('identity', () => fetchIdentity(http));
  const history = new JobHistory(opts.historyDir, orgId);
  const current = await listOrgJobs(http, retry, now);
  const saved = opts.save ? await saveToHistory(http, retry, history, current, now) : undefined;
  const past = history.jobs();
  const users = await usersById(http, retry, current.map((j) => j.createdById));
  const apps = opts.inventory ? await connectedApps(http, retry) : undefined;
  // Event log data the history holds for the jobs listed now (the client and connected app).
  const withLogs = current.map((j) => ({ ...j, client: j.client ?? past.get(id15(j.id))?.client, connectedAppId: j.connectedAppId ?? past.get(id15(j.id))?.connectedAppId }));
  const reviewed = reviewJobs(withLogs, { history: past.values(), users, apps, inventory: opts.inventory, now });
  const shown = filterJobs(reviewed, opts.filters ?? {});
  const signals: Record<Signal, number> = { failed: 0, aborted: 0, long: 0, 'unknown-source': 0 };
  for (const j of shown) for (const s of j.signals) signals[s]++;
  return { orgId, listed: current.length, jobs: shown, signals, ...(saved ? { history: saved } : {}) };
}

/** Adds the org's jobs and the event logs' unread files to the history. */
export async function saveToHistory(http: OrgHttp, retry: Retrier, history: JobHistory, current: JobRecord[], now: number): Promise<HistorySave> {
  const logs = await readEventLogs(http, retry, { skip: history.readFiles(), now });
  const coverage: CoverageEntry[] = [
    { kind: 'org', at: new Date(now).toISOString() },
    ...logs.files.map((f): CoverageEntry => ({ kind: 'eventlog', day: f.day, eventType: f.eventType, fileId: f.id })),
    ...(logs.span ? [{ kind: 'eventlogs' as const, ...logs.span }] : []),
  ];
  // Event log jobs first: the org's own snapshot of a job it still lists is the fuller one.
  const { added, changed } = history.append([...logs.jobs, ...current], coverage);
  const jobs = history.jobs();
  const first = Math.min(now, ...[...jobs.values()].map((j) => Date.parse(j.createdDate)));
  return {
    dir: history.dir,
    added,
    changed,
    jobs: jobs.size,
    eventLogs: { available: logs.available || history.readFiles().size > 0, filesRead: logs.files.length, jobs: logs.jobs.length },
    gaps: history.gaps(Math.floor(first / DAY) * DAY, now),
  };
}

export type UpdatedHistory = {
  orgId: string;
  history: JobHistory;
  saved: HistorySave;
  /** every job of the history, its latest state */
  all: JobRecord[];
  /** the users that created them, by 15-character Id */
  users: Map<string, OrgUser>;
  /** connected app names by 15-character Id */
  apps: Map<string, string>;
  /** the 15-character Ids of the jobs the org lists now */
  listed: Set<string>;
};

/** The org's job history brought up to date (the org's jobs now, unread event logs), with its users and connected apps. */
export async function updatedHistory(http: OrgHttp, retry: Retrier, historyDir: string, now: number): Promise<UpdatedHistory> {
  const { orgId } = await retry('identity', () => fetchIdentity(http));
  const history = new JobHistory(historyDir, orgId);
  const current = await listOrgJobs(http, retry, now);
  const saved = await saveToHistory(http, retry, history, current, now);
  const all = [...history.jobs().values()];
  const users = await usersById(http, retry, all.map((j) => j.createdById));
  const apps = await connectedApps(http, retry);
  return { orgId, history, saved, all, users, apps, listed: new Set(current.map((j) => id15(j.id))) };
}

export async function connectedApps(http: OrgHttp, retry: Retrier): Promise<Map<string, string>> {
  try {
    const rows = await queryAll<{ Id: string; Name: string }>(http, retry, 'SELECT Id, Name FROM ConnectedApplication');
    return new Map(rows.map((r) => [id15(r.Id), r.Name]));
  } catch {
    // Without access to connected apps, jobs are matched by user and client name only.
    return new Map();
  }
}

export function filterJobs(jobs: ReviewedJob[], f: JobFilters): ReviewedJob[] {
  const lower = (list?: string[]): Set<string> | undefined => (list?.length ? new Set(list.map((s) => s.toLowerCase())) : undefined);
  const states = lower(f.states);
  const objects = lower(f.objects);
  const operations = lower(f.operations);
  const users = lower(f.users);
  return jobs
    .filter(
      (j) =>
        (!states || states.has(j.state.toLowerCase())) &&
        (!f.types?.length || f.types.includes(j.api)) &&
        (!objects || objects.has(j.object.toLowerCase())) &&
        (!operations || operations.has(j.operation.toLowerCase())) &&
        (!users || users.has((j.username ?? '').toLowerCase()) || users.has(id15(j.createdById).toLowerCase()) || users.has(j.createdById.toLowerCase())) &&
        (f.since === undefined || Date.parse(j.createdDate) >= f.since || !['JobComplete', 'Failed', 'Aborted', 'Closed'].includes(j.state)) &&
        (!f.signalsOnly || j.signals.length > 0)
    )
    .sort((a, b) => b.createdDate.localeCompare(a.createdDate));
}

export type { OrgUser };
