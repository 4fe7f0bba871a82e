/*
 * What an export is asked for, what it tells while it runs, and what it gives back: a Bulk API 2.0
 * query job whose result pages are written to one file as they arrive.
 */
import type { ColumnDelimiter, LineEnding } from '../bulk/types.js';
import type { RetryEvent } from '../http/retrying.js';

export type ExportFormat = 'csv' | 'jsonl';

/** A file `load` takes back as it is: nulls as #N/A (so an update clears them), date-times in ISO form with Z. */
export type ForLoad = { operation: 'update' | 'upsert'; externalId?: string };

export type ExportRequest = {
  query: string;
  /** queryAll: deleted and archived records too (--all-rows) */
  allRows: boolean;
  output: string;
  format: ExportFormat;
  columnDelimiter: ColumnDelimiter;
  lineEnding: LineEnding;
  /** rows per result page (maxRecords); absent: the org chooses */
  maxRecords?: number;
  forLoad?: ForLoad;
  runId: string;
  ledgerDir: string;
};

export type ExportEvent =
  | { type: 'job'; jobId: string; resumed: boolean }
  | { type: 'state'; jobId: string; state: string }
  | { type: 'page'; page: number; rows: number; bytes: number; totalRows: number; totalBytes: number }
  /** a resume cut a page that was not whole off the file, and goes on after the last whole page */
  | { type: 'resumed'; pages: number; rows: number; bytes: number; cutBytes: number }
  | RetryEvent;

export type ExportResult = {
  runId: string;
  runDir: string;
  jobId: string;
  file: string;
  format: ExportFormat;
  records: number;
  bytes: number;
  pages: number;
  /** the job's own count (numberRecordsProcessed), checked against the records written */
  jobRecords: number;
  resumed: boolean;
  elapsedMs: number;
};
