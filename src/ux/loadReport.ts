/*
 * The end of a load or resume: the summary lines, warnings, exit code, and the errors users can act on.
 */
import { Messages, SfError } from '@salesforce/core';
import { LoadResult } from '../core/load/types.js';
import { CsvInputError } from '../core/csv/errors.js';
import {
  AbandonedRunError,
  AmbiguousOrphanError,
  DuplicateRunError,
  JobGoneError,
  NotConfirmedError,
  PreflightFailedError,
  RunLockedError,
} from '../core/load/engine.js';
import { PreflightError } from '../core/preflight/errors.js';
import { BackupShortError } from '../core/backup/backup.js';
import { OrgApiError, OrgNetworkError } from '../core/http/orgHttp.js';
import { preflightLines } from './preflightReport.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.report');

export const EXIT_FAILED_ROWS = 68;
export const EXIT_STILL_RUNNING = 69;

type Printer = { log: (line: string) => void; warn: (line: string) => void; config: { bin: string } };

/** Prints the outcome and returns the exit code. */
export function reportLoad(cmd: Printer, result: LoadResult, opts: { waited: boolean; ledgerDir: string; defaultLedger: boolean }): number {
  for (const job of result.jobs) if (job.errorMessage) cmd.warn(messages.getMessage('warn.jobFailed', [job.id, job.errorMessage]));
  if (result.unmatched > 0) cmd.warn(unmatchedWarning(result));
  if (result.preflight && (result.status === 'Checked' || !result.preflight.ok)) for (const line of preflightLines(result.preflight)) cmd.log(line);
  if (result.status === 'Checked') return result.preflight?.ok ? 0 : EXIT_FAILED_ROWS;
  if (result.status === 'InProgress') {
    cmd.log(messages.getMessage('info.stillRunning', [resumeCommand(cmd.config.bin, result.runId, opts)]));
    // --wait 0 means "don't wait": still running is then the expected outcome, not a time-out.
    return opts.waited ? EXIT_STILL_RUNNING : 0;
  }
  cmd.log(messages.getMessage('info.summary', [result.rows, result.successful, result.failed, result.unprocessed, result.rejected]));
  if (result.errorCodes.length) {
    cmd.log(messages.getMessage('info.errorCodes', [result.errorCodes.map((c) => `${c.code} ${c.count}`).join(', ')]));
  }
  if (result.files) {
    cmd.log(messages.getMessage('info.files', [result.files.success, result.files.failed, result.files.unprocessed, result.files.retry]));
    if (result.files.rejected) cmd.log(messages.getMessage('info.rejectedFile', [result.files.rejected]));
    if (result.backup) cmd.log(messages.getMessage('info.backup', [result.backup.file, result.backup.records]));
  }
  return result.failed > 0 || result.unprocessed > 0 || result.rejected > 0 || result.unmatched > 0 ? EXIT_FAILED_ROWS : 0;
}

/** Loud on purpose: results that do not join are a bug, never a normal outcome. */
function unmatchedWarning(result: LoadResult): string {
  const jobs = (result.unmatchedJobs ?? []).map((j) => `part ${j.chunk} (job ${j.jobId}): ${j.unmatched}`).join(', ');
  return messages.getMessage('warn.unmatched', [result.unmatched, jobs, result.files?.unmatched ?? 'unmatched.csv']);
}

export function resumeCommand(bin: string, runId: string, opts: { ledgerDir: string; defaultLedger: boolean }): string {
  return `${bin} bulkops resume --run-id ${runId}${opts.defaultLedger ? '' : ` --ledger-dir "${opts.ledgerDir}"`}`;
}

/** Errors the user can act on get a message with the action; the rest pass through unchanged. */
export function loadErrorToSfError(e: unknown, ctx: { bin: string; ledgerDir: string }): Error {
  if (e instanceof CsvInputError) return messages.createError('error.CsvInput', [e.message]);
  if (e instanceof DuplicateRunError) {
    return messages.createError('error.DuplicateRun', [e.earlierRunId], [`${ctx.bin} bulkops resume --run-id ${e.earlierRunId}`, e.earlierRunDir]);
  }
  if (e instanceof PreflightFailedError) {
    const err = messages.createError('error.PreflightFailed', [e.report.file, preflightLines(e.report).join('\n')]);
    err.setData(e.report);
    return err;
  }
  if (e instanceof PreflightError) return messages.createError('error.UnknownObject', [e.message]);
  if (e instanceof BackupShortError) return messages.createError('error.BackupShort', [e.records, e.ids, e.file]);
  if (e instanceof RunLockedError) return messages.createError('error.RunLocked', [e.runId, `pid ${e.owner.pid} on ${e.owner.host}`, e.owner.since]);
  if (e instanceof AbandonedRunError) return messages.createError('error.AbandonedRun', [e.runId, e.reason]);
  if (e instanceof NotConfirmedError && e.runId) return messages.createError('error.NotConfirmedRun', [e.runId]);
  if (e instanceof AmbiguousOrphanError) {
    return messages.createError('error.AmbiguousOrphan', [e.chunk, e.candidates.length, e.candidates.map((c) => `${c.id} (created ${c.createdDate})`).join(', ')]);
  }
  if (e instanceof JobGoneError) return messages.createError('error.JobGone', [e.jobId]);
  if (e instanceof OrgApiError) return messages.createError('error.OrgApi', [e.method, e.path, e.status, e.errorCode, e.message]);
  if (e instanceof OrgNetworkError) return messages.createError('error.Network', [e.method, e.path, e.message]);
  return e instanceof Error ? e : SfError.wrap(String(e));
}
