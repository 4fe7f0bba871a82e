/*
 * What every route sees: the org (data, clock, settings) and the request being served.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Clock } from './clock.js';
import { Store } from './store.js';
import { Session } from './auth.js';
import type { ProcessingModel } from './processing.js';
import type { FaultBook } from './faults.js';
import type { EventLog } from './eventLog.js';
import type { JobBase } from './jobs.js';
import type { RollingAllocation } from './allocation.js';

export type Settings = {
  /** shuffle ingest result rows as Salesforce may (Bulk API Developer Guide: Get Job Successful and Failed Record Results); tests can turn it off */
  shuffleResults: boolean;
  /** wall-clock ms between a job's close and the start of its processing, so clients see UploadComplete */
  processingDelayMs: number;
  /** Bulk 2.0 upload cap, measured as the base64 length of the CSV (150 MB) */
  uploadCapBase64: number;
  /** rows per internal chunk (Bulk 2.0 cuts uploads into 10,000-row chunks) */
  chunkSize: number;
  /** Get All Jobs page size (Salesforce: 1,000) */
  jobsPageSize: number;
  /** REST query page size (Salesforce default batch size: 2,000) */
  queryPageSize: number;
  /** days a terminal job stays visible */
  retentionDays: number;
  /** simulated ms a Bulk 2.0 query result locator stays valid (0: as long as its job is kept) */
  queryLocatorLifetimeMs: number;
  /** the org's DailyApiRequests */
  dailyApiRequests: number;
  /** the org's DailyBulkApiBatches */
  dailyBulkApiBatches: number;
  /** the org has Event Monitoring (EventLogFile rows are served, and the jobs run here write them) */
  eventMonitoring: boolean;
  /** how long after a day ends its Daily event log files are published */
  eventLogDelayMs: number;
  /** the org is a sandbox: Organization.IsSandbox says so (clients warn less before destructive work) */
  isSandbox: boolean;
  // ---- processing model (processing.ts); defaults and sources in README "The org emulator" ----
  /** simulated ms per real ms while chunks are queued or running; the clock runs at real speed when the org is idle */
  clockSpeed: number;
  /** chunks (2.0) and batches (V1) processed at once, org-wide */
  workers: number;
  /** simulated ms per row before the object's automationCostMs */
  baseRowCostMs: number;
  /** rows per DML transaction inside a chunk (Apex triggers fire per 200) */
  transactionSize: number;
  /** simulated ms a transaction waits for a locked record before its rows fail with UNABLE_TO_LOCK_ROW */
  lockTimeoutMs: number;
  /** Bulk 2.0: a chunk still running after this long is put back in the queue (current docs: 5 minutes) */
  chunkTimeLimitMs: number;
  /** Bulk 2.0: how often a chunk is retried before the job fails (current docs: 20) */
  chunkMaxRetries: number;
  /** V1: a batch still running after this long is put back in the queue (10 minutes) */
  batchTimeLimitMs: number;
  /** V1: how often a batch is retried before it fails (10 for uploads) */
  batchMaxRetries: number;
};

export const DEFAULT_SETTINGS: Settings = {
  shuffleResults: true,
  processingDelayMs: 20,
  // 150,000,000 bytes, not 150 MiB: the org's refusal says "Org max upload file size is 150000000 bytes".
  uploadCapBase64: 150_000_000,
  chunkSize: 10_000,
  jobsPageSize: 1000,
  queryPageSize: 2000,
  retentionDays: 7,
  queryLocatorLifetimeMs: 0,
  dailyApiRequests: 100_000,
  dailyBulkApiBatches: 15_000,
  eventMonitoring: false,
  eventLogDelayMs: 3 * 3_600_000,
  isSandbox: false,
  clockSpeed: 1000,
  workers: 4,
  baseRowCostMs: 2,
  transactionSize: 200,
  lockTimeoutMs: 10_000,
  chunkTimeLimitMs: 300_000,
  chunkMaxRetries: 20,
  batchTimeLimitMs: 600_000,
  batchMaxRetries: 10,
};

export type Org = {
  store: Store;
  clock: Clock;
  settings: Settings;
  orgId: string;
  /** counters for the limits resource and Sforce-Limit-Info */
  usage: { apiRequests: number; bulkQueryJobs: number };
  /** the batch allocation used, over a rolling 24 hours of the simulated clock (DailyBulkApiBatches) */
  batches: RollingAllocation;
  /** the org-wide queue that processes ingest chunks and V1 batches in simulated time */
  processing: ProcessingModel;
  /** faults on demand (control API), incl. job failures the processing model applies */
  faults: FaultBook;
  /** Event Monitoring: the event log rows of what runs here, published a day later */
  events: EventLog;
  baseUrl(): string;
};

export type RequestContext = {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: string[];
  org: Org;
  /** set for authenticated routes */
  session?: Session;
  /** API version from the path, e.g. '66.0' */
  version: string;
  /** the job the request created or touched, for its event log rows */
  job?: JobBase;
};

export type Route = {
  method: string;
  pattern: RegExp;
  /** which error envelope and auth scheme applies */
  api: 'rest' | 'bulkv1' | 'public' | 'control';
  handler: (ctx: RequestContext) => Promise<void> | void;
};
