/*
 * The weekly review of the org's jobs (the operating discipline's rule 4): each job with its user,
 * duration and failure rate, marked when it needs a look: failed or aborted, unexpectedly long
 * against the same source's own history on that object and operation, or from a source the
 * inventory does not know.
 */
import type { Inventory } from '../inventory/schema.js';
import { attribute } from '../inventory/attribution.js';
import type { OrgUser } from './orgJobs.js';
import { JobRecord, durationMs, id15, isFinished } from './types.js';

export type Signal = 'failed' | 'aborted' | 'long' | 'unknown-source';

export type ReviewedJob = JobRecord & {
  username?: string;
  userName?: string;
  durationMs: number;
  /** failed records / processed records, 0 to 1 */
  failureRate?: number;
  /** the usual duration of the same source's finished jobs on this object and operation */
  typicalMs?: number;
  integration?: string;
  signals: Signal[];
};

export type ReviewContext = {
  /** the history's jobs (latest state of each), to learn each source's usual durations */
  history: Iterable<JobRecord>;
  users: Map<string, OrgUser>;
  /** connected app names by 15-character Id */
  apps?: Map<string, string>;
  inventory?: Inventory;
  now: number;
};

/** how many earlier jobs a source needs before one of its jobs can be called long */
export const LONG_MIN_SAMPLES = 5;
/** long: more than this many times the usual duration, and at least LONG_MIN_EXTRA_MS more */
export const LONG_FACTOR = 3;
export const LONG_MIN_EXTRA_MS = 10 * 60_000;

const sourceKey = (j: JobRecord): string => `${id15(j.createdById)}|${j.object.toLowerCase()}|${j.operation}`;

export function reviewJobs(jobs: JobRecord[], ctx: ReviewContext): ReviewedJob[] {
  const samples = new Map<string, Array<{ id: string; ms: number }>>();
  const all = new Map<string, JobRecord>();
  for (const j of ctx.history) all.set(id15(j.id), j);
  for (const j of jobs) all.set(id15(j.id), j);
  for (const j of all.values()) {
    if (!isFinished(j) || j.state === 'Aborted') continue;
    const list = samples.get(sourceKey(j)) ?? [];
    list.push({ id: id15(j.id), ms: durationMs(j, ctx.now) });
    samples.set(sourceKey(j), list);
  }
  return jobs.map((j) => {
    const user = ctx.users.get(id15(j.createdById));
    const duration = durationMs(j, ctx.now);
    const others = (samples.get(sourceKey(j)) ?? []).filter((s) => s.id !== id15(j.id)).map((s) => s.ms);
    const typical = others.length >= LONG_MIN_SAMPLES ? median(others) : undefined;
    const signals: Signal[] = [];
    if (j.state === 'Failed') signals.push('failed');
    if (j.state === 'Aborted') signals.push('aborted');
    if (typical !== undefined && duration > typical * LONG_FACTOR && duration > typical + LONG_MIN_EXTRA_MS) signals.push('long');
    let integration: string | undefined;
    if (ctx.inventory) {
      const app = j.connectedAppId ? ctx.apps?.get(j.connectedAppId) : undefined;
      const found = attribute(ctx.inventory, { username: user?.username, connectedApp: app, client: j.client }, j.createdDate.slice(0, 10));
      integration = found.integration?.name ?? (found.exception ? 'exception' : undefined);
      if (!integration) signals.push('unknown-source');
    }
    const processed = j.numberRecordsProcessed ?? 0;
    return {
      ...j,
      ...(user ? { username: user.username, userName: user.name } : {}),
      durationMs: duration,
      ...(processed > 0 && j.numberRecordsFailed !== undefined ? { failureRate: j.numberRecordsFailed / processed } : {}),
      ...(typical !== undefined ? { typicalMs: typical } : {}),
      ...(integration ? { integration } : {}),
      signals,
    };
  });
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
