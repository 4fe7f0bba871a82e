/*
 * What the monitor of one org remembers between runs, beside the org's job history (a pipeline
 * keeps the one folder): when it last checked, which problems it has already reported (by key), and
 * the alerts not delivered yet, by destination kind. It never holds a webhook's URL: a pipeline
 * may cache or commit the folder, and the URL is a secret.
 *
 * The file is replaced whole (written aside, fsynced, renamed, folder fsynced), so a crash leaves
 * the old state or the new one, never half of one. A lock beside it makes two monitors started at
 * once take turns, so the second finds the first one's problems already reported.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncDirSync, syncFileSync } from '../io/durable.js';
import { FileLock } from '../io/fileLock.js';
import type { Problem } from './problems.js';

export const DESTINATIONS = ['slack', 'webhook'] as const;
export type Destination = (typeof DESTINATIONS)[number];

export type MonitorState = {
  version: 1;
  /** the moment the last run looked up to (ISO 8601) */
  lastCheck?: string;
  /** problem key → when it was first reported (ISO 8601) */
  reported: Record<string, string>;
  /** alerts found but not delivered yet, per destination kind */
  pending: Partial<Record<Destination, Problem[]>>;
};

/** A problem's key is kept this long after it was reported: longer than a job can stay listed and change. */
export const REPORTED_KEEP_DAYS = 60;

export class MonitorStore {
  public constructor(private readonly dir: string) {}

  public get file(): string {
    return join(this.dir, 'monitor-state.json');
  }

  public lock(): FileLock {
    return new FileLock(join(this.dir, 'monitor.lock'), 'bulkops monitor');
  }

  public read(): MonitorState {
    if (!existsSync(this.file)) return { version: 1, reported: {}, pending: {} };
    const state = JSON.parse(readFileSync(this.file, 'utf8')) as MonitorState;
    return { version: 1, lastCheck: state.lastCheck, reported: state.reported ?? {}, pending: state.pending ?? {} };
  }

  /** Replaces the state; keys reported more than REPORTED_KEEP_DAYS before `now` are dropped. */
  public write(state: MonitorState, now: number): void {
    const cutoff = new Date(now - REPORTED_KEEP_DAYS * 86_400_000).toISOString();
    const reported = Object.fromEntries(Object.entries(state.reported).filter(([, at]) => at >= cutoff));
    const pending = Object.fromEntries(Object.entries(state.pending).filter(([, list]) => list && list.length > 0));
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify({ ...state, reported, pending }, null, 2) + '\n');
    syncFileSync(tmp);
    renameSync(tmp, this.file);
    syncDirSync(this.dir);
  }
}
