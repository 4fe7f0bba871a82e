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
  const lines = [messages.getMessage('preflight.summary', [report.problems, report.problemRows, report.rowsChecked, report.file])];
  for (const kind of report.kinds) {
    lines.push(messages.getMessage(kind.scope === 'job' ? 'preflight.kindHeader' : 'preflight.kindRows', [kind.kind, kind.count]));
    for (const ex of kind.examples) lines.push(`    ${ex.message}`);
    if (kind.count > kind.examples.length) lines.push(messages.getMessage('preflight.more', [kind.count - kind.examples.length]));
  }
  return lines;
}
