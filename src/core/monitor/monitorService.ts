/*
 * What `sf bulkops monitor` does without its terminal, under a lock so that two monitors of one
 * org take turns: bring the job history up to date (so a daily monitor keeps the quarterly audit
 * complete), find the problems of the jobs that changed since the last check, keep those not
 * reported before, send them with the alerts still pending as one message per destination, and
 * remember what was reported and what is still pending.
 */
import type { OrgHttp } from '../http/orgHttp.js';
import type { Retrier, RetryPolicy } from '../http/retry.js';
import { asyncApexJobs } from '../audit/auditService.js';
import { attribute } from '../inventory/attribution.js';
import type { Inventory } from '../inventory/schema.js';
import type { LockOwner } from '../io/fileLock.js';
import { JobHistory } from '../jobs/history.js';
import { HistorySave, updatedHistory } from '../jobs/jobsService.js';
import { reviewJobs } from '../jobs/review.js';
import { usersById } from '../jobs/orgJobs.js';
import { id15, isFinished } from '../jobs/types.js';
import { fetchIdentity } from '../org/identity.js';
import { deliver, fetchPost, Post, WEBHOOK_POLICY } from './delivery.js';
import { firstFailedRecordError } from './firstError.js';
import { apexProblems, jobProblems, Problem, Thresholds } from './problems.js';
import { slackDigest } from './slack.js';
import { Destination, DESTINATIONS, MonitorStore } from './state.js';
import { webhookPayload } from './webhook.js';

/**
 * A later run looks back this much before the last check too: the last check is this machine's
 * time, the jobs' dates the org's, and a job that ended within the clocks' difference before it
 * would otherwise never be looked at. Looking again costs nothing (what was reported is kept by
 * key), so the margin is wide: a runner's clock off by minutes is not rare.
 */
export const CHECK_OVERLAP_MS = 60 * 60_000;

export type Target = { kind: Destination; url: string };

export type DeliveryReport = {
  destination: Destination;
  /** the webhook's host only: its URL is a secret */
  host: string;
  /** problems in the message: this run's and those pending from earlier runs */
  problems: number;
  delivered: boolean;
  attempts: number;
  status?: number;
  reason?: string;
  reconfigure?: boolean;
  /** --dry-run: the body that would be sent */
  body?: unknown;
};

export type MonitorReport = {
  orgId: string;
  /** the username the monitor ran as */
  org: string;
  /** the period checked (ISO 8601) */
  since: string;
  until: string;
  firstRun: boolean;
  dryRun: boolean;
  /** problems not reported before */
  problems: Problem[];
  deliveries: DeliveryReport[];
  /** alerts still not delivered, per destination kind: they go out with the next run */
  pending: Record<Destination, number>;
  history: HistorySave;
};

export type MonitorOptions = {
  historyDir: string;
  /** how far back the first run looks (ms since epoch) */
  since: number;
  thresholds: Thresholds;
  inventory?: Inventory;
  targets: Target[];
  dryRun: boolean;
  bin: string;
  now?: number;
  post?: Post;
  policy?: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  /** how long to wait for another monitor of the org to finish */
  lockWaitMs: number;
  onLockWait?: (owner: LockOwner) => void;
};

export async function runMonitor(http: OrgHttp, retry: Retrier, opts: MonitorOptions): Promise<MonitorReport> {
  const { orgId } = await retry('identity', () => fetchIdentity(http));
  const store = new MonitorStore(new JobHistory(opts.historyDir, orgId).dir);
  const lock = store.lock();
  await lock.acquireWaiting({ sleep: opts.sleep, now: Date.now, pollMs: 250, maxWaitMs: opts.lockWaitMs, onWait: opts.onLockWait });
  try {
    return await monitorLocked(http, retry, store, opts);
  } finally {
    lock.release();
  }
}

async function monitorLocked(http: OrgHttp, retry: Retrier, store: MonitorStore, opts: MonitorOptions): Promise<MonitorReport> {
  // Read after the lock: a monitor that ran meanwhile has reported its problems.
  const state = store.read();
  const firstRun = state.lastCheck === undefined;
  const now = opts.now ?? Date.now();
  const from = state.lastCheck ? Date.parse(state.lastCheck) - CHECK_OVERLAP_MS : opts.since;
  const identity = await retry('identity', () => fetchIdentity(http));
  const up = await updatedHistory(http, retry, opts.historyDir, now);
  // A job the history last saw unfinished but the org no longer lists ended unseen (its end is not
  // known): only what the org lists now is still running.
  const changed = up.all.filter((j) => (isFinished(j) ? Date.parse(j.systemModstamp) >= from : up.listed.has(id15(j.id))));
  const reviewed = reviewJobs(changed, { history: up.all, users: up.users, apps: up.apps, inventory: opts.inventory, now });
  const cmd = { bin: opts.bin, org: identity.username };
  const apexJobs = await asyncApexJobs(http, retry, from, 'CompletedDate');
  // The users of Apex jobs are not always those of bulk jobs: read the others, so an alert names the user and its integration.
  const users = new Map([...up.users, ...(await usersById(http, retry, apexJobs.map((a) => a.createdById).filter((id) => !up.users.has(id15(id)))))]);
  const apex = apexJobs.map((a) => {
    const username = users.get(id15(a.createdById))?.username;
    const found = opts.inventory && username ? attribute(opts.inventory, { username }, a.createdDate.slice(0, 10)) : {};
    return { ...a, ...(found.integration ? { integration: found.integration.name } : {}) };
  });
  const fresh = [...jobProblems(reviewed, opts.thresholds, cmd, opts.inventory), ...apexProblems(apex, users, cmd)].filter((p) => !state.reported[p.key]);
  await addFirstErrors(http, fresh);

  const ctx = { orgId: up.orgId, org: identity.username, since: new Date(from).toISOString(), until: new Date(now).toISOString() };
  const deliveries: DeliveryReport[] = [];
  const at = new Date(now).toISOString();
  const outbox = (kind: Destination): Problem[] => uniqueByKey([...(state.pending[kind] ?? []), ...fresh]);
  if (!opts.dryRun) {
    // Saved before anything is sent, each message as pending for its destination: a run killed while
    // sending (a pipeline's time-out during one webhook's back-off) leaves the messages not yet
    // delivered pending, and does not send again those delivered before it.
    for (const p of fresh) state.reported[p.key] = at;
    for (const target of opts.targets) state.pending[target.kind] = outbox(target.kind);
    state.lastCheck = at;
    store.write(state, now);
  }
  for (const target of opts.targets) {
    const all = opts.dryRun ? outbox(target.kind) : state.pending[target.kind] ?? [];
    if (all.length === 0) continue;
    const body = target.kind === 'slack' ? slackDigest(all, { ...ctx, bin: opts.bin }) : webhookPayload(all, ctx);
    const host = new URL(target.url).host;
    if (opts.dryRun) {
      deliveries.push({ destination: target.kind, host, problems: all.length, delivered: false, attempts: 0, body });
      continue;
    }
    // eslint-disable-next-line no-await-in-loop -- one destination after the other
    const outcome = await deliver(target.url, JSON.stringify(body), { post: opts.post ?? fetchPost, sleep: opts.sleep }, opts.policy ?? WEBHOOK_POLICY);
    deliveries.push({ destination: target.kind, host, problems: all.length, ...outcome });
    if (outcome.delivered) {
      state.pending[target.kind] = [];
      store.write(state, now);
    }
  }
  const pending = Object.fromEntries(DESTINATIONS.map((d) => [d, state.pending[d]?.length ?? 0])) as Record<Destination, number>;
  return { ...ctx, orgId: up.orgId, firstRun, dryRun: opts.dryRun === true, problems: fresh, deliveries, pending, history: up.saved };
}

function uniqueByKey(problems: Problem[]): Problem[] {
  return [...new Map(problems.map((p) => [p.key, p])).values()];
}

/** A job over the failure threshold has no job error: its first failed record tells what went wrong. */
async function addFirstErrors(http: OrgHttp, problems: Problem[]): Promise<void> {
  for (const p of problems) {
    if (p.kind !== 'failure-rate' || p.api !== 'V2Ingest' || p.firstError) continue;
    try {
      // eslint-disable-next-line no-await-in-loop -- a few jobs a run
      const error = await firstFailedRecordError(http, p.jobId);
      if (error) p.firstError = error;
    } catch {
      // The alert goes out without it: the reconcile command in it reads every result.
    }
  }
}
