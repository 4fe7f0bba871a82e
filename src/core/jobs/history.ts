/*
 * The job history of one org: an append-only store of job snapshots (the org forgets finished jobs
 * after 7 days). jobs.jsonl holds one snapshot a line; reading folds them, the latest state of a
 * job winning; a snapshot that changes nothing is not written. coverage.jsonl says what was looked
 * at and when: each listing of the org's jobs covers the 7 days before it, each event log file its
 * day. Days nothing covered are gaps: reported, never filled by guessing.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { syncFileSync } from '../io/durable.js';
import { JobRecord, id15 } from './types.js';

const DAY = 86_400_000;
/** how long the org keeps a finished job, so what one listing of its jobs covers */
export const ORG_RETENTION_DAYS = 7;

export type CoverageEntry =
  | { kind: 'org'; at: string }
  | { kind: 'eventlog'; day: string; eventType: string; fileId: string }
  /** the days the org's event log files spanned when they were read (a day without a file had no events) */
  | { kind: 'eventlogs'; from: string; to: string };
export type Gap = { from: string; to: string; days: number };

/** ~/.sf/bulkops/history, or SF_BULKOPS_HISTORY_DIR. */
export function defaultHistoryDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SF_BULKOPS_HISTORY_DIR ?? join(homedir(), '.sf', 'bulkops', 'history');
}

/** The later of two snapshots of one job; the org's own numbers win over the event logs' at the same moment. */
export function mergeSnapshots(old: JobRecord | undefined, next: JobRecord): JobRecord {
  if (!old) return next;
  const newer = next.systemModstamp > old.systemModstamp || (next.systemModstamp === old.systemModstamp && (next.from === 'org' || old.from === 'eventlog'));
  const [base, top] = newer ? [old, next] : [next, old];
  // Fields only one source knows (client and connected app from the logs, 18-char Id from the org) are kept.
  return { ...base, ...top, id: old.id.length >= next.id.length ? old.id : next.id, client: top.client ?? base.client, connectedAppId: top.connectedAppId ?? base.connectedAppId };
}

const sameState = (a: JobRecord, b: JobRecord): boolean => JSON.stringify({ ...a, observedAt: '' }) === JSON.stringify({ ...b, observedAt: '' });

export class JobHistory {
  public readonly dir: string;

  public constructor(root: string, orgId: string) {
    this.dir = join(root, id15(orgId));
  }

  private get jobsFile(): string {
    return join(this.dir, 'jobs.jsonl');
  }

  private get coverageFile(): string {
    return join(this.dir, 'coverage.jsonl');
  }

  /** Every job, its latest state, keyed by its 15-character Id. */
  public jobs(): Map<string, JobRecord> {
    const out = new Map<string, JobRecord>();
    for (const r of readLines<JobRecord>(this.jobsFile)) out.set(id15(r.id), mergeSnapshots(out.get(id15(r.id)), r));
    return out;
  }

  public coverage(): CoverageEntry[] {
    return readLines<CoverageEntry>(this.coverageFile);
  }

  /** Adds snapshots (only those that change a job) and what was looked at; returns how many jobs were new or changed. */
  public append(records: JobRecord[], coverage: CoverageEntry[]): { added: number; changed: number } {
    mkdirSync(this.dir, { recursive: true });
    const known = this.jobs();
    const lines: string[] = [];
    let added = 0;
    let changed = 0;
    for (const r of records) {
      const key = id15(r.id);
      const old = known.get(key);
      const merged = mergeSnapshots(old, r);
      if (old && sameState(old, merged)) continue;
      if (old) changed++;
      else added++;
      known.set(key, merged);
      lines.push(JSON.stringify(r));
    }
    writeLines(this.jobsFile, lines);
    writeLines(this.coverageFile, coverage.map((c) => JSON.stringify(c)));
    return { added, changed };
  }

  /** Event log files already read. */
  public readFiles(): Set<string> {
    return new Set(this.coverage().flatMap((c) => (c.kind === 'eventlog' ? [c.fileId] : [])));
  }

  /**
   * The days (UTC) from `since` to `until` that nothing covered: no listing of the org's jobs within
   * the 7 days after, and no event log file (with `extra`, what the caller read but did not save).
   */
  public gaps(since: number, until: number, extra: CoverageEntry[] = []): Gap[] {
    return coverageGaps([...this.coverage(), ...extra], since, until);
  }
}

export function coverageGaps(coverage: CoverageEntry[], since: number, until: number): Gap[] {
  const covered = new Set<number>();
  for (const c of coverage) {
    if (c.kind === 'eventlog') covered.add(Date.parse(`${c.day}T00:00:00Z`));
    else if (c.kind === 'eventlogs') {
      for (let d = Date.parse(`${c.from}T00:00:00Z`); d <= Date.parse(`${c.to}T00:00:00Z`); d += DAY) covered.add(d);
    } else {
      const at = Date.parse(c.at);
      // A listing sees the jobs that ended within 7 days before it: the whole days in that window.
      for (let d = Math.ceil((at - ORG_RETENTION_DAYS * DAY) / DAY) * DAY; d <= at; d += DAY) covered.add(d);
    }
  }
  const gaps: Gap[] = [];
  let open: number | undefined;
  const first = Math.floor(since / DAY) * DAY;
  const last = Math.floor((until - 1) / DAY) * DAY;
  for (let d = first; d <= last + DAY; d += DAY) {
    const hole = d <= last && !covered.has(d);
    if (hole && open === undefined) open = d;
    if (!hole && open !== undefined) {
      gaps.push({ from: day(open), to: day(d - DAY), days: Math.round((d - open) / DAY) });
      open = undefined;
    }
  }
  return gaps;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function readLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A line cut short by a crash mid-write: the next save writes the job again.
    }
  }
  return out;
}

/** One append of whole lines, made durable before the command reports it saved them. */
function writeLines(file: string, lines: string[]): void {
  if (lines.length === 0) return;
  const torn = existsSync(file) && !readFileSync(file, 'utf8').endsWith('\n') && readFileSync(file).length > 0;
  appendFileSync(file, (torn ? '\n' : '') + lines.join('\n') + '\n');
  syncFileSync(file);
}
