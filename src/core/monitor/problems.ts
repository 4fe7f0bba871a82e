/*
 * What `sf bulkops monitor` alerts on, without the org: among the jobs that changed since the last
 * check (each already reviewed against the job history and, with an inventory, attributed), the
 * bulk jobs that Failed or were Aborted, that failed too many records, that run too long, that
 * come from a source the inventory does not know, that their integration's entry does not allow
 * (an object or operation outside `allowed`, or any job of a `retired` entry: the audit's
 * undeclared-operation and retired-active, found the day they run), and the async Apex jobs that Failed or finished
 * with errors. Each problem has a key (its kind and the job's 15-character Id) that never changes,
 * so the state of what was alerted can say "already sent" run after run.
 */
import type { AsyncApexJob } from '../audit/findings.js';
import { dropUndefined } from '../jobs/orgJobs.js';
import type { ReviewedJob } from '../jobs/review.js';
import { FINISHED_STATES, JobApi, id15 } from '../jobs/types.js';
import { allowsJob, type Inventory } from '../inventory/schema.js';

export const PROBLEM_KINDS = ['failed', 'aborted', 'failure-rate', 'long-running', 'unknown-source', 'undeclared-operation', 'retired-active', 'apex-failed'] as const;
export type ProblemKind = (typeof PROBLEM_KINDS)[number];

export type Problem = {
  /** kind:15-character job Id; the same problem has the same key in every run */
  key: string;
  kind: ProblemKind;
  jobId: string;
  /** V2Ingest, Classic, V2Query, or AsyncApex */
  api: JobApi | 'AsyncApex';
  object?: string;
  operation?: string;
  state: string;
  /** username, or the user Id when the org does not know the user */
  user: string;
  integration?: string;
  /** ISO 8601 */
  createdDate: string;
  processed?: number;
  failed?: number;
  /** failed records / processed records, 0 to 1 */
  failureRate?: number;
  durationMs?: number;
  /** the usual duration of the same source's jobs on this object and operation */
  typicalMs?: number;
  /** the async Apex job's class as Apex names it: namespace__Class for a managed package's, else Class (ApexClass.NamespacePrefix, ApexClass.Name) */
  apexClass?: string;
  method?: string;
  jobType?: string;
  errors?: number;
  /** the job's error, or its first failed record's */
  firstError?: string;
  /** what happened, in a sentence */
  message: string;
  /** the command to look into it */
  action: string;
};

export type Thresholds = {
  /** a finished ingest job with this share of its records failed (0 to 1) or more is a problem */
  failureRate: number;
  /** ... or with this many failed records or more */
  failedRecords?: number;
  /** a job still running after this long is a problem (ms) */
  longAfterMs: number;
};

/** The commands an alert names: `bin` is the CLI's name, `org` the --target-org to pass. */
export type CommandContext = { bin: string; org: string };

const pct = (rate: number): string => `${(rate * 100).toFixed(1)}%`;
const minutes = (ms: number): string => `${Math.round(ms / 60_000)} min`;
const isQuery = (j: ReviewedJob): boolean => j.api === 'V2Query' || j.operation === 'query' || j.operation === 'queryAll';

/** The problems of bulk jobs, each job's in the order of PROBLEM_KINDS; with the inventory, those its entry does not allow. */
export function jobProblems(jobs: ReviewedJob[], t: Thresholds, cmd: CommandContext, inventory?: Inventory): Problem[] {
  const entries = new Map((inventory?.integrations ?? []).map((i) => [i.name, i]));
  const out: Problem[] = [];
  for (const j of jobs) {
    const kinds: ProblemKind[] = [];
    if (j.state === 'Failed') kinds.push('failed');
    if (j.state === 'Aborted') kinds.push('aborted');
    const failed = j.numberRecordsFailed ?? 0;
    const overThreshold = failed > 0 && ((j.failureRate ?? 0) >= t.failureRate || (t.failedRecords !== undefined && failed >= t.failedRecords));
    if (FINISHED_STATES.has(j.state) && j.state !== 'Failed' && j.state !== 'Aborted' && !isQuery(j) && overThreshold) kinds.push('failure-rate');
    if (j.signals.includes('long') || (!FINISHED_STATES.has(j.state) && j.durationMs > t.longAfterMs)) kinds.push('long-running');
    if (j.signals.includes('unknown-source')) kinds.push('unknown-source');
    kinds.push(...entryKinds(j, entries));
    for (const kind of kinds) out.push(jobProblem(j, kind, t, cmd));
  }
  return out;
}

/** What the job's inventory entry does not allow: an object or operation outside `allowed`, or any job once `retired`. */
function entryKinds(j: ReviewedJob, entries: Map<string, Inventory['integrations'][number]>): ProblemKind[] {
  const entry = j.integration === undefined ? undefined : entries.get(j.integration);
  if (!entry) return [];
  const kinds: ProblemKind[] = [];
  if (!allowsJob(entry, j.object, j.operation)) kinds.push('undeclared-operation');
  if (entry.status === 'retired') kinds.push('retired-active');
  return kinds;
}

function jobProblem(j: ReviewedJob, kind: ProblemKind, t: Thresholds, cmd: CommandContext): Problem {
  const user = j.username ?? id15(j.createdById);
  const what = `${j.operation} on ${j.object}`;
  const counts = j.numberRecordsProcessed === undefined ? '' : ` (${j.numberRecordsProcessed} records processed, ${j.numberRecordsFailed ?? 0} failed)`;
  const messages: Record<ProblemKind, () => string> = {
    failed: () => `Bulk job ${id15(j.id)} (${what}) by ${user} failed${counts}${j.errorMessage ? `: ${j.errorMessage}` : '.'}`,
    aborted: () => `Bulk job ${id15(j.id)} (${what}) by ${user} was aborted${counts}.`,
    'failure-rate': () =>
      `Bulk job ${id15(j.id)} (${what}) by ${user} failed ${j.numberRecordsFailed ?? 0} of ${j.numberRecordsProcessed ?? 0} records (${pct(j.failureRate ?? 0)}; the threshold is ${pct(t.failureRate)}${t.failedRecords !== undefined ? ` or ${t.failedRecords} records` : ''}).`,
    'long-running': () =>
      `Bulk job ${id15(j.id)} (${what}) by ${user} has run ${minutes(j.durationMs)}${j.typicalMs !== undefined && j.signals.includes('long') ? `; its source's jobs usually take ${minutes(j.typicalMs)}` : ` (the threshold is ${minutes(t.longAfterMs)})`}; it is ${j.state}.`,
    'unknown-source': () => `Bulk job ${id15(j.id)} (${what}) was run by ${user}, a source no entry of the inventory names.`,
    'undeclared-operation': () => `Bulk job ${id15(j.id)} (${what}) by ${user} is not among what the inventory allows ${j.integration ?? 'its integration'}${counts}.`,
    'retired-active': () => `Bulk job ${id15(j.id)} (${what}) by ${user} belongs to ${j.integration ?? ''}, retired in the inventory${counts}.`,
    'apex-failed': () => '',
  };
  return dropUndefined({
    key: `${kind}:${id15(j.id)}`,
    kind,
    jobId: j.id,
    api: j.api,
    object: j.object,
    operation: j.operation,
    state: j.state,
    user,
    integration: j.integration,
    createdDate: j.createdDate,
    processed: j.numberRecordsProcessed,
    failed: j.numberRecordsFailed,
    failureRate: j.failureRate,
    durationMs: j.durationMs,
    typicalMs: j.typicalMs,
    firstError: j.errorMessage,
    message: messages[kind](),
    action: jobAction(j, kind, cmd),
  });
}

function jobAction(j: ReviewedJob, kind: ProblemKind, cmd: CommandContext): string {
  const org = `--target-org ${cmd.org}`;
  if (kind === 'unknown-source') return `Find its owner and add it to the inventory: ${cmd.bin} bulkops jobs ${org} --user ${j.username ?? j.createdById} --inventory <file>`;
  if (kind === 'undeclared-operation' || kind === 'retired-active')
    return `Ask its owner, then stop the source or update its inventory entry: ${cmd.bin} bulkops jobs ${org} --user ${j.username ?? j.createdById} --inventory <file>`;
  if (kind === 'long-running') return `Look at it: ${cmd.bin} bulkops jobs ${org} --state ${j.state} --object ${j.object}`;
  // Per-record results exist for Bulk API 2.0 ingest jobs; the others are looked at in the listing.
  if (j.api === 'V2Ingest' && (j.numberRecordsProcessed ?? 0) > 0) return `Reconcile it: ${cmd.bin} bulkops reconcile --job-id ${j.id} ${org}`;
  return `Look at it: ${cmd.bin} bulkops jobs ${org} --state ${j.state} --object ${j.object}`;
}

/** Async Apex jobs that Failed, or Completed with errors. */
export function apexProblems(jobs: AsyncApexJob[], users: Map<string, { username: string }>, cmd: CommandContext): Problem[] {
  return jobs
    .filter((a) => a.status === 'Failed' || (a.status === 'Completed' && a.numberOfErrors > 0))
    .map((a) => {
      const user = users.get(id15(a.createdById))?.username ?? id15(a.createdById);
      // The class as Apex names it (namespace__Class); when the org does not let the class be read, its Id.
      const apexClass = a.className ?? (a.classId ? `ApexClass ${id15(a.classId)}` : undefined);
      const name = `${apexClass ?? 'no Apex class'}${a.methodName ? `.${a.methodName}` : ''}`;
      return dropUndefined({
        key: `apex-failed:${id15(a.id)}`,
        kind: 'apex-failed' as const,
        jobId: a.id,
        api: 'AsyncApex' as const,
        state: a.status,
        user,
        integration: a.integration,
        createdDate: a.createdDate,
        apexClass,
        method: a.methodName,
        jobType: a.jobType,
        errors: a.numberOfErrors,
        firstError: a.extendedStatus,
        message: `${a.jobType} Apex job ${id15(a.id)} (${name}) by ${user} ${a.status === 'Failed' ? 'failed' : `completed with ${a.numberOfErrors} errors`}${a.extendedStatus ? `: ${a.extendedStatus}` : '.'}`,
        action: `Look at it in Setup > Apex Jobs, or: ${cmd.bin} data query --target-org ${cmd.org} --query "SELECT Status, ExtendedStatus, NumberOfErrors FROM AsyncApexJob WHERE Id = '${a.id}'"`,
      });
    });
}
