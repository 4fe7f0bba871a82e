/*
 * The questions every command asks of a run's state, answered in one place: where its files are,
 * whether it creates records, which jobs other runs own (which rows may be sent again: runRows.ts). The load,
 * resume, reconcile and the rounds ask here; none of them asks another command's code.
 */
import { dirname, join } from 'node:path';
import { allChunks, type RunState } from '../ledger/records.js';
import { listRuns } from '../ledger/runIndex.js';

/** The lock file of a run folder: one process works on a run at a time. */
export const RUN_LOCK_FILE = 'run.lock';

/** Where a run's parts (the rows it uploads) are written. */
export function chunksDir(runDir: string): string {
  return join(runDir, 'chunks');
}

/** Where the per-job result parts of a run go (in its results folder, beside the result files). */
export function partsDir(state: RunState): string {
  return `${state.spec.resultsDir}/parts`;
}

/** Where a run keeps its rejected rows until it is past every refusal (removed with its parts if refused). */
export function pendingRejectedPath(runDir: string): string {
  return join(chunksDir(runDir), 'rejected.csv');
}

/** Whether the run's operation can create records (delete and hardDelete cannot: no sf__Created column). */
export function createsRecords(state: RunState): boolean {
  return state.spec.operation !== 'delete' && state.spec.operation !== 'hardDelete';
}

/** Job Ids named by the other runs of the same ledger folder (runs that predate the creation journal). */
export function jobsOfOtherRuns(runDir: string): Set<string> {
  const ids = new Set<string>();
  for (const run of listRuns(dirname(runDir))) {
    if (run.runDir === runDir) continue;
    for (const c of allChunks(run.state)) if (c.jobId) ids.add(c.jobId);
  }
  return ids;
}
