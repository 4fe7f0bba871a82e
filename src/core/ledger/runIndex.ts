/*
 * The list of runs in a ledger folder: finds the latest run and an earlier run that already loaded
 * the same file into the same org with the same operation (a re-run would duplicate its rows).
 */
import { readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ledger } from './ledger.js';
import { replay, RunState } from './records.js';

export type RunEntry = { runId: string; runDir: string; state: RunState };

export function listRuns(ledgerDir: string): RunEntry[] {
  if (!existsSync(ledgerDir)) return [];
  const runs: RunEntry[] = [];
  for (const name of readdirSync(ledgerDir).sort()) {
    const runDir = join(ledgerDir, name);
    const records = Ledger.read(runDir);
    if (records.length === 0) continue;
    try {
      runs.push({ runId: name, runDir, state: replay(records) });
    } catch {
      // not a run folder
    }
  }
  return runs;
}

/**
 * The latest run, even one that ended before sending anything (resume then says why): a pipeline's
 * `resume --latest` after a refused load must fail with that refusal, not finish an earlier run.
 */
export function latestRun(ledgerDir: string): RunEntry | undefined {
  const runs = listRuns(ledgerDir);
  return runs.sort((a, b) => a.state.startedAt.localeCompare(b.state.startedAt)).pop();
}

/**
 * An earlier run of the same file, org, object and operation that created at least one job, or
 * that claimed the file before its split (an insert under way, or stopped before its first job:
 * resume goes on with it) and was not refused. Of several, the one that finished (it loaded the
 * file), else the latest: a run killed before it loaded anything is not named when another loaded it.
 */
export function findSameLoad(ledgerDir: string, spec: { orgId: string; object: string; operation: string; fileSha256: string; runId: string }): RunEntry | undefined {
  const same = listRuns(ledgerDir).filter(
    (r) =>
      r.runId !== spec.runId &&
      r.state.spec.org.orgId === spec.orgId &&
      r.state.spec.object.toLowerCase() === spec.object.toLowerCase() &&
      r.state.spec.operation === spec.operation &&
      r.state.fileSha256 === spec.fileSha256 &&
      (r.state.chunks.some((c) => c.creatingAt !== undefined) || (r.state.fingerprinted === true && !r.state.abandoned))
  );
  return same.find((r) => r.state.done) ?? same.sort((a, b) => a.state.startedAt.localeCompare(b.state.startedAt)).at(-1);
}
