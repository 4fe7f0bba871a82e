/*
 * The load engine: the orchestrator of a load's stages, each its own module with a typed input
 * and output. A new run goes
 *
 *   open and check the inputs (inputs.ts) → plan and split, parts sent as they are written
 *   (splitStage.ts, earlyParts.ts) → confirm a hardDelete (refusals.ts) → back up a delete
 *   (backupStage.ts) → run the parts (runParts.ts, runner/jobRunner.ts) → merge the results
 *   (mergeStage.ts) → send the lock failures again (attempts/rounds.ts) → tidy (tidyStage.ts)
 *
 * and its result is built from the run's state (result.ts). Every step is written to the run's
 * ledger, so `resume` replays it after a crash at any point and finishes the run without sending a
 * row twice; a run folder is worked on by one process at a time (run/runFolder.ts). A dry run is
 * the first stage alone (dryRun.ts); a new round of a finished run (reconcile) is planned by
 * attempts/plan.ts and driven here like the load's parts.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { finishRounds, lockRounds, type RoundContext } from '../attempts/rounds.js';
import { planRound, type RoundPick, type RowCheck, type SentAgain } from '../attempts/plan.js';
import { roundsOf } from '../attempts/summary.js';
import { DEFAULT_RETRY } from '../http/retry.js';
import { Ledger } from '../ledger/ledger.js';
import type { RunState } from '../ledger/records.js';
import type { Identity } from '../org/identity.js';
import type { DescribeSource } from '../preflight/describe.js';
import { Preflight } from '../preflight/preflight.js';
import { RunNotDoneError } from '../run/errors.js';
import { lockRun, withOpenRun } from '../run/runFolder.js';
import { jobsOfOtherRuns } from '../run/runState.js';
import type { LoadRequest, LoadResult } from '../run/types.js';
import { type Deadline, JobRunner } from '../runner/jobRunner.js';
import { backupStage } from './backupStage.js';
import type { EngineDeps, LoadContext } from './context.js';
import { dryRun } from './dryRun.js';
import { mergeStage } from './mergeStage.js';
import { abandon, confirmHardDelete, isRefusal, refuseUnconfirmed } from './refusals.js';
import { checkLimits, needOf } from './limitsStage.js';
import { loadResult } from './result.js';
import { runPartsStage } from './runParts.js';
import { requestOf, runSpecOf } from './runSpec.js';
import { planStage } from './splitStage.js';
import { tidyStage } from './tidyStage.js';

export type { EngineDeps } from './context.js';

export class LoadEngine {
  private readonly ctx: LoadContext;
  private identityCache?: Identity;

  public constructor(deps: EngineDeps) {
    const now = deps.now ?? Date.now;
    const sleep = deps.sleep ?? ((ms): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)));
    const emit = deps.onEvent ?? ((): void => {});
    const retry = deps.retry ?? DEFAULT_RETRY;
    const taps: LoadContext['taps'] = { throttled: 0 };
    const runner = new JobRunner({
      bulk: deps.bulk,
      bulkV1: deps.bulkV1,
      now,
      sleep,
      emit: (e): void => {
        if (e.type === 'retry' && e.code === 'REQUEST_LIMIT_EXCEEDED') taps.throttled++;
        taps.watch?.(e);
        emit(e);
        if (e.type === 'results-written' && e.chunk !== undefined) taps.afterResults?.(e.chunk);
      },
      retry,
      poll: deps.poll ?? { minMs: 1000, maxMs: 10_000 },
      stateDir: deps.stateDir,
      stop: deps.stop,
    });
    this.ctx = { deps, runner, now, sleep, emit, retry, taps, identity: (): Promise<Identity> => this.identity() };
  }

  /** The object describes the checks read (a plan's steps find their parents' columns in them). */
  public get describe(): DescribeSource | undefined {
    return this.ctx.deps.describe;
  }

  /** Who runs the load (asked of the org once per engine). */
  public user(): Promise<Identity> {
    return this.identity();
  }

  /** The allocations the loads will use together (a plan's steps), against what the org has left. */
  public async checkLimits(reqs: LoadRequest[], allowPartialDay?: boolean): Promise<void> {
    let need = { rows: 0, batches: 0 };
    for (const r of reqs) {
      // eslint-disable-next-line no-await-in-loop -- one file's line ends at a time
      const n = await needOf(r);
      need = { rows: need.rows + n.rows, batches: need.batches + n.batches };
    }
    await checkLimits(this.ctx.deps.limits, need, { allowPartialDay, emit: this.ctx.emit });
  }

  /** --dry-run: the checks alone; nothing is sent and no run is recorded. */
  public check(req: LoadRequest): Promise<LoadResult> {
    return dryRun(this.ctx, req);
  }

  /** A new run: plans the file into parts, then runs them. */
  public async start(req: LoadRequest): Promise<LoadResult> {
    const runDir = join(req.ledgerDir, req.runId);
    const identity = await this.identity();
    // Before anything is recorded or sent: what the load will use of the day's allocations.
    if (!req.limitsChecked) await this.checkLimits([req], req.allowPartialDay);
    await mkdir(runDir, { recursive: true });
    const lock = lockRun(runDir, req.runId);
    const ledger = new Ledger(runDir, this.ctx.now);
    let sending = false;
    let refused = false;
    try {
      const spec = runSpecOf(req, identity, runDir);
      ledger.append({ t: 'run', ...spec });
      const state = await planStage(this.ctx, ledger, runDir, spec, req);
      if (req.operation === 'hardDelete') {
        // Whatever the confirmation throws (a wrong count, no terminal to ask on) is a refusal too.
        refused = true;
        await confirmHardDelete(ledger, state, req, identity);
        refused = false;
      }
      sending = true;
      return await this.drive(ledger, runDir, state, { at: this.ctx.now() + req.waitMs });
    } catch (e) {
      // A start refused before anything could be sent (the file, the org or the user said no) ends
      // the run here: its parts go, and the ledger says why, so resume (--latest included) refuses
      // it with that reason instead of picking up an earlier run. A start cut short by the network
      // or the machine stays resumable: resume plans it again.
      if (!sending && (refused || isRefusal(e))) await abandon(ledger, runDir, e);
      throw e;
    } finally {
      ledger.close();
      lock.release();
    }
  }

  /** Picks up a run from its ledger and finishes it (or goes on until the wait runs out). */
  public async resume(runDir: string, waitMs: number): Promise<LoadResult> {
    return this.openRun(runDir, async (ledger, found) => {
      let state = found;
      if (!state.planned) {
        // The run stopped before its split finished: no job was closed (nothing was processed), so
        // planning again from the input files is safe and complete; parts it had sent keep their
        // jobs where their bytes are the same (earlyParts.ts). A refusal ends the run, as at start.
        try {
          state = await planStage(this.ctx, ledger, runDir, state.spec, requestOf(state.spec, runDir, waitMs));
        } catch (e) {
          if (isRefusal(e)) await abandon(ledger, runDir, e);
          throw e;
        }
      }
      // The progress counts against the run's rows (a resumed run has no 'planned' of its own).
      this.ctx.emit({ type: 'resumed', runId: state.spec.runId, rows: state.rows, parts: state.chunks.length, ended: state.chunks.filter((c) => c.terminal).length });
      return this.drive(ledger, runDir, state, { at: this.ctx.now() + waitMs });
    });
  }

  /**
   * A new round of a finished run (reconcile --retry, --fixed-file): a round a crash or the wait cut
   * short is finished first; then `choose` picks the rows from each row's latest outcome and the
   * round runs like the load's parts, in the same ledger, under the run's lock.
   */
  public async sendAgain<T>(runDir: string, choose: (state: RunState, check: RowCheck | undefined) => Promise<RoundPick<T>>, waitMs: number): Promise<SentAgain<T>> {
    return this.openRun(runDir, async (ledger, state) => {
      if (!state.done) throw new RunNotDoneError(state.spec.runId);
      const deadline = { at: this.ctx.now() + waitMs };
      // An earlier round still under way when the wait ran out: no new round (picked is absent).
      if (!(await finishRounds(this.rounds(ledger, runDir, state, deadline)))) return { result: await this.drive(ledger, runDir, state, deadline) };
      const picked = await choose(state, await this.rowCheck(state));
      const round = await planRound(ledger, runDir, state, picked);
      return { result: await this.drive(ledger, runDir, state, deadline), picked, ...(round ? { round: { round: round.round, rows: round.rows } } : {}) };
    });
  }

  /** The stages after the plan, each of which goes past what a resumed run has done already. */
  private async drive(ledger: Ledger, runDir: string, state: RunState, deadline: Deadline): Promise<LoadResult> {
    const started = this.ctx.now();
    await refuseUnconfirmed(ledger, runDir, state);
    await backupStage(this.ctx, ledger, runDir, state);
    const changes = await runPartsStage(this.ctx, ledger, runDir, state, deadline);
    await mergeStage(this.ctx, ledger, runDir, state);
    // Rounds after the load: lock failures sent again one job at a time, or a round a crash cut short.
    const roundsDone = state.done && (await lockRounds(this.rounds(ledger, runDir, state, deadline)));
    if (roundsDone) await tidyStage(runDir, state);
    this.ctx.emit({ type: 'stage', stage: 'done' });
    const result = roundsOf(loadResult(runDir, state, started, this.ctx.now()), state);
    return state.concurrency ? { ...result, concurrency: { decision: state.concurrency, changes } } : result;
  }

  private rounds(ledger: Ledger, runDir: string, state: RunState, deadline: Deadline): RoundContext {
    return { runner: this.ctx.runner, ledger, runDir, state, deadline, emit: this.ctx.emit, claimedByOtherRuns: () => jobsOfOtherRuns(runDir) };
  }

  private openRun<T>(runDir: string, body: (ledger: Ledger, state: RunState) => Promise<T>): Promise<T> {
    return withOpenRun(
      runDir,
      {
        now: this.ctx.now,
        identity: () => this.identity(),
        repaired: (message) => this.ctx.emit({ type: 'ledger-repaired', message }),
        abortLeft: (ledger, state) => this.ctx.runner.abortLeft(ledger, state),
      },
      body
    );
  }

  /** The load's check of one row (its preflight), for rows sent again with new values. */
  private async rowCheck(state: RunState): Promise<RowCheck | undefined> {
    const describe = this.ctx.deps.describe;
    if (!describe) return undefined;
    const spec = state.spec;
    const p = await Preflight.create({ file: spec.files[0], object: spec.object, operation: spec.operation, externalId: spec.externalId, header: state.header, headerLine: 1, describe });
    return (record) => p.rowReason(record);
  }

  private async identity(): Promise<Identity> {
    this.identityCache ??= await this.ctx.deps.identity();
    return this.identityCache;
  }
}
