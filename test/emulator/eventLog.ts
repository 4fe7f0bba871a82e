/*
 * Event Monitoring for the jobs that run against the emulator (Object Reference: EventLogFile,
 * EventLogFile Supported Event Types: Bulk API 2.0, Bulk API, Bulk API Request and API Total Usage
 * Event Types): as the org works, each event is noted; once a day is over, the org publishes that
 * day's Daily log file per event type as an EventLogFile record with its CSV LogFile, a few hours
 * into the next day (settings.eventLogDelayMs), as Event Monitoring does. Only an org with Event
 * Monitoring (settings.eventMonitoring) writes any.
 *
 * - BulkApi2: a row per Bulk API 2.0 job state step (created, none for a multipart create;
 *   UploadComplete, InProgress, the end), with the documented 21 columns: no client name or
 *   connected app (Salesforce's BulkApi2 files have neither).
 * - BulkApi: a row per V1 batch when it ends.
 * - BulkApiRequest: a row per V1 request, with CLIENT_NAME (from Sforce-Call-Options) and
 *   CONNECTED_APP_ID (the session's connected app).
 * - ApiTotalUsage: a row per REST and Bulk call, with CLIENT_NAME and CONNECTED_APP_ID: what ties a
 *   Bulk API 2.0 job to its client.
 *
 * Job, user and org Ids in the rows have 15 characters (the *_DERIVED columns 18). Events not yet
 * published are kept in memory only (a state dump does not carry them).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Org } from './context.js';
import type { JobBase } from './jobs.js';
import { sfDateTime } from './store.js';

export type EventType = 'BulkApi2' | 'BulkApi' | 'BulkApiRequest' | 'ApiTotalUsage';

/** What the org knows of a call once it is answered. */
export type CallRecord = {
  at: number;
  method: string;
  path: string;
  status: number;
  userId?: string;
  client?: string;
  connectedAppId?: string;
  /** the session's token, only hashed into LOGIN_KEY and SESSION_KEY (never written) */
  token?: string;
  clientIp?: string;
  /** the V1 job the call touched (its id is in the path, or the call created it) */
  job?: JobBase;
  error?: string;
  runMs: number;
};

const COMMON = ['EVENT_TYPE', 'TIMESTAMP', 'REQUEST_ID', 'ORGANIZATION_ID', 'USER_ID'];
/** Object Reference: Bulk API 2.0 Event Type, the 21 columns. */
const COLUMNS: Record<EventType, string[]> = {
  BulkApi2: [...COMMON, 'JOB_ID', 'JOB_STATUS', 'ENTITY_TYPE', 'OPERATION_TYPE', 'RECORDS_PROCESSED', 'RECORDS_FAILED', 'RESULT_SIZE_MB', 'RUN_TIME', 'CPU_TIME', 'CLIENT_IP', 'LOGIN_KEY', 'SESSION_KEY', 'URI', 'URI_ID_DERIVED', 'TIMESTAMP_DERIVED', 'USER_ID_DERIVED'],
  BulkApi: [...COMMON, 'JOB_ID', 'BATCH_ID', 'ENTITY_TYPE', 'OPERATION_TYPE', 'ROWS_PROCESSED', 'NUMBER_FAILURES', 'SUCCESS', 'MESSAGE', 'RUN_TIME', 'CPU_TIME', 'CLIENT_IP', 'LOGIN_KEY', 'SESSION_KEY', 'URI', 'URI_ID_DERIVED', 'TIMESTAMP_DERIVED', 'USER_ID_DERIVED'],
  BulkApiRequest: [
    ...COMMON,
    'API_VERSION',
    'JOB_ID',
    'BATCH_ID',
    'ENTITY_TYPE',
    'OPERATION_TYPE',
    'CONCURRENCY_MODE',
    'REQUEST_PATH',
    'STATUS_CODE',
    'SUCCESS',
    'ERROR_MESSAGE',
    'CLIENT_NAME',
    'CONNECTED_APP_ID',
    'CLIENT_IP',
    'RUN_TIME',
    'CPU_TIME',
    'LOGIN_KEY',
    'SESSION_KEY',
    'TIMESTAMP_DERIVED',
    'USER_ID_DERIVED',
  ],
  ApiTotalUsage: [...COMMON, 'API_FAMILY', 'API_VERSION', 'API_RESOURCE', 'ENTITY_NAME', 'HTTP_METHOD', 'STATUS_CODE', 'CLIENT_NAME', 'CLIENT_IP', 'CONNECTED_APP_ID', 'CONNECTED_APP_NAME', 'COUNTS_AGAINST_API_LIMIT', 'TIMESTAMP_DERIVED', 'USER_ID_DERIVED', 'USER_NAME'],
};
const NUMBERS = new Set(['RECORDS_PROCESSED', 'RECORDS_FAILED', 'RESULT_SIZE_MB', 'RUN_TIME', 'CPU_TIME', 'ROWS_PROCESSED', 'NUMBER_FAILURES', 'STATUS_CODE', 'API_VERSION']);
const IDS = new Set(['ORGANIZATION_ID', 'USER_ID', 'USER_ID_DERIVED', 'CONNECTED_APP_ID', 'URI_ID_DERIVED']);
const typeOf = (col: string): string =>
  NUMBERS.has(col) ? 'Number' : IDS.has(col) ? 'Id' : col === 'TIMESTAMP_DERIVED' ? 'DateTime' : col === 'CLIENT_IP' ? 'IP' : col === 'SUCCESS' || col === 'COUNTS_AGAINST_API_LIMIT' ? 'Boolean' : 'String';

const DAY = 86_400_000;
const id15 = (id: string | undefined): string => (id ?? '').slice(0, 15);
const compact = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').replace(/Z$/, '');
const quote = (v: string | number): string => `"${String(v).replace(/"/g, '""')}"`;
const keyOf = (token: string | undefined, salt: string): string => (token ? createHash('sha256').update(salt).update(token).digest('base64url').slice(0, 16) : '');
const JOB_IN_PATH = /\/job(?:s\/(?:ingest|query))?\/(750\w{12,15})/;
const BATCH_IN_PATH = /\/batch\/(751\w{12,15})/;

type Row = Record<string, string | number>;
type Pending = { at: number; type: EventType; row: Row };

export class EventLog {
  private pending: Pending[] = [];
  /** the earliest time among the pending events */
  private oldest = Number.POSITIVE_INFINITY;

  /** `publish` stores one log file: its EventLogFile fields and the CSV blob. */
  public constructor(
    private readonly org: Org,
    private readonly publish: (file: { eventType: EventType; logDate: number; createdDate: number; csv: string; fieldTypes: string }) => void
  ) {}

  /** A Bulk API 2.0 job reached `status` (Open when created, then each state it enters). */
  public jobStep(job: JobBase, status: string, at = this.org.clock.now()): void {
    const query = job.jobType === 'V2Query';
    const ended = status === 'JobComplete' || status === 'Failed' || status === 'Aborted';
    // Ingest jobs report the records processed on their InProgress events and at the end.
    const counts = status === 'InProgress' || ended;
    this.add('BulkApi2', at, job.createdById, {
      JOB_ID: id15(job.id),
      JOB_STATUS: status,
      ENTITY_TYPE: job.object,
      OPERATION_TYPE: job.operation,
      RECORDS_PROCESSED: counts ? job.numberRecordsProcessed : '',
      RECORDS_FAILED: counts ? job.numberRecordsFailed : '',
      RESULT_SIZE_MB: '',
      RUN_TIME: ended ? job.totalProcessingTime : '',
      CPU_TIME: ended ? job.apexProcessingTime : '',
      CLIENT_IP: '',
      LOGIN_KEY: '',
      SESSION_KEY: '',
      URI: `/services/data/v${job.apiVersion.toFixed(1)}/jobs/${query ? 'query' : 'ingest'}/${job.id}`,
      URI_ID_DERIVED: job.id,
    });
  }

  /** A V1 batch ended (Completed or Failed). */
  public batchEnd(job: JobBase, batch: { id: string; state: string; stateMessage?: string; numberRecordsProcessed: number; numberRecordsFailed: number; totalProcessingTime: number; apexProcessingTime: number }): void {
    this.add('BulkApi', this.org.clock.now(), job.createdById, {
      JOB_ID: id15(job.id),
      BATCH_ID: id15(batch.id),
      ENTITY_TYPE: job.object,
      OPERATION_TYPE: job.operation,
      ROWS_PROCESSED: batch.numberRecordsProcessed,
      NUMBER_FAILURES: batch.numberRecordsFailed,
      SUCCESS: batch.state === 'Completed' ? 'true' : 'false',
      MESSAGE: batch.stateMessage ?? '',
      RUN_TIME: batch.totalProcessingTime,
      CPU_TIME: batch.apexProcessingTime,
      CLIENT_IP: '',
      LOGIN_KEY: '',
      SESSION_KEY: '',
      URI: `/services/async/${job.apiVersion.toFixed(1)}/job/${job.id}/batch/${batch.id}`,
      URI_ID_DERIVED: batch.id,
    });
  }

  /** An answered REST or Bulk call of a user (calls without a session are in no log). */
  public call(c: CallRecord): void {
    if (!c.userId || !c.path.startsWith('/services/')) return;
    const v1 = c.path.startsWith('/services/async/');
    const version = /^\/services\/(?:data\/v|async\/)(\d+\.\d)/.exec(c.path)?.[1] ?? '';
    const jobId = c.job?.id ?? JOB_IN_PATH.exec(c.path)?.[1];
    const keys = { LOGIN_KEY: keyOf(c.token, 'login'), SESSION_KEY: keyOf(c.token, 'session') };
    const app = c.connectedAppId ? this.org.store.get('ConnectedApplication', c.connectedAppId) : undefined;
    const user = this.org.store.get('User', c.userId);
    this.add('ApiTotalUsage', c.at, c.userId, {
      API_FAMILY: v1 ? 'Bulk' : 'REST',
      API_VERSION: version,
      API_RESOURCE: c.path.replace(/^\/services\/data/, ''),
      ENTITY_NAME: c.job?.object ?? '',
      HTTP_METHOD: c.method,
      STATUS_CODE: c.status,
      CLIENT_NAME: c.client ?? '',
      CLIENT_IP: c.clientIp ?? '',
      CONNECTED_APP_ID: id15(c.connectedAppId),
      CONNECTED_APP_NAME: (app?.Name as string | undefined) ?? '',
      COUNTS_AGAINST_API_LIMIT: 'true',
      USER_NAME: (user?.Username as string | undefined) ?? '',
    });
    if (!v1) return;
    this.add('BulkApiRequest', c.at, c.userId, {
      API_VERSION: version,
      JOB_ID: id15(jobId),
      BATCH_ID: id15(BATCH_IN_PATH.exec(c.path)?.[1]),
      ENTITY_TYPE: c.job?.object ?? '',
      OPERATION_TYPE: c.job?.operation ?? '',
      CONCURRENCY_MODE: c.job?.concurrencyMode ?? '',
      REQUEST_PATH: c.path,
      STATUS_CODE: c.status,
      SUCCESS: c.status < 400 ? 'true' : 'false',
      ERROR_MESSAGE: c.error ?? '',
      CLIENT_NAME: c.client ?? '',
      CONNECTED_APP_ID: id15(c.connectedAppId),
      CLIENT_IP: c.clientIp ?? '',
      RUN_TIME: c.runMs,
      CPU_TIME: 0,
      ...keys,
    });
  }

  /** Publishes each day that is over (by `eventLogDelayMs`): one Daily file per event type with rows. */
  public publishDue(now = this.org.clock.now()): void {
    const delay = this.org.settings.eventLogDelayMs;
    // Every request asks: answer at once while the oldest day waiting is not due.
    if (this.pending.length === 0 || Math.floor(this.oldest / DAY) * DAY + DAY + delay > now) return;
    const due = this.pending.filter((e) => Math.floor(e.at / DAY) * DAY + DAY + delay <= now);
    if (due.length === 0) return;
    const published = new Set(due);
    this.pending = this.pending.filter((e) => !published.has(e));
    this.oldest = this.pending.reduce((m, e) => Math.min(m, e.at), Number.POSITIVE_INFINITY);
    const files = new Map<string, Pending[]>();
    for (const e of due) {
      const key = `${Math.floor(e.at / DAY) * DAY} ${e.type}`;
      files.set(key, [...(files.get(key) ?? []), e]);
    }
    for (const [key, events] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
      const [day, type] = key.split(' ') as [string, EventType];
      const header = COLUMNS[type];
      const rows = events.sort((a, b) => a.at - b.at).map((e) => header.map((col) => quote(e.row[col] ?? '')).join(','));
      const logDate = Number(day);
      this.publish({ eventType: type, logDate, createdDate: logDate + DAY + delay, csv: [header.map(quote).join(','), ...rows].join('\n') + '\n', fieldTypes: header.map(typeOf).join(',') });
    }
  }

  private add(type: EventType, at: number, userId: string, row: Row): void {
    if (!this.org.settings.eventMonitoring) return;
    this.oldest = Math.min(this.oldest, at);
    this.pending.push({
      at,
      type,
      row: {
        ...row,
        EVENT_TYPE: type,
        TIMESTAMP: compact(at),
        REQUEST_ID: randomBytes(12).toString('base64url'),
        ORGANIZATION_ID: id15(this.org.orgId),
        USER_ID: id15(userId),
        TIMESTAMP_DERIVED: new Date(at).toISOString(),
        USER_ID_DERIVED: userId,
      },
    });
  }
}

/** The EventLogFile record of a published file (Object Reference: EventLogFile). */
export function eventLogFileRecord(id: string, f: { eventType: EventType; logDate: number; createdDate: number; csv: string; fieldTypes: string }): Record<string, unknown> {
  return {
    Id: id,
    EventType: f.eventType,
    LogDate: sfDateTime(f.logDate),
    Interval: 'Daily',
    Sequence: 1,
    LogFileLength: Buffer.byteLength(f.csv),
    LogFileContentType: 'CSV',
    LogFileFieldNames: f.csv.slice(0, f.csv.indexOf('\n')).replace(/"/g, ''),
    LogFileFieldTypes: f.fieldTypes,
    ApiVersion: 66,
    LogFile: `/services/data/v66.0/sobjects/EventLogFile/${id}/LogFile`,
    CreatedDate: sfDateTime(f.createdDate),
  };
}
