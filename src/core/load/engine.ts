/*
 * The load engine. A run goes: read, check, fingerprint and plan (chunk files on disk) -> for each chunk, one
 * Bulk 2.0 job: create, upload, close, wait, join results -> merge the result parts. Every remote
 * step is written to the run's ledger before and after it happens (hard-parts.md §2), so `resume`
 * can replay the ledger after a crash at any point and finish the run without sending a row twice:
 * - "creating" without "created": our job may exist; it is looked up (Get All Jobs: our user, the
 *   object and operation, Open, created since the intent) and adopted instead of creating another;
 * - "uploading" without "uploaded": the job is asked for its state; only an Open job is uploaded
 *   to again, and "already has data" counts as uploaded;
 * - a job past Open is never uploaded to again; results are fetched once per job.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { BulkV2 } from '../bulk/bulkV2.js';
import { JobInfo, JobState, TERMINAL_STATES } from '../bulk/types.js';
import { OrgApiError } from '../http/orgHttp.js';
import { DEFAULT_RETRY, RetryPolicy, withRetry } from '../http/retry.js';
import { openCsv } from '../csv/reader.js';
import { fileBlocks } from '../io/fileBlocks.js';
import { Ledger } from '../ledger/ledger.js';
import { ChunkState, RunSpec, RunState, replay } from '../ledger/records.js';
import { findSameLoad } from '../ledger/runIndex.js';
import { Identity } from '../org/identity.js';
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import { BackupShortError, backupRecords, idsOfChunks } from '../backup/backup.js';
import { countKeys, Preflight } from '../preflight/preflight.js';
import { ProblemsFile } from '../preflight/problemsFile.js';
import type { DescribeSource } from '../preflight/describe.js';
import type { PreflightReport, Problem } from '../preflight/problems.js';
import { CsvRecord, CsvSource } from '../csv/reader.js';
import { CsvInputError } from '../csv/errors.js';
import { csvMessages } from '../csv/messages.js';
import { mergeReports } from '../preflight/problems.js';
import { addCounts, emptyCounts, joinJob, JoinWorkspace, partPaths } from '../results/join.js';
import { mergeParts, resultPaths } from '../results/resultFiles.js';
import { crashIfAsked } from './crashPoints.js';
import { PollSchedule } from './pollSchedule.js';
import { Fingerprint } from './fingerprint.js';
import { planChunks } from './planner.js';
import { JobSummary, LoadEvent, LoadRequest, LoadResult } from './types.js';

export type EngineDeps = {
  bulk: BulkV2;
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
};

/** A second load of the same file into the same org and object, with the same operation. */
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

/** The user did not confirm (hardDelete): nothing was sent. */
export class NotConfirmedError extends Error {
  public constructor() {
    super('not confirmed');
    this.name = 'NotConfirmedError';
  }
}

/** The org no longer knows a job of the run (deleted, or purged 7 days after it ended). */
export class JobGoneError extends Error {
  public constructor(public readonly jobId: string) {
    super(`job ${jobId} no longer exists in the org`);
    this.name = 'JobGoneError';
  }
}

type Deadline = { at: number };

export class LoadEngine {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly emit: (e: LoadEvent) => void;
  private readonly retryPolicy: RetryPolicy;
  private identityCache?: Identity;
  /**
   * Job creation is one at a time within a run: when a failed creation is retried, every job this
   * process has created is already claimed by its chunk, so an Open job found in the org can only be
   * the one the failed attempt made (or a crashed run's), never a sibling chunk's.
   */
  private readonly creating = new OneAtATime();
  /** Result joins too: one job's row index in memory at a time keeps memory flat (hard-parts.md §1). */
  private readonly joining = new OneAtATime();
  private readonly joinWorkspace = new JoinWorkspace();

  public constructor(private readonly deps: EngineDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)));
    this.emit = deps.onEvent ?? ((): void => {});
    this.retryPolicy = deps.retry ?? DEFAULT_RETRY;
  }

  /**
   * --dry-run: the checks alone, over every row; nothing is sent and no run is recorded (the result
   * has no runId). Every problem goes to problems.csv (in resultsDir, or the current folder).
   */
  public async check(req: LoadRequest): Promise<LoadResult> {
    const started = this.now();
    const print = new Fingerprint(req.files.length);
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
    const earlier = findSameLoad(req.ledgerDir, { orgId: identity.orgId, object: req.object, operation: req.operation, fileSha256: print.digest().sha256, runId: req.runId });
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

  /** A new run: plans the file into chunks, then drives them. */
  public async start(req: LoadRequest): Promise<LoadResult> {
    const runDir = join(req.ledgerDir, req.runId);
    const identity = await this.identity();
    await mkdir(join(runDir, 'chunks'), { recursive: true });
    const ledger = new Ledger(runDir, this.now);
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
        backup: req.operation === 'hardDelete' || (req.operation === 'delete' && req.backup !== false),
        ...(req.keepChunks ? { keepChunks: true } : {}),
      };
      ledger.append({ t: 'run', ...spec });
      this.emit({ type: 'stage', stage: 'read' });
      const print = new Fingerprint(req.files.length);
      const inputs = await this.openInputs(req, {}, print);
      await mkdir(spec.resultsDir, { recursive: true });
      const plan = await planChunks(inputs.records, {
        dir: join(runDir, 'chunks'),
        header: inputs.header,
        maxBytes: req.maxJobBytes,
        check: inputs.check,
        rejectedFile: join(spec.resultsDir, 'rejected.csv'),
        fileNames: req.files.map((f) => basename(f)),
      });
      const report = inputs.report();
      const { sha256, bytes } = print.digest();
      // Nothing has been sent yet: a second load of the same file into the same org stops here.
      if (!req.force) {
        const earlier = findSameLoad(req.ledgerDir, { orgId: identity.orgId, object: req.object, operation: req.operation, fileSha256: sha256, runId: req.runId });
        if (earlier) {
          // This run sent nothing: its folder (the split parts) goes, so only the earlier run remains.
          ledger.close();
          await rm(runDir, { recursive: true, force: true });
          throw new DuplicateRunError(earlier.runId, earlier.runDir);
        }
      }
      ledger.append({
        t: 'planned',
        chunks: plan.chunks,
        rows: plan.rows,
        rejected: plan.rejected,
        header: inputs.header,
        ...(report ? { preflight: report } : {}),
        fileSha256: sha256,
        fileBytes: bytes,
      });
      this.emit({ type: 'planned', rows: plan.rows, chunks: plan.chunks.length, bytes: plan.chunks.reduce((n, c) => n + c.bytes, 0), rejected: plan.rejected });
      if (req.confirm && !(await req.confirm({ rows: plan.rows, object: req.object, operation: req.operation }))) throw new NotConfirmedError();
      return await this.drive(ledger, runDir, replay(Ledger.read(runDir)), { at: this.now() + req.waitMs });
    } finally {
      ledger.close();
    }
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
    };
  }

  /** Picks up a run from its ledger and finishes it (or goes on until the wait runs out). */
  public async resume(runDir: string, waitMs: number): Promise<LoadResult> {
    const records = Ledger.read(runDir);
    const state = replay(records);
    const ledger = new Ledger(runDir, this.now);
    try {
      if (!state.planned) {
        // The crash came before any job was created: planning again is safe and complete.
        throw new Error(`run ${state.spec.runId} stopped before its file was split; nothing was sent. Start it again with load.`);
      }
      return await this.drive(ledger, runDir, state, { at: this.now() + waitMs });
    } finally {
      ledger.close();
    }
  }

  private async identity(): Promise<Identity> {
    this.identityCache ??= await this.deps.identity();
    return this.identityCache;
  }

  private async drive(ledger: Ledger, runDir: string, state: RunState, deadline: Deadline): Promise<LoadResult> {
    const started = this.now();
    if (state.spec.backup && !state.backup) await this.backup(ledger, runDir, state);
    const pending = state.chunks.filter((c) => !c.results);
    if (pending.length) this.joinWorkspace.reserve(Math.max(...pending.map((c) => c.chunk.rows)));
    this.emit({ type: 'stage', stage: 'upload' });
    const queue = [...pending];
    const workers = Array.from({ length: Math.max(1, Math.min(state.spec.concurrency, queue.length)) }, async () => {
      for (let c = queue.shift(); c; c = queue.shift()) {
        // Past the wait a parallel run still uploads every part (--wait 0 means "return after upload");
        // a serial run leaves the parts not started for resume, so its jobs never overlap.
        if (state.spec.concurrency === 1 && !c.jobId && this.now() > deadline.at && c !== pending[0]) break;
        await this.runChunk(ledger, state, c, deadline);
      }
    });
    await Promise.all(workers);

    const done = state.chunks.every((c) => c.results);
    if (done && !state.done) {
      this.emit({ type: 'stage', stage: 'results' });
      crashIfAsked('before-merge');
      const paths = resultPaths(state.spec.resultsDir);
      await mergeParts(
        paths,
        state.header,
        state.chunks.map((c) => partPaths(this.partsDir(state), c.chunk.index)),
        state.spec.files.length > 1
      );
      ledger.append({ t: 'merged' });
      ledger.append({ t: 'done' });
      state.merged = true;
      state.done = true;
    }
    // Also after a crash that came between 'done' and this: resume tidies what is left.
    if (state.done && !state.spec.keepChunks) await this.tidy(runDir, state);
    this.emit({ type: 'stage', stage: 'done' });
    return this.result(runDir, state, started);
  }

  /** Exports the target records before the first delete job; a short backup stops the run. */
  private async backup(ledger: Ledger, runDir: string, state: RunState): Promise<void> {
    if (!this.deps.query || !this.deps.fields) throw new Error('backup needs a query client');
    this.emit({ type: 'stage', stage: 'backup' });
    const ids = await idsOfChunks(state.chunks.map((c) => c.chunk));
    const file = join(runDir, 'backup.csv');
    const taken = await this.retrying('backup', () =>
      backupRecords({ query: this.deps.query!, fields: this.deps.fields!, sleep: this.sleep, pollMs: this.deps.poll?.minMs ?? 1000 }, state.spec.object, ids, file)
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
    await rm(join(runDir, 'chunks'), { recursive: true, force: true });
    await rm(this.partsDir(state), { recursive: true, force: true });
  }

  private partsDir(state: RunState): string {
    return join(state.spec.resultsDir, 'parts');
  }

  /** Takes one chunk as far as it can go: submitted, finished, results joined. */
  private async runChunk(ledger: Ledger, state: RunState, c: ChunkState, deadline: Deadline): Promise<void> {
    if (!c.closed) await this.submit(ledger, state, c);
    if (!c.terminal) {
      if (this.now() >= deadline.at) return;
      this.emit({ type: 'stage', stage: 'processing' });
      const info = await this.waitForJob(c, deadline, state.rows);
      if (!info) return;
      c.terminal = ledger.append({
        t: 'terminal',
        chunk: c.chunk.index,
        jobId: info.id,
        state: info.state,
        processed: info.numberRecordsProcessed ?? 0,
        failed: info.numberRecordsFailed ?? 0,
        ...(info.errorMessage ? { errorMessage: info.errorMessage } : {}),
      }) as ChunkState['terminal'];
      this.emit({
        type: 'job-done',
        jobId: info.id,
        chunk: c.chunk.index,
        state: info.state,
        processed: info.numberRecordsProcessed ?? 0,
        failed: info.numberRecordsFailed ?? 0,
        errorMessage: info.errorMessage,
      });
    }
    if (!c.results) {
      const partsDir = this.partsDir(state);
      await mkdir(partsDir, { recursive: true });
      const jobId = c.jobId!;
      let fetched = 0;
      const multi = state.spec.files.length > 1;
      const counts = await this.joining.run(() => this.retrying('results', () =>
        joinJob(
          c.chunk,
          c.terminal!.state,
          async (kind) => {
            if (fetched++ === 1) crashIfAsked('mid-results', c.chunk.index);
            return this.gone(jobId, () => this.deps.bulk.results(jobId, kind));
          },
          partPaths(partsDir, c.chunk.index),
          { fileLabel: multi ? basename(state.spec.files[c.chunk.fileIndex]) : undefined, workspace: this.joinWorkspace }
        )
      ));
      c.results = ledger.append({ t: 'results', chunk: c.chunk.index, jobId, ...counts }) as ChunkState['results'];
      this.emit({ type: 'results-written', successful: counts.successful, failed: counts.failed, unprocessed: counts.unprocessed });
    }
  }

  /** Create (or adopt), upload and close the chunk's job, each step recorded before and after. */
  private async submit(ledger: Ledger, state: RunState, c: ChunkState): Promise<void> {
    const index = c.chunk.index;
    if (!c.jobId) {
      if (c.creatingAt) {
        // A crash between asking for a job and recording it: the job may exist. Find it rather than make another.
        const orphan = await this.findOwnOpenJob(state, c.creatingAt);
        if (orphan) {
          c.adopted = true;
          c.jobId = orphan.id;
          ledger.append({ t: 'created', chunk: index, jobId: orphan.id, adopted: true });
          this.emit({ type: 'job-created', jobId: orphan.id, chunk: index, rows: c.chunk.rows, adopted: true });
        }
      }
      if (!c.jobId) {
        crashIfAsked('before-create', index);
        const intent = ledger.append({ t: 'creating', chunk: index });
        c.creatingAt = intent.at;
        const creatingAt = c.creatingAt;
        const job = await this.creating.run(async () => {
          const created = await this.createJob(state, creatingAt);
          // The most delicate moment: the org has the job, the ledger does not know it yet.
          crashIfAsked('after-create', index);
          c.jobId = created.id;
          ledger.append({ t: 'created', chunk: index, jobId: created.id });
          return created;
        });
        this.emit({ type: 'job-created', jobId: job.id, chunk: index, rows: c.chunk.rows, adopted: false });
      }
    }
    const jobId = c.jobId;
    if (!jobId) throw new Error(`chunk ${index} has no job`);
    if (!c.uploaded) {
      let alreadyPastOpen = false;
      const attemptedBefore = c.uploading === true;
      if (attemptedBefore) {
        const info = await this.gone(jobId, () => this.retrying('info', () => this.deps.bulk.info(jobId)));
        alreadyPastOpen = info.state !== 'Open';
      } else {
        ledger.append({ t: 'uploading', chunk: index, jobId });
        c.uploading = true;
      }
      if (!alreadyPastOpen) await this.upload(jobId, c, attemptedBefore);
      ledger.append({ t: 'uploaded', chunk: index, jobId });
      c.uploaded = true;
      crashIfAsked('after-upload', index);
    }
    if (!c.closed) {
      await this.retrying(
        'close',
        () => this.deps.bulk.close(jobId),
        async () => {
          // The close may have reached the org before the failure: only an Open job needs it again.
          const info = await this.deps.bulk.info(jobId);
          return info.state === 'Open' ? this.deps.bulk.close(jobId) : info;
        }
      ).catch(async (e: unknown) => {
        if (e instanceof OrgApiError && e.errorCode === 'INVALIDJOBSTATE') {
          const info = await this.deps.bulk.info(jobId);
          if (info.state !== 'Open') return info;
        }
        throw e;
      });
      ledger.append({ t: 'closed', chunk: index, jobId });
      c.closed = true;
      this.emit({ type: 'job-uploaded', jobId, chunk: index });
      crashIfAsked('after-close', index);
    }
  }

  /** Creates a job; a retry first looks for the job the failed attempt may have created. */
  private createJob(state: RunState, since: string): Promise<JobInfo> {
    const spec = state.spec;
    const create = (): Promise<JobInfo> =>
      this.deps.bulk.createIngestJob({
        object: spec.object,
        operation: spec.operation,
        ...(spec.externalId ? { externalIdFieldName: spec.externalId } : {}),
        columnDelimiter: 'COMMA',
        lineEnding: 'LF',
      });
    return this.retrying('create job', create, async () => (await this.findOwnOpenJob(state, since)) ?? create());
  }

  /** Uploads the chunk file; "the job already has data" means an earlier attempt got through. */
  private async upload(jobId: string, c: ChunkState, attemptedBefore: boolean): Promise<void> {
    const body = (): AsyncIterable<Buffer> => {
      const blocks = fileBlocks(c.chunk.file);
      return process.env.SF_BULKOPS_CRASH_AT?.startsWith('mid-upload') ? crashHalfway(blocks, c.chunk.bytes, c.chunk.index) : blocks;
    };
    // "Already has data" means an earlier attempt of ours got through; if we never sent any (a job
    // adopted after a crash that already holds data), the data is someone else's: fail loudly.
    let mayHaveSent = attemptedBefore;
    const once = async (): Promise<void> => {
      try {
        await this.deps.bulk.upload(jobId, body);
      } catch (e) {
        if (e instanceof OrgApiError && e.errorCode === 'INVALIDJOBSTATE' && /multiple contents|already/i.test(e.message) && mayHaveSent) return;
        throw e;
      } finally {
        mayHaveSent = true;
      }
    };
    await this.retrying('upload', once, async () => {
      const info = await this.deps.bulk.info(jobId);
      if (info.state === 'Open') await once();
    });
  }

  /**
   * Our Open job for this object and operation created since the intent, not yet claimed by a chunk
   * of this run. Extra ones (a retried create that got through twice) are aborted.
   */
  private async findOwnOpenJob(state: RunState, since: string): Promise<JobInfo | undefined> {
    const claimed = new Set(state.chunks.map((c) => c.jobId).filter(Boolean));
    // Allow for clock skew between this machine and the org.
    const from = Date.parse(since) - 60_000;
    const found: JobInfo[] = [];
    let next: string | null | undefined;
    do {
      const page = await this.retrying('list jobs', () => this.deps.bulk.listJobs(next, 'V2Ingest'));
      for (const job of page.records) {
        if (
          job.state === 'Open' &&
          !claimed.has(job.id) &&
          job.createdById.slice(0, 15) === state.spec.org.userId.slice(0, 15) &&
          job.object.toLowerCase() === state.spec.object.toLowerCase() &&
          job.operation === state.spec.operation &&
          Date.parse(job.createdDate.replace(/\+0000$/, 'Z')) >= from
        ) {
          found.push(job);
        }
      }
      next = page.nextRecordsUrl;
    } while (next);
    found.sort((a, b) => a.createdDate.localeCompare(b.createdDate));
    return found[0];
  }

  /** Polls the chunk's job with back-off until it ends or the wait runs out. */
  private async waitForJob(c: ChunkState, deadline: Deadline, total: number): Promise<JobInfo | undefined> {
    const schedule = new PollSchedule(this.deps.poll?.minMs ?? 1000, this.deps.poll?.maxMs ?? 10_000, c.chunk.rows);
    const startedAt = this.now();
    const jobId = c.jobId!;
    for (;;) {
      const info = await this.gone(jobId, () => this.retrying('job info', () => this.deps.bulk.info(jobId)));
      const processed = info.numberRecordsProcessed ?? 0;
      this.emit({ type: 'job-progress', jobId, state: info.state, processed, failed: info.numberRecordsFailed ?? 0 });
      const seconds = Math.max(0.001, (this.now() - startedAt) / 1000);
      this.emit({ type: 'progress', processed, failed: info.numberRecordsFailed ?? 0, total, recordsPerSecond: Math.round(processed / seconds) });
      if (TERMINAL_STATES.has(info.state)) return info;
      const left = deadline.at - this.now();
      if (left <= 0) return undefined;
      await this.sleep(Math.min(schedule.next(this.now(), processed), left));
    }
  }

  private retrying<T>(what: string, fn: () => Promise<T>, again?: (e: Error) => Promise<T>): Promise<T> {
    return withRetry(
      fn,
      {
        sleep: this.sleep,
        onRetry: ({ attempt, delayMs, error }) => this.emit({ type: 'retry', what, attempt, delayMs: Math.round(delayMs), reason: error.message }),
      },
      this.retryPolicy,
      again
    );
  }

  private async gone<T>(jobId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof OrgApiError && e.status === 404) throw new JobGoneError(jobId);
      throw e;
    }
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
    }));
    const rejectedFile = join(state.spec.resultsDir, 'rejected.csv');
    const paths = resultPaths(state.spec.resultsDir);
    return {
      runId: state.spec.runId,
      status: state.done ? 'Completed' : 'InProgress',
      object: state.spec.object,
      operation: state.spec.operation,
      ...(state.spec.externalId ? { externalId: state.spec.externalId } : {}),
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
      errorCodes: Object.entries(counts.errorCodes)
        .map(([code, count]) => ({ code, count }))
        .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
      jobs,
      runDir,
      ...(state.done
        ? { files: { ...paths, ...(existsSync(rejectedFile) ? { rejected: rejectedFile } : {}), ...(state.backup ? { backup: state.backup.file } : {}) } }
        : {}),
      ...(state.backup ? { backup: { file: state.backup.file, ids: state.backup.ids, records: state.backup.records } } : {}),
      startedAt: state.startedAt,
      finishedAt: new Date(finished).toISOString(),
      elapsedMs: finished - started,
    };
  }
}

/** Test hook for SF_BULKOPS_CRASH_AT=mid-upload: dies once half of the chunk has been read. */
/** Passes the blocks on, and crashes the process (kill -9 style) once half the bytes went by (tests only). */
async function* crashHalfway(blocks: AsyncIterable<Buffer>, total: number, chunk: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const block of blocks) {
    seen += block.length;
    if (seen >= total / 2) crashIfAsked('mid-upload', chunk);
    yield block;
  }
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

/** Runs tasks one after another, in the order they were asked for. */
class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  public run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

