/*
 * The quarterly audit of Bulk API usage against the integration inventory (the operating
 * discipline's rule 5), without the org: given the period's jobs (each already attributed to an
 * integration, an exception or nothing), the async Apex jobs, the users and who holds the Bulk API
 * Hard Delete permission, it lists the findings (each with a kind and a severity) and the
 * throughput of each integration per object and operation.
 */
import type { Integration, Inventory } from '../inventory/schema.js';
import { allowsJob, CADENCE_DAYS } from '../inventory/schema.js';
import type { Gap } from '../jobs/history.js';
import type { OrgUser } from '../jobs/orgJobs.js';
import type { ReviewedJob } from '../jobs/review.js';
import { id15, isFinished } from '../jobs/types.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FINDING_KINDS = [
  'orphan',
  'dormant',
  'retired-active',
  'undeclared-operation',
  'hard-delete-permission',
  'failing',
  'long-running',
  'inactive-user',
  'no-owner',
  'stale-inventory',
  'coverage-gap',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** An inventory not reviewed for longer than this is stale. */
export const STALE_INVENTORY_DAYS = 90;
/** An integration is failing with a failed job in the period, or with this share of its records failed. */
export const FAILING_RECORD_RATE = 0.05;

export type Finding = {
  kind: FindingKind;
  severity: Severity;
  /** the inventory entry it is about, if any */
  integration?: string;
  /** username (or user Id when the org does not know the user) */
  user?: string;
  connectedApps?: string[];
  clients?: string[];
  objects?: string[];
  operations?: string[];
  /** first and last job (ISO 8601) */
  firstSeen?: string;
  lastSeen?: string;
  jobs?: number;
  /** records processed */
  records?: number;
  failedJobs?: number;
  failedRecords?: number;
  /** failed records / processed records, 0 to 1 */
  failureRate?: number;
  /** the jobs concerned (15-character Ids), at most 20 */
  jobIds?: string[];
  /** coverage-gap and stale-inventory: the days concerned */
  from?: string;
  to?: string;
  days?: number;
  /** what was found, in a sentence */
  message: string;
  /** what to do about it */
  action: string;
};

/** A job of the period with who it came from and whom it is attributed to. */
export type AuditJob = ReviewedJob & {
  connectedApp?: string;
  /** the integration it is attributed to, or the exception's reason */
  integration?: string;
  exception?: string;
};

export type AsyncApexJob = {
  id: string;
  jobType: string;
  status: string;
  /** `namespace__Class` for a managed package's class */
  className?: string;
  /** ApexClassId, kept to name the job's class when the class itself cannot be read */
  classId?: string;
  methodName?: string;
  createdById: string;
  createdDate: string;
  completedDate?: string;
  numberOfErrors: number;
  extendedStatus?: string;
  integration?: string;
};

export type Throughput = {
  /** the integration, or the user for jobs of no integration */
  source: string;
  object: string;
  operation: string;
  jobs: number;
  records: number;
  /** records per minute over the finished jobs' durations */
  rowsPerMinute?: number;
  /** ms of triggers, flows and other automation per record, where the org reported it */
  automationMsPerRow?: number;
};

export type IntegrationSummary = {
  name: string;
  status: string;
  jobs: number;
  records: number;
  failedJobs: number;
  lastSeen?: string;
  asyncApexJobs: number;
  asyncApexFailed: number;
};

export type AuditInput = {
  inventory: Inventory;
  since: number;
  now: number;
  /** the period's jobs, attributed */
  jobs: AuditJob[];
  /** the last job of each integration in the whole history (dormancy looks past the period) */
  lastSeen: Map<string, string>;
  asyncApex: AsyncApexJob[];
  /** users by 15-character Id, and by lower-case username */
  users: Map<string, OrgUser>;
  usersByName: Map<string, OrgUser>;
  /** usernames holding Bulk API Hard Delete; undefined when the org would not tell */
  hardDeleteHolders?: string[];
  gaps: Gap[];
};

const DAY = 86_400_000;
const RANK: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };

export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return RANK[severity] <= RANK[threshold];
}

const day = (iso: string | number): string => new Date(iso).toISOString().slice(0, 10);
const uniq = (values: Array<string | undefined>): string[] => [...new Set(values.filter((v): v is string => !!v))].sort();
const sum = (jobs: AuditJob[], f: (j: AuditJob) => number | undefined): number => jobs.reduce((s, j) => s + (f(j) ?? 0), 0);

type Spread = Required<Pick<Finding, 'objects' | 'operations' | 'firstSeen' | 'lastSeen' | 'jobs' | 'records' | 'jobIds'>>;

/** What a non-empty list of jobs did, and when. */
function spread(jobs: AuditJob[]): Spread {
  const sorted = [...jobs].sort((a, b) => a.createdDate.localeCompare(b.createdDate));
  return {
    objects: uniq(jobs.map((j) => j.object)),
    operations: uniq(jobs.map((j) => j.operation)),
    firstSeen: sorted[0]?.createdDate ?? '',
    lastSeen: sorted.at(-1)?.createdDate ?? '',
    jobs: jobs.length,
    records: sum(jobs, (j) => j.numberRecordsProcessed),
    jobIds: sorted.slice(0, 20).map((j) => id15(j.id)),
  };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) {
    const list = out.get(key(i)) ?? [];
    list.push(i);
    out.set(key(i), list);
  }
  return out;
}

const userOf = (j: AuditJob): string => j.username ?? id15(j.createdById);

export function audit(input: AuditInput): { findings: Finding[]; throughput: Throughput[]; integrations: IntegrationSummary[] } {
  const { inventory, jobs, now } = input;
  const findings: Finding[] = [];
  const byIntegration = groupBy(
    jobs.filter((j) => j.integration),
    (j) => j.integration!
  );

  // Sources no entry names: one finding per user, with what it used and did.
  for (const [user, list] of groupBy(
    jobs.filter((j) => !j.integration && !j.exception),
    userOf
  )) {
    const s = spread(list);
    const deletes = s.operations.filter((o) => o === 'delete' || o === 'hardDelete');
    findings.push({
      kind: 'orphan',
      severity: s.operations.includes('hardDelete') ? 'critical' : 'high',
      user,
      connectedApps: uniq(list.map((j) => j.connectedApp)),
      clients: uniq(list.map((j) => j.client)),
      ...s,
      message: `${user} ran ${s.jobs} jobs (${s.operations.join(', ')} on ${s.objects.join(', ')}; ${s.records} records) from ${day(s.firstSeen)} to ${day(s.lastSeen)}, and no inventory entry names it${deletes.length ? ` (it deletes: ${deletes.join(', ')})` : ''}.`,
      action: 'Find its owner and add an integration for it to the inventory (or an exception with a reason), or stop it.',
    });
  }

  for (const integration of inventory.integrations) {
    const status = integration.status ?? 'active';
    const list = byIntegration.get(integration.name) ?? [];
    findings.push(...integrationFindings(integration, status, list, input));
  }

  // Who can hard-delete but belongs to no integration allowed to.
  if (input.hardDeleteHolders) {
    for (const username of [...input.hardDeleteHolders].sort()) {
      const owners = inventory.integrations.filter((i) => (i.match.users ?? []).some((u) => u.toLowerCase() === username.toLowerCase()));
      if (owners.some((i) => (i.allowed ?? []).some((a) => a.operations.includes('hardDelete')))) continue;
      findings.push({
        kind: 'hard-delete-permission',
        severity: 'high',
        user: username,
        ...(owners[0] ? { integration: owners[0].name } : {}),
        message: `${username} holds the Bulk API Hard Delete permission, but ${owners[0] ? `integration ${owners[0].name} is not allowed to hardDelete` : 'belongs to no integration'}: records it deletes skip the Recycle Bin.`,
        action: 'Remove the permission (profile or permission set), or declare hardDelete in the allowed operations of its integration.',
      });
    }
  }

  if (!inventory.reviewed || now - Date.parse(`${inventory.reviewed}T00:00:00Z`) > STALE_INVENTORY_DAYS * DAY) {
    const days = inventory.reviewed ? Math.floor((now - Date.parse(`${inventory.reviewed}T00:00:00Z`)) / DAY) : 0;
    findings.push({
      kind: 'stale-inventory',
      severity: 'low',
      ...(inventory.reviewed ? { from: inventory.reviewed, days } : {}),
      message: inventory.reviewed ? `The inventory was last reviewed on ${inventory.reviewed}, ${days} days ago (more than ${STALE_INVENTORY_DAYS}).` : 'The inventory has no "reviewed" day: nobody has said it is up to date.',
      action: 'Review every entry with its owner, then set "reviewed" to the day of the review.',
    });
  }

  for (const g of input.gaps) {
    findings.push({
      kind: 'coverage-gap',
      severity: 'medium',
      from: g.from,
      to: g.to,
      days: g.days,
      message: `No job data for ${g.days} days, ${g.from === g.to ? g.from : `${g.from} to ${g.to}`}: neither a listing of the org's jobs (it keeps them 7 days) nor an event log file covers them, so jobs that ran then are not audited.`,
      action: 'List the jobs at least weekly ("sf bulkops jobs" or this audit, in a scheduled pipeline), or keep the event log files (Event Monitoring).',
    });
  }

  findings.sort((a, b) => RANK[a.severity] - RANK[b.severity] || FINDING_KINDS.indexOf(a.kind) - FINDING_KINDS.indexOf(b.kind) || (a.integration ?? a.user ?? '').localeCompare(b.integration ?? b.user ?? ''));
  return { findings, throughput: throughput(jobs), integrations: summaries(inventory, byIntegration, input) };
}

function integrationFindings(integration: Integration, status: string, list: AuditJob[], input: AuditInput): Finding[] {
  return [...lifecycle(integration, status, list, input), ...undeclared(integration, list), ...health(integration, list), ...accounts(integration, status, input)];
}

/** Retired yet running; active yet silent for longer than its cadence. */
function lifecycle(integration: Integration, status: string, list: AuditJob[], input: AuditInput): Finding[] {
  const out: Finding[] = [];
  const name = integration.name;
  if (status === 'retired' && list.length > 0) {
    const s = spread(list);
    out.push({
      kind: 'retired-active',
      severity: 'high',
      integration: name,
      ...s,
      message: `Integration ${name} is retired, yet ran ${s.jobs} jobs from ${day(s.firstSeen)} to ${day(s.lastSeen)}.`,
      action: 'Find who still runs it and stop it (revoke its user or connected app), or set its status back to active.',
    });
  }
  const cadenceDays = CADENCE_DAYS[integration.cadence];
  const last = input.lastSeen.get(name);
  if (status !== 'active' || cadenceDays === undefined) return out;
  const idleDays = (input.now - (last ? Date.parse(last) : input.since)) / DAY;
  if (idleDays <= cadenceDays) return out;
  const idle = Math.floor(idleDays);
  out.push({
    kind: 'dormant',
    severity: 'medium',
    integration: name,
    ...(last ? { lastSeen: last } : {}),
    days: idle,
    message: last
      ? `Integration ${name} runs ${integration.cadence}, but its last job was on ${day(last)}, ${idle} days ago.`
      : `Integration ${name} runs ${integration.cadence}, but no job of it is known (the history begins ${day(input.since)} or later).`,
    action: 'Ask its owner whether it stopped on purpose: mark it paused or retired, or repair it.',
  });
  return out;
}

/** Objects and operations it was not declared for (only where the entry declares what it may do). */
function undeclared(integration: Integration, list: AuditJob[]): Finding[] {
  const outside = list.filter((j) => !allowsJob(integration, j.object, j.operation));
  return [...groupBy(outside, (j) => `${j.object}|${j.operation}`).values()].map((group): Finding => {
    const g = spread(group);
    const { object, operation: op } = group[0];
    return {
      kind: 'undeclared-operation',
      severity: op === 'hardDelete' ? 'critical' : op === 'delete' ? 'high' : 'medium',
      integration: integration.name,
      ...g,
      message: `Integration ${integration.name} ran ${g.jobs} ${op} jobs on ${object} (${g.records} records, ${day(g.firstSeen)} to ${day(g.lastSeen)}); its entry does not allow ${op} on ${object}.`,
      action: `Stop it, or, if the owner confirms it is intended, add { object: ${object}, operations: [${op}] } to its allowed list.`,
    };
  });
}

/** Failed jobs or records, and jobs far longer than its usual. */
function health(integration: Integration, list: AuditJob[]): Finding[] {
  const out: Finding[] = [];
  const name = integration.name;
  const ingest = list.filter((j) => j.api !== 'V2Query' && j.operation !== 'query' && j.operation !== 'queryAll');
  const failedJobs = list.filter((j) => j.state === 'Failed');
  const processed = sum(ingest, (j) => j.numberRecordsProcessed);
  const failedRecords = sum(ingest, (j) => j.numberRecordsFailed);
  const rate = processed > 0 ? failedRecords / processed : 0;
  if (failedJobs.length > 0 || rate >= FAILING_RECORD_RATE) {
    const reasons = uniq(failedJobs.map((j) => j.errorMessage));
    out.push({
      kind: 'failing',
      severity: 'high',
      integration: name,
      ...spread(list),
      failedJobs: failedJobs.length,
      failedRecords,
      failureRate: rate,
      jobIds: failedJobs.slice(0, 20).map((j) => id15(j.id)),
      message: `Integration ${name}: ${failedJobs.length} of its ${list.length} jobs failed, and ${(rate * 100).toFixed(1)}% of its records (${failedRecords} of ${processed})${reasons.length ? `; ${reasons.join('; ')}` : ''}.`,
      action: 'Look at the failed jobs ("sf bulkops jobs --state Failed"), fix the cause with the owner, and load the failed rows again.',
    });
  }
  const long = list.filter((j) => j.signals.includes('long'));
  if (long.length > 0) {
    const minutes = (ms: number | undefined): number => Math.round((ms ?? 0) / 60_000);
    out.push({
      kind: 'long-running',
      severity: 'medium',
      integration: name,
      ...spread(long),
      message: `Integration ${name}: ${long.length} jobs ran more than 3 times as long as its jobs on the same object and operation usually do (${long
        .slice(0, 5)
        .map((j) => `${id15(j.id)} ${minutes(j.durationMs)} min, usually ${minutes(j.typicalMs)}`)
        .join('; ')}).`,
      action: 'Look for lock contention and heavy automation on the object (retries, Apex time); split or schedule the loads apart.',
    });
  }
  return out;
}

/** Its users inactive in the org; nobody owning it. */
function accounts(integration: Integration, status: string, input: AuditInput): Finding[] {
  const out: Finding[] = [];
  const name = integration.name;
  for (const username of status === 'retired' ? [] : integration.match.users ?? []) {
    const user = input.usersByName.get(username.toLowerCase());
    if (!user || user.isActive) continue;
    out.push({
      kind: 'inactive-user',
      severity: 'medium',
      integration: name,
      user: user.username,
      message: `User ${user.username} of integration ${name} is inactive in the org: its jobs cannot run.`,
      action: 'Reactivate the user or move the integration to an active one (and update the inventory), or retire the integration.',
    });
  }
  if (!integration.owner?.team?.trim() && !integration.owner?.contact?.trim()) {
    out.push({
      kind: 'no-owner',
      severity: 'medium',
      integration: name,
      message: `Integration ${name} has no owner: nobody answers for its jobs.`,
      action: 'Find the team that runs it and fill in owner.team and owner.contact.',
    });
  }
  return out;
}

function throughput(jobs: AuditJob[]): Throughput[] {
  const groups = groupBy(
    jobs.filter((j) => isFinished(j) && j.state !== 'Aborted'),
    (j) => `${j.integration ?? userOf(j)}|${j.object}|${j.operation}`
  );
  return [...groups.values()]
    .map((list) => {
      const records = sum(list, (j) => j.numberRecordsProcessed);
      const minutes = list.reduce((m, j) => m + (j.numberRecordsProcessed ? j.durationMs : 0), 0) / 60_000;
      const withApex = list.filter((j) => j.apexProcessingTime !== undefined && (j.numberRecordsProcessed ?? 0) > 0);
      const apexRows = sum(withApex, (j) => j.numberRecordsProcessed);
      return {
        source: list[0].integration ?? userOf(list[0]),
        object: list[0].object,
        operation: list[0].operation,
        jobs: list.length,
        records,
        ...(minutes > 0 ? { rowsPerMinute: Math.round(records / minutes) } : {}),
        ...(apexRows > 0 ? { automationMsPerRow: Math.round((sum(withApex, (j) => j.apexProcessingTime) / apexRows) * 100) / 100 } : {}),
      };
    })
    .sort((a, b) => a.source.localeCompare(b.source) || a.object.localeCompare(b.object) || a.operation.localeCompare(b.operation));
}

function summaries(inventory: Inventory, byIntegration: Map<string, AuditJob[]>, input: AuditInput): IntegrationSummary[] {
  return inventory.integrations.map((i) => {
    const list = byIntegration.get(i.name) ?? [];
    const apex = input.asyncApex.filter((a) => a.integration === i.name);
    const last = input.lastSeen.get(i.name);
    return {
      name: i.name,
      status: i.status ?? 'active',
      jobs: list.length,
      records: sum(list, (j) => j.numberRecordsProcessed),
      failedJobs: list.filter((j) => j.state === 'Failed').length,
      ...(last ? { lastSeen: last } : {}),
      asyncApexJobs: apex.length,
      asyncApexFailed: apex.filter((a) => a.status === 'Failed').length,
    };
  });
}
