/*
 * The rows a step skipped for a parent that did not load, sent once the parent did (a reconcile
 * round of the parent's run loaded it). The step's latest skipped.csv (its run's, or its last
 * catch-up's) is written back to an input of the step's columns, and loaded as a run of its own
 * (a catch-up), with the parents' failures as they are now: a row whose parent still failed is
 * skipped again, into the catch-up's skipped.csv. The catch-up is in the plan ledger before its run
 * starts, so a crash is resumed like a step (its run's ledger, or a new start under the same ID).
 */
import { createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openCsv } from '../csv/reader.js';
import { csvLine } from '../csv/writer.js';
import { syncDir, syncFile } from '../io/durable.js';
import { Ledger } from '../ledger/ledger.js';
import { replay } from '../ledger/records.js';
import type { LoadEngine } from '../load/engine.js';
import { ParentCheck, SKIPPED_FILE } from '../load/parentSkip.js';
import type { LoadRequest, LoadResult } from '../run/types.js';
import type { ResolvedStep } from './planFile.js';
import { appendPlan, type ParentFailures, type PlanState, readPlan } from './planLedger.js';
import { stepRunDir } from './planResult.js';

/** The columns of skipped.csv before the row's own. */
const SKIP_COLUMNS = 6;

export type CatchUpContext = {
  planDir: string;
  engine: LoadEngine;
  now: () => number;
  parentFailures: (state: PlanState, step: ResolvedStep, tag: string) => Promise<ParentFailures[]>;
  request: (state: PlanState, step: ResolvedStep, runId: string, failures: ParentFailures[], resultsDir: string, files: string[], waitMs: number) => LoadRequest;
  resultsDir: (state: PlanState, step: ResolvedStep) => string;
};

/** Finishes the step's catch-up under way, else (unless pendingOnly) starts one when a skipped row's parent loaded since. */
export async function catchUpStep(ctx: CatchUpContext, step: ResolvedStep, waitMs: number, opts: { pendingOnly?: boolean } = {}): Promise<LoadResult | undefined> {
  const state = readPlan(ctx.planDir);
  const s = state.steps[step.index - 1];
  const ledgerDir = join(ctx.planDir, '..');
  const pending = s.catchUps.find((c) => !c.done);
  if (pending) {
    const runDir = stepRunDir(ledgerDir, pending.runId);
    const m = s.catchUps.indexOf(pending) + 1;
    const result =
      Ledger.read(runDir).length > 0
        ? await ctx.engine.resume(runDir, waitMs)
        : await ctx.engine.start(ctx.request(state, step, pending.runId, await ctx.parentFailures(state, step, `c${m}`), catchUpResults(ctx, state, step, m), [pending.file], waitMs));
    if (result.status !== 'InProgress') appendPlan(ctx.planDir, { t: 'catch-up-done', step: step.index, runId: pending.runId }, ctx.now);
    return result;
  }
  if (opts.pendingOnly === true || !s.runId) return undefined;
  const skipped = latestSkipped(ledgerDir, s, ctx.resultsDir(state, step));
  if (!skipped) return undefined;
  const m = s.catchUps.length + 1;
  const failures = await ctx.parentFailures(state, step, `c${m}`);
  const file = join(ctx.planDir, `catch-up-${step.index}-${m}.csv`);
  const header = replay(Ledger.read(stepRunDir(ledgerDir, s.runId))).header;
  const rows = await writeSendable(skipped, file, header, failures);
  if (rows === 0) return undefined;
  const runId = `${s.runId}-c${m}`;
  appendPlan(ctx.planDir, { t: 'catch-up', step: step.index, runId, file, rows, parentFailures: failures }, ctx.now);
  const result = await ctx.engine.start(ctx.request(state, step, runId, failures, catchUpResults(ctx, state, step, m), [file], waitMs));
  if (result.status !== 'InProgress') appendPlan(ctx.planDir, { t: 'catch-up-done', step: step.index, runId }, ctx.now);
  return result;
}

function catchUpResults(ctx: CatchUpContext, state: PlanState, step: ResolvedStep, m: number): string {
  return join(ctx.resultsDir(state, step), `catch-up-${m}`);
}

/** The step's rows still skipped: its last catch-up's skipped.csv, else its run's. */
function latestSkipped(ledgerDir: string, s: PlanState['steps'][number], resultsDir: string): string | undefined {
  const done = s.catchUps.filter((c) => c.done);
  const runDir = stepRunDir(ledgerDir, done.length ? done[done.length - 1].runId : s.runId!);
  const state = replay(Ledger.read(runDir));
  if (!state.skipped) return undefined;
  const file = join(done.length ? join(resultsDir, `catch-up-${done.length}`) : state.spec.resultsDir, SKIPPED_FILE);
  return existsSync(file) ? file : undefined;
}

/** Writes every skipped row back in the step's columns; returns how many of them would now be sent (0: none, nothing to do). */
async function writeSendable(skipped: string, file: string, header: string[], failures: ParentFailures[]): Promise<number> {
  const check = await ParentCheck.load(failures, header);
  const out = createWriteStream(file);
  const write = (line: string): Promise<void> => new Promise((resolve, reject) => out.write(line, (e) => (e ? reject(e) : resolve())));
  await write(csvLine(header));
  let sendable = 0;
  const source = await openCsv(skipped);
  for await (const batch of source.batches) {
    for (const r of batch) {
      const values = r.fields.slice(SKIP_COLUMNS);
      if (!check.failure({ fields: values })) sendable++;
      await write(csvLine(values));
    }
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  await syncFile(file);
  await syncDir(join(file, '..'));
  return sendable;
}
