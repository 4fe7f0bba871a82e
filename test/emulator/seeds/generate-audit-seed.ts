/*
 * Writes audit-org.json: six months of bulk activity of a mid-size org, for the audit tests and the
 * demo (`npm run emulator -- --seed test/emulator/seeds/audit-org.json`). Deterministic: the same
 * script always writes the same file. Run it after changing it:
 *
 *   TS_NODE_PROJECT=test/tsconfig.json node --loader ts-node/esm --no-warnings test/emulator/seeds/generate-audit-seed.ts
 *
 * The org (all names invented):
 * - 10 integrations, each with its own integration user: 9 through a connected app; 9 send a client
 *   name in Sforce-Call-Options. `legacycrm` stopped 92 days before `asOf` (its user is still
 *   active); `purge` hard-deletes Cases every week; `billing` runs long on an object with heavy
 *   automation, with lock retries and a few jobs that ran out of retries; `marketing` and
 *   `legacycrm` use Bulk V1 (Parallel, Serial); `warehouse` runs query jobs.
 * - 2 admins who load data now and then (Data Loader, the sf CLI).
 * - 2 unknown sources: `svc.reporting` (query jobs on Contact, no connected app, no client name)
 *   and `j.doe` (a human user deleting Contacts, no client name).
 * - Async Apex jobs the loads set off, some failed.
 * - Event Monitoring: one daily EventLogFile per event type (BulkApi, BulkApi2, ApiTotalUsage) per
 *   day with activity. Column sets follow the Salesforce event type pages (BulkApi2: the v238 list).
 * History ends the day before `asOf`; the emulator shifts it so that it ends yesterday.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdFactory } from '../ids.js';
import { DEFAULT_ORG_ID } from '../seed.js';
import type { Seed } from '../seed.js';
import type { AuditSeed, HistoricalJob } from '../audit.js';

const AS_OF = Date.UTC(2026, 10, 28);
const DAYS = 183;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const ORG15 = DEFAULT_ORG_ID.slice(0, 15);

// ---- deterministic helpers --------------------------------------------------------------------

let prng = 20_261_128;
function rand(): number {
  prng = (prng + 0x6d_2b_79_f5) >>> 0;
  let t = prng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
}
const between = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
const chance = (p: number): boolean => rand() < p;
const ids = new IdFactory('3h0');
const id = (prefix: string): string => ids.next(prefix);
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const requestId = (): string => Array.from({ length: 22 }, () => B62.charAt(between(0, 61))).join('');
const iso = (ms: number): string => new Date(ms).toISOString();
const sf = (ms: number): string => iso(ms).replace('Z', '+0000');
const compact = (ms: number): string => iso(ms).replace(/[-:T]/g, '').replace(/Z$/, '');
const weekday = (ms: number): number => new Date(ms).getUTCDay();

// ---- who --------------------------------------------------------------------------------------

type Who = {
  key: string;
  userId: string;
  username: string;
  name: [string, string];
  profile: string;
  ip: string;
  client: string;
  app?: string;
  hardDelete?: boolean;
};

const apps = new Map<string, { id: string; name: string; created: number }>();
const app = (name: string, daysBefore: number): string => {
  const a = { id: id('0H4'), name, created: AS_OF - daysBefore * DAY };
  apps.set(name, a);
  return a.id;
};

const API_ONLY = 'Salesforce API Only System Integrations';
const people: Who[] = [];
const who = (w: Omit<Who, 'userId'>): Who => {
  const full = { ...w, userId: id('005') };
  people.push(full);
  return full;
};

const sam = who({ key: 'sam', username: 'sam.admin@northwind.example', name: ['Sam', 'Sysadmin'], profile: 'System Administrator', ip: '203.0.113.10', client: 'DataLoaderBulkv2UI/62.0.0', app: app('Dataloader Bulkv2', 900), hardDelete: true });
const olivia = who({ key: 'olivia', username: 'olivia.ops@northwind.example', name: ['Olivia', 'Ops'], profile: 'System Administrator', ip: '203.0.113.11', client: 'sfdx toolbelt:', app: app('Salesforce CLI', 900) });
const erp = who({ key: 'erp', username: 'int.erp@northwind.example', name: ['ERP', 'Integration'], profile: API_ONLY, ip: '198.51.100.20', client: 'AcmeERP/4.2', app: app('Acme ERP Connector', 700) });
const billing = who({ key: 'billing', username: 'int.billing@northwind.example', name: ['Billing', 'Integration'], profile: API_ONLY, ip: '198.51.100.21', client: 'BillingBridge/2.1', app: app('Billing Bridge', 650) });
const marketing = who({ key: 'marketing', username: 'int.marketing@northwind.example', name: ['Marketing', 'Integration'], profile: API_ONLY, ip: '198.51.100.22', client: 'MarketingSync/7', app: app('Marketing Sync', 600) });
const warehouse = who({ key: 'warehouse', username: 'int.warehouse@northwind.example', name: ['Warehouse', 'Integration'], profile: API_ONLY, ip: '198.51.100.23', client: 'WarehouseExtractor/1.9', app: app('Warehouse Extractor', 500) });
const legacy = who({ key: 'legacycrm', username: 'int.legacycrm@northwind.example', name: ['Legacy CRM', 'Integration'], profile: API_ONLY, ip: '198.51.100.24', client: 'LegacyBridge/0.9', app: app('Legacy CRM Bridge', 1200) });
const purge = who({ key: 'purge', username: 'int.purge@northwind.example', name: ['Purge', 'Integration'], profile: API_ONLY, ip: '198.51.100.25', client: 'sfdx toolbelt:nightly-purge', app: apps.get('Salesforce CLI')!.id, hardDelete: true });
const helpdesk = who({ key: 'helpdesk', username: 'int.helpdesk@northwind.example', name: ['Helpdesk', 'Integration'], profile: API_ONLY, ip: '198.51.100.26', client: 'HelpdeskConnector/3', app: app('Helpdesk Connector', 400) });
const dataops = who({ key: 'dataops', username: 'int.dataops@northwind.example', name: ['DataOps', 'Integration'], profile: API_ONLY, ip: '198.51.100.27', client: 'DataLoaderBulkv2Batch/62.0.0', app: apps.get('Dataloader Bulkv2')!.id });
const partners = who({ key: 'partners', username: 'int.partners@northwind.example', name: ['Partner Feed', 'Integration'], profile: API_ONLY, ip: '198.51.100.28', client: 'PartnerFeed/1.0' });
const scoring = who({ key: 'scoring', username: 'int.scoring@northwind.example', name: ['Scoring', 'Integration'], profile: API_ONLY, ip: '198.51.100.29', client: '', app: app('Lead Scoring Service', 300) });
const reporting = who({ key: 'svc.reporting', username: 'svc.reporting@northwind.example', name: ['Reporting', 'Service'], profile: API_ONLY, ip: '192.0.2.77', client: '' });
const jdoe = who({ key: 'j.doe', username: 'j.doe@northwind.example', name: ['Jamie', 'Doe'], profile: 'Standard User', ip: '192.0.2.154', client: '' });

// ---- what happened ----------------------------------------------------------------------------

const AUTOMATION: Record<string, number> = { Account: 1, Contact: 0, Invoice__c: 6, Lead: 3, Case: 2, Opportunity: 2 };
const jobs: HistoricalJob[] = [];
type ApiCall = { at: number; who: Who; method: string; resource: string; entity: string; status: number; family: string };
const apiCalls: ApiCall[] = [];
type V2Event = { at: number; who: Who; job: HistoricalJob; status: string; processed: number; failed: number; runTime: number };
const v2Events: V2Event[] = [];
type V1Event = { at: number; who: Who; job: HistoricalJob; batchId: string; rows: number; failed: number; ok: boolean; message: string; runTime: number };
const v1Events: V1Event[] = [];
const asyncJobs: NonNullable<AuditSeed['asyncApexJobs']> = [];
const classes = ['InvoiceRollupQueueable', 'ContactDedupBatch', 'AccountGeocodeFuture', 'LeadScoringBatch', 'CaseMilestoneQueueable'].map((name) => ({ id: id('01p'), name }));
const cls = (name: string): string => classes.find((c) => c.name === name)!.id;

type IngestPlan = {
  who: Who;
  at: number;
  object: string;
  operation: string;
  rows: number;
  failRate?: number;
  externalId?: string;
  state?: 'JobComplete' | 'Failed' | 'Aborted';
  errorMessage?: string;
  lockRetries?: number;
  waitMs?: number;
};

function v2Ingest(p: IngestPlan): HistoricalJob {
  const jobId = id('750');
  const created = p.at + between(0, 600) * 1000;
  const uploaded = created + between(2, 40) * 1000;
  const closed = uploaded + between(1, 3) * 1000;
  const started = closed + between(3, 90) * 1000;
  const perRow = 2 + (AUTOMATION[p.object] ?? 0);
  const state = p.state ?? 'JobComplete';
  let processed = p.rows;
  if (state === 'Failed' && !p.errorMessage?.startsWith('InvalidBatch')) processed = Math.floor(p.rows * (0.3 + rand() * 0.5));
  if (state === 'Failed' && p.errorMessage?.startsWith('InvalidBatch')) processed = 0;
  if (state === 'Aborted') processed = Math.floor(p.rows * rand() * 0.6);
  const failed = Math.min(processed, Math.round(processed * (p.failRate ?? 0) * (0.5 + rand())));
  const active = processed * perRow;
  const total = active + (p.waitMs ?? 0);
  // Chunks run side by side (up to 4); waits for locks and retries add up on the chunk that had them.
  const ended = started + Math.max(200, Math.ceil(active / Math.max(1, Math.min(4, Math.ceil(p.rows / 10_000)))) + (p.waitMs ?? 0));
  const job: HistoricalJob = {
    id: jobId,
    jobType: 'V2Ingest',
    object: p.object,
    operation: p.operation,
    createdById: p.who.userId,
    createdDate: sf(created),
    systemModstamp: sf(ended),
    state,
    apiVersion: 62,
    ...(p.operation === 'upsert' ? { externalIdFieldName: p.externalId ?? 'Id' } : {}),
    numberRecordsProcessed: processed,
    numberRecordsFailed: failed,
    retries: p.lockRetries ?? 0,
    totalProcessingTime: total,
    apiActiveProcessingTime: active,
    apexProcessingTime: processed * (AUTOMATION[p.object] ?? 0),
    ...(p.errorMessage ? { errorMessage: p.errorMessage } : {}),
  };
  jobs.push(job);
  const base = '/v62.0/jobs/ingest';
  apiCalls.push({ at: created, who: p.who, method: 'POST', resource: base, entity: p.object, status: 200, family: 'REST' });
  apiCalls.push({ at: uploaded, who: p.who, method: 'PUT', resource: `${base}/${jobId}/batches`, entity: p.object, status: 201, family: 'REST' });
  apiCalls.push({ at: closed, who: p.who, method: 'PATCH', resource: `${base}/${jobId}`, entity: p.object, status: 200, family: 'REST' });
  if (state !== 'Aborted') apiCalls.push({ at: ended + between(1, 30) * 1000, who: p.who, method: 'GET', resource: `${base}/${jobId}/failedResults`, entity: p.object, status: 200, family: 'REST' });
  const ev = (at: number, status: string, n = 0, f = 0, run = 0): void => {
    v2Events.push({ at, who: p.who, job, status, processed: n, failed: f, runTime: run });
  };
  ev(created, 'Open');
  ev(closed, 'UploadComplete');
  ev(started, 'InProgress');
  ev(ended, state, processed, failed, ended - started);
  return job;
}

function v2Query(w: Who, at: number, object: string, query: string, rows: number): void {
  const jobId = id('750');
  const created = at + between(0, 300) * 1000;
  const started = created + between(1, 20) * 1000;
  const ended = started + Math.ceil(rows / 50) + between(500, 5000);
  const job: HistoricalJob = {
    id: jobId,
    jobType: 'V2Query',
    object,
    operation: 'query',
    createdById: w.userId,
    createdDate: sf(created),
    systemModstamp: sf(ended),
    state: 'JobComplete',
    apiVersion: 62,
    numberRecordsProcessed: rows,
    numberRecordsFailed: 0,
    totalProcessingTime: ended - started,
    query,
  };
  jobs.push(job);
  apiCalls.push({ at: created, who: w, method: 'POST', resource: '/v62.0/jobs/query', entity: object, status: 200, family: 'REST' });
  const pages = Math.max(1, Math.ceil(rows / 50_000));
  for (let i = 0; i < pages; i++) {
    apiCalls.push({ at: ended + (i + 1) * 2000, who: w, method: 'GET', resource: `/v62.0/jobs/query/${jobId}/results`, entity: object, status: 200, family: 'REST' });
  }
  for (const [t, s] of [
    [created, 'UploadComplete'],
    [started, 'InProgress'],
    [ended, 'JobComplete'],
  ] as Array<[number, string]>) {
    v2Events.push({ at: t, who: w, job, status: s, processed: s === 'JobComplete' ? rows : 0, failed: 0, runTime: s === 'JobComplete' ? ended - started : 0 });
  }
}

function v1Ingest(w: Who, at: number, object: string, operation: string, mode: 'Parallel' | 'Serial', batchRows: number[], lockRate: number, externalId?: string): void {
  const jobId = id('750');
  const created = at + between(0, 300) * 1000;
  const perRow = 2 + (AUTOMATION[object] ?? 0);
  let t = created + 2000;
  let processed = 0;
  let failed = 0;
  let total = 0;
  let retries = 0;
  const batches: NonNullable<HistoricalJob['batches']> = [];
  const job: HistoricalJob = {
    id: jobId,
    jobType: 'Classic',
    object,
    operation,
    createdById: w.userId,
    createdDate: sf(created),
    systemModstamp: '',
    state: 'Closed',
    concurrencyMode: mode,
    contentType: 'CSV',
    apiVersion: 58,
    ...(externalId ? { externalIdFieldName: externalId } : {}),
    numberRecordsProcessed: 0,
    numberRecordsFailed: 0,
    batches,
  };
  apiCalls.push({ at: created, who: w, method: 'POST', resource: '/services/async/58.0/job', entity: object, status: 201, family: 'BULK' });
  let lastEnd = created;
  for (const rows of batchRows) {
    const batchId = id('751');
    const added = t + between(1, 5) * 1000;
    t = added;
    const start = mode === 'Serial' ? Math.max(added, lastEnd) + 1000 : added + between(1, 20) * 1000;
    const locks = Math.round(rows * lockRate * rand());
    const f = locks + Math.round(rows * 0.002 * rand());
    const run = rows * perRow + (locks > 0 ? 10_000 * between(1, 4) : 0);
    const end = start + run;
    lastEnd = Math.max(lastEnd, end);
    processed += rows;
    failed += f;
    total += run;
    if (locks > 0) retries += between(1, 4);
    batches.push({ id: batchId, state: 'Completed', createdDate: sf(added), systemModstamp: sf(end), numberRecordsProcessed: rows, numberRecordsFailed: f, totalProcessingTime: run, apexProcessingTime: rows * (AUTOMATION[object] ?? 0) });
    apiCalls.push({ at: added, who: w, method: 'POST', resource: `/services/async/58.0/job/${jobId}/batch`, entity: object, status: 201, family: 'BULK' });
    v1Events.push({ at: end, who: w, job, batchId, rows, failed: f, ok: true, message: f > 0 ? `${f} records failed` : '', runTime: run });
  }
  apiCalls.push({ at: t + 3000, who: w, method: 'POST', resource: `/services/async/58.0/job/${jobId}`, entity: object, status: 200, family: 'BULK' });
  Object.assign(job, {
    systemModstamp: sf(lastEnd),
    numberRecordsProcessed: processed,
    numberRecordsFailed: failed,
    retries,
    totalProcessingTime: total,
    apiActiveProcessingTime: total,
    apexProcessingTime: processed * (AUTOMATION[object] ?? 0),
  });
  jobs.push(job);
}

function asyncApex(className: string, jobType: string, created: number, w: Who, items: number, fail: string | undefined): void {
  const done = created + between(5, 900) * 1000;
  const errors = fail ? between(1, Math.max(1, Math.ceil(items / 4))) : 0;
  asyncJobs.push({
    id: id('707'),
    jobType,
    status: fail && chance(0.6) ? 'Failed' : 'Completed',
    apexClassId: cls(className),
    ...(jobType === 'Future' ? { methodName: 'geocode' } : {}),
    createdById: w.userId,
    createdDate: sf(created),
    completedDate: sf(done),
    numberOfErrors: errors,
    jobItemsProcessed: items,
    totalJobItems: items,
    ...(fail ? { extendedStatus: `First error: ${fail}` } : {}),
  });
}

const start = AS_OF - DAYS * DAY;
const stoppedAt = AS_OF - 92 * DAY;
const runs: Record<string, number> = {};
/** how many times this integration has run before (its n-th run is 0-based n) */
const nth = (key: string): number => (runs[key] = (runs[key] ?? -1) + 1);
for (let day = start; day < AS_OF; day += DAY) {
  const dow = weekday(day);
  const daysBack = Math.round((AS_OF - day) / DAY);
  // ERP: Mon/Wed/Fri 02:00, upsert Accounts on their external ID; a header change broke it twice.
  if (dow === 1 || dow === 3 || dow === 5) {
    const n = nth('erp');
    const broken = n === 50 || n === 51;
    v2Ingest({
      who: erp,
      at: day + 2 * HOUR,
      object: 'Account',
      operation: 'upsert',
      externalId: 'External_Id__c',
      rows: between(1500, 6000),
      failRate: 0.004,
      ...(broken ? { state: 'Failed', errorMessage: 'InvalidBatch : Field name not found : Legacy_Code__c' } : {}),
    });
    if (!broken && chance(0.3)) asyncApex('AccountGeocodeFuture', 'Future', day + 2 * HOUR + 20 * 60_000, erp, 1, chance(0.25) ? 'System.CalloutException: Read timed out' : undefined);
  }
  // Billing: Mon/Wed/Fri 21:00, big Invoice__c inserts on a heavy object: long, with lock retries.
  if (dow === 1 || dow === 3 || dow === 5) {
    const rows = between(8000, 45_000);
    const n = nth('billing');
    const exhausted = n === 20 || n === 60 || n === 76;
    const retries = between(0, 40);
    v2Ingest({
      who: billing,
      at: day + 21 * HOUR,
      object: 'Invoice__c',
      operation: 'insert',
      rows,
      failRate: 0.01,
      lockRetries: exhausted ? 20 + retries : retries,
      waitMs: retries * 10_000 + (exhausted ? 20 * 300_000 : 0),
      ...(exhausted ? { state: 'Failed', errorMessage: 'InternalServerError : Retried more than 20 times' } : {}),
    });
    const lockFail = chance(0.2) ? 'UNABLE_TO_LOCK_ROW, unable to obtain exclusive access to this record: []' : undefined;
    asyncApex('InvoiceRollupQueueable', 'Queueable', day + 22 * HOUR, billing, 1, lockFail ?? (chance(0.05) ? 'System.LimitException: Apex CPU time limit exceeded' : undefined));
  }
  // Marketing: Tue/Thu 06:00, V1 Parallel upserts of Leads by Email, 2-4 batches, some lock failures.
  if (dow === 2 || dow === 4) {
    const n = between(2, 4);
    v1Ingest(marketing, day + 6 * HOUR, 'Lead', 'upsert', 'Parallel', Array.from({ length: n }, () => between(3000, 10_000)), chance(0.3) ? 0.03 : 0, 'Email');
  }
  // Warehouse: Thursdays 01:00, query jobs on a rotating object.
  if (dow === 4) {
    const object = ['Account', 'Contact', 'Opportunity'][Math.floor(daysBack / 3) % 3];
    v2Query(warehouse, day + HOUR, object, `SELECT Id, Name, LastModifiedDate FROM ${object} WHERE LastModifiedDate = LAST_N_DAYS:4`, between(2000, 120_000));
  }
  // Legacy CRM: Sundays 03:00, V1 Serial Contact upserts, until it stopped 92 days ago.
  if (dow === 0 && day < stoppedAt) {
    v1Ingest(legacy, day + 3 * HOUR, 'Contact', 'upsert', 'Serial', Array.from({ length: between(1, 3) }, () => between(500, 10_000)), 0, 'External_Id__c');
  }
  // Purge: Saturdays 23:00, hardDelete of closed Cases with the sf CLI.
  if (dow === 6) v2Ingest({ who: purge, at: day + 23 * HOUR, object: 'Case', operation: 'hardDelete', rows: between(200, 3000) });
  // Helpdesk: Tuesdays 12:00, Case updates.
  if (dow === 2) {
    v2Ingest({ who: helpdesk, at: day + 12 * HOUR, object: 'Case', operation: 'update', rows: between(100, 4000), failRate: 0.02 });
    if (chance(0.5)) asyncApex('CaseMilestoneQueueable', 'Queueable', day + 12 * HOUR + 30 * 60_000, helpdesk, 1, chance(0.2) ? 'System.NullPointerException: Attempt to de-reference a null object' : undefined);
  }
  // DataOps: Mondays 09:00, Contact updates with Data Loader in batch mode; one run aborted.
  if (dow === 1) {
    const n = nth('dataops');
    v2Ingest({ who: dataops, at: day + 9 * HOUR, object: 'Contact', operation: 'update', rows: between(500, 20_000), failRate: 0.005, ...(n === 19 ? { state: 'Aborted' } : {}) });
    asyncApex('ContactDedupBatch', 'BatchApex', day + 10 * HOUR, dataops, between(5, 60), chance(0.3) ? 'DUPLICATE_VALUE, duplicate value found: Email duplicates value on record' : undefined);
  }
  // Partners: Wednesdays 15:00, Opportunity upserts, no connected app.
  if (dow === 3) v2Ingest({ who: partners, at: day + 15 * HOUR, object: 'Opportunity', operation: 'upsert', externalId: 'Id', rows: between(50, 1500), failRate: 0.03 });
  // Scoring: Saturdays 05:00, Lead updates through its connected app, no client name.
  if (dow === 6) {
    v2Ingest({ who: scoring, at: day + 5 * HOUR, object: 'Lead', operation: 'update', rows: between(1000, 15_000), failRate: 0.001 });
    asyncApex('LeadScoringBatch', 'BatchApex', day + 6 * HOUR, scoring, between(5, 75), chance(0.1) ? 'System.LimitException: Too many SOQL queries: 101' : undefined);
  }
  // Admins, now and then.
  if (daysBack % 17 === 3) v2Ingest({ who: sam, at: day + 14 * HOUR, object: chance(0.5) ? 'Account' : 'Contact', operation: 'insert', rows: between(20, 2500), failRate: 0.02 });
  if (daysBack === 150) v2Ingest({ who: sam, at: day + 16 * HOUR, object: 'Lead', operation: 'delete', rows: 1800 });
  if (daysBack % 23 === 5) v2Ingest({ who: olivia, at: day + 10 * HOUR, object: 'Contact', operation: 'upsert', externalId: 'External_Id__c', rows: between(10, 800), failRate: 0.01 });
  // Unknown sources: query jobs pulling contact details in the last two months; a few deletes.
  if (daysBack <= 60 && (dow === 2 || dow === 5)) v2Query(reporting, day + 23 * HOUR, 'Contact', 'SELECT Id, Name, Email, Phone, MailingCity FROM Contact', between(40_000, 60_000));
  if (daysBack === 26 || daysBack === 12 || daysBack === 2) v2Ingest({ who: jdoe, at: day + 19 * HOUR, object: 'Contact', operation: 'delete', rows: between(30, 400) });
}

// ---- event log files --------------------------------------------------------------------------

const q = (v: string | number): string => `"${String(v).replace(/"/g, '""')}"`;
const csvOf = (header: string[], rows: Array<Array<string | number>>): string => [header.map(q).join(','), ...rows.map((r) => r.map(q).join(','))].join('\n') + '\n';
const id15 = (x: string): string => x.slice(0, 15);
const appOf = (w: Who): string => (w.app ? id15(w.app) : '');

const BULKAPI2 = ['EVENT_TYPE', 'TIMESTAMP', 'REQUEST_ID', 'ORGANIZATION_ID', 'USER_ID', 'JOB_ID', 'JOB_STATUS', 'ENTITY_TYPE', 'OPERATION_TYPE', 'RECORDS_PROCESSED', 'RECORDS_FAILED', 'RUN_TIME', 'CPU_TIME', 'CLIENT_IP', 'URI', 'TIMESTAMP_DERIVED', 'USER_ID_DERIVED'];
const BULKAPI2_TYPES = 'String,String,String,Id,Id,String,String,String,String,Number,Number,Number,Number,IP,String,DateTime,Id';
const BULKAPI = ['EVENT_TYPE', 'TIMESTAMP', 'REQUEST_ID', 'ORGANIZATION_ID', 'USER_ID', 'JOB_ID', 'BATCH_ID', 'ENTITY_TYPE', 'OPERATION_TYPE', 'ROWS_PROCESSED', 'NUMBER_FAILURES', 'SUCCESS', 'MESSAGE', 'RUN_TIME', 'CPU_TIME', 'CLIENT_IP', 'TIMESTAMP_DERIVED', 'USER_ID_DERIVED'];
const BULKAPI_TYPES = 'String,String,String,Id,Id,String,String,String,String,Number,Number,Boolean,EscapedString,Number,Number,IP,DateTime,Id';
const TOTAL = ['EVENT_TYPE', 'TIMESTAMP', 'REQUEST_ID', 'ORGANIZATION_ID', 'USER_ID', 'API_FAMILY', 'API_VERSION', 'API_RESOURCE', 'ENTITY_NAME', 'HTTP_METHOD', 'STATUS_CODE', 'CLIENT_NAME', 'CLIENT_IP', 'CONNECTED_APP_ID', 'COUNTS_AGAINST_API_LIMIT', 'TIMESTAMP_DERIVED', 'USER_ID_DERIVED'];
const TOTAL_TYPES = 'String,String,String,Id,Id,String,Number,String,String,String,Number,String,IP,Id,Boolean,DateTime,Id';

type Row = { at: number; cells: Array<string | number> };
const byDay = new Map<number, { BulkApi2: Row[]; BulkApi: Row[]; ApiTotalUsage: Row[] }>();
const dayOf = (at: number): { BulkApi2: Row[]; BulkApi: Row[]; ApiTotalUsage: Row[] } => {
  const d = Math.floor(at / DAY) * DAY;
  let entry = byDay.get(d);
  if (!entry) byDay.set(d, (entry = { BulkApi2: [], BulkApi: [], ApiTotalUsage: [] }));
  return entry;
};
for (const e of v2Events) {
  const kind = e.job.jobType === 'V2Query' ? 'query' : 'ingest';
  dayOf(e.at).BulkApi2.push({
    at: e.at,
    cells: ['BulkApi2', compact(e.at), requestId(), ORG15, id15(e.who.userId), id15(e.job.id), e.status, e.job.object, e.job.operation, e.processed, e.failed, e.runTime, Math.round(e.runTime * 0.6), e.who.ip, `/services/data/v62.0/jobs/${kind}/${e.job.id}`, iso(e.at), e.who.userId],
  });
}
for (const e of v1Events) {
  dayOf(e.at).BulkApi.push({
    at: e.at,
    cells: ['BulkApi', compact(e.at), requestId(), ORG15, id15(e.who.userId), id15(e.job.id), id15(e.batchId), e.job.object, e.job.operation, e.rows, e.failed, e.ok ? 'true' : 'false', e.message, e.runTime, Math.round(e.runTime * 0.7), e.who.ip, iso(e.at), e.who.userId],
  });
}
for (const c of apiCalls) {
  dayOf(c.at).ApiTotalUsage.push({
    at: c.at,
    cells: ['ApiTotalUsage', compact(c.at), requestId(), ORG15, id15(c.who.userId), c.family, c.family === 'BULK' ? '58.0' : '62.0', c.resource, c.entity, c.method, c.status, c.who.client, c.who.ip, appOf(c.who), 'true', iso(c.at), c.who.userId],
  });
}
const eventLogFiles: NonNullable<AuditSeed['eventLogFiles']> = [];
for (const d of [...byDay.keys()].sort((a, b) => a - b)) {
  const entry = byDay.get(d)!;
  const add = (eventType: 'BulkApi' | 'BulkApi2' | 'ApiTotalUsage', header: string[], types: string, rows: Row[]): void => {
    if (rows.length === 0) return;
    rows.sort((a, b) => a.at - b.at);
    eventLogFiles.push({ id: id('0AT'), eventType, logDate: iso(d), interval: 'Daily', sequence: 1, createdDate: iso(d + DAY + 3 * HOUR), fieldTypes: types, csv: csvOf(header, rows.map((r) => r.cells)) });
  };
  add('BulkApi2', BULKAPI2, BULKAPI2_TYPES, entry.BulkApi2);
  add('BulkApi', BULKAPI, BULKAPI_TYPES, entry.BulkApi);
  add('ApiTotalUsage', TOTAL, TOTAL_TYPES, entry.ApiTotalUsage);
}

// ---- the seed ---------------------------------------------------------------------------------

jobs.sort((a, b) => a.createdDate.localeCompare(b.createdDate));
asyncJobs.sort((a, b) => a.createdDate.localeCompare(b.createdDate));
const seed: Seed = {
  org: { name: 'Northwind Outfitters (audit demo)' },
  settings: { eventMonitoring: true },
  users: people.map((w) => ({
    id: w.userId,
    username: w.username,
    firstName: w.name[0],
    lastName: w.name[1],
    profileName: w.profile,
    isActive: true,
    hardDelete: w.hardDelete ?? false,
    manageDataIntegrations: w.profile === 'System Administrator',
  })),
  audit: {
    asOf: iso(AS_OF),
    connectedApps: [...apps.values()].map((a) => ({ id: a.id, name: a.name, createdDate: iso(a.created), createdById: sam.userId })),
    apexClasses: classes.map((c) => ({ id: c.id, name: c.name })),
    asyncApexJobs: asyncJobs,
    jobs,
    eventLogFiles,
  },
};

/** One array element per line: readable diffs without a megabyte of indentation. */
function write(value: Seed): string {
  const top = Object.entries(value).map(([k, v]) => {
    if (k === 'audit') {
      const inner = Object.entries(v as Record<string, unknown>).map(([ak, av]) =>
        Array.isArray(av) ? `    ${JSON.stringify(ak)}: [\n${av.map((x) => `      ${JSON.stringify(x)}`).join(',\n')}\n    ]` : `    ${JSON.stringify(ak)}: ${JSON.stringify(av)}`
      );
      return `  "audit": {\n${inner.join(',\n')}\n  }`;
    }
    return Array.isArray(v) ? `  ${JSON.stringify(k)}: [\n${v.map((x) => `    ${JSON.stringify(x)}`).join(',\n')}\n  ]` : `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  return `{\n${top.join(',\n')}\n}\n`;
}

const out = join(dirname(fileURLToPath(import.meta.url)), 'audit-org.json');
writeFileSync(out, write(seed));
process.stdout.write(
  `wrote ${out}: ${people.length} users, ${apps.size} connected apps, ${jobs.length} jobs, ${asyncJobs.length} async Apex jobs, ${eventLogFiles.length} event log files\n`
);
