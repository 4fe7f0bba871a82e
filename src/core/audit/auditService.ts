/*
 * What `sf bulkops audit` does without its terminal: bring the job history up to date (the org's
 * jobs now and the event logs not read before), read the period's jobs from it, the async Apex
 * jobs, the users and who may hard-delete, attribute every job to the inventory, and audit.
 */
import type { OrgHttp } from '../http/orgHttp.js';
import type { Retrier } from '../http/retry.js';
import { attribute } from '../inventory/attribution.js';
import type { Inventory } from '../inventory/schema.js';
import type { Gap } from '../jobs/history.js';
import { HistorySave, updatedHistory } from '../jobs/jobsService.js';
import { queryAll, usersByUsername } from '../jobs/orgJobs.js';
import { reviewJobs } from '../jobs/review.js';
import { JobRecord, id15, isoDate } from '../jobs/types.js';
import { AsyncApexJob, audit, AuditJob, Finding, IntegrationSummary, Severity, Throughput } from './findings.js';

export type AuditReport = {
  orgId: string;
  /** the period audited (ISO 8601) */
  since: string;
  until: string;
  /** jobs of the period, and how many of them no entry names */
  jobs: number;
  unattributedJobs: number;
  asyncApexJobs: number;
  findings: Finding[];
  /** how many findings of each severity */
  counts: Record<Severity, number>;
  integrations: IntegrationSummary[];
  throughput: Throughput[];
  history: HistorySave;
  /** false when the org would not say who holds Bulk API Hard Delete (no finding of that kind then) */
  permissionsRead: boolean;
};

/** Gathers the period's jobs and audits them; the org's jobs and new event logs are saved to the history. */
export async function auditOrg(http: OrgHttp, retry: Retrier, opts: { inventory: Inventory; historyDir: string; since: number; now?: number }): Promise<AuditReport> {
  const now = opts.now ?? Date.now();
  const { inventory, since } = opts;
  const { orgId, history, saved, all, users, apps } = await updatedHistory(http, retry, opts.historyDir, now);
  const attributed = (j: JobRecord): Pick<AuditJob, 'integration' | 'exception' | 'connectedApp'> => {
    const connectedApp = j.connectedAppId ? apps.get(id15(j.connectedAppId)) : undefined;
    const found = attribute(inventory, { username: users.get(id15(j.createdById))?.username, connectedApp, client: j.client }, j.createdDate.slice(0, 10));
    return { ...(connectedApp ? { connectedApp } : {}), ...(found.integration ? { integration: found.integration.name } : {}), ...(found.exception ? { exception: found.exception.reason } : {}) };
  };

  const lastSeen = new Map<string, string>();
  for (const j of all) {
    const name = attributed(j).integration;
    if (name && j.createdDate > (lastSeen.get(name) ?? '')) lastSeen.set(name, j.createdDate);
  }
  const inPeriod = all.filter((j) => Date.parse(j.createdDate) >= since && Date.parse(j.createdDate) <= now);
  const jobs: AuditJob[] = reviewJobs(inPeriod, { history: all, users, now }).map((j) => ({ ...j, ...attributed(j) }));

  const asyncApex = (await asyncApexJobs(http, retry, since)).map((a) => {
    const username = users.get(id15(a.createdById))?.username;
    const found = username ? attribute(inventory, { username }, a.createdDate.slice(0, 10)) : {};
    return { ...a, ...(found.integration ? { integration: found.integration.name } : {}) };
  });
  const usersByName = await usersByUsername(
    http,
    retry,
    inventory.integrations.flatMap((i) => i.match.users ?? [])
  );
  const hardDeleteHolders = await hardDeleteUsers(http, retry);
  const gaps: Gap[] = history.gaps(since, now);

  const result = audit({ inventory, since, now, jobs, lastSeen, asyncApex, users, usersByName, hardDeleteHolders, gaps });
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of result.findings) counts[f.severity]++;
  return {
    orgId,
    since: new Date(since).toISOString(),
    until: new Date(now).toISOString(),
    jobs: jobs.length,
    unattributedJobs: jobs.filter((j) => !j.integration && !j.exception).length,
    asyncApexJobs: asyncApex.length,
    findings: result.findings,
    counts,
    integrations: result.integrations,
    throughput: result.throughput,
    history: saved,
    permissionsRead: hardDeleteHolders !== undefined,
  };
}

type AsyncApexRow = {
  Id: string;
  JobType: string;
  Status: string;
  ApexClassId?: string | null;
  /** the parent relationship: null when the job has no class (Salesforce answers null, not an empty object) */
  ApexClass?: { Name: string; NamespacePrefix?: string | null } | null;
  MethodName?: string | null;
  CreatedById: string;
  CreatedDate: string;
  CompletedDate?: string | null;
  NumberOfErrors: number;
  ExtendedStatus?: string | null;
};

/** A class as Apex code names it: `namespace__Class` for a managed package's class, else `Class`. */
export function apexClassName(c: { Name: string; NamespacePrefix?: string | null }): string {
  return c.NamespacePrefix ? `${c.NamespacePrefix}__${c.Name}` : c.Name;
}

/**
 * The async Apex jobs of the period (the automation that loads set off; bulk jobs themselves are
 * not there): created since `since`, or with `by: 'CompletedDate'`, ended since (a batch started
 * before a monitor's last check may fail after it).
 */
export async function asyncApexJobs(http: OrgHttp, retry: Retrier, since: number, by: 'CreatedDate' | 'CompletedDate' = 'CreatedDate'): Promise<AsyncApexJob[]> {
  const rows = await queryAll<AsyncApexRow>(
    http,
    retry,
    `SELECT Id, JobType, Status, ApexClassId, ApexClass.Name, ApexClass.NamespacePrefix, MethodName, CreatedById, CreatedDate, CompletedDate, NumberOfErrors, ExtendedStatus FROM AsyncApexJob WHERE ${by} >= ${new Date(since).toISOString()} AND JobType IN ('Future','Queueable','BatchApex','ScheduledApex')`
  );
  return rows.map((r) => ({
    id: r.Id,
    jobType: r.JobType,
    status: r.Status,
    ...(r.ApexClass?.Name ? { className: apexClassName(r.ApexClass) } : {}),
    ...(r.ApexClassId ? { classId: r.ApexClassId } : {}),
    ...(r.MethodName ? { methodName: r.MethodName } : {}),
    createdById: r.CreatedById,
    createdDate: isoDate(r.CreatedDate),
    ...(r.CompletedDate ? { completedDate: isoDate(r.CompletedDate) } : {}),
    numberOfErrors: r.NumberOfErrors ?? 0,
    ...(r.ExtendedStatus ? { extendedStatus: r.ExtendedStatus } : {}),
  }));
}

/**
 * The active users holding Bulk API Hard Delete, through a profile or a permission set
 * (Object Reference: PermissionSetAssignment); undefined when the org does not let this user read
 * permission set assignments.
 */
export async function hardDeleteUsers(http: OrgHttp, retry: Retrier): Promise<string[] | undefined> {
  try {
    const rows = await queryAll<{ Assignee: { Username: string; IsActive: boolean } | null }>(
      http,
      retry,
      'SELECT Assignee.Username, Assignee.IsActive FROM PermissionSetAssignment WHERE PermissionSet.PermissionsBulkApiHardDelete = true'
    );
    return [...new Set(rows.flatMap((r) => (r.Assignee?.IsActive ? [r.Assignee.Username] : [])))];
  } catch (e) {
    const status = (e as { status?: number }).status;
    if (status !== undefined && status >= 400 && status < 500) return undefined;
    throw e;
  }
}
