/*
 * Jobs as the event logs tell them (orgs with Event Monitoring; Object Reference: EventLogFile Supported Event Types): EventLogFile rows
 * of type BulkApi2 (Bulk API 2.0 ingest and query, a row per job state), BulkApi (V1, a row per
 * batch) and ApiTotalUsage (every call, with the client name and connected app). Job Ids in the
 * logs have 15 characters. Files already read (the history keeps their Ids) are not read again.
 */
import { parse } from 'csv-parse/sync';
import type { OrgHttp } from '../http/orgHttp.js';
import type { Retrier } from '../http/retry.js';
import { dropUndefined, queryAll } from './orgJobs.js';
import { JobRecord } from './types.js';

export const EVENT_TYPES = ['BulkApi2', 'BulkApi', 'ApiTotalUsage'] as const;

export type LogFileRef = { id: string; eventType: string; day: string };
export type Caller = { clients: Set<string>; connectedAppIds: Set<string> };

export type EventLogRead = {
  /** false when the org has no event log files of these types (no Event Monitoring, or no access) */
  available: boolean;
  files: LogFileRef[];
  jobs: JobRecord[];
  /** per user (15-character Id): the client names and connected apps their bulk calls used */
  callers: Map<string, Caller>;
  /**
   * The days the org's log files span (read now or before): a log file is written for each day
   * with events, so a day in the span without one had no bulk activity.
   */
  span?: { from: string; to: string };
};

type Row = Record<string, string>;

export async function readEventLogs(http: OrgHttp, retry: Retrier, opts: { since?: number; skip?: ReadonlySet<string>; now?: number } = {}): Promise<EventLogRead> {
  const types = EVENT_TYPES.map((t) => `'${t}'`).join(',');
  const since = opts.since !== undefined ? ` AND LogDate >= ${new Date(opts.since).toISOString().slice(0, 10)}T00:00:00Z` : '';
  let refs: Array<{ Id: string; EventType: string; LogDate: string; LogFile: string }>;
  try {
    refs = await queryAll(http, retry, `SELECT Id, EventType, LogDate, LogFile FROM EventLogFile WHERE EventType IN (${types})${since} ORDER BY LogDate`);
  } catch (e) {
    // No Event Monitoring or no View Event Log Files permission: the object or its rows are not there.
    if ((e as { status?: number }).status !== undefined && (e as { status: number }).status < 500) return { available: false, files: [], jobs: [], callers: new Map() };
    throw e;
  }
  const files: LogFileRef[] = [];
  const rows: Record<string, Row[]> = { BulkApi2: [], BulkApi: [], ApiTotalUsage: [] };
  for (const f of refs) {
    if (opts.skip?.has(f.Id)) continue;
    // eslint-disable-next-line no-await-in-loop -- one file a day and type: read one after the other
    const text = await retry('event log file', async () => {
      const { body } = await http.stream({ method: 'GET', path: f.LogFile, headers: { Accept: 'text/csv' } });
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    });
    const parsed: Row[] = parse(text, { columns: true, skip_empty_lines: true });
    rows[f.EventType].push(...parsed);
    files.push({ id: f.Id, eventType: f.EventType, day: dayOf(f.LogDate) });
  }
  const observedAt = new Date(opts.now ?? Date.now()).toISOString();
  const calls = callsByJob(rows.ApiTotalUsage);
  const jobs = [...v2Jobs(rows.BulkApi2, observedAt), ...v1Jobs(rows.BulkApi, observedAt)].map((j) => ({ ...j, ...calls.byJob.get(j.id) }));
  const days = refs.map((f) => dayOf(f.LogDate)).sort();
  const span = days.length ? { from: days[0], to: days[days.length - 1] } : undefined;
  return { available: refs.length > 0, files, jobs, callers: calls.byUser, ...(span ? { span } : {}) };
}

const dayOf = (logDate: string): string => new Date(Date.parse(logDate.replace(/\+0000$/, 'Z'))).toISOString().slice(0, 10);

const when = (r: Row): string => (r.TIMESTAMP_DERIVED ? new Date(Date.parse(r.TIMESTAMP_DERIVED)).toISOString() : compactToIso(r.TIMESTAMP));

function compactToIso(t: string): string {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{3})?$/.exec(t ?? '');
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[7] ?? '.000'}Z` : t;
}

const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));

function groupBy(rows: Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) {
    const id = (r.JOB_ID ?? '').slice(0, 15);
    if (!id) continue;
    const list = out.get(id) ?? [];
    list.push(r);
    out.set(id, list);
  }
  for (const list of out.values()) list.sort((a, b) => when(a).localeCompare(when(b)));
  return out;
}

/** BulkApi2: a row per state step; the last says how the job ended. */
function v2Jobs(rows: Row[], observedAt: string): JobRecord[] {
  return [...groupBy(rows)].map(([id, steps]) => {
    const last = steps[steps.length - 1];
    const max = (col: string): number | undefined => steps.reduce<number | undefined>((m, r) => (num(r[col]) === undefined ? m : Math.max(m ?? 0, num(r[col])!)), undefined);
    const query = last.OPERATION_TYPE === 'query' || last.OPERATION_TYPE === 'queryAll' || (last.URI ?? '').includes('/jobs/query/');
    return dropUndefined<JobRecord>({
      id,
      api: query ? 'V2Query' : 'V2Ingest',
      object: last.ENTITY_TYPE,
      operation: last.OPERATION_TYPE,
      state: last.JOB_STATUS,
      createdById: last.USER_ID_DERIVED || last.USER_ID,
      createdDate: when(steps[0]),
      systemModstamp: when(last),
      numberRecordsProcessed: max('RECORDS_PROCESSED'),
      numberRecordsFailed: max('RECORDS_FAILED'),
      totalProcessingTime: max('RUN_TIME'),
      from: 'eventlog',
      observedAt,
    });
  });
}

/** BulkApi (V1): a row per batch; the job's numbers are the batches' sums. */
function v1Jobs(rows: Row[], observedAt: string): JobRecord[] {
  return [...groupBy(rows)].map(([id, batches]) => {
    const sum = (col: string): number => batches.reduce((s, r) => s + (num(r[col]) ?? 0), 0);
    const first = batches[0];
    const last = batches[batches.length - 1];
    // A batch row is written when the batch ends: the job began at least its run time earlier.
    const began = new Date(Date.parse(when(first)) - (num(first.RUN_TIME) ?? 0)).toISOString();
    return {
      id,
      api: 'Classic',
      object: last.ENTITY_TYPE,
      operation: last.OPERATION_TYPE,
      state: batches.some((b) => b.SUCCESS === 'false') ? 'Failed' : 'Closed',
      createdById: last.USER_ID_DERIVED || last.USER_ID,
      createdDate: began,
      systemModstamp: when(last),
      numberRecordsProcessed: sum('ROWS_PROCESSED'),
      numberRecordsFailed: sum('NUMBER_FAILURES'),
      totalProcessingTime: sum('RUN_TIME'),
      from: 'eventlog',
      observedAt,
    };
  });
}

const JOB_IN_PATH = /\/job(?:s\/(?:ingest|query))?\/(750[A-Za-z0-9]{12})/;

/** ApiTotalUsage: the calls that name a job give its client and connected app; all give the user's. */
function callsByJob(rows: Row[]): { byJob: Map<string, Pick<JobRecord, 'client' | 'connectedAppId'>>; byUser: Map<string, Caller> } {
  const byJob = new Map<string, Pick<JobRecord, 'client' | 'connectedAppId'>>();
  const byUser = new Map<string, Caller>();
  for (const r of rows) {
    const family = (r.API_FAMILY ?? '').toUpperCase();
    const resource = r.API_RESOURCE ?? '';
    if (family !== 'BULK' && !resource.includes('/jobs/')) continue;
    const user = (r.USER_ID_DERIVED || r.USER_ID || '').slice(0, 15);
    const caller = byUser.get(user) ?? { clients: new Set<string>(), connectedAppIds: new Set<string>() };
    if (r.CLIENT_NAME) caller.clients.add(r.CLIENT_NAME);
    if (r.CONNECTED_APP_ID) caller.connectedAppIds.add(r.CONNECTED_APP_ID.slice(0, 15));
    byUser.set(user, caller);
    const job = JOB_IN_PATH.exec(resource)?.[1];
    if (job && !byJob.has(job)) byJob.set(job, dropUndefined({ client: r.CLIENT_NAME || undefined, connectedAppId: r.CONNECTED_APP_ID ? r.CONNECTED_APP_ID.slice(0, 15) : undefined }));
  }
  return { byJob, byUser };
}
