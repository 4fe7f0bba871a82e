/*
 * Runs prepared parts (CSV files this plugin wrote, with their line maps) as Bulk API 2.0 ingest jobs
 * (or, for a V1 run, as Bulk API V1 jobs of batches: v1Jobs.ts) and joins each job's results back to
 * the part's rows: create (or find again), upload, close, wait, join. Loads use it for their planned parts; anything else that sends rows (a retry of failed rows)
 * hands it parts the same way, in the same run and ledger.
 *
 * Every remote step is written to the run's ledger before and after it happens, so a run cut short at
 * any point is finished by running the same parts again, without a row sent twice:
 * - a job creation: the intent is written right before its own request, one creation in flight at a
 *   time on this machine for the same user, object and operation (creationJournal.ts); an intent
 *   without an outcome is matched to the org's unclaimed Open jobs in order (orphans.ts), so an orphan
 *   job goes to at most one part, ever;
 * - an upload: it counts as landed only when this part's own upload was answered; a job that refuses
 *   it because it holds data (whose, no one can prove) is left for a new one, dropped in the ledger
 *   before it is aborted (an Open job's data is never processed);
 * - a job past Open is never uploaded to again; results are fetched until one join completes;
 * - a job that processed nothing and returned no result (aborted) never held the part's rows, and
 *   never will: the part gets a new job. Results that match nothing sent are reported, never resent.
 * A stop (deps.stop) is asked for before each of those steps: the run then ends with StoppedError
 * at a step boundary, every step begun recorded with its answer, as after a crash at that point.
 */
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { mkdir } from 'node:fs/promises';
import { BulkV1 } from '../bulk/bulkV1.js';
import { BulkV2 } from '../bulk/bulkV2.js';
import { JobInfo, TERMINAL_STATES } from '../bulk/types.js';
import { OrgApiError } from '../http/orgHttp.js';
import { RetryPolicy } from '../http/retry.js';
import { fileBlocks } from '../io/fileBlocks.js';
import { Ledger } from '../ledger/ledger.js';
import { ChunkState, DropReason, JobTimes, RunState, V1RunSpec, allChunks, leaveJob } from '../ledger/records.js';
import { partsDir } from '../run/runState.js';
import { crashIfAsked } from '../runtime/crashPoints.js';
import { LoadEvent } from '../run/types.js';
import type { StopToken } from '../runtime/stopToken.js';
import { joinJob, JoinWorkspace, partPaths } from '../results/join.js';
import { retryingWithEvents, Retrying } from '../http/retrying.js';
import { PollSchedule } from './pollSchedule.js';
import { CreationJournal } from './creationJournal.js';
import { InFlight } from './inFlight.js';
import { DoubtClock, maxAnswerMs, orgAnswered, settleInDoubt } from './inDoubt.js';
import { byCreation, Intent, matchOrphan } from './orphans.js';
import { V1Jobs } from './v1Jobs.js';
import { creationJournalOf, unclaimedJobs } from './foreignJobs.js';

export type RunnerDeps = {
  bulk: BulkV2;
  /** Bulk API V1, for runs whose parts go as V1 jobs of batches (v1Jobs.ts) */
  bulkV1?: BulkV1;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  emit: (e: LoadEvent) => void;
  retry: RetryPolicy;
  poll: { minMs: number; maxMs: number };
  /** the machine's bulkops state folder: the creation journal lives there */
  stateDir: string;
  /** how long to wait for another process's job creation (default 10 minutes) */
  lockWaitMs?: number;
  /**
   * A stop asked for (a signal): asked before each job creation, upload, V1 batch, close and join,
   * which then throw StoppedError instead; `sleep` should be its sleep, so that polls and back-offs
   * wake at once. Calls already sent finish, and their answers are recorded.
   */
  stop?: StopToken;
  /** the longest the org may take to answer a call, for a send in doubt (default maxAnswerMs(): inDoubt.ts) */
  maxAnswerMs?: number;
};

export type Deadline = { at: number };

export type RunContext = {
  ledger: Ledger;
  state: RunState;
  deadline: Deadline;
  /** Job Ids that other runs' ledgers name (runs made before the creation journal existed) */
  claimedByOtherRuns?: () => Set<string>;
  /** jobs in flight and parts that may not overlap (default: the run's concurrency, parts in order) */
  inFlight?: InFlight<ChunkState>;
  /** send the parts as Bulk API V1 jobs (default: as the run's spec says) */
  v1?: V1RunSpec;
  /** take the parts until their jobs end, and no further: their results are joined by a later run() (the probe's) */
  untilEnded?: boolean;
};

/** The job calls the runner makes the same way for either API. */
type IngestJobs = Pick<BulkV2, 'createIngestJob' | 'close' | 'abort' | 'info'>;

/** The org no longer knows a job of the run (deleted, or purged 7 days after it ended). */
export class JobGoneError extends Error {
  public constructor(public readonly jobId: string) {
    super(`job ${jobId} no longer exists in the org`);
    this.name = 'JobGoneError';
  }
}

/** More Open jobs in the org could be the one an interrupted creation made than this machine can tell apart. */
export class AmbiguousOrphanError extends Error {
  public constructor(public readonly chunk: number, public readonly candidates: JobInfo[], public readonly intents: Intent[]) {
    super(`part ${chunk}: ${candidates.length} Open jobs could be the one its interrupted creation made: ${candidates.map((c) => c.id).join(', ')}`);
    this.name = 'AmbiguousOrphanError';
  }
}

/** The job's processing times from its info, for the load's estimate and observed rates (estimate.ts). */
function jobTimes(info: JobInfo): { times?: JobTimes } {
  if (info.totalProcessingTime === undefined) return {};
  return {
    times: {
      processingMs: info.totalProcessingTime,
      activeMs: info.apiActiveProcessingTime ?? info.totalProcessingTime,
      apexMs: info.apexProcessingTime ?? 0,
      ...(info.createdDate && info.systemModstamp ? { createdDate: info.createdDate, systemModstamp: info.systemModstamp } : {}),
    },
  };
}

/** A clock skew between this machine and the org that the orphan search allows for. */
const SKEW_MS = 60_000;
/**
 * How many jobs a part may leave for a new one before it is given up (its rows go to retry.csv, the
 * run goes on). An upload whose answer was lost costs one (the job that then refuses a repeat is
 * left), so the limit allows for a bad network, not only for a bug.
 */
const MAX_DROPS = 8;

export class JobRunner {
  /** One creation at a time in this process (the journal's lock does it between processes). */
  private readonly creating = new OneAtATime();
  /** Result joins too: one job's row index in memory at a time keeps memory flat. */
  private readonly joining = new OneAtATime();
  private readonly workspace = new JoinWorkspace();
  /** parts (run:part) whose data no job would take while the input was split (prepare): run() gives them up at once */
  private readonly givenUp = new Set<string>();
  private readonly retrying: Retrying;
  /** the API of the parts being run: set by run() (a runner's run() calls never overlap) */
  private jobs: IngestJobs;
  private v1?: V1Jobs;

  public constructor(private readonly deps: RunnerDeps) {
    this.retrying = retryingWithEvents(deps.retry, deps.sleep, deps.emit);
    this.jobs = deps.bulk;
  }

  /** Runs the parts that have no results yet, `concurrency` jobs at a time, until done or the deadline. */
  public async run(ctx: RunContext, parts: ChunkState[]): Promise<void> {
    const v1 = ctx.v1 ?? ctx.state.spec.v1;
    if (v1 && !this.deps.bulkV1) throw new Error('a Bulk API V1 run needs a V1 client');
    this.v1 = v1
      ? new V1Jobs(this.deps.bulkV1!, this.deps.bulk, v1, { ...this.doubtClock(), emit: this.deps.emit })
      : undefined;
    this.jobs = this.v1 ?? this.deps.bulk;
    // Jobs left holding data, whose abort a crash cut short: aborted now (an Open job's data is
    // never processed; closed, it would be).
    await this.abortLeft(ctx.ledger, ctx.state);
    const pending = parts.filter((c) => !c.results);
    if (!pending.length) return;
    this.workspace.reserve(Math.max(...pending.map((c) => c.chunk.rows)));
    // Asked before each part starts: how many jobs may be in flight, and which parts may not overlap.
    const gate = ctx.inFlight ?? new InFlight<ChunkState>({ max: ctx.state.spec.concurrency });
    const queue = [...pending];
    // A part that fails stops the run: no other part starts, and the parts already under way are
    // waited for, so the caller (who then lets the run's lock go) never leaves a worker behind.
    let failure: { error: unknown } | undefined;
    // A part leaves the gate when its job ends, before its results are joined (joins go one at a
    // time): twice as many workers as jobs in flight let the next parts start meanwhile. In a run
    // with its own gate (an auto run, a lock-failure round) a worker whose job has ended also hands
    // its place on to a new worker while it waits for its join: otherwise a backlog of joins holds
    // every worker, and parts the gate lets start (the next part of a heavy parent's chain, say)
    // wait for joins of other parts.
    // Past the wait a serial run starts no part once one has started here (a part sent back for a new job included).
    let startedOne = false;
    const handOff = ctx.inFlight !== undefined;
    // In such a run a part whose job has already ended (the estimate's probe, a part whose job ended
    // before a crash) holds no lock in the org: it is joined outside the gate. Through the gate it
    // kept the next part of its parent waiting while other parts took every job in flight, and that
    // part then queued in the org behind them. It counts as started, as it did through the gate: a
    // serial run past its wait then joins it and starts nothing else.
    const endedAlready = handOff ? queue.filter((c) => c.terminal) : [];
    if (endedAlready.length) {
      queue.splice(0, queue.length, ...queue.filter((c) => !c.terminal));
      startedOne = true;
    }
    const workers: Array<Promise<void>> = [];
    const worker = async (): Promise<void> => {
      for (let c = await gate.next(queue); c; c = await gate.next(queue)) {
        const part = c;
        let out = false;
        let handed = false;
        let requeued = false;
        const leaveGate = (): void => {
          if (out) return;
          out = true;
          // A job closed but not ended (the wait ran out) still holds its rows' parent locks in the org.
          gate.done(part, part.closed === true && !part.terminal);
        };
        const ended = (): void => {
          leaveGate();
          if (!handOff || handed || queue.length === 0) return;
          handed = true;
          workers.push(worker());
        };
        try {
          // Past the wait a parallel run still uploads every part (--wait 0 means "return after upload");
          // a serial run closes no other part (its data may be up already, sent as the file was split)
          // and leaves it for resume, so its jobs never overlap.
          if (gate.max === 1 && !c.closed && this.deps.now() > ctx.deadline.at && startedOne) break;
          startedOne = true;
          // A part whose job never held its rows goes back in the queue for a new job, through the gate.
          if ((await this.runPart(ctx, c, ended)) === 'again') {
            queue.unshift(c);
            requeued = true;
          }
        } catch (error) {
          failure ??= { error };
          gate.close();
        } finally {
          leaveGate();
        }
        // Its place was handed on; a part sent back goes on here (the queue may have emptied meanwhile).
        if (handed && !requeued) return;
      }
    };
    const joinEnded = async (c: ChunkState): Promise<void> => {
      try {
        if ((await this.runPart(ctx, c)) !== 'again') return;
        queue.unshift(c);
        workers.push(worker());
      } catch (error) {
        failure ??= { error };
        gate.close();
      }
    };
    for (let i = 0; i < Math.min(gate.max * 2, queue.length); i++) workers.push(worker());
    for (const c of endedAlready) workers.push(joinEnded(c));
    // Workers handed on are added while these run: the array's iterator reaches them too.
    for (const w of workers) await w;
    if (failure) throw failure.error;
  }

  /** Takes one part as far as it can go: submitted, finished, results joined. */
  private async runPart(ctx: RunContext, c: ChunkState, ended: () => void = (): void => {}): Promise<'again' | undefined> {
    const { ledger, state } = ctx;
    for (;;) {
      if (!c.closed && (this.givenUp.delete(`${state.spec.runId}:${c.chunk.index}`) || !(await this.submit(ctx, c)))) {
        await this.giveUp(ctx, c);
        return;
      }
      if (!c.terminal) {
        if (this.deps.now() >= ctx.deadline.at) return;
        this.deps.emit({ type: 'stage', stage: 'processing' });
        const info = await this.waitForJob(c, ctx.deadline, state.rows);
        if (!info) return;
        c.terminal = ledger.append({
          t: 'terminal',
          chunk: c.chunk.index,
          jobId: info.id,
          state: info.state,
          processed: info.numberRecordsProcessed ?? 0,
          failed: info.numberRecordsFailed ?? 0,
          ...(info.errorMessage ? { errorMessage: info.errorMessage } : {}),
          ...jobTimes(info),
        }) as ChunkState['terminal'];
        this.deps.emit({
          type: 'job-done',
          jobId: info.id,
          chunk: c.chunk.index,
          state: info.state,
          processed: info.numberRecordsProcessed ?? 0,
          failed: info.numberRecordsFailed ?? 0,
          errorMessage: info.errorMessage,
        });
      }
      if (c.results !== undefined || ctx.untilEnded === true) return;
      // The job has ended: it holds no lock in the org any more, and no longer counts in flight.
      ended();
      // Its results wait for the resume, which joins them the same way.
      this.goOn();
      const { strays, ...counts } = await this.join(state, c);
      // Nothing came back for the part, and the job says it processed nothing: its rows were never
      // processed (an aborted job, or one that never held them), and a job in that state never will.
      // They are sent again in a new job. Results that match nothing sent (strays) are never a reason
      // to send again: that is reported (unmatched.csv, status Inconsistent), not guessed at.
      if (untouched(c, counts.successful + counts.failed, strays) && (c.drops ?? 0) < MAX_DROPS) {
        this.drop(ledger, c, 'never-held');
        return 'again';
      }
      c.results = ledger.append({ t: 'results', chunk: c.chunk.index, jobId: c.jobId!, ...counts }) as ChunkState['results'];
      this.deps.emit({ type: 'results-written', chunk: c.chunk.index, jobId: c.jobId!, processed: c.terminal!.processed, successful: counts.successful, failed: counts.failed, unprocessed: counts.unprocessed, errorCodes: counts.errorCodes });
      return;
    }
  }

  /** Joins the job's results to the part's rows; `none`: the job has none to give (every row unprocessed). */
  private async join(state: RunState, c: ChunkState, none = false): ReturnType<typeof joinJob> {
    const parts = partsDir(state);
    await mkdir(parts, { recursive: true });
    const jobId = c.jobId!;
    let fetched = 0;
    const multi = state.spec.files.length > 1;
    const v1 = this.v1;
    // A V1 part's batches may not all be in its job: their rows have no result, and were never processed.
    const jobState = none ? 'Aborted' : v1 ? await v1.joinState(c, c.terminal!.state) : c.terminal!.state;
    return this.joining.run(() =>
      this.retrying('results', () =>
        joinJob(
          c.chunk,
          jobState,
          async (kind) => {
            if (none) return Readable.from([]);
            if (fetched++ === 1) crashIfAsked('mid-results', c.chunk.index);
            return this.gone(jobId, () => (v1 ? v1.results(c, kind) : this.deps.bulk.results(jobId, kind)));
          },
          partPaths(parts, c.chunk.index),
          {
            fileLabel: multi ? basename(state.spec.files[c.chunk.fileIndex]) : undefined,
            workspace: this.workspace,
            createdColumn: state.spec.operation !== 'delete' && state.spec.operation !== 'hardDelete',
            // A V1 part's results are built here from its batches, in this plugin's own CSV form.
            ...(v1 ? { resultForm: 'canonical' as const } : {}),
          }
        )
      )
    );
  }

  /**
   * The part leaves its job: a new one is created for it. Written down before anything is done to
   * the job (an abort), so a crash in between never lets a resume take that job for the part's.
   */
  private drop(ledger: Ledger, c: ChunkState, reason: DropReason): void {
    ledger.append({ t: 'job-dropped', chunk: c.chunk.index, jobId: c.jobId!, reason });
    leaveJob(c);
    c.creatingAt = undefined;
    c.creatingAgainAt = undefined;
    c.journaled = undefined;
    c.drops = (c.drops ?? 0) + 1;
  }

  /**
   * A part written while the input is still being split (Bulk API 2.0 only): its job is created and
   * its data uploaded, not closed. An Open job's data is never processed, so a run refused once the
   * split ends aborts these jobs having loaded nothing; run() closes them once the run is planned.
   * false: no job would take the part's data (run() goes on from there).
   */
  public async prepare(ctx: RunContext, c: ChunkState): Promise<boolean> {
    if (ctx.state.spec.v1) throw new Error('a V1 job processes its batches as they are added: its parts are not sent before the split ends');
    this.useV2();
    const staged = await this.stage(ctx, c);
    if (!staged) this.givenUp.add(`${ctx.state.spec.runId}:${c.chunk.index}`);
    return staged;
  }

  /**
   * The part leaves its job, which is aborted if still Open: a part of a split that was refused, or
   * that a new split of the input no longer holds (the input changed before a resume).
   */
  public async leave(ctx: RunContext, c: ChunkState): Promise<void> {
    this.useV2();
    // A creation whose answer was lost may have made a job: it is found (never a new one made) to be aborted.
    if (!c.jobId && c.creatingAt) await this.creating.run(() => this.obtainJob(ctx, c, true));
    if (c.jobId) {
      const jobId = c.jobId;
      // Dropped first: a crash before the abort leaves it to the next resume (state.toAbort).
      this.drop(ctx.ledger, c, 'left');
      await this.abortDropped(ctx.ledger, c.chunk.index, jobId);
    }
  }

  /** Aborts the jobs parts left holding data (state.toAbort), each recorded once aborted. */
  public async abortLeft(ledger: Ledger, state: RunState): Promise<void> {
    if (!state.spec.v1) this.useV2();
    for (const { chunk, jobId } of [...state.toAbort]) await this.abortDropped(ledger, chunk, jobId);
    state.toAbort = [];
  }

  /** Parts sent while the input is split are Bulk API 2.0 parts (run() sets the API for its own parts). */
  private useV2(): void {
    this.v1 = undefined;
    this.jobs = this.deps.bulk;
  }

  /** Create (or find again), upload and close the part's job, each step recorded before and after. */
  private async submit(ctx: RunContext, c: ChunkState): Promise<boolean> {
    if (!(await this.stage(ctx, c))) return false;
    await this.closeJob(ctx.ledger, c);
    return true;
  }

  /** Create (or find again) the part's job and upload its data, each step recorded before and after; false: given up. */
  private async stage(ctx: RunContext, c: ChunkState): Promise<boolean> {
    const { ledger } = ctx;
    const index = c.chunk.index;
    for (;;) {
      if (!c.jobId) await this.creating.run(() => this.obtainJob(ctx, c));
      const jobId = c.jobId!;
      if (!c.uploaded) {
        const upload = this.v1 ? await this.v1.send(ledger, c, this.retrying, () => this.goOn()) : await this.upload(ledger, c);
        if (upload !== 'landed') {
          // The job holds data that cannot be proven this part's, or can no longer take any: leave
          // it (dropped first, then aborted: data in an Open 2.0 job is never processed; a V1 job is
          // only left this way when no add of the part's is in doubt, see v1Jobs.ts), get another;
          // past the limit the part is given up (its rows wait in retry.csv), the job aborted still.
          if ((c.drops ?? 0) >= MAX_DROPS) {
            if (upload === 'foreign') await this.abortIfOpen(jobId);
            return false;
          }
          this.drop(ledger, c, upload === 'foreign' ? 'holds-data' : 'unusable');
          // Left in the ledger, not yet aborted: a resume aborts it (state.toAbort).
          crashIfAsked('after-drop', index);
          if (upload === 'foreign') await this.abortDropped(ledger, c.chunk.index, jobId);
          continue;
        }
        ledger.append({ t: 'uploaded', chunk: index, jobId });
        c.uploaded = true;
        crashIfAsked('after-upload', index);
      }
      return true;
    }
  }

  private async closeJob(ledger: Ledger, c: ChunkState): Promise<void> {
    this.goOn();
    const index = c.chunk.index;
    const jobId = c.jobId!;
    await this.retrying(
      'close',
      () => this.jobs.close(jobId),
      async () => {
        // The close may have reached the org before the failure: only an Open job needs it again.
        const info = await this.jobs.info(jobId);
        return info.state === 'Open' ? this.jobs.close(jobId) : info;
      }
    ).catch(async (e: unknown) => {
      if (e instanceof OrgApiError && e.errorCode === 'INVALIDJOBSTATE') {
        const info = await this.jobs.info(jobId);
        if (info.state !== 'Open') return info;
      }
      throw e;
    });
    c.closedAt = ledger.append({ t: 'closed', chunk: index, jobId }).at;
    c.closed = true;
    this.deps.emit({ type: 'job-uploaded', jobId, chunk: index });
    crashIfAsked('after-close', index);
  }

  /**
   * A part whose data no job would take, MAX_DROPS times: its rows were never processed. They are
   * recorded as unprocessed and worth sending again (retry.csv) against its last job, and the run goes on.
   */
  private async giveUp(ctx: RunContext, c: ChunkState): Promise<void> {
    this.deps.emit({ type: 'part-given-up', chunk: c.chunk.index, jobId: c.jobId!, jobs: (c.drops ?? 0) + 1 });
    c.terminal = undefined;
    const { strays, ...counts } = await this.join(ctx.state, c, true);
    void strays;
    c.results = ctx.ledger.append({ t: 'results', chunk: c.chunk.index, jobId: c.jobId!, ...counts }) as ChunkState['results'];
    this.deps.emit({ type: 'results-written', successful: counts.successful, failed: counts.failed, unprocessed: counts.unprocessed });
  }

  /**
   * Gives the part a job: the one its interrupted creation made, if the org and the journal can
   * tell which, else a new one (findOnly: none). Runs under the machine's creation lock for this user, object and
   * operation, so no other process creates such a job meanwhile.
   */
  private async obtainJob(ctx: RunContext, c: ChunkState, findOnly = false): Promise<void> {
    const { ledger, state } = ctx;
    const journal = this.journal(state);
    await journal.exclusive(
      async () => {
        const index = c.chunk.index;
        if (c.creatingAt) {
          const orphan = await this.settledOrphan(ctx, journal, c);
          if (orphan) {
            journal.resolved(ctx.ledger.runDir, index, orphan.id);
            c.jobId = orphan.id;
            c.adopted = true;
            c.createdAt = ledger.append({ t: 'created', chunk: index, jobId: orphan.id, adopted: true }).at;
            this.deps.emit({ type: 'job-created', jobId: orphan.id, chunk: index, rows: c.chunk.rows, adopted: true });
            return;
          }
        }
        // findOnly (the part is being left): no job was made, and none is.
        if (findOnly) {
          if (c.creatingAt) journal.resolved(ctx.ledger.runDir, index, undefined);
          return;
        }
        this.goOn();
        crashIfAsked('before-create', index);
        const intent = ledger.append({ t: 'creating', chunk: index, journal: true });
        c.creatingAt = intent.at;
        c.creatingAgainAt = undefined;
        c.journaled = true;
        journal.intent(ctx.ledger.runDir, index, intent.at);
        const job = await this.createJob(ctx, journal, c);
        // The most delicate moment: the org has the job, the ledger does not know it yet.
        crashIfAsked('after-create', index);
        journal.resolved(ctx.ledger.runDir, index, job.id);
        // The journal knows the job, the ledger not yet: resume finds it through the journal.
        crashIfAsked('after-claim', index);
        c.jobId = job.id;
        c.adopted = undefined;
        c.createdAt = ledger.append({ t: 'created', chunk: index, jobId: job.id }).at;
        this.deps.emit({ type: 'job-created', jobId: job.id, chunk: index, rows: c.chunk.rows, adopted: false });
      },
      {
        sleep: this.deps.sleep,
        pollMs: Math.min(200, this.deps.poll.minMs),
        // Past the longest wait for a creation in doubt (settledOrphan), which holds the lock meanwhile.
        maxWaitMs: this.deps.lockWaitMs ?? Math.max(10 * 60_000, this.doubtClock().boundMs + 60_000),
        onWait: (owner) => this.deps.emit({ type: 'retry', what: 'create job', attempt: 0, delayMs: 0, reason: `waiting for process ${owner.pid}, which is creating a job for the same object` }),
      }
    );
  }

  /** Creates a job; a retry first looks for the job the failed attempt may have made. */
  private async createJob(ctx: RunContext, journal: CreationJournal, c: ChunkState): Promise<JobInfo> {
    const spec = ctx.state.spec;
    let failedAttempts = 0;
    const create = (): Promise<JobInfo> =>
      this.jobs.createIngestJob({
        object: spec.object,
        operation: spec.operation,
        ...(spec.externalId ? { externalIdFieldName: spec.externalId } : {}),
        columnDelimiter: 'COMMA',
        lineEnding: 'LF',
        ...(spec.assignmentRuleId ? { assignmentRuleId: spec.assignmentRuleId } : {}),
      });
    // Whether the org answered every failed attempt itself (refusals: none of them made a job).
    let allRefused = true;
    const attempt = async (): Promise<JobInfo> => {
      try {
        return await create();
      } catch (e) {
        allRefused &&= orgAnswered(e);
        throw e;
      }
    };
    let job: JobInfo;
    try {
      job = await this.retrying('create job', attempt, async () => {
        failedAttempts++;
        const found = await this.findOrphan(ctx, journal, c);
        if (found) return found;
        // Written before it is sent: a resume waits for a creation in doubt from its last attempt's start.
        c.creatingAgainAt = ctx.ledger.append({ t: 'creating-again', chunk: c.chunk.index }).at;
        return attempt();
      });
    } catch (e) {
      // Refused every time (a session expired, the allocation used up…): no job was made, so the
      // creation is not in doubt and a resume creates one at once instead of waiting out the bound.
      if (allRefused) journal.resolved(ctx.ledger.runDir, c.chunk.index, undefined);
      throw e;
    }
    if (failedAttempts > 0) await this.abortExtras(ctx, journal, c, job, failedAttempts);
    return job;
  }

  /**
   * After a creation that needed retries: an earlier attempt the org handled late may have made a
   * job of its own. Only when no other creation on this machine is unresolved, and only Open jobs of
   * ours made after the intent and before the job we got, unclaimed, no more of them than attempts
   * failed (more would be someone else's too: then none is touched), are aborted.
   */
  private async abortExtras(ctx: RunContext, journal: CreationJournal, c: ChunkState, job: JobInfo, failedAttempts: number): Promise<void> {
    const since = Date.parse(c.creatingAt!);
    const others = journal.unresolved().filter((i) => !(i.run === ctx.ledger.runDir && i.chunk === c.chunk.index) && Date.parse(i.at) >= since - SKEW_MS);
    if (others.length) return;
    const extras = (await this.candidates(ctx, journal, c.creatingAt!)).filter(
      (j) => j.id !== job.id && byCreation(j, job) < 0 && Date.parse(j.createdDate.replace(/\+0000$/, 'Z')) >= since
    );
    if (extras.length > failedAttempts) return;
    for (const extra of extras) {
      await this.abortIfOpen(extra.id);
      ctx.ledger.append({ t: 'aborted-orphan', chunk: c.chunk.index, jobId: extra.id });
    }
  }

  /**
   * The job an interrupted creation of this part made, if one did. A creation whose request left
   * this machine (the journal has its intent) and was never answered may still be under way in the
   * org: a job that does not show yet is waited for while the org could still be making it
   * (inDoubt.ts), so it is adopted rather than left Open beside a new one.
   */
  private async settledOrphan(ctx: RunContext, journal: CreationJournal, c: ChunkState): Promise<JobInfo | undefined> {
    const since = c.creatingAt!;
    const inDoubt = c.journaled === true && journal.outcome(ctx.ledger.runDir, c.chunk.index, since)?.resolved === false;
    if (!inDoubt) return this.findOrphan(ctx, journal, c);
    // The org may be working on the last attempt sent (a retry), so the bound runs from its start.
    const sent = c.creatingAgainAt ?? since;
    return settleInDoubt(this.doubtClock(), Date.parse(sent), () => this.findOrphan(ctx, journal, c), (until) =>
      this.deps.emit({ type: 'send-in-doubt', what: 'job', chunk: c.chunk.index, sentAt: sent, until: new Date(until).toISOString() })
    );
  }

  private doubtClock(): DoubtClock {
    return { now: this.deps.now, sleep: this.deps.sleep, pollMs: this.deps.poll.maxMs, boundMs: this.deps.maxAnswerMs ?? maxAnswerMs() };
  }

  /** The job an interrupted creation of this part made, if one did (see orphans.ts). */
  private async findOrphan(ctx: RunContext, journal: CreationJournal, c: ChunkState): Promise<JobInfo | undefined> {
    const run = ctx.ledger.runDir;
    const since = c.creatingAt!;
    const ours: Intent = { run, chunk: c.chunk.index, at: since };
    let unresolved: Intent[];
    if (c.journaled) {
      const known = journal.outcome(run, c.chunk.index, since);
      // Written before the request: no journal intent means the request was never sent.
      if (!known) return undefined;
      if (known.resolved) return known.jobId ? this.gone(known.jobId, () => this.retrying('job info', () => this.jobs.info(known.jobId!))) : undefined;
      const from = Date.parse(since) - SKEW_MS;
      unresolved = journal.unresolved().filter((i) => Date.parse(i.at) >= from);
    } else {
      // A ledger written before the journal existed: its own unresolved intents are all there is to go by.
      unresolved = allChunks(ctx.state).filter((o) => o.creatingAt && !o.jobId).map((o) => ({ run, chunk: o.chunk.index, at: o.creatingAt! }));
    }
    const match = matchOrphan(ours, unresolved, await this.candidates(ctx, journal, since));
    if (match.kind === 'ambiguous') throw new AmbiguousOrphanError(c.chunk.index, match.candidates, match.intents);
    return match.kind === 'adopt' ? match.job : undefined;
  }

  /** Open jobs of our user, object and operation created since `since` that no run on this machine claims. */
  private async candidates(ctx: RunContext, journal: CreationJournal, since: string): Promise<JobInfo[]> {
    const from = Date.parse(since) - SKEW_MS;
    const open = (job: JobInfo): boolean => job.state === 'Open' && Date.parse(job.createdDate.replace(/\+0000$/, 'Z')) >= from;
    const found = await unclaimedJobs({ bulk: this.deps.bulk, retrying: this.retrying, stateDir: this.deps.stateDir, state: ctx.state, v1: this.v1 !== undefined, claimedByOtherRuns: ctx.claimedByOtherRuns, keep: open }, journal);
    return found.sort(byCreation);
  }

  /**
   * The org's jobs of the run's user, object and operation that have not ended and that no run on
   * this machine made: asked before an insert's first job (another machine may be loading the rows).
   */
  public foreignJobs(state: RunState, claimedByOtherRuns: () => Set<string>): Promise<JobInfo[]> {
    const v1 = state.spec.v1 !== undefined;
    const unended = (job: JobInfo): boolean => !TERMINAL_STATES.has(job.state);
    return unclaimedJobs({ bulk: this.deps.bulk, retrying: this.retrying, stateDir: this.deps.stateDir, state, v1, claimedByOtherRuns, keep: unended });
  }

  private journal(state: RunState): CreationJournal {
    return creationJournalOf(this.deps.stateDir, state, this.v1 !== undefined, this.deps.now);
  }


  /**
   * Uploads the part to its job. 'landed' when the org answered this part's upload, or when the job
   * was closed by someone before the part recorded its upload (its results then tell whose rows it
   * processed); 'foreign' when the org refuses the upload because the job holds data: whether an
   * earlier attempt of ours put it there cannot be proven, so the job is never used; 'unusable' when
   * the job is gone or past Open before this part sent it anything.
   */
  private async upload(ledger: Ledger, c: ChunkState): Promise<'landed' | 'foreign' | 'unusable'> {
    this.goOn();
    const jobId = c.jobId!;
    let oursMayHaveLanded = c.uploading === true;
    if (oursMayHaveLanded) {
      const info = await this.gone(jobId, () => this.retrying('job info', () => this.jobs.info(jobId)));
      if (info.state !== 'Open') return 'landed';
    } else {
      ledger.append({ t: 'uploading', chunk: c.chunk.index, jobId });
      c.uploading = true;
    }
    const body = (): AsyncIterable<Buffer> => {
      const blocks = fileBlocks(c.chunk.file);
      return process.env.SF_BULKOPS_CRASH_AT?.startsWith('mid-upload') ? crashHalfway(blocks, c.chunk.bytes, c.chunk.index) : blocks;
    };
    const once = async (): Promise<'landed' | 'foreign' | 'unusable'> => {
      try {
        await this.deps.bulk.upload(jobId, body, c.chunk.bytes);
        return 'landed';
      } catch (e) {
        if (!(e instanceof OrgApiError)) throw e;
        if (e.errorCode === 'INVALIDJOBSTATE' && /multiple contents|already/i.test(e.message)) return 'foreign';
        if (!oursMayHaveLanded && (e.status === 404 || e.errorCode === 'INVALIDJOBSTATE')) return 'unusable';
        throw e;
      }
    };
    return this.retrying('upload', once, async () => {
      // The failed attempt may have reached the org before the failure.
      oursMayHaveLanded = true;
      const info = await this.jobs.info(jobId);
      return info.state === 'Open' ? once() : 'landed';
    });
  }

  /** Aborts a job the part left, if still Open, and records it (a resume does the same for jobs left before a crash). */
  private async abortDropped(ledger: Ledger, chunk: number, jobId: string): Promise<void> {
    await this.abortIfOpen(jobId);
    ledger.append({ t: 'aborted-orphan', chunk, jobId });
  }

  private async abortIfOpen(jobId: string): Promise<void> {
    try {
      const info = await this.retrying('job info', () => this.jobs.info(jobId));
      if (info.state === 'Open') await this.retrying('abort', () => this.jobs.abort(jobId));
    } catch (e) {
      // A job that is gone or no longer Open needs nothing.
      if (!(e instanceof OrgApiError && (e.status === 404 || e.errorCode === 'INVALIDJOBSTATE'))) throw e;
    }
  }

  /** Polls the part's job with back-off until it ends or the wait runs out. */
  private async waitForJob(c: ChunkState, deadline: Deadline, total: number): Promise<JobInfo | undefined> {
    const schedule = new PollSchedule(this.deps.poll.minMs, this.deps.poll.maxMs, c.chunk.rows);
    const startedAt = this.deps.now();
    const jobId = c.jobId!;
    for (;;) {
      const info = await this.gone(jobId, () => this.retrying('job info', () => this.jobs.info(jobId)));
      const processed = info.numberRecordsProcessed ?? 0;
      this.deps.emit({ type: 'job-progress', jobId, state: info.state, processed, failed: info.numberRecordsFailed ?? 0 });
      const seconds = Math.max(0.001, (this.deps.now() - startedAt) / 1000);
      this.deps.emit({ type: 'progress', processed, failed: info.numberRecordsFailed ?? 0, total, recordsPerSecond: Math.round(processed / seconds) });
      if (TERMINAL_STATES.has(info.state)) return info;
      const left = deadline.at - this.deps.now();
      if (left <= 0) return undefined;
      await this.deps.sleep(Math.min(schedule.next(this.deps.now(), processed), left));
    }
  }

  /** Throws StoppedError once a stop was asked for: called right before a step that sends or starts something. */
  private goOn(): void {
    this.deps.stop?.check();
  }

  private async gone<T>(jobId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof OrgApiError && e.status === 404) throw new JobGoneError(jobId);
      throw e;
    }
  }
}

/** The part's job ended without processing or returning anything of it (Aborted, or complete but empty). */
function untouched(c: ChunkState, results: number, strays: number): boolean {
  const t = c.terminal!;
  return c.chunk.rows > 0 && results === 0 && strays === 0 && t.processed === 0 && (t.state === 'Aborted' || t.state === 'JobComplete');
}

/** Passes the blocks on, and crashes the process (kill -9 style) once half the bytes went by (tests only). */
async function* crashHalfway(blocks: AsyncIterable<Buffer>, total: number, chunk: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const block of blocks) {
    seen += block.length;
    if (seen >= total / 2) crashIfAsked('mid-upload', chunk);
    yield block;
  }
}

/** Runs tasks one after another, in the order they were asked for. */
export class OneAtATime {
  private tail: Promise<unknown> = Promise.resolve();

  public run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
