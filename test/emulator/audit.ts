/*
 * Audit data an org carries (README: "The org emulator", Audit data in the seed; Object Reference: EventLogFile): connected apps,
 * Apex classes and async Apex jobs, historical bulk jobs (2.0 ingest and query, V1) and, when the
 * org has Event Monitoring, EventLogFile rows of type BulkApi, BulkApi2 and ApiTotalUsage whose
 * LogFile blob is CSV.
 *
 * A seed's `audit` section is written for one day (`asOf`); every date in it, the CSV timestamps
 * included, moves forward by whole days so that `asOf` reads as today, and the history always ends
 * now. Historical jobs join the job registries as they were: retention (7 days after they ended)
 * removes the older ones at once, as a real org would have; their traces stay in the event logs.
 * Historical jobs carry their counters but no result rows (their result files hold only headers).
 */
import { ApiError, notFound, sendText } from './http.js';
import { Org, Route } from './context.js';
import { ObjectSeed } from './schema.js';
import { SObjectRecord, sfDateTime } from './store.js';
import { JobState } from './jobs.js';
import type { IngestJob } from './bulk2-ingest.js';
import type { QueryJob } from './bulk2-query.js';
import type { V1Batch, V1Job, BatchState } from './bulk1.js';

export type AuditSeed = {
  /** the day (UTC) the history was written for; it is shifted to the emulator's today */
  asOf: string;
  connectedApps?: Array<{ id: string; name: string; createdDate: string; createdById?: string; adminApprovedUsersOnly?: boolean }>;
  /** `namespacePrefix` for a class of a managed package (ApexClass.NamespacePrefix; null for the org's own) */
  apexClasses?: Array<{ id: string; name: string; namespacePrefix?: string; apiVersion?: number }>;
  asyncApexJobs?: Array<{
    id: string;
    jobType: string;
    status: string;
    /** null for async work of no class (ApexClass in a query is then null) */
    apexClassId: string | null;
    methodName?: string;
    createdById: string;
    createdDate: string;
    completedDate?: string;
    numberOfErrors: number;
    jobItemsProcessed: number;
    totalJobItems: number;
    extendedStatus?: string;
  }>;
  jobs?: HistoricalJob[];
  eventLogFiles?: Array<{
    id: string;
    eventType: 'BulkApi' | 'BulkApi2' | 'ApiTotalUsage' | 'BulkApiRequest';
    /** the day the file covers (00:00 UTC) */
    logDate: string;
    interval?: 'Daily' | 'Hourly';
    sequence?: number;
    createdDate?: string;
    /** comma-separated types, one per column (Salesforce's LogFileFieldTypes) */
    fieldTypes?: string;
    /** the LogFile blob: CSV with a header row */
    csv: string;
  }>;
};

export type HistoricalJob = {
  id: string;
  jobType: 'V2Ingest' | 'Classic' | 'V2Query';
  object: string;
  operation: string;
  createdById: string;
  createdDate: string;
  /** last change; for a terminal job, when it ended */
  systemModstamp: string;
  state: JobState;
  concurrencyMode?: 'Parallel' | 'Serial';
  contentType?: string;
  apiVersion?: number;
  externalIdFieldName?: string;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  retries?: number;
  totalProcessingTime?: number;
  apiActiveProcessingTime?: number;
  apexProcessingTime?: number;
  errorMessage?: string;
  /** V2Query */
  query?: string;
  /** Classic */
  batches?: Array<{
    id: string;
    state: BatchState;
    stateMessage?: string;
    createdDate: string;
    systemModstamp: string;
    numberRecordsProcessed: number;
    numberRecordsFailed: number;
    totalProcessingTime?: number;
    apexProcessingTime?: number;
  }>;
};

const ro = { createable: false, updateable: false };

/** Standard objects for audit data; every org has them (read-only), filled only from a seed. */
export const AUDIT_OBJECTS: ObjectSeed[] = [
  {
    name: 'ConnectedApplication',
    label: 'Connected App',
    keyPrefix: '0H4',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      { name: 'Name', type: 'string', length: 255, ...ro, idLookup: true },
      { name: 'OptionsAllowAdminApprovedUsersOnly', type: 'boolean', ...ro },
    ],
  },
  {
    name: 'ApexClass',
    label: 'Apex Class',
    keyPrefix: '01p',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      { name: 'Name', type: 'string', length: 255, ...ro, idLookup: true },
      { name: 'NamespacePrefix', type: 'string', length: 15, nillable: true, ...ro },
      { name: 'ApiVersion', type: 'double', precision: 18, scale: 1, ...ro },
      { name: 'Status', type: 'picklist', picklistValues: ['Inactive', 'Active', 'Deleted'], ...ro },
    ],
  },
  {
    name: 'AsyncApexJob',
    label: 'Apex Job',
    keyPrefix: '707',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      { name: 'ApexClassId', type: 'reference', referenceTo: ['ApexClass'], relationshipName: 'ApexClass', ...ro },
      {
        name: 'JobType',
        type: 'picklist',
        picklistValues: ['Future', 'SharingRecalculation', 'ScheduledApex', 'BatchApex', 'BatchApexWorker', 'TestRequest', 'TestWorker', 'ApexToken', 'Queueable'],
        ...ro,
      },
      { name: 'Status', type: 'picklist', picklistValues: ['Holding', 'Queued', 'Preparing', 'Processing', 'Aborted', 'Completed', 'Failed'], ...ro },
      { name: 'ExtendedStatus', type: 'string', length: 255, ...ro },
      { name: 'MethodName', type: 'string', length: 255, ...ro },
      { name: 'NumberOfErrors', type: 'int', ...ro },
      { name: 'JobItemsProcessed', type: 'int', ...ro },
      { name: 'TotalJobItems', type: 'int', ...ro },
      { name: 'CompletedDate', type: 'datetime', ...ro },
    ],
  },
  {
    name: 'EventLogFile',
    label: 'Event Log File',
    keyPrefix: '0AT',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      { name: 'EventType', type: 'picklist', picklistValues: ['ApiTotalUsage', 'BulkApi', 'BulkApi2', 'BulkApiRequest'], ...ro },
      { name: 'LogDate', type: 'datetime', ...ro },
      { name: 'Interval', type: 'picklist', picklistValues: ['Daily', 'Hourly'], ...ro },
      { name: 'Sequence', type: 'int', ...ro },
      { name: 'LogFileLength', type: 'double', precision: 18, scale: 0, ...ro },
      { name: 'LogFileContentType', type: 'string', length: 255, ...ro },
      { name: 'LogFileFieldNames', type: 'string', length: 1333, ...ro },
      { name: 'LogFileFieldTypes', type: 'string', length: 1333, ...ro },
      { name: 'ApiVersion', type: 'double', precision: 18, scale: 1, ...ro },
      // base64 in a real org; its value in query results is the blob's URL, which this holds.
      { name: 'LogFile', type: 'string', length: 255, ...ro },
    ],
  },
];

const DAY = 86_400_000;

export type AuditTargets = {
  org: Org;
  addIngestJob(job: IngestJob): void;
  addQueryJob(job: QueryJob): void;
  addV1Job(job: V1Job): void;
};

/** Loads a seed's audit section into the org; returns the LogFile blobs by record id. */
export function loadAudit(audit: AuditSeed | undefined, t: AuditTargets): Map<string, string> {
  const blobs = new Map<string, string>();
  if (!audit) return blobs;
  const { org } = t;
  const store = org.store;
  const asOf = Date.parse(audit.asOf);
  if (Number.isNaN(asOf)) throw new Error(`audit.asOf is not a date: ${audit.asOf}`);
  const shift = Math.floor(org.clock.now() / DAY) * DAY - Math.floor(asOf / DAY) * DAY;
  const ms = (d: string): number => {
    const v = Date.parse(d.replace(/\+0000$/, 'Z'));
    if (Number.isNaN(v)) throw new Error(`audit: not a date: ${d}`);
    return v + shift;
  };
  const date = (d: string): string => sfDateTime(ms(d));
  const insert = (objectName: string, values: SObjectRecord, createdById: string): void => {
    const def = store.describe(objectName)!;
    store.insert(def, { ...values, LastModifiedDate: values.CreatedDate, SystemModstamp: values.CreatedDate }, createdById, values.Id as string);
  };
  const admin = (id?: string): string => id ?? ([...store.all('User')][0]?.Id as string);

  for (const a of audit.connectedApps ?? []) {
    insert('ConnectedApplication', { Id: a.id, Name: a.name, OptionsAllowAdminApprovedUsersOnly: a.adminApprovedUsersOnly ?? false, CreatedDate: date(a.createdDate) }, admin(a.createdById));
  }
  const oldest = sfDateTime(ms(audit.asOf) - 365 * DAY);
  for (const c of audit.apexClasses ?? []) {
    insert('ApexClass', { Id: c.id, Name: c.name, NamespacePrefix: c.namespacePrefix ?? null, ApiVersion: c.apiVersion ?? 62, Status: 'Active', CreatedDate: oldest }, admin());
  }
  for (const j of audit.asyncApexJobs ?? []) {
    insert(
      'AsyncApexJob',
      {
        Id: j.id,
        ApexClassId: j.apexClassId,
        JobType: j.jobType,
        Status: j.status,
        ExtendedStatus: j.extendedStatus ?? null,
        MethodName: j.methodName ?? null,
        NumberOfErrors: j.numberOfErrors,
        JobItemsProcessed: j.jobItemsProcessed,
        TotalJobItems: j.totalJobItems,
        CompletedDate: j.completedDate ? date(j.completedDate) : null,
        CreatedDate: date(j.createdDate),
      },
      j.createdById
    );
  }

  for (const h of audit.jobs ?? []) loadJob(h, ms, t);

  if (org.settings.eventMonitoring) {
    for (const f of audit.eventLogFiles ?? []) {
      const csv = shift === 0 ? f.csv : shiftCsvTimestamps(f.csv, shift);
      const header = csv.slice(0, csv.indexOf('\n')).replace(/"/g, '');
      const logDate = ms(f.logDate);
      insert(
        'EventLogFile',
        {
          Id: f.id,
          EventType: f.eventType,
          LogDate: sfDateTime(logDate),
          Interval: f.interval ?? 'Daily',
          Sequence: f.sequence ?? 1,
          LogFileLength: Buffer.byteLength(csv),
          LogFileContentType: 'CSV',
          LogFileFieldNames: header,
          LogFileFieldTypes: f.fieldTypes ?? header.split(',').map(() => 'String').join(','),
          ApiVersion: 66,
          LogFile: `/services/data/v66.0/sobjects/EventLogFile/${f.id}/LogFile`,
          CreatedDate: f.createdDate ? date(f.createdDate) : sfDateTime(logDate + DAY + 3 * 3_600_000),
        },
        admin()
      );
      blobs.set(f.id, csv);
    }
  }
  return blobs;
}

function loadJob(h: HistoricalJob, ms: (d: string) => number, t: AuditTargets): void {
  const base = {
    id: h.id,
    operation: h.operation,
    object: h.object,
    createdById: h.createdById,
    createdDate: ms(h.createdDate),
    systemModstamp: ms(h.systemModstamp),
    state: h.state,
    concurrencyMode: h.concurrencyMode ?? 'Parallel',
    contentType: h.contentType ?? 'CSV',
    apiVersion: h.apiVersion ?? 62,
    lineEnding: 'LF' as const,
    columnDelimiter: 'COMMA',
    ...(h.externalIdFieldName ? { externalIdFieldName: h.externalIdFieldName } : {}),
    numberRecordsProcessed: h.numberRecordsProcessed,
    numberRecordsFailed: h.numberRecordsFailed,
    retries: h.retries ?? 0,
    totalProcessingTime: h.totalProcessingTime ?? 0,
    apiActiveProcessingTime: h.apiActiveProcessingTime ?? h.totalProcessingTime ?? 0,
    apexProcessingTime: h.apexProcessingTime ?? 0,
    ...(h.errorMessage ? { errorMessage: h.errorMessage } : {}),
    ...(['JobComplete', 'Failed', 'Aborted'].includes(h.state) ? { endedAt: ms(h.systemModstamp) } : {}),
  };
  if (h.jobType === 'V2Ingest') {
    t.addIngestJob({ ...base, jobType: 'V2Ingest', uploaded: true, header: [], rows: [], outcomes: [], shuffleSeed: 0 });
  } else if (h.jobType === 'V2Query') {
    t.addQueryJob({ ...base, jobType: 'V2Query', query: h.query ?? `SELECT Id FROM ${h.object}`, columns: [], lines: [] });
  } else {
    const batches: V1Batch[] = (h.batches ?? []).map((b) => ({
      id: b.id,
      jobId: h.id,
      state: b.state,
      ...(b.stateMessage ? { stateMessage: b.stateMessage } : {}),
      createdDate: ms(b.createdDate),
      systemModstamp: ms(b.systemModstamp),
      numberRecordsProcessed: b.numberRecordsProcessed,
      numberRecordsFailed: b.numberRecordsFailed,
      totalProcessingTime: b.totalProcessingTime ?? 0,
      apiActiveProcessingTime: b.totalProcessingTime ?? 0,
      apexProcessingTime: b.apexProcessingTime ?? 0,
      request: Buffer.alloc(0),
      table: { header: [], rows: [] },
      outcomes: [],
    }));
    t.addV1Job({ ...base, jobType: 'Classic', batches });
  }
}

/** Moves the two timestamp forms event log CSVs use (20261128095512.123 and 2026-11-28T09:55:12.123Z) by `shift` ms. */
export function shiftCsvTimestamps(csv: string, shift: number): string {
  const compact = (d: Date): string => d.toISOString().replace(/[-:T]/g, '').replace(/Z$/, '');
  return csv
    .replace(/\b(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{3})\b/g, (_all, y: string, mo: string, d: string, h: string, mi: string, s: string, milli: string) =>
      compact(new Date(Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${milli}Z`) + shift))
    )
    .replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g, (iso) => new Date(Date.parse(iso) + shift).toISOString());
}

/** GET /services/data/vXX.X/sobjects/EventLogFile/{id}/LogFile: the CSV blob. */
export function logFileRoute(org: Org, blobs: () => Map<string, string>): Route {
  return {
    method: 'GET',
    pattern: /^\/services\/data\/v(\d+\.\d)\/sobjects\/EventLogFile\/(\w+)\/LogFile\/?$/,
    api: 'rest',
    handler: (ctx): void => {
      const rec = org.store.get('EventLogFile', ctx.params[1]);
      const csv = rec ? blobs().get(rec.Id as string) : undefined;
      if (!rec || csv === undefined) throw notFound();
      if (!org.settings.eventMonitoring) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      sendText(ctx.res, 200, csv, 'text/csv');
    },
  };
}
