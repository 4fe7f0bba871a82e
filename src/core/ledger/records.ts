/*
 * What a run's ledger records (README: "How a job is never made twice"). Every remote action is written down before it
 * starts (intent) and after it ends (outcome), so a crash at any point leaves enough to finish the
 * run without sending a row twice. Records hold IDs, counts and paths: never a token.
 */
import { IngestOperation, JobState } from '../bulk/types.js';
import type { PreflightReport } from '../preflight/problems.js';
import type { CsvReadOptions } from '../csv/reader.js';
import type { TransformSpec } from '../csv/mapping.js';
import type { PlannedChunk } from './shapes.js';
import type { ConcurrencyDecision } from './shapes.js';
import type { LoadEstimate } from './shapes.js';
import type { ObservedRates } from './shapes.js';
import type { ParentFailures } from './shapes.js';

export type RunSpec = {
  runId: string;
  object: string;
  operation: IngestOperation;
  externalId?: string;
  /** the input files, in load order (rows of several files go to one object) */
  files: string[];
  resultsDir: string;
  org: { username: string; orgId: string; userId: string; instanceUrl: string };
  concurrency: number;
  /** --concurrency auto: the split reads the data shape and decides (see the planned record's concurrency) */
  autoConcurrency?: boolean;
  /** rows per Bulk API chunk of an auto run (absent: 10,000) */
  chunkRows?: number;
  /** a backup of the target records must exist before the first job is created (delete, hardDelete) */
  backup: boolean;
  /** keep the uploaded parts and per-job result parts once the run is done (they are removed by default) */
  keepChunks?: boolean;
  /** how the input is read and split, so that resume can plan a run that stopped before its split */
  csv?: CsvReadOptions;
  maxJobBytes?: number;
  keepInvalidRows?: boolean;
  force?: boolean;
  /** which Bulk API the run sends with (absent in ledgers written before V1 loads existed: v2) */
  bulkApi?: 'v1' | 'v2';
  /** Bulk API V1 (--bulk-api v1): each part is one V1 job of batches, run Serial or Parallel; absent: Bulk API 2.0 */
  v1?: V1RunSpec;
  /** rounds of serial re-sends of the rows that failed with UNABLE_TO_LOCK_ROW once the load is done (absent: none) */
  lockRounds?: number;
  /** a step of a load plan: rows whose parent did not load in an earlier step are skipped (skipped.csv) */
  parentFailures?: ParentFailures[];
  /** the mapping and formats the rows were converted with (resume plans a run again the same way) */
  transform?: TransformSpec;
  /** Bulk API 2.0 job creation's assignmentRuleId (insert, upsert) */
  assignmentRuleId?: string;
};

/** A V1 load: the job's concurrency mode, and the most rows a batch holds (Bulk API Developer Guide: Bulk API Limits). */
export type V1RunSpec = { concurrencyMode: 'Serial' | 'Parallel'; batchRows: number };

/**
 * Why rows of a run are sent again, in a new round: lock failures at the end of the load
 * ('lock-retry'), the retryable rows (reconcile --retry) or corrected rows (reconcile --fixed-file).
 */
export type AttemptKind = 'lock-retry' | 'retry' | 'fixed';

/** What a round left: its rows' outcomes, and the run's final counts once it was merged. */
export type AttemptOutcome = {
  succeeded: number;
  failed: number;
  unprocessed: number;
  /** the run's rows, across every round: the counts of its result files once this round was merged */
  final: { successful: number; created: number; updated: number; failed: number; unprocessed: number; retryable: number; rejected: number; errorCodes: Record<string, number> };
};

/**
 * ms, from the job's info when it ended; with the job's createdDate and systemModstamp (when it
 * finished), in the org's clock, when the info had them (absent in ledgers written before)
 */
export type JobTimes = { processingMs: number; activeMs: number; apexMs: number; createdDate?: string; systemModstamp?: string };

export type DropReason = 'holds-data' | 'unusable' | 'never-held' | 'left';

export type LedgerRecord =
  | ({ t: 'run'; at: string } & RunSpec)
  | {
      t: 'planned';
      at: string;
      chunks: PlannedChunk[];
      rows: number;
      rejected: number;
      /** rows left out because their parent did not load in an earlier step of the plan (skipped.csv) */
      skipped?: number;
      header: string[];
      preflight?: PreflightReport;
      /** sha256 of the input bytes, and size: the fingerprint that spots a second load of the same file */
      fileSha256: string;
      fileBytes: number;
      /** --concurrency auto: how the parts are sent, and why */
      concurrency?: ConcurrencyDecision;
    }
  /**
   * A part written while the input is still being split: its job may be created and its data
   * uploaded at once, but no job of the run is closed (nothing is processed) before 'planned'. A
   * resume that splits the input again keeps a part (and its job) whose bytes are the same.
   */
  | { t: 'part'; at: string; chunk: PlannedChunk }
  /**
   * An insert's claim on its input, written under the claim of its fingerprint (load/duplicateGuard.ts)
   * before anything is split or sent: from here on a second insert of the same file is refused.
   */
  | { t: 'fingerprint'; at: string; fileSha256: string; fileBytes: number }
  /** journal: the intent is also in the machine's creation journal (runner/creationJournal.ts), written right before the request */
  | { t: 'creating'; at: string; chunk: number; journal?: boolean }
  /**
   * The creation of the part's job is sent again (its last attempt failed): the org may still be
   * working on this attempt, so a creation in doubt is waited for from here, not from 'creating'.
   */
  | { t: 'creating-again'; at: string; chunk: number }
  | { t: 'created'; at: string; chunk: number; jobId: string; adopted?: boolean }
  | { t: 'uploading'; at: string; chunk: number; jobId: string }
  /** V1: the part's batch `batch` (1-based, in part order) is about to be added to its job; batch-added when the org answered */
  | { t: 'batch-adding'; at: string; chunk: number; jobId: string; batch: number }
  /** V1: the org refused the add of batch `batch` (its own error answer): nothing of it is in the job, and nothing is in doubt */
  | { t: 'batch-refused'; at: string; chunk: number; jobId: string; batch: number }
  /** adopted: the org had it though its answer was lost (found in the job's batches by its request) */
  | { t: 'batch-added'; at: string; chunk: number; jobId: string; batch: number; batchId: string; adopted?: boolean }
  | { t: 'uploaded'; at: string; chunk: number; jobId: string }
  | { t: 'closed'; at: string; chunk: number; jobId: string }
  // times: the job info's totalProcessingTime, apiActiveProcessingTime, apexProcessingTime (absent in older ledgers)
  | { t: 'terminal'; at: string; chunk: number; jobId: string; state: JobState; processed: number; failed: number; errorMessage?: string; times?: JobTimes }
  // created/updated: absent in ledgers written before they were counted
  | { t: 'results'; at: string; chunk: number; jobId: string; successful: number; created?: number; updated?: number; failed: number; unprocessed: number; unmatched: number; errorCodes: Record<string, number>; retryable: number }
  | { t: 'aborted-orphan'; at: string; chunk: number; jobId: string }
  /**
   * The part leaves this job and gets a new one: the job already held someone else's data when we
   * uploaded ('holds-data'), it was gone or past Open before we sent it anything ('unusable'), its
   * results hold none of the part's rows ('never-held'), or the part's data went up while the input
   * was split and the run was refused, or the input changed before a resume split it again ('left':
   * the job, never closed, is aborted).
   */
  | { t: 'job-dropped'; at: string; chunk: number; jobId: string; reason: DropReason }
  /** hardDelete: the user confirmed this many rows of this org, as this user; no row is sent before it */
  | { t: 'confirmed'; at: string; rows: number; object: string; operation: IngestOperation; orgId: string; username: string }
  /** the run ended before it sent anything (refused, or its checks failed): resume never picks it up */
  | { t: 'abandoned'; at: string; reason: string }
  | { t: 'backup'; at: string; file: string; ids: number; records: number; queryJobs: string[] }
  /** a large load's first part ran alone: what the rest should cost (estimate.ts) */
  | ({ t: 'estimate'; at: string } & LoadEstimate)
  /** --concurrency auto changed the jobs in flight while they ran, and why */
  | { t: 'in-flight'; at: string; limit: number; reason: string }
  /** every job ended: what the org did with the rows (lock failures, throttling, processing times) */
  | ({ t: 'observed'; at: string } & ObservedRates)
  | { t: 'merged'; at: string }
  | { t: 'done'; at: string }
  /**
   * A new round of the run: rows taken from earlier rounds' outcomes (by input line), written as new
   * parts whose numbers follow the run's last part; their jobs are recorded like the load's.
   * serial: one job at a time. Ledgers written before rounds existed have none.
   */
  | { t: 'attempt'; at: string; round: number; kind: AttemptKind; chunks: PlannedChunk[]; rows: number; serial: boolean; dir: string }
  /** the round's outcomes are in the run's result files (each row's latest outcome) */
  | ({ t: 'attempt-merged'; at: string; round: number } & AttemptOutcome);

export type AttemptState = {
  round: number;
  kind: AttemptKind;
  rows: number;
  serial: boolean;
  /** the round's folder: its part files, its .lines and its own result files */
  dir: string;
  chunks: ChunkState[];
  merged?: AttemptOutcome;
};

export type ChunkState = {
  chunk: PlannedChunk;
  creatingAt?: string;
  /** when the creation's last attempt was sent, if it was sent more than once ('creating-again') */
  creatingAgainAt?: string;
  /** the last 'creating' intent was also written to the machine's creation journal */
  journaled?: boolean;
  /** jobs this part left for a new one (job-dropped) */
  drops?: number;
  jobId?: string;
  /** the job was found again after a crash rather than created by this chunk's own call */
  adopted?: boolean;
  uploading?: boolean;
  /** V1: the Ids of the part's batches the org has, by batch number - 1 */
  batches?: string[];
  /** V1: the batch whose adding was begun and not answered, and when it was begun (this machine's clock) */
  batchAdding?: number;
  batchAddingAt?: string;
  uploaded?: boolean;
  closed?: boolean;
  /** when the ledger recorded the job created and closed (this machine's clock): the time it waited Open */
  createdAt?: string;
  closedAt?: string;
  terminal?: Extract<LedgerRecord, { t: 'terminal' }>;
  results?: Extract<LedgerRecord, { t: 'results' }>;
};

export type RunState = {
  spec: RunSpec;
  startedAt: string;
  header: string[];
  rows: number;
  rejected: number;
  /** rows a plan's step skipped for a parent that did not load */
  skipped: number;
  preflight?: PreflightReport;
  fileSha256?: string;
  /** the run claimed its input's fingerprint before its split (an insert: see the 'fingerprint' record) */
  fingerprinted?: boolean;
  /** --concurrency auto: the decision the plan was made for */
  concurrency?: ConcurrencyDecision;
  chunks: ChunkState[];
  planned: boolean;
  backup?: Extract<LedgerRecord, { t: 'backup' }>;
  confirmed?: Extract<LedgerRecord, { t: 'confirmed' }>;
  abandoned?: Extract<LedgerRecord, { t: 'abandoned' }>;
  /** jobs a part left that may hold data (job-dropped 'holds-data' or 'left') not yet recorded as aborted */
  toAbort: Array<{ chunk: number; jobId: string }>;
  /** absent in ledgers written before they were recorded */
  estimate?: Extract<LedgerRecord, { t: 'estimate' }>;
  inFlightChanges: Array<Extract<LedgerRecord, { t: 'in-flight' }>>;
  observed?: Extract<LedgerRecord, { t: 'observed' }>;
  merged: boolean;
  done: boolean;
  /** the rounds after the load, in order (none in ledgers written before rounds existed) */
  attempts: AttemptState[];
};

/** The part with this number: one of the load's, or of a later round's. */
export function chunkAt(state: RunState, index: number): ChunkState | undefined {
  if (index <= state.chunks.length) return state.chunks[index - 1];
  for (const a of state.attempts) {
    const first = a.chunks[0]?.chunk.index ?? Infinity;
    if (index >= first && index < first + a.chunks.length) return a.chunks[index - first];
  }
  return undefined;
}

/** Every part of the run, the load's and each round's. */
export function allChunks(state: RunState): ChunkState[] {
  return [...state.chunks, ...state.attempts.flatMap((a) => a.chunks)];
}

/** Jobs a part left that may hold data: aborted, or resume aborts them (state.toAbort). */
const MAY_HOLD_DATA = new Set<DropReason>(['holds-data', 'left']);

/** The records of the plan (a part written, the plan, an insert's claim on its file): true when `r` was one. */
function applyPlanRecord(state: RunState, r: LedgerRecord): r is Extract<LedgerRecord, { t: 'planned' | 'part' | 'fingerprint' }> {
  if (r.t === 'planned') {
    state.planned = true;
    state.header = r.header;
    state.rows = r.rows;
    state.rejected = r.rejected;
    state.skipped = r.skipped ?? 0;
    state.preflight = r.preflight;
    state.fileSha256 = r.fileSha256;
    state.concurrency = r.concurrency;
    state.chunks = r.chunks.map((chunk) => plannedPart(state.chunks[chunk.index - 1], chunk));
  } else if (r.t === 'part') state.chunks[r.chunk.index - 1] = { chunk: r.chunk };
  else if (r.t === 'fingerprint') {
    state.fileSha256 = r.fileSha256;
    state.fingerprinted = true;
  } else return false;
  return true;
}

/** Replays a ledger into the state of each chunk. */
export function replay(records: LedgerRecord[]): RunState {
  const first = records[0];
  if (first?.t !== 'run') throw new Error('ledger does not start with a run record');
  const { t, at, ...spec } = first;
  void t;
  const state: RunState = { spec, startedAt: at, header: [], rows: 0, rejected: 0, skipped: 0, chunks: [], planned: false, toAbort: [], inFlightChanges: [], merged: false, done: false, attempts: [] };
  for (const r of records.slice(1)) {
    if (applyPlanRecord(state, r)) continue;
    if (r.t === 'attempt') {
      state.attempts.push({ round: r.round, kind: r.kind, rows: r.rows, serial: r.serial, dir: r.dir, chunks: r.chunks.map((chunk) => ({ chunk })) });
      continue;
    }
    if (r.t === 'attempt-merged') {
      const { t: tag, at: when, round, ...outcome } = r;
      void tag;
      void when;
      const a = state.attempts.find((x) => x.round === round);
      if (a) a.merged = outcome;
      continue;
    }
    if (r.t === 'job-dropped' && MAY_HOLD_DATA.has(r.reason)) state.toAbort.push({ chunk: r.chunk, jobId: r.jobId });
    if (r.t === 'aborted-orphan') state.toAbort = state.toAbort.filter((j) => j.jobId !== r.jobId);
    if (r.t === 'backup') state.backup = r;
    else if (r.t === 'confirmed') state.confirmed = r;
    else if (r.t === 'abandoned') state.abandoned = r;
    else if (r.t === 'estimate') state.estimate = r;
    else if (r.t === 'in-flight') state.inFlightChanges.push(r);
    else if (r.t === 'observed') state.observed = r;
    else if (r.t === 'merged') state.merged = true;
    else if (r.t === 'done') state.done = true;
    else if (r.t !== 'run') applyChunkRecord(chunkAt(state, r.chunk), r);
  }
  return state;
}

/** Whether two splits wrote the same part: the same file with the same bytes (what its job holds). */
export function sameBytes(a: PlannedChunk, b: PlannedChunk): boolean {
  return a.sha256 === b.sha256 && a.file === b.file;
}

/**
 * A planned part's state: a part recorded during the split keeps its job when the plan holds the
 * same bytes; its line numbers are the plan's (a line added before it, and left out by the checks,
 * moves them).
 */
function plannedPart(early: ChunkState | undefined, chunk: PlannedChunk): ChunkState {
  if (!early || !sameBytes(early.chunk, chunk)) return { chunk };
  early.chunk = chunk;
  return early;
}

type ChunkRecord = Exclude<LedgerRecord, { t: 'run' | 'planned' | 'part' | 'fingerprint' | 'merged' | 'done' | 'backup' | 'confirmed' | 'abandoned' | 'attempt' | 'attempt-merged' | 'estimate' | 'in-flight' | 'observed' }>;

function applyChunkRecord(c: ChunkState | undefined, r: ChunkRecord): void {
  if (!c) return;
  // Records about a job the part has left (job-dropped) say nothing about its current job.
  if ('jobId' in r && r.t !== 'created' && r.t !== 'aborted-orphan' && r.jobId !== c.jobId) return;
  switch (r.t) {
    case 'creating':
      c.creatingAt = r.at;
      c.creatingAgainAt = undefined;
      c.journaled = r.journal === true;
      break;
    case 'creating-again':
      c.creatingAgainAt = r.at;
      break;
    case 'created':
      leaveJob(c);
      c.jobId = r.jobId;
      c.adopted = r.adopted;
      c.createdAt = r.at;
      break;
    case 'uploading':
      c.uploading = true;
      break;
    case 'batch-adding':
    case 'batch-added':
    case 'batch-refused':
      applyBatchRecord(c, r);
      break;
    case 'uploaded':
      c.uploaded = true;
      break;
    case 'closed':
      c.closed = true;
      c.closedAt = r.at;
      break;
    case 'terminal':
      c.terminal = r;
      break;
    case 'results':
      c.results = r;
      break;
    case 'job-dropped':
      leaveJob(c);
      c.creatingAt = undefined;
      c.creatingAgainAt = undefined;
      c.journaled = undefined;
      c.drops = (c.drops ?? 0) + 1;
      break;
    case 'aborted-orphan':
      break;
  }
}

/** A V1 batch's add: begun (in doubt until answered), answered with its batch, or refused (nothing in doubt). */
function applyBatchRecord(c: ChunkState, r: Extract<ChunkRecord, { t: 'batch-adding' | 'batch-added' | 'batch-refused' }>): void {
  if (r.t === 'batch-adding') {
    c.batchAdding = r.batch;
    c.batchAddingAt = r.at;
    return;
  }
  if (r.t === 'batch-added') (c.batches ??= [])[r.batch - 1] = r.batchId;
  else if (c.batchAdding !== r.batch) return;
  c.batchAdding = undefined;
  c.batchAddingAt = undefined;
}

/** Forgets everything about the part's job (a new job starts from nothing). */
export function leaveJob(c: ChunkState): void {
  c.jobId = undefined;
  c.adopted = undefined;
  c.uploading = undefined;
  c.batches = undefined;
  c.batchAdding = undefined;
  c.batchAddingAt = undefined;
  c.uploaded = undefined;
  c.closed = undefined;
  c.createdAt = undefined;
  c.closedAt = undefined;
  c.terminal = undefined;
  c.results = undefined;
}
