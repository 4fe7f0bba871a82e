/*
 * A load plan's run: its steps in order, as one run (one run ID, one plan ledger naming each step's
 * run). Each step is a load of its own through the load engine (load/engine.ts: start, or resume
 * once its run has a ledger), with its parents' failures written first (parents.ts) so that the
 * step skips their children. A kill -9 anywhere: resume of the plan reads the plan ledger, resumes
 * the step under way through its run's ledger (exact by itself) and goes on with the next ones.
 *
 * One process works on a plan at a time: the plan's claim (a lock per org and plan file content,
 * under claims/ in the ledger folder, the duplicate-run guard's folder) is held for the whole run;
 * a second start of the same plan while one holds it is refused, naming it (DuplicateRunError).
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileLock, LockHeldError } from '../io/fileLock.js';
import { Ledger } from '../ledger/ledger.js';
import { DuplicateRunError } from '../load/duplicateGuard.js';
import type { LoadEngine } from '../load/engine.js';
import { ParentCheck } from '../load/parentSkip.js';
import type { LoadRequest, LoadResult } from '../run/types.js';
import { crashIfAsked } from '../runtime/crashPoints.js';
import { catchUpStep } from './catchUp.js';
import { mappedSource, parentRefs, stepParentFailures } from './parents.js';
import type { Plan, ResolvedStep } from './planFile.js';
import { appendPlan, type ParentFailures, type PlanState, readPlan } from './planLedger.js';
import { planResult, type PlanResult, stepRunDir } from './planResult.js';

export const STEP_CONCURRENCY = { auto: 5, parallel: 5, serial: 1 } as const;

export type PlanDeps = { engine: LoadEngine; now?: () => number };

export type PlanRequest = {
  plan: Plan;
  planRunId: string;
  ledgerDir: string;
  /** where each step's results folder goes (default: the plan's run folder) */
  resultsDir?: string;
  waitMs: number;
  force?: boolean;
  /** --on-parent-failure (default: the plan's, else skip) */
  onParentFailure?: 'skip' | 'stop';
  /** --allow-partial-day: start even though the plan needs more of the batch allocation than is left */
  allowPartialDay?: boolean;
};

/** --on-parent-failure stop: a child row points to a parent that did not load; nothing of the step was sent. */
export class ParentFailedError extends Error {
  public constructor(public readonly step: string, public readonly file: string, public readonly line: number, public readonly column: string, public readonly key: string, public readonly parentStep: string, public readonly parentLine: string, public readonly parentError: string) {
    super(`step ${step}: ${file} line ${line} points to ${column} ${key}, which did not load in step ${parentStep} (line ${parentLine}: ${parentError})`);
    this.name = 'ParentFailedError';
  }
}

export class PlanRunner {
  private readonly now: () => number;

  public constructor(private readonly deps: PlanDeps) {
    this.now = deps.now ?? Date.now;
  }

  public async start(req: PlanRequest): Promise<PlanResult> {
    const planDir = join(req.ledgerDir, req.planRunId);
    const me = await this.deps.engine.user();
    const claim = this.claim(req.ledgerDir, me.orgId, req.plan.sha256, req.planRunId);
    try {
      // Before the plan's first job: every step's batches and records together, against what the org has left.
      await this.deps.engine.checkLimits(
        req.plan.steps.map((s) => stepRequest(req, s, '', [], '', req.ledgerDir, 0)),
        req.allowPartialDay
      );
      appendPlan(
        planDir,
        {
          t: 'plan',
          planRunId: req.planRunId,
          plan: { ...req.plan, onParentFailure: req.onParentFailure ?? req.plan.onParentFailure },
          org: { orgId: me.orgId, username: me.username, userId: me.userId },
          resultsDir: req.resultsDir ?? planDir,
          waitMs: req.waitMs,
          ...(req.force ? { force: true } : {}),
        },
        this.now
      );
      return await this.go(planDir, req.waitMs);
    } finally {
      claim.release();
    }
  }

  /** Goes on with a plan run from its ledger: the step under way resumed, the next ones started. */
  public async resume(planDir: string, waitMs: number): Promise<PlanResult> {
    const state = readPlan(planDir);
    const claim = this.claim(join(planDir, '..'), state.org.orgId, state.plan.sha256, state.planRunId);
    try {
      return await this.go(planDir, waitMs);
    } finally {
      claim.release();
    }
  }

  /**
   * Reconcile of the plan: rows each step skipped for a parent that loaded since (a reconcile round
   * of the parent's run) are sent, step by step in order, each as a catch-up run of its step.
   */
  public async sendSkipped(planDir: string, waitMs: number): Promise<PlanResult> {
    const state = readPlan(planDir);
    const claim = this.claim(join(planDir, '..'), state.org.orgId, state.plan.sha256, state.planRunId);
    try {
      const started = this.now();
      const deadline = started + waitMs;
      for (const step of state.plan.steps) {
        if (!readPlan(planDir).steps[step.index - 1].done) break;
        // eslint-disable-next-line no-await-in-loop -- in step order: a catch-up's parents may be an earlier catch-up's rows
        const r = await catchUpStep(this.catchUpContext(planDir), step, Math.max(0, deadline - this.now()));
        if (r?.status === 'InProgress') break;
      }
      return this.result(planDir, started);
    } finally {
      claim.release();
    }
  }

  public result(planDir: string, started: number): PlanResult {
    const state = readPlan(planDir);
    return planResult(planDir, state, (step) => this.stepResultsDir(state, step), started, this.now());
  }

  private async go(planDir: string, waitMs: number): Promise<PlanResult> {
    const started = this.now();
    const deadline = started + waitMs;
    const first = readPlan(planDir);
    for (const step of first.plan.steps) {
      const state = readPlan(planDir);
      const s = state.steps[step.index - 1];
      if (s.done) {
        // A catch-up a crash cut short is finished before the steps after it.
        // eslint-disable-next-line no-await-in-loop -- steps run in order
        const c = await catchUpStep(this.catchUpContext(planDir), step, Math.max(0, deadline - this.now()), { pendingOnly: true });
        if (c?.status === 'InProgress') break;
        continue;
      }
      // eslint-disable-next-line no-await-in-loop -- steps run in order: a step's parents are the earlier steps' rows
      const result = await this.runStep(planDir, state, step, Math.max(0, deadline - this.now()));
      if (result.status === 'InProgress') break;
      appendPlan(planDir, { t: 'step-done', step: step.index, runId: result.runId! }, this.now);
      crashIfAsked('plan-step-done', step.index);
    }
    return this.result(planDir, started);
  }

  private async runStep(planDir: string, state: PlanState, step: ResolvedStep, waitMs: number): Promise<LoadResult> {
    const s = state.steps[step.index - 1];
    const ledgerDir = join(planDir, '..');
    if (s.runId && Ledger.read(stepRunDir(ledgerDir, s.runId)).length > 0) return this.deps.engine.resume(stepRunDir(ledgerDir, s.runId), waitMs);
    const runId = s.runId ?? `${state.planRunId}-${step.index}-${step.name.replace(/[^\w.-]/g, '_')}`;
    const parentFailures = s.runId ? s.parentFailures ?? [] : await this.parentFailures(planDir, state, step, '');
    if (!s.runId) {
      if (state.plan.onParentFailure === 'stop') await refuseFailedParents(step, parentFailures);
      appendPlan(planDir, { t: 'step', step: step.index, runId, parentFailures }, this.now);
      crashIfAsked('plan-before-step', step.index);
    }
    return this.deps.engine.start(stepRequest(state, step, runId, parentFailures, this.stepResultsDir(state, step), ledgerDir, waitMs));
  }

  private async parentFailures(planDir: string, state: PlanState, step: ResolvedStep, tag: string): Promise<ParentFailures[]> {
    const refs = await parentRefs(step, state.plan.steps.slice(0, step.index - 1), this.deps.engine.describe);
    if (!refs.length) return [];
    const dir = join(planDir, 'parents');
    mkdirSync(dir, { recursive: true });
    const ledgerDir = join(planDir, '..');
    const runDirsOf = (i: number): string[] => {
      const p = readPlan(planDir).steps[i - 1];
      return [...(p.runId ? [p.runId] : []), ...p.catchUps.filter((c) => c.done).map((c) => c.runId)].map((id) => stepRunDir(ledgerDir, id));
    };
    return stepParentFailures(step, refs, runDirsOf, dir, tag);
  }

  private catchUpContext(planDir: string): Parameters<typeof catchUpStep>[0] {
    return {
      planDir,
      engine: this.deps.engine,
      now: this.now,
      parentFailures: (state, step, tag) => this.parentFailures(planDir, state, step, tag),
      // A catch-up's file holds rows as the step sent them (mapped, converted): no transform again.
      request: (state, step, runId, failures, resultsDir, files, waitMs) => ({ ...stepRequest(state, step, runId, failures, resultsDir, join(planDir, '..'), waitMs), files, transform: undefined }),
      resultsDir: (state, step) => this.stepResultsDir(state, step),
    };
  }

  private stepResultsDir(state: PlanState, step: ResolvedStep): string {
    return join(state.resultsDir, `${step.index}-${step.name.replace(/[^\w.-]/g, '_')}`);
  }

  private claim(ledgerDir: string, orgId: string, sha256: string, planRunId: string): FileLock {
    const lock = new FileLock(planClaimPath(ledgerDir, orgId, sha256), `claim ${planRunId}`);
    try {
      lock.acquire();
    } catch (e) {
      if (e instanceof LockHeldError) throw new DuplicateRunError(e.owner.purpose?.replace(/^claim /, '') ?? '?', join(ledgerDir, e.owner.purpose?.replace(/^claim /, '') ?? ''), e.owner);
      throw e;
    }
    return lock;
  }
}

/** The plan's claim: one lock per org and plan file content, beside the inserts' claims. */
export function planClaimPath(ledgerDir: string, orgId: string, sha256: string): string {
  const key = createHash('sha256').update(`plan\n${orgId}\n${sha256}`).digest('hex').slice(0, 32);
  return join(ledgerDir, 'claims', `plan-${key}.lock`);
}

/** The load request of a step (or of its catch-up), as the plan sets it. */
export function stepRequest(state: Pick<PlanState, 'force'>, step: ResolvedStep, runId: string, parentFailures: ParentFailures[], resultsDir: string, ledgerDir: string, waitMs: number): LoadRequest {
  return {
    object: step.object,
    operation: step.operation,
    ...(step.externalId ? { externalId: step.externalId } : {}),
    files: step.files,
    runId,
    ledgerDir,
    resultsDir,
    waitMs,
    concurrency: STEP_CONCURRENCY[step.concurrency],
    // Lock-aware per step: auto reads the step's own rows and their parents and decides.
    autoConcurrency: step.concurrency === 'auto',
    lockRounds: 3,
    // The plan checked the allocations for all its steps before its first job.
    limitsChecked: true,
    ...(state.force ? { force: true } : {}),
    ...(parentFailures.length ? { parentFailures } : {}),
    ...(step.transform ? { transform: step.transform } : {}),
    ...(step.assignmentRuleId ? { assignmentRuleId: step.assignmentRuleId } : {}),
  };
}

/** --on-parent-failure stop: the first child row whose parent did not load stops the plan before the step. */
async function refuseFailedParents(step: ResolvedStep, failures: ParentFailures[]): Promise<void> {
  if (!failures.length) return;
  for (const file of step.files) {
    // eslint-disable-next-line no-await-in-loop -- file by file
    const source = await mappedSource(step.transform, file);
    // eslint-disable-next-line no-await-in-loop -- once per file
    const check = await ParentCheck.load(failures, source.header);
    for await (const batch of source.batches) {
      for (const r of batch) {
        const f = check.failure(r);
        if (f) {
          throw new ParentFailedError(step.name, file, r.line, f.column, f.key, f.step, f.line, f.error);
        }
      }
    }
  }
}
