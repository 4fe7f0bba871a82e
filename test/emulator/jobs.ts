/*
 * The org's job records (Bulk 2.0 ingest and query, V1), shared by the job APIs, Get All Jobs and
 * retention: Salesforce deletes terminal jobs 7 days after they end.
 */
import { sfDateTime } from './store.js';

export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted' | 'Closed';
export type JobType = 'V2Ingest' | 'Classic' | 'V2Query';

export type JobBase = {
  id: string;
  jobType: JobType;
  operation: string;
  object: string;
  createdById: string;
  createdDate: number;
  systemModstamp: number;
  state: JobState;
  concurrencyMode: 'Parallel' | 'Serial';
  contentType: string;
  apiVersion: number;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  externalIdFieldName?: string;
  assignmentRuleId?: string;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  retries: number;
  totalProcessingTime: number;
  apiActiveProcessingTime: number;
  apexProcessingTime: number;
  errorMessage?: string;
  /** clock time the job reached a terminal state */
  endedAt?: number;
};

/** A job may stay Open this long; then 2.0 fails it and V1 takes no more batches (Bulk API and Bulk API 2.0 Limits and Allocations). */
export const OPEN_JOB_LIFETIME_MS = 24 * 3_600_000;

const TERMINAL: ReadonlySet<JobState> = new Set(['JobComplete', 'Failed', 'Aborted']);

export function isTerminal(state: JobState): boolean {
  return TERMINAL.has(state);
}

/** The summary Get All Jobs lists: no counters (Bulk API Developer Guide: Get Information About All Jobs). */
export function jobSummary(job: JobBase): Record<string, unknown> {
  return {
    id: job.id,
    operation: job.operation,
    object: job.object,
    createdById: job.createdById,
    createdDate: sfDateTime(job.createdDate),
    systemModstamp: sfDateTime(job.systemModstamp),
    state: job.state,
    ...(job.externalIdFieldName ? { externalIdFieldName: job.externalIdFieldName } : {}),
    ...(job.assignmentRuleId ? { assignmentRuleId: job.assignmentRuleId } : {}),
    concurrencyMode: job.concurrencyMode,
    contentType: job.contentType,
    apiVersion: job.apiVersion,
    jobType: job.jobType,
    lineEnding: job.lineEnding,
    columnDelimiter: job.columnDelimiter,
  };
}

export class JobRegistry<J extends JobBase = JobBase> {
  private readonly jobs = new Map<string, J>();

  /**
   * `settle` brings a job up to date with the clock before anyone reads it (an Open 2.0 job past its
   * 24 hours fails), so what happened while nobody looked is seen at once, stamped with its own time.
   */
  public constructor(
    private readonly now: () => number,
    private readonly retentionDays: () => number,
    private readonly settle?: (job: J, now: number) => void
  ) {}

  public add(job: J): void {
    this.jobs.set(job.id, job);
  }

  /** A job by 15- or 18-char id, unless retention already removed it. */
  public get(id: string): J | undefined {
    this.purge();
    return this.jobs.get(id) ?? [...this.jobs.values()].find((j) => j.id.slice(0, 15) === id.slice(0, 15) && id.length === 15);
  }

  public delete(id: string): void {
    this.jobs.delete(id);
  }

  public list(): J[] {
    this.purge();
    return [...this.jobs.values()];
  }

  public clear(): void {
    this.jobs.clear();
  }

  /** Retention: terminal jobs older than the set number of days are gone, as in a real org. */
  public purge(): void {
    const now = this.now();
    if (this.settle) for (const job of this.jobs.values()) this.settle(job, now);
    const cutoff = now - this.retentionDays() * 86_400_000;
    for (const [id, job] of this.jobs) {
      if (isTerminal(job.state) && (job.endedAt ?? job.systemModstamp) < cutoff) this.jobs.delete(id);
    }
  }
}

/** Cuts a list into pages for Get All Jobs, with Salesforce's `01g…-offset` locators. */
export function pageOf<T>(items: T[], locator: string | null, pageSize: number): { page: T[]; next: string | null } {
  const offset = locator ? Number(locator.split('-').pop()) || 0 : 0;
  const page = items.slice(offset, offset + pageSize);
  const nextOffset = offset + pageSize;
  return { page, next: nextOffset < items.length ? `01g5e00000Emu0AAA-${nextOffset}` : null };
}
