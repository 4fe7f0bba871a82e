/*
 * One bulk job as the job history keeps it: what Get All Jobs and the job's info say (source
 * 'org'), or what the event logs tell of a job the org no longer lists (source 'eventlog').
 */
export type JobApi = 'V2Ingest' | 'Classic' | 'V2Query';

export type JobRecord = {
  /** 18 characters from the org; 15 when only the event logs know the job */
  id: string;
  api: JobApi;
  object: string;
  operation: string;
  state: string;
  createdById: string;
  /** ISO 8601 */
  createdDate: string;
  /** last change; for a finished job, when it ended (ISO 8601) */
  systemModstamp: string;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  /** ms the org spent on the job's records, and the part of it in triggers, flows and other automation */
  totalProcessingTime?: number;
  apexProcessingTime?: number;
  retries?: number;
  errorMessage?: string;
  concurrencyMode?: string;
  /** the client name the job's calls sent (Sforce-Call-Options), from the ApiTotalUsage event log */
  client?: string;
  /** the connected app's 15-character Id, from the ApiTotalUsage event log */
  connectedAppId?: string;
  from: 'org' | 'eventlog';
  /** when this snapshot was taken (ISO 8601) */
  observedAt: string;
};

export const FINISHED_STATES: ReadonlySet<string> = new Set(['JobComplete', 'Failed', 'Aborted', 'Closed']);

/**
 * A job in an ended state. A Classic (V1) job is Closed once no batch will be added, though its
 * batches may still run: the org's job list does not say, so a Closed V1 job counts as finished here
 * (reading each one's batches would cost a call a job).
 */
export function isFinished(job: Pick<JobRecord, 'state'>): boolean {
  return FINISHED_STATES.has(job.state);
}

export function id15(id: string): string {
  return id.slice(0, 15);
}

/** ms from creation to the last change (a finished job) or to `now` (a running one). */
export function durationMs(job: Pick<JobRecord, 'createdDate' | 'systemModstamp' | 'state'>, now: number): number {
  const end = isFinished(job) ? Date.parse(job.systemModstamp) : now;
  return Math.max(0, end - Date.parse(job.createdDate));
}

/** Salesforce writes dates as 2026-11-28T09:55:12.000+0000; Date.parse wants +00:00 or Z. */
export function isoDate(sfDate: string): string {
  const ms = Date.parse(sfDate.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? sfDate : new Date(ms).toISOString();
}
