/*
 * The run folder a command works on: --run-id in the ledger folder, or --latest. The errors come
 * from the command's own messages (keys error.NoRun and error.NoRuns).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Messages } from '@salesforce/core';
import { latestRun } from '../core/ledger/runIndex.js';
import { isPlanRun, readPlan } from '../core/plan/planLedger.js';

/**
 * The folder --latest names: the latest load run, or the plan it is a step of (a plan's steps go on
 * through the plan, so that the steps after it run too), or a plan started later than any load run
 * (stopped before its first step's run). Undefined when the ledger folder holds neither.
 */
export function latestFolder(ledgerDir: string): string | undefined {
  const run = latestRun(ledgerDir);
  const plans = existsSync(ledgerDir) ? readdirSync(ledgerDir).map((name) => join(ledgerDir, name)).filter(isPlanRun) : [];
  let latestPlan: { dir: string; at: string } | undefined;
  for (const dir of plans) {
    let plan: ReturnType<typeof readPlan>;
    try {
      plan = readPlan(dir);
    } catch {
      continue;
    }
    const runs = plan.steps.flatMap((s) => [...(s.runId ? [s.runId] : []), ...s.catchUps.map((c) => c.runId)]);
    if (run && runs.includes(run.runId)) return dir;
    if (!latestPlan || plan.at > latestPlan.at) latestPlan = { dir, at: plan.at };
  }
  if (latestPlan && (!run || latestPlan.at > run.state.startedAt)) return latestPlan.dir;
  return run?.runDir;
}

export function runFolder(messages: Messages<string>, ledgerDir: string, flags: { 'run-id'?: string; latest?: boolean }): string {
  if (flags.latest) {
    const latest = latestFolder(ledgerDir);
    if (!latest) throw messages.createError('error.NoRuns', [ledgerDir]);
    return latest;
  }
  const runDir = join(ledgerDir, flags['run-id'] ?? '');
  if (!existsSync(join(runDir, 'ledger.jsonl'))) throw messages.createError('error.NoRun', [flags['run-id'], ledgerDir]);
  return runDir;
}

/** The folder of --run-id or --latest: a plan's as it is (it holds plan.jsonl), a load run's checked as runFolder does. */
export function runOrPlanFolder(messages: Messages<string>, ledgerDir: string, flags: { 'run-id'?: string; latest?: boolean }): string {
  const named = flags['run-id'] ? join(ledgerDir, flags['run-id']) : undefined;
  return named && isPlanRun(named) ? named : runFolder(messages, ledgerDir, flags);
}
