/*
 * What every route sees: the org (data, clock, settings) and the request being served.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Clock } from './clock.js';
import { Store } from './store.js';
import { Session } from './auth.js';

export type Settings = {
  /** shuffle ingest result rows as Salesforce may (bulk-api.md §3); tests can turn it off */
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
  /** the org's DailyApiRequests */
  dailyApiRequests: number;
  /** the org's DailyBulkApiBatches */
  dailyBulkApiBatches: number;
  /** the org has Event Monitoring (EventLogFile rows are served) */
  eventMonitoring: boolean;
};

export const DEFAULT_SETTINGS: Settings = {
  shuffleResults: true,
  processingDelayMs: 20,
  uploadCapBase64: 150 * 1024 * 1024,
  chunkSize: 10_000,
  jobsPageSize: 1_000,
  queryPageSize: 2_000,
  retentionDays: 7,
  dailyApiRequests: 100_000,
  dailyBulkApiBatches: 15_000,
  eventMonitoring: false,
};

export type Org = {
  store: Store;
  clock: Clock;
  settings: Settings;
  orgId: string;
  /** counters for the limits resource and Sforce-Limit-Info */
  usage: { apiRequests: number; bulkBatches: number; bulkQueryJobs: number };
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
};

export type Route = {
  method: string;
  pattern: RegExp;
  /** which error envelope and auth scheme applies */
  api: 'rest' | 'bulkv1' | 'public' | 'control';
  handler: (ctx: RequestContext) => Promise<void> | void;
};
