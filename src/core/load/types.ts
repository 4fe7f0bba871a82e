/*
 * The load engine's request, result (the JSON users get from `--json`) and progress events.
 */
import { IngestOperation, JobState } from '../bulk/types.js';
import { CsvReadOptions } from '../csv/reader.js';

export type LoadRequest = {
  object: string;
  operation: IngestOperation;
  externalId?: string;
  file: string;
  /** where this run keeps its chunk files and ledger */
  runDir: string;
  runId: string;
  /** where result files go (default: runDir) */
  resultsDir?: string;
  /** how long to wait for the jobs to finish; 0 returns after upload */
  waitMs: number;
  maxJobBytes?: number;
  csv?: CsvReadOptions;
};

export type JobSummary = {
  id: string;
  chunk: number;
  rows: number;
  firstLine: number;
  lastLine: number;
  state: JobState;
  processed: number;
  failed: number;
  errorMessage?: string;
};

export type LoadStatus = 'Completed' | 'InProgress';

export type LoadResult = {
  runId: string;
  status: LoadStatus;
  object: string;
  operation: IngestOperation;
  externalId?: string;
  file: string;
  rows: number;
  processed: number;
  successful: number;
  failed: number;
  unprocessed: number;
  /** failed rows worth sending again unchanged plus unprocessed rows (the rows in retry.csv) */
  retryable: number;
  /** result rows that could not be joined to an input row (0 unless something is wrong) */
  unmatched: number;
  errorCodes: Array<{ code: string; count: number }>;
  jobs: JobSummary[];
  runDir: string;
  files?: { success: string; failed: string; unprocessed: string; retry: string };
  startedAt: string;
  finishedAt: string;
  elapsedMs: number;
};

export type LoadEvent =
  | { type: 'stage'; stage: 'read' | 'upload' | 'processing' | 'results' | 'done' }
  | { type: 'planned'; rows: number; chunks: number; bytes: number }
  | { type: 'job-created'; jobId: string; chunk: number; rows: number }
  | { type: 'job-uploaded'; jobId: string; chunk: number }
  | { type: 'job-progress'; jobId: string; state: JobState; processed: number; failed: number }
  | { type: 'progress'; processed: number; failed: number; total: number; recordsPerSecond: number }
  | { type: 'results-written'; successful: number; failed: number; unprocessed: number };
