/*
 * The end of a load or resume: the summary lines, warnings, exit code, and the errors users can act on.
 */
import { Messages, SfError } from '@salesforce/core';
import { LoadResult, RoundSummary } from '../core/run/types.js';
import { CsvInputError, type CsvProblemKind } from '../core/csv/errors.js';
import { AmbiguousOrphanError, JobGoneError } from '../core/runner/jobRunner.js';
import { AbandonedRunError, OtherUserError, RunLockedError } from '../core/run/errors.js';
import { NotConfirmedError } from '../core/load/refusals.js';
import { PreflightFailedError } from '../core/load/inputs.js';
import { DuplicateRunError } from '../core/load/duplicateGuard.js';
import { AllocationExceededError } from '../core/load/limitsStage.js';
import { PreflightError } from '../core/preflight/errors.js';
import { BackupShortError, restorePath } from '../core/backup/backup.js';
import { OrgApiError, OrgNetworkError } from '../core/http/orgHttp.js';
import { BatchResultMissingError, ForeignBatchError } from '../core/runner/v1Jobs.js';
import type { PreflightReport } from '../core/preflight/problems.js';
import { preflightLines } from './preflightReport.js';
import { roundKindText } from './roundLines.js';
import { observedLine, planLines } from './estimateLines.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.report');

export const EXIT_FAILED_ROWS = 68;
export const EXIT_STILL_RUNNING = 69;

/** What to do about each kind of input problem: only the advice that can fix it. */
const CSV_ACTIONS: Record<CsvProblemKind, string> = {
  encoding: 'actions.csv.encoding',
  quote: 'actions.csv.quote',
  'record-too-large': 'actions.csv.quote',
  'empty-file': 'actions.csv.empty',
  'no-header': 'actions.csv.empty',
  'duplicate-header': 'actions.csv.header',
  'empty-header': 'actions.csv.header',
  'header-mismatch': 'actions.csv.mismatch',
};

type Printer = { log: (line: string) => void; warn: (line: string) => void; config: { bin: string } };

/** Prints the outcome and returns the exit code. */
export function reportLoad(cmd: Printer, result: LoadResult, opts: { waited: boolean; ledgerDir: string; defaultLedger: boolean }): number {
  for (const job of result.jobs) if (job.errorMessage) cmd.warn(messages.getMessage('warn.jobFailed', [job.id, job.errorMessage]));
  if (result.unmatched > 0) cmd.warn(unmatchedWarning(result));
  if (result.preflight && (result.status === 'Checked' || !result.preflight.ok)) for (const line of preflightLines(result.preflight)) cmd.log(line);
  if (result.status === 'Checked') return reportCheck(cmd, result);
  if (result.status === 'InProgress') {
    cmd.log(messages.getMessage('info.stillRunning', [resumeCommand(cmd.config.bin, result.runId ?? '', opts)]));
    // --wait 0 means "don't wait": still running is then the expected outcome, not a time-out.
    return opts.waited ? EXIT_STILL_RUNNING : 0;
  }
  cmd.log(summaryLine(result));
  for (const line of detailLines(result)) cmd.log(line);
  if (result.files) {
    for (const line of fileLines(result, result.files)) cmd.log(line);
    if (result.backup) {
      cmd.log(messages.getMessage('info.backup', [result.backup.file, result.backup.records]));
      cmd.log(messages.getMessage('info.restore', [cmd.config.bin, result.object, restorePath(result.backup.file)]));
    }
  }
  return rowsLeft(result) ? EXIT_FAILED_ROWS : 0;
}

/** The lines under the summary: how a V1 load was sent, each round, the observed rates, duplicates, error codes. */
function detailLines(result: LoadResult): string[] {
  const lines = [...bulkV1Lines(result), ...roundLines(result.rounds ?? [])];
  const observed = result.observed && observedLine(result.observed);
  if (observed) lines.push(observed);
  if (result.preflight?.duplicates) lines.push(duplicatesLine(result.preflight));
  if (result.errorCodes.length) lines.push(messages.getMessage('info.errorCodes', [result.errorCodes.map((c) => `${c.code} ${c.count}`).join(', ')]));
  return lines;
}

/** A V1 load: its mode, jobs and batches. */
function bulkV1Lines(result: LoadResult): string[] {
  if (!result.v1) return [];
  const batches = result.jobs.reduce((n, j) => n + (j.batches ?? 0), 0);
  return [messages.getMessage('info.bulkV1', [result.v1.concurrencyMode, result.jobs.length, batches, result.v1.batchRows])];
}

/** Rows that did not end loaded: failed, not processed, left out, or whose result could not be joined. */
function rowsLeft(result: LoadResult): boolean {
  return result.failed + result.unprocessed + result.rejected + result.unmatched > 0;
}

/** Loud on purpose: results that do not join are a bug, never a normal outcome. */
function unmatchedWarning(result: LoadResult): string {
  const jobs = (result.unmatchedJobs ?? []).map((j) => `part ${j.chunk} (job ${j.jobId}): ${j.unmatched}`).join(', ');
  return messages.getMessage('warn.unmatched', [result.unmatched, jobs, result.files?.unmatched ?? 'unmatched.csv']);
}

/** --dry-run: where every problem is, and whether the file was loaded into this org before. */
function reportCheck(cmd: Printer, result: LoadResult): number {
  for (const line of planLines(result)) cmd.log(line);
  if (result.problemsFile && !result.preflight?.ok) cmd.log(messages.getMessage('info.problemsFile', [result.preflight?.problems ?? 0, result.problemsFile]));
  if (result.alreadyLoaded) cmd.warn(messages.getMessage('warn.alreadyLoaded', [result.alreadyLoaded.runId, result.alreadyLoaded.runDir]));
  return result.preflight?.ok ? 0 : EXIT_FAILED_ROWS;
}

/** Upsert says how many of the successful rows were created and how many updated. */
function summaryLine(r: LoadResult): string {
  return r.operation === 'upsert' && r.created !== undefined && r.updated !== undefined
    ? messages.getMessage('info.summaryUpsert', [r.rows, r.successful, r.created, r.updated, r.failed, r.unprocessed, r.rejected])
    : messages.getMessage('info.summary', [r.rows, r.successful, r.failed, r.unprocessed, r.rejected]);
}

/** Each round after the load: what it sent again and what became of those rows. */
export function roundLines(rounds: RoundSummary[]): string[] {
  return rounds.map((r) => {
    const kind = roundKindText(r.kind);
    const serial = r.serial ? messages.getMessage('info.roundOneAtATime') : '';
    return r.status === 'Completed'
      ? messages.getMessage('info.round', [r.round, kind, serial, r.rows, r.succeeded ?? 0, r.failed ?? 0, r.unprocessed ?? 0, r.stillLocked ?? 0])
      : messages.getMessage('info.roundInProgress', [r.round, kind, serial, r.rows]);
  });
}

/** --duplicates first|last: which row of an external ID was sent, and how many were left out. */
function duplicatesLine(report: PreflightReport): string {
  const others = report.kinds.find((k) => k.kind === 'duplicate-external-id')?.count ?? 0;
  return messages.getMessage(report.duplicates === 'first' ? 'info.duplicatesFirst' : 'info.duplicatesLast', [others]);
}

/** The result files, one a line, each label indented alike. */
function fileLines(result: LoadResult, files: NonNullable<LoadResult['files']>): string[] {
  const file = (key: string, path: string): string => `  ${messages.getMessage(key, [path])}`;
  return [
    messages.getMessage('info.files'),
    file('file.succeeded', files.success),
    file('file.failed', files.failed),
    file('file.unprocessed', files.unprocessed),
    // An empty retry.csv (its header alone) is not worth loading again.
    file(result.retryable > 0 ? 'file.retry' : 'file.retryEmpty', files.retry),
    ...(files.rejected ? [file('file.rejected', files.rejected)] : []),
  ];
}

export function resumeCommand(bin: string, runId: string, opts: { ledgerDir: string; defaultLedger: boolean }): string {
  return `${bin} bulkops resume --run-id ${runId}${opts.defaultLedger ? '' : ` --ledger-dir "${opts.ledgerDir}"`}`;
}

/** The file's problems, and a load refused for the day's allocation (the numbers, before anything was sent). */
function inputError(e: unknown): SfError | undefined {
  if (e instanceof CsvInputError) return new SfError(messages.getMessage('error.CsvInput', [e.message]), 'CsvInputError', messages.getMessages(CSV_ACTIONS[e.kind]));
  if (!(e instanceof AllocationExceededError)) return undefined;
  const c = e.check;
  return messages.createError('error.AllocationExceeded', [c.batches, c.rows, c.batchesRemaining, c.batchesMax, c.recordsMax], [], 1);
}

/** Errors the user can act on get a message with the action; the rest pass through unchanged. */
export function loadErrorToSfError(e: unknown, ctx: { bin: string; ledgerDir: string }): Error {
  const input = inputError(e);
  if (input) return input;
  if (e instanceof DuplicateRunError) {
    const actions = [`${ctx.bin} bulkops resume --run-id ${e.earlierRunId}`, e.earlierRunDir];
    if (e.owner) {
      // The same name for scripts, whether the other run is still going or done.
      const live = messages.createError('error.DuplicateRunLive', [e.earlierRunId, e.owner.pid, e.owner.since], actions);
      return new SfError(live.message, 'DuplicateRunError', live.actions, live.exitCode);
    }
    return messages.createError('error.DuplicateRun', [e.earlierRunId], actions);
  }
  if (e instanceof PreflightFailedError) {
    const err = messages.createError('error.PreflightFailed', [e.report.file, preflightLines(e.report).join('\n')]);
    err.setData(e.report);
    return err;
  }
  if (e instanceof PreflightError) return messages.createError('error.UnknownObject', [e.message]);
  if (e instanceof BackupShortError) {
    const shown = e.missingIds(5);
    const missing = e.ids - e.records;
    const list = missing > shown.length ? `${shown.join(', ')}, …` : shown.join(', ');
    return messages.createError('error.BackupShort', [e.records, e.ids, missing, list, e.missingFile, e.file]);
  }
  if (e instanceof RunLockedError) return messages.createError('error.RunLocked', [e.runId, `pid ${e.owner.pid} on ${e.owner.host}`, e.owner.since]);
  if (e instanceof OtherUserError) return messages.createError('error.OtherUser', [e.runId, e.runUser, e.user], [e.runUser]);
  if (e instanceof AbandonedRunError) return messages.createError('error.AbandonedRun', [e.runId, e.reason]);
  if (e instanceof NotConfirmedError && e.runId) return messages.createError('error.NotConfirmedRun', [e.runId]);
  if (e instanceof AmbiguousOrphanError) {
    return messages.createError('error.AmbiguousOrphan', [e.chunk, e.candidates.length, e.candidates.map((c) => `${c.id} (created ${c.createdDate})`).join(', ')]);
  }
  if (e instanceof JobGoneError) return messages.createError('error.JobGone', [e.jobId]);
  if (e instanceof ForeignBatchError) return messages.createError('error.ForeignBatch', [e.jobId, e.batchIds.join(', ')], [e.jobId]);
  if (e instanceof BatchResultMissingError) return messages.createError('error.BatchResultMissing', [e.batchId, e.jobId, e.processed, e.results], [e.jobId]);
  if (e instanceof OrgApiError) return messages.createError('error.OrgApi', [e.method, e.path, e.status, e.errorCode, e.message]);
  if (e instanceof OrgNetworkError) return messages.createError('error.Network', [e.method, e.path, e.message]);
  return e instanceof Error ? e : SfError.wrap(String(e));
}
