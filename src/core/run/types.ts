/*
 * The load engine's request, result (the JSON users get from `--json`) and progress events.
 */
import { IngestOperation, JobState } from '../bulk/types.js';
import { CsvReadOptions } from '../csv/reader.js';
import type { TransformSpec } from '../csv/mapping.js';
import type { PreflightReport } from '../preflight/problems.js';
import type { DuplicatePolicy } from '../preflight/keyCensus.js';
import type { ConcurrencyDecision, ConcurrencyMode } from '../ledger/shapes.js';
import type { InFlightChange, ParentFailures } from '../ledger/shapes.js';
import type { V1RunSpec } from '../ledger/records.js';
import type { LoadEstimate } from '../ledger/shapes.js';
import type { ObservedRates } from '../ledger/shapes.js';
import type { DryRunPlan } from '../estimate/probe.js';
import type { RetryEvent } from '../http/retrying.js';

export type LoadRequest = {
  object: string;
  operation: IngestOperation;
  externalId?: string;
  /** one or more CSV files with the same columns */
  files: string[];
  runId: string;
  /** the folder of run folders; this run's folder is ledgerDir/runId */
  ledgerDir: string;
  /** where result files go (default: the run folder) */
  resultsDir?: string;
  /** how long to wait for the jobs to finish; 0 returns after upload */
  waitMs: number;
  /** jobs in flight at once (1 = serial); with autoConcurrency, the most */
  concurrency: number;
  /** --concurrency auto: read the data shape first and decide (parallel, grouped by parent, or serial) */
  autoConcurrency?: boolean;
  /** rows per Bulk API chunk, for the parts of a grouped or serial auto load (default 10,000; tests set the emulator's) */
  chunkRows?: number;
  maxJobBytes?: number;
  csv?: CsvReadOptions;
  /** load even though an earlier run already loaded this file into this org */
  force?: boolean;
  /** export every target record before deleting (always on for hardDelete) */
  backup?: boolean;
  /** keep the part files the jobs were loaded from once the run is done */
  keepChunks?: boolean;
  /** asked once the rows are counted, before anything is sent; false stops the run (hardDelete confirmation) */
  confirm?: (info: { rows: number; object: string; operation: string }) => Promise<boolean>;
  /** check the file against the object's describe before sending (default on when the engine can describe) */
  preflight?: boolean;
  /** send rows preflight finds wrong anyway (they are counted, not left out) */
  keepInvalidRows?: boolean;
  /** rows sharing an external ID: none is sent (default), or the first or the last one is */
  duplicates?: DuplicatePolicy;
  /** send with Bulk API V1 (jobs of batches, Serial or Parallel) instead of Bulk API 2.0 */
  v1?: V1RunSpec;
  /** how many examples of each problem kind the report keeps */
  problemExamples?: number;
  /** rounds of serial re-sends of the lock failures once the load is done (0: none) */
  lockRounds?: number;
  /** a step of a load plan: the parents that did not load in earlier steps; their children are skipped */
  parentFailures?: ParentFailures[];
  /** --mapping and the formats (--date-format, --time-zone, ...): each row mapped and converted while it streams */
  transform?: TransformSpec;
  /** --allow-partial-day: go on past what is left of the daily batch allocation (with a warning) */
  allowPartialDay?: boolean;
  /** the allocations were checked for this load already (a plan checks once, for all its steps) */
  limitsChecked?: boolean;
  /** --assignment-rule-id: the assignment rule the org applies to the rows (Bulk API 2.0 job creation, insert and upsert) */
  assignmentRuleId?: string;
};

/** A round of the run after the load: its rows, and what became of them (absent until it is merged). */
export type RoundSummary = {
  round: number;
  kind: 'lock-retry' | 'retry' | 'fixed';
  rows: number;
  serial: boolean;
  status: 'Completed' | 'InProgress';
  succeeded?: number;
  failed?: number;
  unprocessed?: number;
  /** rows of the run whose latest outcome is a lock failure, once this round was merged */
  stillLocked?: number;
};

export type JobSummary = {
  id: string;
  chunk: number;
  rows: number;
  firstLine: number;
  lastLine: number;
  state: JobState | 'NotCreated';
  processed: number;
  failed: number;
  errorMessage?: string;
  /** Bulk API V1: the batches of the part that are in its job */
  batches?: number;
};

/**
 * Checked: --dry-run, nothing was sent. Inconsistent: every job ended, but results could not all be
 * joined to the rows sent (a bug: see unmatchedJobs and unmatched.csv).
 */
export type LoadStatus = 'Completed' | 'Inconsistent' | 'InProgress' | 'Checked';

export type LoadResult = {
  /** absent for --dry-run (status Checked): a dry run records no run */
  runId?: string;
  status: LoadStatus;
  object: string;
  operation: IngestOperation;
  externalId?: string;
  /** which Bulk API the jobs were sent with (absent for --dry-run) */
  bulkApi?: 'v1' | 'v2';
  /** Bulk API V1: the jobs' concurrency mode and the most rows per batch */
  v1?: V1RunSpec;
  /** the input files, joined for display */
  file: string;
  inputFiles: string[];
  /** data rows in the file */
  rows: number;
  /** rows preflight left out of the upload (in rejected.csv) */
  rejected: number;
  /** a plan's step: rows not sent because their parent did not load in an earlier step (in skipped.csv) */
  skipped?: number;
  processed: number;
  successful: number;
  /** of the successful rows: created and updated (from sf__Created; upsert has both) */
  created?: number;
  updated?: number;
  failed: number;
  unprocessed: number;
  /** failed rows worth sending again unchanged plus unprocessed rows (the rows in retry.csv) */
  retryable: number;
  /** result rows that could not be joined to an input row, or rows a completed job gave no result for (0 unless something is wrong) */
  unmatched: number;
  /** the jobs whose results did not all join (present only when unmatched is not 0) */
  unmatchedJobs?: Array<{ chunk: number; jobId: string; unmatched: number }>;
  errorCodes: Array<{ code: string; count: number }>;
  jobs: JobSummary[];
  runDir: string;
  files?: { success: string; failed: string; unprocessed: string; retry: string; rejected?: string; skipped?: string; backup?: string; unmatched?: string };
  /** what the checks before upload found (absent when they did not run) */
  preflight?: PreflightReport;
  /** --dry-run: the file with every problem found (line, kind, field, value, problem) */
  problemsFile?: string;
  /** --dry-run: an earlier run already loaded this file into this org with this object and operation */
  alreadyLoaded?: { runId: string; runDir: string };
  /** the export taken before a delete: records found for the Ids of the file */
  backup?: { file: string; ids: number; records: number };
  /** the rounds after the load (lock failures sent again, reconcile --retry, --fixed-file); the counts above are each row's latest outcome */
  rounds?: RoundSummary[];
  /** --concurrency auto: what was decided and why, and each change of the jobs in flight while they ran (this process) */
  concurrency?: { decision: ConcurrencyDecision; changes: InFlightChange[] };
  /**
   * A large load's first part ran alone: what the rest was expected to cost, from its job info.
   * --dry-run: the plan priced with what an earlier run on this org and object measured.
   */
  estimate?: LoadEstimate;
  /** --dry-run: the plan (rows to send, parts of at most --max-job-size, jobs at once) */
  plan?: DryRunPlan;
  /** every job ended: lock failures, throttling and processing times the org reported */
  observed?: ObservedRates;
  startedAt: string;
  finishedAt: string;
  elapsedMs: number;
};

export type LoadEvent =
  | { type: 'stage'; stage: 'read' | 'backup' | 'upload' | 'processing' | 'results' | 'done' }
  | { type: 'planned'; rows: number; chunks: number; bytes: number; rejected: number }
  /** resume goes on with a run: its rows to send, its parts, and how many of their jobs had ended */
  | { type: 'resumed'; runId: string; rows: number; parts: number; ended: number }
  /** the input is read, checked and split on this many worker threads (0: on the run's own thread) */
  | { type: 'split'; threads: number }
  /** an earlier run loaded the same file into this org with this operation (an idempotent one: the load goes on) */
  | { type: 'loaded-before'; runId: string; runDir: string }
  /** an insert's start found jobs of its user, object and operation in the org that no run on this machine made, not ended */
  | { type: 'foreign-jobs'; object: string; operation: string; jobIds: string[] }
  /** no job would take the part's data (`jobs` tried): its rows are left unprocessed, in retry.csv */
  | { type: 'part-given-up'; chunk: number; jobId: string; jobs: number }
  /** resume cut a record torn by a crash off the ledger (the message says where its bytes are kept) */
  | { type: 'ledger-repaired'; message: string }
  /**
   * an add that is not idempotent (a V1 batch, a job creation) began at `sentAt` and was never
   * answered, and the org does not list it: it may still be working on it, so nothing is sent again
   * (no batch added, no job created) before `until`
   */
  | { type: 'send-in-doubt'; what: 'batch'; chunk: number; jobId: string; batch: number; sentAt: string; until: string }
  | { type: 'send-in-doubt'; what: 'job'; chunk: number; sentAt: string; until: string }
  | { type: 'job-created'; jobId: string; chunk: number; rows: number; adopted: boolean }
  | { type: 'job-uploaded'; jobId: string; chunk: number }
  | { type: 'job-progress'; jobId: string; state: JobState; processed: number; failed: number }
  | { type: 'job-done'; jobId: string; chunk: number; state: JobState; processed: number; failed: number; errorMessage?: string }
  | { type: 'progress'; processed: number; failed: number; total: number; recordsPerSecond: number }
  | RetryEvent
  /** --concurrency auto decided how to send, and why (one line) */
  | { type: 'concurrency'; mode: ConcurrencyMode; reason: string }
  /** before the first job: the load will use more than 80% of what is left of the batch allocation (over: more than is left, --allow-partial-day) */
  | { type: 'allocation'; rows: number; batches: number; batchesRemaining: number; batchesMax: number; recordsMax: number; over: boolean }
  /** --concurrency auto changed how many jobs may be in flight, and why */
  | { type: 'in-flight'; limit: number; reason: string }
  /** the probe (a large load's first part, run alone) priced the rest of the load */
  | ({ type: 'estimate' } & LoadEstimate)
  | { type: 'backup'; file: string; ids: number; records: number }
  /** a round of rows sent again starts (or goes on), and when it is merged, what became of its rows */
  | { type: 'round'; round: number; kind: RoundSummary['kind']; rows: number; serial: boolean }
  | { type: 'round-done'; round: number; kind: RoundSummary['kind']; rows: number; succeeded: number; failed: number; unprocessed: number }
  /** a job's results are joined (errorCodes: failed rows per code) */
  | { type: 'results-written'; chunk?: number; jobId?: string; processed?: number; successful: number; failed: number; unprocessed: number; errorCodes?: Record<string, number> }
