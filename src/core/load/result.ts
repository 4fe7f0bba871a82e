/*
 * What a load, a resume or a round returns (LoadResult, the command's JSON): built from the run's
 * state as its ledger replays it, so a resumed run reports the same as one that never stopped.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JobState } from '../bulk/types.js';
import { runEstimates } from '../estimate/resultFields.js';
import type { RunState } from '../ledger/records.js';
import { addCounts, emptyCounts } from '../results/join.js';
import { resultPaths, unmatchedPath } from '../results/resultFiles.js';
import type { JobSummary, LoadResult } from '../run/types.js';

/** The run's result at `finished` (the elapsed time counts from `started`, this process's start on it). */
export function loadResult(runDir: string, state: RunState, started: number, finished: number): LoadResult {
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
    rows: state.rows + state.rejected + state.skipped,
    rejected: state.rejected,
    ...(state.spec.parentFailures ? { skipped: state.skipped } : {}),
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
      ? { files: { ...paths, ...(existsSync(rejectedFile) ? { rejected: rejectedFile } : {}), ...(state.skipped ? { skipped: join(state.spec.resultsDir, 'skipped.csv') } : {}), ...(state.backup ? { backup: state.backup.file } : {}), ...(existsSync(unmatchedFile) ? { unmatched: unmatchedFile } : {}) } }
      : {}),
    ...(state.backup ? { backup: { file: state.backup.file, ids: state.backup.ids, records: state.backup.records } } : {}),
    ...runEstimates(state),
    startedAt: state.startedAt,
    finishedAt: new Date(finished).toISOString(),
    elapsedMs: finished - started,
  };
}
