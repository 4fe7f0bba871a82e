/*
 * A plan run's ledger (plan.jsonl in the plan's run folder): the plan as it was read, then, before
 * each step's run is started, the run it gets, and once it ends, that it ended. Each record is
 * appended and fsynced before the step goes on, so a kill -9 anywhere leaves a ledger that says
 * which step to go on with: a step with a run and no end is resumed through its own run's ledger
 * (load/engine.ts resume), which is exact by itself; a step never started is started.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { syncDirSync, syncFileSync } from '../io/durable.js';
import type { ParentFailures } from '../ledger/shapes.js';
import type { Plan } from './planFile.js';

export type { ParentFailures } from '../ledger/shapes.js';

export const PLAN_LEDGER_FILE = 'plan.jsonl';

export type PlanRecord =
  | { t: 'plan'; at: string; planRunId: string; plan: Plan; org: { orgId: string; username: string; userId: string }; resultsDir: string; waitMs: number; force?: boolean }
  | { t: 'step'; at: string; step: number; runId: string; parentFailures: ParentFailures[] }
  | { t: 'step-done'; at: string; step: number; runId: string }
  /** rows a step skipped for a parent that failed, sent once that parent succeeded (reconcile of the plan) */
  | { t: 'catch-up'; at: string; step: number; runId: string; file: string; rows: number; parentFailures: ParentFailures[] }
  | { t: 'catch-up-done'; at: string; step: number; runId: string };

export type StepState = { runId?: string; parentFailures?: ParentFailures[]; done: boolean; catchUps: Array<{ runId: string; file: string; rows: number; done: boolean }> };

export type PlanState = Extract<PlanRecord, { t: 'plan' }> & { steps: StepState[] };

export function isPlanRun(dir: string): boolean {
  return existsSync(join(dir, PLAN_LEDGER_FILE));
}

/** A line torn by a crash while written (the last one) is left out: its append never returned. */
export function readPlan(dir: string): PlanState {
  const lines = readFileSync(join(dir, PLAN_LEDGER_FILE), 'utf8').split('\n');
  const records: PlanRecord[] = [];
  for (const [i, line] of lines.entries()) {
    if (!line) continue;
    try {
      records.push(JSON.parse(line) as PlanRecord);
    } catch (e) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l !== '')) throw e;
    }
  }
  const first = records[0];
  if (first?.t !== 'plan') throw new Error(`${join(dir, PLAN_LEDGER_FILE)} does not start with its plan`);
  const steps: StepState[] = first.plan.steps.map(() => ({ done: false, catchUps: [] }));
  for (const r of records) {
    if (r.t === 'step') Object.assign(steps[r.step - 1], { runId: r.runId, parentFailures: r.parentFailures });
    else if (r.t === 'step-done') steps[r.step - 1].done = true;
    else if (r.t === 'catch-up') steps[r.step - 1].catchUps.push({ runId: r.runId, file: r.file, rows: r.rows, done: false });
    else if (r.t === 'catch-up-done') {
      const c = steps[r.step - 1].catchUps.find((x) => x.runId === r.runId);
      if (c) c.done = true;
    }
  }
  return { ...first, steps };
}

type Unstamped<R> = R extends unknown ? Omit<R, 'at'> : never;

/** Appends a record and puts it on disk (the folder's entry too, for the first one). */
export function appendPlan(dir: string, record: Unstamped<PlanRecord>, now: () => number = Date.now): void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, PLAN_LEDGER_FILE);
  const first = !existsSync(path);
  appendFileSync(path, JSON.stringify({ ...record, at: new Date(now()).toISOString() }) + '\n');
  syncFileSync(path);
  if (first) syncDirSync(dir);
}
