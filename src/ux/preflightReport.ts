/*
 * The checks' report as people read it: header problems first, then each row problem kind with
 * its count and a few examples (file:line (field): what to do).
 */
import { Messages } from '@salesforce/core';
import type { PreflightReport } from '../core/preflight/problems.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.report');

export function preflightLines(report: PreflightReport): string[] {
  if (report.ok) return [messages.getMessage('preflight.ok', [report.rowsChecked, report.file])];
  // Header problems and row problems are counted apart: a header problem is in no row.
  const rowProblems = report.problems - report.jobProblems;
  const summary =
    report.jobProblems === 0
      ? messages.getMessage('preflight.summary', [rowProblems, report.problemRows, report.rowsChecked, report.file])
      : rowProblems === 0
      ? messages.getMessage('preflight.summaryHeader', [report.jobProblems, report.file, report.rowsChecked])
      : messages.getMessage('preflight.summaryBoth', [report.jobProblems, rowProblems, report.problemRows, report.rowsChecked, report.file]);
  const lines = [summary];
  for (const kind of report.kinds) {
    lines.push(messages.getMessage(kind.scope === 'job' ? 'preflight.kindHeader' : 'preflight.kindRows', [kind.kind, kind.count]));
    for (const ex of kind.examples) lines.push(`    ${ex.message}`);
    if (kind.count > kind.examples.length) lines.push(messages.getMessage('preflight.more', [kind.count - kind.examples.length]));
  }
  return lines;
}
