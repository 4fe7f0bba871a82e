/*
 * The error an export ends with, worded for the user: what happened (the org's error code and
 * message kept, a bad query's position with it), and what to do, the command to go on with when
 * going on can work. Errors the export core does not name (the network, the session, the org's
 * other answers) keep their own message, with that command.
 */
import { Messages, SfError } from '@salesforce/core';
import {
  ForLoadColumnError,
  LocatorRefusedError,
  NoExportRunError,
  NotWritableColumnsError,
  OtherOrgError,
  OutputChangedError,
  QueryJobFailedError,
  QueryJobGoneError,
  QueryRefusedError,
  RowCountError,
} from '../core/export/errors.js';
import { readExportState } from '../core/export/pageLedger.js';
import { StoppedError } from '../core/runtime/stopToken.js';
import { SIGNAL_EXIT_CODES, type StopSignal } from './signalStop.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.export');

export type ExportErrorContext = { bin: string; runId: string; runDir: string; ledgerDir: string; defaultLedger: boolean };

/** The command that goes on with an export run. */
export function exportResumeCommand(ctx: ExportErrorContext): string {
  return `${ctx.bin} bulkops export --resume ${ctx.runId}${ctx.defaultLedger ? '' : ` --ledger-dir "${ctx.ledgerDir}"`}`;
}

function written(runDir: string): number {
  return readExportState(runDir)?.pages.reduce((n, p) => n + p.rows, 0) ?? 0;
}

/** A signal stopped the export: exit 128 + its number, with the command to go on. */
export function exportInterruptedError(signal: StopSignal, ctx: ExportErrorContext): SfError {
  return make('error.Interrupted', [ctx.runId, signal, written(ctx.runDir)], [exportResumeCommand(ctx)], 'InterruptedError', ctx, SIGNAL_EXIT_CODES[signal]);
}

/** `action` in the data (the command to go on) only for the errors going on can get past. */
function make(key: string, tokens: Array<string | number>, actions: Array<string | number>, name: string, ctx: ExportErrorContext, exitCode?: number): SfError {
  const goOn = key === 'error.Interrupted' || key === 'error.Stopped';
  return SfError.create({
    message: messages.getMessage(key, tokens),
    name,
    actions: messages.getMessages(`${key}.actions`, actions),
    exitCode: exitCode ?? 1,
    data: { runId: ctx.runId, runDir: ctx.runDir, ...(goOn ? { action: exportResumeCommand(ctx) } : {}) },
  });
}

export function exportError(e: unknown, ctx: ExportErrorContext): Error {
  if (e instanceof QueryRefusedError) return make('error.QueryRefused', [e.errorCode, e.message], [], 'QueryRefusedError', ctx);
  if (e instanceof QueryJobFailedError) return make('error.JobFailed', [e.jobId, e.state, e.reason ? `: ${e.reason}` : ''], [], 'QueryJobFailedError', ctx);
  if (e instanceof QueryJobGoneError) return make('error.JobGone', [e.jobId, ctx.runId], [], 'QueryJobGoneError', ctx);
  if (e instanceof LocatorRefusedError) return make('error.LocatorRefused', [e.jobId, ctx.runId], [], 'LocatorRefusedError', ctx);
  if (e instanceof OutputChangedError) return make('error.OutputChanged', [e.file, e.found, ctx.runId, e.expected], [], 'OutputChangedError', ctx);
  if (e instanceof RowCountError) return make('error.RowCount', [e.what, e.expected, e.found], [ctx.runDir], 'RowCountError', ctx);
  if (e instanceof ForLoadColumnError) return make('error.ForLoadColumn', [e.column, e.operation], [e.column], 'ForLoadColumnError', ctx);
  if (e instanceof NotWritableColumnsError) return make('error.NotWritableColumns', [e.operation, e.columns.join(', ')], [], 'NotWritableColumnsError', ctx);
  if (e instanceof NoExportRunError) return make('error.NoExportRun', [ctx.runId, ctx.ledgerDir], [], 'NoExportRunError', ctx);
  if (e instanceof OtherOrgError) return make('error.OtherOrg', [e.runId, e.runOrg, e.org], [], 'OtherOrgError', ctx);
  if (e instanceof StoppedError) return e;
  // The network, the session, the org's other answers, the disk: their own words, and how to go on.
  const err = e instanceof Error ? e : new Error(String(e));
  return make('error.Stopped', [ctx.runId, err.message, written(ctx.runDir)], [exportResumeCommand(ctx)], err.name === 'Error' ? 'ExportStoppedError' : err.name, ctx);
}
