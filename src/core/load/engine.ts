/*
 * The load engine. A run goes: read, check, fingerprint and plan (part files on disk, each part's job
 * created and uploaded as it is written, closed only once the plan is recorded: earlyParts.ts), back up the
 * target records of a delete, then hand the parts to the job runner (runner/jobRunner.ts: one Bulk
 * 2.0 job per part, created, uploaded, closed, waited for, its results joined to the part's rows),
 * then merge the result parts into the run's result files. Every step is written to the run's
 * ledger, so `resume` replays it after a crash at any point and finishes the run without sending a
 * row twice; a run folder is worked on by one process at a time (its lock).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDir } from '../io/durable.js';
import { BulkV1 } from '../bulk/bulkV1.js';
import { BulkV2 } from '../bulk/bulkV2.js';
import { DELIMITER_CHARS, JobState } from '../bulk/types.js';
import { DEFAULT_RETRY, RetryPolicy } from '../http/retry.js';
import { retryingWithEvents } from '../runner/retrying.js';
import { openCsv } from '../csv/reader.js';
import { FileLock, LockHeldError, LockOwner } from '../io/fileLock.js';
import { Ledger } from '../ledger/ledger.js';
import { allChunks, type AttemptKind, RunSpec, RunState, replay } from '../ledger/records.js';
import { findSameLoad, listRuns } from '../ledger/runIndex.js';
import { Identity } from '../org/identity.js';
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import { BackupShortError, backupRecords, idsOfChunks } from '../backup/backup.js';
import { countKeys, Preflight } from '../preflight/preflight.js';
import { ProblemsFile } from '../preflight/problemsFile.js';
import type { DescribeSource } from '../preflight/describe.js';
import type { PreflightReport, Problem } from '../preflight/problems.js';
import { CsvRecord, CsvSource, MAX_RECORD_CHARS } from '../csv/reader.js';
import { CsvInputError } from '../csv/errors.js';
import { PreflightError } from '../preflight/errors.js';
import { csvMessages } from '../csv/messages.js';
import { mergeReports } from '../preflight/problems.js';
import { addCounts, emptyCounts, partPaths } from '../results/join.js';
import { mergeParts, resultPaths, unmatchedPath } from '../results/resultFiles.js';
import { Deadline, JobRunner } from '../runner/jobRunner.js';
import { autoGate, CHUNK_ROWS, planAuto } from '../concurrency/auto.js';
import { dryRunPlan, probeFirstPart } from '../estimate/probe.js';
import { measureRun, observedRates } from '../estimate/observed.js';
import { readMeasurement, saveMeasurement } from '../estimate/measurements.js';
import { runEstimates } from '../estimate/resultFields.js';
import type { InFlightChange } from '../runner/inFlight.js';
import { finishRounds, lockRounds } from '../attempts/rounds.js';
import { planRound, type ResendRows } from '../attempts/plan.js';
import { roundsOf } from '../attempts/summary.js';
import type { StopToken } from '../runtime/stopToken.js';
import { crashIfAsked } from './crashPoints.js';
import { Fingerprint, fingerprintFiles } from './fingerprint.js';
import { defaultPartBytes, planChunks, type PlannedChunk, type PlanOptions } from './planner.js';
import { PARALLEL_SPLIT_MIN_BYTES, splitInParallel, splitWorkers, type ParallelSplitOptions } from './parallelSplit.js';
import { EarlyParts } from './earlyParts.js';
import { JobSummary, LoadEvent, LoadRequest, LoadResult } from './types.js';

export { JobGoneError, AmbiguousOrphanError } from '../runner/jobRunner.js';

export type EngineDeps = {
  bulk: BulkV2;
  /** for --bulk-api v1 runs */
  bulkV1?: BulkV1;
  identity: () => Promise<Identity>;
  onEvent?: (e: LoadEvent) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** first and longest poll interval (ms); polls back off from one to the other */
  poll?: { minMs: number; maxMs: number };
  retry?: RetryPolicy;
  /** for the backup before a delete */
  query?: BulkV2Query;
  fields?: (object: string) => Promise<Array<{ name: string; type: string }>>;
  /** the object's describe, for the checks before upload */
  describe?: DescribeSource;
  /** the machine's bulkops state folder (the job creation journal, shared by every run on this machine) */
  stateDir: string;
  /**
   * The split on worker threads (parallelSplit.ts): for inputs of at least `minBytes` (default
   * 64 MB; below that starting the threads costs more than it saves), on `workers` threads
   * (default: splitWorkers(), 0 on a one-core machine: one thread splits).
   */
  splitThreads?: { minBytes?: number; workers?: number };
  /** a stop asked for (a signal): the job runner asks it before each send (runner/jobRunner.ts) */
  stop?: StopToken;
};

/** A second insert of the same file into the same org and object: it would create every record again. */
export class DuplicateRunError extends Error {
  public constructor(public readonly earlierRunId: string, public readonly earlierRunDir: string) {
    super(`run ${earlierRunId} already loaded this file`);
    this.name = 'DuplicateRunError';
  }
}

/** The header has problems that would fail the whole job: nothing was sent. */
export class PreflightFailedError extends Error {
  public constructor(public readonly report: PreflightReport) {
    super(`${report.jobProblems} problem(s) in the header of ${report.file}`);
    this.name = 'PreflightFailedError';
  }
}

/**
 * The user did not confirm the hardDelete: nothing was sent. `runId` is set when a run without a
 * confirmation was asked to go on (resume): it never deletes.
 */
export class NotConfirmedError extends Error {
  public constructor(public readonly runId?: string) {
    super(runId ? `run ${runId} has no hardDelete confirmation` : 'not confirmed');
    this.name = 'NotConfirmedError';
  }
}

/** Another process works on the run (its lock is held). */
export class RunLockedError extends Error {
  public constructor(public readonly runId: string, public readonly owner: LockOwner) {
    super(`run ${runId} is being worked on by process ${owner.pid} (since ${owner.since})`);
    this.name = 'RunLockedError';
  }
}

/** The run ended before it sent anything; it cannot be resumed, only started again. */
export class AbandonedRunError extends Error {
  public constructor(public readonly runId: string, public readonly reason: string) {
    super(`run ${runId} ended before it sent anything: ${reason}`);
    this.name = 'AbandonedRunError';
  }
}

/** resume as another user than the run's: its jobs and its confirmation are that user's. */
export class OtherUserError extends Error {
  public constructor(public readonly runId: string, public readonly runUser: string, public readonly user: string) {
    super(`run ${runId} was loaded as ${runUser}, not ${user}`);
    this.name = 'OtherUserError';
  }
}

/** A new round needs the run finished first (resume finishes it). */
export class RunNotDoneError extends Error {
  public constructor(public readonly runId: string) {
    super(`run ${runId} is not finished`);
    this.name = 'RunNotDoneError';
  }
}

export type RowCheck = (record: CsvRecord) => string | undefined;
/** The rows a new round sends (none: no round), and what the chooser has to say besides (refusals). */
export type RoundPick<T> = { kind: AttemptKind; serial: boolean; rows: ResendRows } & T;

export const RUN_LOCK_FILE = 'run.lock';

export class LoadEngine {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly emit: (e: LoadEvent) => void;
  private readonly retryPolicy: RetryPolicy;
  private readonly runner: JobRunner;
  private identityCache?: Identity;
  /** --concurrency auto: the running gate's eyes on the runner's events */
  private watch?: (e: LoadEvent) => void;
  /** a part's results are joined (the probe's give the estimate) */
  private afterResults?: (chunk: number) => void;
  /** calls the org throttled (REQUEST_LIMIT_EXCEEDED) in this process: an observed rate of the run */
  private throttled = 0;

  public constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)));
    this.emit = deps.onEvent ?? ((): void => {});
    this.retryPolicy = deps.retry ?? DEFAULT_RETRY;
    this.runner = new JobRunner({
      bulk: deps.bulk,
      bulkV1: deps.bulkV1,
      now: this.now,
      sleep: this.sleep,
      emit: (e): void => {
        if (e.type === 'retry' && e.code === 'REQUEST_LIMIT_EXCEEDED') this.throttled++;
        this.watch?.(e);
        this.emit(e);
        if (e.type === 'results-written' && e.chunk !== undefined) this.afterResults?.(e.chunk);
      },
      retry: this.retryPolicy,
      poll: deps.poll ?? { minMs: 1000, maxMs: 10_000 },
      stateDir: deps.stateDir,
      stop: deps.stop,
    });
  }

  /**
   * --dry-run: the checks alone, over every row; nothing is sent and no run is recorded (the result
   * has no runId). Every problem goes to problems.csv (in resultsDir, or the current folder).
   */
  public async check(req: LoadRequest): Promise<LoadResult> {
    const started = this.now();
    // Several files are fingerprinted ahead, as a load does (readsPrintAhead): hashed as they are
    // opened together, they would not give the fingerprint a load of them records.
    const ahead = req.files.length > 1 ? await fingerprintFiles(req.files).catch(() => undefined) : undefined;
    const print = ahead ? undefined : new Fingerprint(req.files.length);
    // Header problems are reported with the rows' problems here, not thrown.
    const inputs = await this.openInputs({ ...req, keepInvalidRows: true }, { reportHeaderProblems: true }, print);
    if (!inputs.problems) throw new Error('the checks need the object describe');
    const dir = req.resultsDir ?? process.cwd();
    await mkdir(dir, { recursive: true });
    const problems = new ProblemsFile(join(dir, 'problems.csv'), req.files.map((f) => basename(f)));
    for (const { fileIndex, problem } of inputs.headerProblems) await problems.add(fileIndex, problem);
    for await (const batch of inputs.records) {
      for (const record of batch) for (const p of inputs.problems(record)) await problems.add(record.fileIndex ?? 0, p);
    }
    await problems.close();
    const report = inputs.report()!;
    // The same file already loaded into this org: the dry run says so (a load would be refused without --force).
    const identity = await this.identity();
    const { sha256, bytes } = ahead ?? print!.digest();
    const earlier = findSameLoad(req.ledgerDir, { orgId: identity.orgId, object: req.object, operation: req.operation, fileSha256: sha256, runId: req.runId });
    const priced = dryRunPlan({
      rows: report.rowsChecked - (req.keepInvalidRows ? 0 : report.problemRows),
      bytes,
      maxJobBytes: partBytes(req),
      jobsAtOnce: req.concurrency,
      chunkRows: req.chunkRows ?? CHUNK_ROWS,
      v1: req.v1,
      measured: readMeasurement(this.deps.stateDir, identity.orgId, req.object, req.operation),
    });
    const finished = this.now();
    return {
      status: 'Checked',
      object: report.object,
      operation: req.operation,
      ...(req.externalId ? { externalId: req.externalId } : {}),
      file: req.files.join(', '),
      inputFiles: req.files,
      rows: report.rowsChecked,
      rejected: report.problemRows,
      processed: 0,
      successful: 0,
      failed: 0,
      unprocessed: 0,
      retryable: 0,
      unmatched: 0,
      errorCodes: [],
      jobs: [],
      runDir: '',
      preflight: report,
      problemsFile: problems.path,
      ...(earlier ? { alreadyLoaded: { runId: earlier.runId, runDir: earlier.runDir } } : {}),
      ...priced,
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      elapsedMs: finished - started,
    };
  }

  private async preflight(req: LoadRequest, source: CsvSource): Promise<Preflight | undefined> {
    if (req.preflight === false || !this.deps.describe) return undefined;
    return Preflight.create({
      file: source.file,
      object: req.object,
      operation: req.operation,
      externalId: req.externalId,
      header: source.header,
      headerLine: source.headerLine,
      describe: this.deps.describe,
    });
  }

  /** A new run: plans the file into parts, then runs them. */
  public async start(req: LoadRequest): Promise<LoadResult> {
    const runDir = join(req.ledgerDir, req.runId);
    const identity = await this.identity();
    await mkdir(runDir, { recursive: true });
    const lock = this.lockRun(runDir, req.runId);
    const ledger = new Ledger(runDir, this.now);
    let sending = false;
    let refused = false;
    try {
      const spec: RunSpec = {
        runId: req.runId,
        object: req.object,
        operation: req.operation,
        ...(req.externalId ? { externalId: req.externalId } : {}),
        files: req.files,
        resultsDir: req.resultsDir ?? runDir,
        org: { username: identity.username, orgId: identity.orgId, userId: identity.userId, instanceUrl: identity.instanceUrl },
        concurrency: req.concurrency,
        ...(req.autoConcurrency ? { autoConcurrency: true } : {}),
        ...(req.chunkRows ? { chunkRows: req.chunkRows } : {}),
        backup: req.operation === 'hardDelete' || (req.operation === 'delete' && req.backup !== false),
        ...(req.keepChunks ? { keepChunks: true } : {}),
        // What planning needs, so that resume can plan a run that stopped before its split.
        ...(req.csv ? { csv: req.csv } : {}),
        // Recorded whether given or not: resume and later rounds cut parts the same size.
        maxJobBytes: partBytes(req),
        ...(req.keepInvalidRows ? { keepInvalidRows: true } : {}),
        ...(req.force ? { force: true } : {}),
        ...bulkApiOf(req),
        ...(req.lockRounds ? { lockRounds: req.lockRounds } : {}),
      };
      ledger.append({ t: 'run', ...spec });
      const state = await this.plan(ledger, runDir, spec, req);
      if (req.operation === 'hardDelete') {
        // The confirmation is in the ledger before any row can be sent: a run without it never deletes.
        // Whatever the confirmation throws (a wrong count, no terminal to ask on) is a refusal too.
        refused = true;
        if (!req.confirm || !(await req.confirm({ rows: state.rows, object: req.object, operation: req.operation }))) throw new NotConfirmedError();
        refused = false;
        state.confirmed = ledger.append({ t: 'confirmed', rows: state.rows, object: req.object, operation: req.operation, orgId: identity.orgId, username: identity.username }) as RunState['confirmed'];
      }
      sending = true;
      return await this.drive(ledger, runDir, state, { at: this.now() + req.waitMs });
    } catch (e) {
      // A start refused before anything could be sent (the file, the org or the user said no) ends
      // the run here: its parts go, and the ledger says why, so resume (--latest included) refuses
      // it with that reason instead of picking up an earlier run. A start cut short by the network
      // or the machine stays resumable: resume plans it again.
      if (!sending && (refused || isRefusal(e))) await this.abandon(ledger, runDir, e);
      throw e;
    } finally {
      ledger.close();
      lock.release();
    }
  }

  /**
   * Reads, checks and splits the input into part files; records the plan. Parts go up as they are
   * written (their jobs stay Open until the run is planned: earlyParts.ts); a delete waits for its
   * backup and a V1 job processes batches as they come, so those send after the split. A refusal,
   * wherever it comes from (the file, a second insert, a header a resumed run's file now has),
   * aborts the jobs the run opened, this split's and an earlier one's.
   */
  private async plan(ledger: Ledger, runDir: string, spec: RunSpec, req: LoadRequest): Promise<RunState> {
    await mkdir(join(runDir, 'chunks'), { recursive: true });
    this.emit({ type: 'stage', stage: 'read' });
    const early = sendsWhileSplitting(spec) ? new EarlyParts(this.runner, ledger, replay(Ledger.read(runDir)), () => jobsOfOtherRuns(runDir)) : undefined;
    try {
      return await this.split(ledger, runDir, spec, req, early);
    } catch (e) {
      // Refused: the jobs opened are aborted (none was closed: nothing was processed). Cut short
      // otherwise (the network, the disk): they stay for resume.
      if (isRefusal(e)) await early?.abort();
      else await early?.settled();
      throw e;
    }
  }

  private async split(ledger: Ledger, runDir: string, spec: RunSpec, req: LoadRequest, early: EarlyParts | undefined): Promise<RunState> {
    // A second insert of the same file would create every record again: it is refused before the
    // file is split or anything sent. Other operations go on (the earlier run is named once split).
    const ahead = readsPrintAhead(spec) ? await fingerprintFiles(spec.files).catch(() => undefined) : undefined;
    if (ahead) this.refuseSecondInsert(runDir, spec, ahead.sha256);
    const print = ahead ? undefined : new Fingerprint(spec.files.length);
    const inputs = await this.openInputs(req, {}, print);
    await mkdir(spec.resultsDir, { recursive: true });
    const auto = req.autoConcurrency
      ? await planAuto({
          object: req.object,
          operation: req.operation,
          externalId: req.externalId,
          header: inputs.header,
          files: spec.files.length,
          describe: this.deps.describe,
          rows: inputs.reread,
          maxInFlight: req.concurrency,
          chunkRows: req.chunkRows,
        })
      : undefined;
    if (auto) this.emit({ type: 'concurrency', mode: auto.decision.mode, reason: auto.decision.reason });
    const planOptions: PlanOptions = {
      ...auto?.split(runDir),
      dir: join(runDir, 'chunks'),
      header: inputs.header,
      maxBytes: spec.maxJobBytes,
      check: inputs.check,
      // Kept in the run folder until the run is past every refusal: a shared results folder keeps
      // an earlier run's rejected.csv until this run really loads (publishRejected).
      rejectedFile: pendingRejectedPath(runDir),
      fileNames: spec.files.map((f) => basename(f)),
      ...(early ? { onPart: (chunk: PlannedChunk): Promise<void> => early.part(chunk) } : {}),
    };
    const threads = this.splitOnThreads(req, spec, inputs, planOptions);
    this.emit({ type: 'split', threads: typeof threads?.workers === 'number' ? threads.workers : threads?.workers.size ?? 0 });
    // The threads read the files themselves (the fingerprint with them): the reads opened are stopped.
    if (threads) await Promise.all(inputs.sources.map((s) => s.close()));
    const threadPrint = threads && print ? new Fingerprint(spec.files.length) : undefined;
    const plan = threads
      ? await splitInParallel({ ...threads, ...(threadPrint ? { print: threadPrint } : {}) }, planOptions)
      : await planChunks(inputs.records, planOptions);
    const report = inputs.report();
    const { sha256, bytes } = ahead ?? (threadPrint ?? print!).digest();
    // Nothing has been processed yet. An upsert or update of a file loaded before sets the same
    // values again, a delete finds the records gone (its backup comes up short and stops it before
    // anything is sent): they go on, and the earlier run is named.
    if (!ahead) this.refuseSecondInsert(runDir, spec, sha256);
    await early?.finish(plan.chunks.length);
    crashIfAsked('before-planned');
    ledger.append({
      t: 'planned',
      chunks: plan.chunks,
      rows: plan.rows,
      rejected: plan.rejected,
      header: inputs.header,
      ...(report ? { preflight: report } : {}),
      fileSha256: sha256,
      fileBytes: bytes,
      ...(auto ? { concurrency: auto.decision } : {}),
    });
    this.emit({ type: 'planned', rows: plan.rows, chunks: plan.chunks.length, bytes: plan.chunks.reduce((n, c) => n + c.bytes, 0), rejected: plan.rejected });
    return replay(Ledger.read(runDir));
  }

  /**
   * Whether the split runs on worker threads, and with what. It does for large UTF-8 inputs whose
   * rows are checked one by one in input order; a conversion from another encoding, a key counted
   * across all rows (upsert's duplicates) or a sort by parent (a grouped load) keep it on one thread.
   */
  private splitOnThreads(
    req: LoadRequest,
    spec: RunSpec,
    inputs: { header: string[]; sources: CsvSource[]; preflights: Preflight[] },
    plan: PlanOptions
  ): Omit<ParallelSplitOptions, 'print'> | undefined {
    const workers = this.deps.splitThreads?.workers ?? splitWorkers();
    const minBytes = this.deps.splitThreads?.minBytes ?? PARALLEL_SPLIT_MIN_BYTES;
    if (workers < 1) return undefined;
    if (req.csv?.encoding && !/^utf-?8$/i.test(req.csv.encoding)) return undefined;
    if (inputs.preflights.some((p) => p.keyed) || plan.order !== undefined || plan.group?.key !== undefined) return undefined;
    if (spec.files.reduce((n, f) => n + statSync(f).size, 0) < minBytes) return undefined;
    const lower = (h: string[]): string[] => h.map((x) => x.toLowerCase());
    return {
      files: inputs.sources.map((source, i) => {
        const own = lower(source.header);
        const map = lower(inputs.header).map((h) => own.indexOf(h));
        return {
          file: source.file,
          delimiter: DELIMITER_CHARS[source.delimiter],
          ...(map.every((m, c) => m === c) ? {} : { columnMap: map }),
          ...(inputs.preflights[i] ? { preflight: inputs.preflights[i] } : {}),
        };
      }),
      keepInvalid: req.keepInvalidRows === true,
      maxRecordChars: MAX_RECORD_CHARS,
      workers,
      ...(plan.group ? { maxRows: plan.group.rows } : {}),
    };
  }

  /** A second insert of a file into the same org and object is refused (unless forced); a load of it otherwise names the earlier run. */
  private refuseSecondInsert(runDir: string, spec: RunSpec, sha256: string): void {
    const earlier = findSameLoad(dirname(runDir), { orgId: spec.org.orgId, object: spec.object, operation: spec.operation, fileSha256: sha256, runId: spec.runId });
    if (earlier && spec.operation === 'insert' && !spec.force) throw new DuplicateRunError(earlier.runId, earlier.runDir);
    if (earlier) this.emit({ type: 'loaded-before', runId: earlier.runId, runDir: earlier.runDir });
  }

  /** Ends a run that sent nothing: the reason goes in its ledger, its parts go. */
  private async abandon(ledger: Ledger, runDir: string, e: unknown): Promise<void> {
    ledger.append({ t: 'abandoned', reason: e instanceof Error ? e.message : String(e) });
    await rm(join(runDir, 'chunks'), { recursive: true, force: true });
  }

  /** resume's planning of a run stopped before its split: a refusal ends the run, as it does at start. */
  private async planAgain(ledger: Ledger, runDir: string, spec: RunSpec, req: LoadRequest): Promise<RunState> {
    try {
      return await this.plan(ledger, runDir, spec, req);
    } catch (e) {
      if (isRefusal(e)) await this.abandon(ledger, runDir, e);
      throw e;
    }
  }

  /** Takes the run's lock: one process works on a run at a time. */
  private lockRun(runDir: string, runId: string): FileLock {
    const lock = new FileLock(join(runDir, RUN_LOCK_FILE), 'run');
    try {
      lock.acquire();
    } catch (e) {
      if (e instanceof LockHeldError) throw new RunLockedError(runId, e.owner);
      throw e;
    }
    return lock;
  }

  /**
   * Opens every input file (same columns, in any order: rows are put in the first file's column order)
   * and checks each header; rows then stream file after file, checked by that file's preflight.
   * When rows have a key (upsert), the files are first read once to count keys across all of them
   * (countKeys: every row of a duplicated key is known before the first is checked).
   */
  private async openInputs(req: LoadRequest, opts: { reportHeaderProblems?: boolean } = {}, print?: Fingerprint): Promise<{
    header: string[];
    records: AsyncIterable<CsvRecord[]>;
    check: ((r: CsvRecord) => string | undefined) | undefined;
    problems: ((r: CsvRecord) => Problem[]) | undefined;
    headerProblems: Array<{ fileIndex: number; problem: Problem }>;
    report: () => PreflightReport | undefined;
    /** every row again, from a new read of the files */
    reread: () => AsyncIterable<CsvRecord[]>;
    sources: CsvSource[];
    /** each file's checks, when rows are checked */
    preflights: Preflight[];
  }> {
    const sources: CsvSource[] = [];
    const preflights: Preflight[] = [];
    for (const file of req.files) {
      const source = await openCsv(file, req.csv, print);
      if (sources.length > 0) checkSameColumns(sources[0], source);
      // Rows reach the checks in the first file's column order, so every file's preflight reads that order.
      const preflight = await this.preflight(req, sources.length ? { ...source, header: sources[0].header } : source);
      if (preflight && !preflight.canLoad && !opts.reportHeaderProblems) throw new PreflightFailedError(preflight.report(req.problemExamples));
      sources.push(source);
      if (preflight) preflights.push(preflight);
    }
    const header = sources[0].header;
    async function* all(reopen: boolean): AsyncGenerator<CsvRecord[]> {
      for (const [i, source] of sources.entries()) {
        const batches = reopen ? (await openCsv(source.file, req.csv)).batches : source.batches;
        yield* inFirstFileOrder(header, source.header, i, batches);
      }
    }
    // A first read of every file counts the keys; the rows are then read again, as they are split.
    if (preflights.some((p) => p.keyed)) await countKeys(preflights, all(true), { policy: req.duplicates, fileNames: req.files.map((f) => basename(f)) });
    const byFile = (r: CsvRecord): Preflight => preflights[r.fileIndex ?? 0];
    const check =
      preflights.length === 0
        ? undefined
        : req.keepInvalidRows
        ? (r: CsvRecord): undefined => void byFile(r).checkRow(r)
        : (r: CsvRecord): string | undefined => byFile(r).rowReason(r);
    return {
      header,
      records: all(false),
      check,
      problems: preflights.length === 0 ? undefined : (r: CsvRecord): Problem[] => byFile(r).checkRow(r),
      headerProblems: preflights.flatMap((p, fileIndex) => p.jobProblems.map((problem) => ({ fileIndex, problem }))),
      report: () => (preflights.length ? mergeReports(preflights.map((p) => p.report(req.problemExamples)), req.problemExamples) : undefined),
      reread: () => all(true),
      sources,
      preflights,
    };
  }


  /** Picks up a run from its ledger and finishes it (or goes on until the wait runs out). */
  public async resume(runDir: string, waitMs: number): Promise<LoadResult> {
    return this.continueRun(runDir, async (ledger, found) => {
      let state = found;
      if (!state.planned) {
        // The run stopped before its split finished: no job was closed (nothing was processed), so
        // planning again from the input files is safe and complete; parts it had sent keep their
        // jobs where their bytes are the same (earlyParts.ts).
        const spec = state.spec;
        state = await this.planAgain(ledger, runDir, spec, {
          object: spec.object,
          operation: spec.operation,
          externalId: spec.externalId,
          files: spec.files,
          runId: spec.runId,
          ledgerDir: dirname(runDir),
          resultsDir: spec.resultsDir,
          waitMs,
          concurrency: spec.concurrency,
          autoConcurrency: spec.autoConcurrency,
          chunkRows: spec.chunkRows,
          maxJobBytes: spec.maxJobBytes,
          csv: spec.csv,
          keepInvalidRows: spec.keepInvalidRows,
          force: spec.force,
          v1: spec.v1,
        });
      }
      // The progress counts against the run's rows (a resumed run has no 'planned' of its own).
      this.emit({ type: 'resumed', runId: state.spec.runId, rows: state.rows, parts: state.chunks.length, ended: state.chunks.filter((c) => c.terminal).length });
      return this.drive(ledger, runDir, state, { at: this.now() + waitMs });
    });
  }

  /**
   * Opens a run to go on with it, under its lock: the ledger read again under the lock (the process
   * that held it may have written more), a record torn by a crash mid-write cut off first (and only
   * now: no other process can be writing it). An abandoned run, or another user's, is refused.
   */
  private async continueRun<T>(runDir: string, body: (ledger: Ledger, state: RunState) => Promise<T>): Promise<T> {
    const lock = this.lockRun(runDir, replay(Ledger.read(runDir)).spec.runId);
    const { ledger, records, repaired } = Ledger.open(runDir, this.now);
    if (repaired) this.emit({ type: 'ledger-repaired', message: repaired.message });
    try {
      const state = replay(records);
      if (state.abandoned && state.toAbort.length === 0) throw new AbandonedRunError(state.spec.runId, state.abandoned.reason);
      // The run's jobs, its orphan search and a hardDelete's confirmation are the run's user's.
      const me = await this.identity();
      if (me.userId.slice(0, 15) !== state.spec.org.userId.slice(0, 15)) throw new OtherUserError(state.spec.runId, state.spec.org.username, me.username);
      if (state.abandoned) {
        // Refused after its parts went up, with an abort that failed: those jobs (never closed) are aborted now.
        await this.runner.abortLeft(ledger, state);
        throw new AbandonedRunError(state.spec.runId, state.abandoned.reason);
      }
      return await body(ledger, state);
    } finally {
      ledger.close();
      lock.release();
    }
  }

  /**
   * A new round of a finished run (reconcile --retry, --fixed-file): a round a crash or the wait cut
   * short is finished first; then `choose` picks the rows from each row's latest outcome and the
   * round runs like the load's parts, in the same ledger, under the run's lock.
   */
  public async sendAgain<T>(runDir: string, choose: (state: RunState, check: RowCheck | undefined) => Promise<RoundPick<T>>, waitMs: number): Promise<{ result: LoadResult; picked?: RoundPick<T>; round?: { round: number; rows: number } }> {
    return this.continueRun(runDir, async (ledger, state) => {
      if (!state.done) throw new RunNotDoneError(state.spec.runId);
      const deadline = { at: this.now() + waitMs };
      const rounds = { runner: this.runner, ledger, runDir, state, deadline, emit: this.emit, claimedByOtherRuns: () => jobsOfOtherRuns(runDir) };
      // An earlier round still under way when the wait ran out: no new round (picked is absent).
      if (!(await finishRounds(rounds))) return { result: await this.drive(ledger, runDir, state, deadline) };
      const picked = await choose(state, await this.rowCheck(state));
      const round = await planRound(ledger, runDir, state, picked);
      return { result: await this.drive(ledger, runDir, state, deadline), picked, ...(round ? { round: { round: round.round, rows: round.rows } } : {}) };
    });
  }

  /** The load's check of one row (its preflight), for rows sent again with new values. */
  private async rowCheck(state: RunState): Promise<RowCheck | undefined> {
    if (!this.deps.describe) return undefined;
    const spec = state.spec;
    const p = await Preflight.create({ file: spec.files[0], object: spec.object, operation: spec.operation, externalId: spec.externalId, header: state.header, headerLine: 1, describe: this.deps.describe });
    return (record) => p.rowReason(record);
  }

  private async identity(): Promise<Identity> {
    this.identityCache ??= await this.deps.identity();
    return this.identityCache;
  }

  private async drive(ledger: Ledger, runDir: string, state: RunState, deadline: Deadline): Promise<LoadResult> {
    const started = this.now();
    if (state.spec.operation === 'hardDelete' && state.confirmed?.rows !== state.rows) {
      // Never confirmed (killed at the prompt, or before): it can never delete; it ends here.
      const refusal = new NotConfirmedError(state.spec.runId);
      await this.abandon(ledger, runDir, refusal);
      throw refusal;
    }
    try {
      if (state.spec.backup && !state.backup) await this.backup(ledger, runDir, state);
    } catch (e) {
      // A short backup refuses the delete (the missing Ids are named): the run ends here. Other
      // failures (the network) leave it for resume.
      if (e instanceof BackupShortError) await this.abandon(ledger, runDir, e);
      throw e;
    }
    await publishRejected(runDir, state);
    this.emit({ type: 'stage', stage: 'upload' });
    // An auto run: conflicting parts kept apart, jobs in flight lowered when lock failures or throttling rise.
    const changes: InFlightChange[] = [];
    const auto = state.concurrency
      ? autoGate(state, (c) => {
          changes.push(c);
          state.inFlightChanges.push(ledger.append({ t: 'in-flight', limit: c.limit, reason: c.reason }) as RunState['inFlightChanges'][number]);
          this.emit({ type: 'in-flight', limit: c.limit, reason: c.reason });
        })
      : undefined;
    this.watch = auto?.watch;
    try {
      const ctx = { ledger, state, deadline, claimedByOtherRuns: (): Set<string> => jobsOfOtherRuns(runDir), inFlight: auto?.gate };
      const probe = await probeFirstPart({
        ledger,
        state,
        run: (parts) => this.runner.run({ ...ctx, untilEnded: true }, parts),
        stateDir: this.deps.stateDir,
        jobsAtOnce: auto?.gate.max ?? state.spec.concurrency,
        chunkRows: state.spec.chunkRows ?? CHUNK_ROWS,
      });
      // The estimate comes once the probe's results are joined, while the other parts already run.
      const estimate = (): void => {
        const made = probe?.();
        if (made) this.emit({ type: 'estimate', ...made });
      };
      estimate();
      this.afterResults = (chunk): void => (chunk === state.chunks[0]?.chunk.index ? estimate() : undefined);
      await this.runner.run(ctx, state.chunks);
    } finally {
      this.watch = undefined;
      this.afterResults = undefined;
    }

    const done = state.chunks.every((c) => c.results);
    if (done && !state.done) {
      this.emit({ type: 'stage', stage: 'results' });
      crashIfAsked('before-merge');
      const paths = resultPaths(state.spec.resultsDir);
      await mergeParts(
        paths,
        state.header,
        state.chunks.map((c) => partPaths(JobRunner.partsDir(state), c.chunk.index)),
        state.spec.files.length > 1,
        createsRecords(state),
        // A grouped load's parts hold rows sorted by parent: the result files are put back in input order.
        state.concurrency?.mode === 'grouped'
          ? { dir: join(runDir, 'sort-results'), fileNames: state.spec.files.map((f) => basename(f)), completed: state.chunks.map((c) => c.terminal?.state === 'JobComplete') }
          : undefined
      );
      // What the org did with the rows, for the JSON and the ledger; the next dry run prices its plan with it.
      state.observed = ledger.append({ t: 'observed', ...observedRates(state, this.throttled) }) as RunState['observed'];
      const measured = measureRun(state);
      if (measured) saveMeasurement(this.deps.stateDir, state.spec.org.orgId, state.spec.object, measured);
      ledger.append({ t: 'merged' });
      ledger.append({ t: 'done' });
      state.merged = true;
      state.done = true;
    }
    // Rounds after the load: lock failures sent again one job at a time, or a round a crash cut short.
    const roundsDone = state.done && (await lockRounds({ runner: this.runner, ledger, runDir, state, deadline, emit: this.emit, claimedByOtherRuns: () => jobsOfOtherRuns(runDir) }));
    // Also after a crash that came between 'done' and this: resume tidies what is left.
    if (roundsDone && !state.spec.keepChunks) await this.tidy(runDir, state);
    this.emit({ type: 'stage', stage: 'done' });
    const result = roundsOf(this.result(runDir, state, started), state);
    return state.concurrency ? { ...result, concurrency: { decision: state.concurrency, changes } } : result;
  }

  /** Exports the target records before the first delete job; a short backup stops the run. */
  private async backup(ledger: Ledger, runDir: string, state: RunState): Promise<void> {
    if (!this.deps.query || !this.deps.fields) throw new Error('backup needs a query client');
    this.emit({ type: 'stage', stage: 'backup' });
    const ids = await idsOfChunks(state.chunks.map((c) => c.chunk));
    const file = join(runDir, 'backup.csv');
    const retrying = retryingWithEvents(this.retryPolicy, this.sleep, this.emit);
    const taken = await retrying('backup', () =>
      backupRecords({ query: this.deps.query!, fields: this.deps.fields!, sleep: this.sleep, pollMs: this.deps.poll?.minMs ?? 1000, retry: retrying }, state.spec.object, ids, file)
    );
    this.emit({ type: 'backup', file, ids: taken.ids, records: taken.records });
    if (taken.records < taken.ids) throw new BackupShortError(taken.ids, taken.records, file);
    state.backup = ledger.append({ t: 'backup', file, ids: taken.ids, records: taken.records, queryJobs: taken.queryJobs }) as RunState['backup'];
  }

  /**
   * A finished run needs its ledger, its result files and its backup, not the parts it uploaded nor
   * the per-job result parts (together about twice the input's size): they go.
   */
  private async tidy(runDir: string, state: RunState): Promise<void> {
    // A grouped load keeps its parts' .lines (4 bytes a row): reconcile finds each line's part there.
    if (state.concurrency?.mode === 'grouped') for (const c of state.chunks) await rm(c.chunk.file, { force: true });
    else await rm(join(runDir, 'chunks'), { recursive: true, force: true });
    await rm(JobRunner.partsDir(state), { recursive: true, force: true });
  }

  private result(runDir: string, state: RunState, started: number): LoadResult {
    const finished = this.now();
    let counts = emptyCounts();
    for (const c of state.chunks) if (c.results) counts = addCounts(counts, c.results);
    const jobs: JobSummary[] = state.chunks.map((c) => ({
      id: c.jobId ?? '',
      chunk: c.chunk.index,
      rows: c.chunk.rows,
      firstLine: c.chunk.firstLine,
      lastLine: c.chunk.lastLine,
      state: (c.terminal?.state ?? (c.closed ? 'UploadComplete' : c.jobId ? 'Open' : 'NotCreated')) as JobState | 'NotCreated',
      processed: c.terminal?.processed ?? 0,
      failed: c.terminal?.failed ?? 0,
      ...(c.terminal?.errorMessage ? { errorMessage: c.terminal.errorMessage } : {}),
      ...(state.spec.v1 ? { batches: (c.batches ?? []).filter(Boolean).length } : {}),
    }));
    const rejectedFile = join(state.spec.resultsDir, 'rejected.csv');
    const paths = resultPaths(state.spec.resultsDir);
    const unmatchedJobs = state.chunks.filter((c) => c.results && c.results.unmatched > 0).map((c) => ({ chunk: c.chunk.index, jobId: c.jobId ?? '', unmatched: c.results!.unmatched }));
    const unmatchedFile = unmatchedPath(state.spec.resultsDir);
    return {
      runId: state.spec.runId,
      status: state.done ? (counts.unmatched > 0 ? 'Inconsistent' : 'Completed') : 'InProgress',
      object: state.spec.object,
      operation: state.spec.operation,
      ...(state.spec.externalId ? { externalId: state.spec.externalId } : {}),
      bulkApi: state.spec.v1 ? 'v1' : 'v2',
      ...(state.spec.v1 ? { v1: state.spec.v1 } : {}),
      file: state.spec.files.join(', '),
      inputFiles: state.spec.files,
      rows: state.rows + state.rejected,
      rejected: state.rejected,
      ...(state.preflight ? { preflight: state.preflight } : {}),
      processed: jobs.reduce((n, j) => n + j.processed, 0),
      successful: counts.successful,
      failed: state.done ? counts.failed : jobs.reduce((n, j) => n + j.failed, 0),
      unprocessed: counts.unprocessed,
      retryable: counts.retryable,
      unmatched: counts.unmatched,
      // A ledger written before created and updated were counted cannot tell them: better none than a false 0.
      ...(state.chunks.some((c) => c.results && c.results.created === undefined) ? {} : { created: counts.created, updated: counts.updated }),
      ...(unmatchedJobs.length ? { unmatchedJobs } : {}),
      errorCodes: Object.entries(counts.errorCodes)
        .map(([code, count]) => ({ code, count }))
        .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
      jobs,
      runDir,
      ...(state.done
        ? { files: { ...paths, ...(existsSync(rejectedFile) ? { rejected: rejectedFile } : {}), ...(state.backup ? { backup: state.backup.file } : {}), ...(existsSync(unmatchedFile) ? { unmatched: unmatchedFile } : {}) } }
        : {}),
      ...(state.backup ? { backup: { file: state.backup.file, ids: state.backup.ids, records: state.backup.records } } : {}),
      ...runEstimates(state),
      startedAt: state.startedAt,
      finishedAt: new Date(finished).toISOString(),
      elapsedMs: finished - started,
    };
  }
}

/** The run's largest part: --max-job-size, else the input's size spread over the jobs at once. */
function partBytes(req: LoadRequest): number {
  return req.maxJobBytes ?? defaultPartBytes(req.files.reduce((n, f) => n + sizeOf(f), 0), req.concurrency);
}

/** A file's size; 0 when it cannot be read (opening it then says why, with its name). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Whether the run's parts are sent as they are written (see earlyParts.ts). */
function sendsWhileSplitting(spec: RunSpec): boolean {
  return !spec.v1 && (spec.operation === 'insert' || spec.operation === 'update' || spec.operation === 'upsert');
}

/**
 * Whether the input's fingerprint is read before the split: for an insert (a second one is refused
 * before anything is written or sent), and for several files: they are opened together, so their
 * first reads would otherwise be hashed before the rest of the first file, and the fingerprint would
 * depend on how the split reads them (the split on threads reads each file whole, in turn).
 */
function readsPrintAhead(spec: RunSpec): boolean {
  return (spec.operation === 'insert' && !spec.force) || spec.files.length > 1;
}

/** Which Bulk API a run sends with, as its ledger records it. */
function bulkApiOf(req: LoadRequest): Pick<RunSpec, 'bulkApi' | 'v1'> {
  return req.v1 ? { bulkApi: 'v1', v1: req.v1 } : { bulkApi: 'v2' };
}

/** A file's rows, marked with the file and put in the first file's column order. */
async function* inFirstFileOrder(header: string[], own: string[], fileIndex: number, batches: AsyncIterable<CsvRecord[]>): AsyncGenerator<CsvRecord[]> {
  const order = own.map((h) => h.toLowerCase());
  const map = header.map((h) => order.indexOf(h.toLowerCase()));
  const same = map.every((m, i) => m === i);
  for await (const batch of batches) {
    for (const record of batch) {
      record.fileIndex = fileIndex;
      if (!same) {
        record.fields = map.map((m) => record.fields[m] ?? '');
        record.text = undefined; // the source's text has the other column order
      }
    }
    yield batch;
  }
}

/** Several files load as one: they must have the same columns (the order may differ). */
function checkSameColumns(first: CsvSource, other: CsvSource): void {
  const norm = (h: string[]): string => [...h].map((x) => x.toLowerCase()).sort().join(',');
  if (norm(first.header) !== norm(other.header)) {
    const missing = first.header.filter((h) => !other.header.some((o) => o.toLowerCase() === h.toLowerCase()));
    const extra = other.header.filter((h) => !first.header.some((o) => o.toLowerCase() === h.toLowerCase()));
    throw new CsvInputError(
      'header-mismatch',
      other.file,
      other.headerLine,
      csvMessages.getMessage('headerMismatch', [
        first.file,
        missing.length ? csvMessages.getMessage('headerMissing', [missing.join(', ')]) : '',
        extra.length ? csvMessages.getMessage('headerExtra', [extra.join(', ')]) : '',
      ])
    );
  }
}

/** A refusal ends a run that sent nothing; anything else (the network, the disk) leaves it for resume. */
function isRefusal(e: unknown): boolean {
  return (
    e instanceof DuplicateRunError ||
    e instanceof PreflightFailedError ||
    e instanceof PreflightError ||
    e instanceof NotConfirmedError ||
    e instanceof CsvInputError
  );
}

/** Where a run keeps its rejected rows until it is past every refusal (removed with its parts if refused). */
export function pendingRejectedPath(runDir: string): string {
  return join(runDir, 'chunks', 'rejected.csv');
}

/**
 * The run is past its refusals and about to send: its rejected rows become the results folder's
 * rejected.csv; a run with none removes a rejected.csv an earlier run left there (once, before its
 * first job: a resume does not touch a file another run may have written since).
 */
async function publishRejected(runDir: string, state: RunState): Promise<void> {
  const target = join(state.spec.resultsDir, 'rejected.csv');
  const pending = pendingRejectedPath(runDir);
  if (existsSync(pending)) {
    await rename(pending, target);
    await syncDir(state.spec.resultsDir);
  } else if (state.rejected === 0 && !state.chunks.some((c) => c.closed)) {
    await rm(target, { force: true });
  }
}

/** Whether the run's operation can create records (delete and hardDelete cannot: no sf__Created column). */
export function createsRecords(state: RunState): boolean {
  return state.spec.operation !== 'delete' && state.spec.operation !== 'hardDelete';
}

/** Job Ids named by the other runs of the same ledger folder (runs that predate the creation journal). */
function jobsOfOtherRuns(runDir: string): Set<string> {
  const ids = new Set<string>();
  for (const run of listRuns(dirname(runDir))) {
    if (run.runDir === runDir) continue;
    for (const c of allChunks(run.state)) if (c.jobId) ids.add(c.jobId);
  }
  return ids;
}
