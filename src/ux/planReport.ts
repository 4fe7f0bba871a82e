/*
 * The end of a plan run (load --plan, its resume and reconcile, plan validate): a line per step and
 * the totals, the error a plan file's problems or a parent's failure give, and the exit code.
 */
import { Messages, SfError } from '@salesforce/core';
import { PlanFileError } from '../core/plan/planFile.js';
import { ParentFailedError } from '../core/plan/planRun.js';
import type { PlanResult } from '../core/plan/planResult.js';
import { EXIT_FAILED_ROWS, EXIT_STILL_RUNNING } from './loadReport.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.plan');

type Printer = { log: (line: string) => void; warn: (line: string) => void; config: { bin: string } };

export function reportPlan(cmd: Printer, result: PlanResult, opts: { ledgerDir: string; defaultLedger: boolean; waited: boolean }): number {
  for (const s of result.steps) {
    if (result.status === 'Checked') {
      cmd.log(messages.getMessage('info.stepChecked', [s.step, s.name, s.object, s.rows, s.rejected, s.missingParents ?? 0]));
      for (const m of s.missingParentExamples ?? []) cmd.log(messages.getMessage('info.missingParent', [m.line, m.column, m.key]));
      if (s.check?.problemsFile) cmd.log(messages.getMessage('info.problemsFile', [s.check.problemsFile]));
      continue;
    }
    cmd.log(messages.getMessage('info.step', [s.step, s.name, s.object, s.status, s.rows, s.successful, s.failed, s.rejected, s.skipped, s.unprocessed]));
    if (s.runId) cmd.log(messages.getMessage('info.stepRun', [s.runId, s.resultsDir]));
    if (s.skippedFile) cmd.log(messages.getMessage('info.skippedFile', [s.skippedFile]));
  }
  if (result.status === 'Checked') {
    const bad = result.steps.some((s) => s.rejected > 0 || (s.missingParents ?? 0) > 0);
    return bad ? EXIT_FAILED_ROWS : 0;
  }
  cmd.log(messages.getMessage('info.totals', [result.planRunId ?? '', result.rows, result.successful, result.failed, result.rejected, result.skipped, result.unprocessed]));
  if (result.status === 'InProgress') {
    cmd.log(messages.getMessage('info.stillRunning', [`${cmd.config.bin} bulkops resume --run-id ${result.planRunId ?? ''}${opts.defaultLedger ? '' : ` --ledger-dir "${opts.ledgerDir}"`}`]));
    return opts.waited ? EXIT_STILL_RUNNING : 0;
  }
  if (result.skipped > 0) cmd.log(messages.getMessage('info.skippedAdvice', [cmd.config.bin, cmd.config.bin, result.planRunId ?? '']));
  return result.failed + result.rejected + result.skipped + result.unprocessed > 0 ? EXIT_FAILED_ROWS : 0;
}

/** A plan's own errors as the user reads them; others pass through. */
export function planErrorToSfError(e: unknown): unknown {
  if (e instanceof PlanFileError) {
    const lines = e.problems.map((p) => (p.line ? `${e.file}:${p.line}:${p.column}${p.path ? ` ${p.path}` : ''}: ${p.message}` : `${e.file}: ${p.message}`));
    return new SfError(messages.getMessage('error.PlanFile', [e.file, lines.join('\n')]), 'PlanFileError', messages.getMessages('error.PlanFile.actions'), 1);
  }
  if (e instanceof ParentFailedError) {
    return new SfError(messages.getMessage('error.ParentFailed', [e.step, e.file, e.line, e.column, e.key, e.parentStep, e.parentLine, e.parentError]), 'ParentFailedError', messages.getMessages('error.ParentFailed.actions'), 1);
  }
  return e;
}
