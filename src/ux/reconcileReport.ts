/*
 * What `sf bulkops reconcile` prints (a summary, a table of failure groups with what to do, the
 * files) and the same as Markdown for --report; the advice text of each group; the exit code.
 */
import { basename, dirname } from 'node:path';
import { Messages } from '@salesforce/core';
import type { ReconcileFolder, ReconcileGroup, RunReconcile } from '../core/reconcile/reconcileRun.js';
import type { JobsReconcile } from '../core/reconcile/reconcileJobs.js';
import type { ResendOutcome } from '../core/reconcile/resend.js';
import { EXIT_FAILED_ROWS, roundLines } from './loadReport.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.reconcile');

export type AdvisedGroup = ReconcileGroup & { advice: string };
export type ReconcileOutput = Omit<RunReconcile, 'groups'> & { groups: AdvisedGroup[]; report?: string; resend?: ResendOutcome };
export type JobsReconcileOutput = Omit<JobsReconcile, 'groups'> & { groups: AdvisedGroup[]; report?: string };
/** What every reconcile has: a run's or jobs' */
type Reconciled = Omit<ReconcileFolder, 'groups'> & { groups: AdvisedGroup[] };

type Printer = {
  log: (line?: string) => void;
  table: (opts: { data: Array<Record<string, unknown>>; columns: Array<{ key: string; name: string }> }) => void;
  config: { bin: string };
};

/** What to do about one group, in words. */
export function adviceFor(group: ReconcileGroup, externalId?: string): string {
  const fields = group.fields.join(', ');
  switch (group.action) {
    case 'fix-data':
      return fields ? messages.getMessage('action.fix-data', [fields]) : messages.getMessage('action.fix-data-nofield');
    case 'fix-reference':
      return messages.getMessage('action.fix-reference', [fields ? ` in ${fields}` : '']);
    case 'use-upsert': {
      const key = externalId ?? group.fields[0];
      return key ? messages.getMessage('action.use-upsert', [key]) : messages.getMessage('action.use-upsert-nofield');
    }
    case 'validation':
      return messages.getMessage('action.validation', [group.message]);
    default:
      return messages.getMessage(`action.${group.action}`);
  }
}

export function withAdvice<T extends { groups: ReconcileGroup[]; externalId?: string }>(result: T): Omit<T, 'groups'> & { groups: AdvisedGroup[] } {
  return { ...result, groups: result.groups.map((g) => ({ ...g, advice: adviceFor(g, result.externalId) })) };
}

/** Rows that are not loaded: the command then exits 68. */
export function rowsNotLoaded(r: Pick<ReconcileFolder, 'counts'>): number {
  const c = r.counts;
  return c.failed + c.unprocessed + c.rejected + c.pending + c.neverSent;
}

export function exitCodeOf(r: Pick<ReconcileFolder, 'counts'>): number {
  return rowsNotLoaded(r) > 0 ? EXIT_FAILED_ROWS : 0;
}

function summaryLines(r: ReconcileOutput, bin: string): string[] {
  const c = r.counts;
  const lines = [messages.getMessage('info.summary', [r.runId, r.operation, r.object, r.status, c.rows, c.succeeded, c.failed, c.unprocessed, c.rejected, c.pending, c.neverSent])];
  if (c.created !== undefined && c.updated !== undefined && c.succeeded > 0) lines.push(messages.getMessage('info.summaryCreated', [c.created, c.updated]));
  if (r.resend) lines.push(...resendLines(r.resend));
  lines.push(...roundLines(r.rounds ?? []));
  if (c.pending + c.neverSent > 0 && r.status === 'InProgress') lines.push(messages.getMessage('info.pending', [c.pending + c.neverSent, `${bin} bulkops resume --run-id ${r.runId} --ledger-dir "${dirname(r.runDir)}"`]));
  if (rowsNotLoaded(r) === 0) lines.push(messages.getMessage('info.allLoaded'));
  return lines;
}

/** What --retry or --fixed-file sent, and each row it refused with the reason (the first ones; all in refused.csv). */
function resendLines(s: ResendOutcome): string[] {
  const lines: string[] = [];
  if (s.earlierRoundPending) lines.push(messages.getMessage('info.earlierRound'));
  else lines.push(s.round ? messages.getMessage(`info.sent.${s.kind}`, [s.sent, s.round]) : messages.getMessage(`info.nothingSent.${s.kind}`));
  if (s.refused) {
    lines.push(s.refusedFile ? messages.getMessage('info.refused', [s.refused, s.refusedFile]) : messages.getMessage('info.refusedRetry', [s.refused]));
    for (const r of s.refusals) lines.push(`  ${messages.getMessage(`refusal.${r.reason}`, [r.file ? `${r.file}:${r.line}` : r.line, r.detail ?? ''])}`);
  }
  return lines;
}

/** The summary of a reconcile of jobs (--job-id). */
function jobsSummaryLines(r: JobsReconcileOutput): string[] {
  const c = r.counts;
  const ids = r.jobs.map((j) => j.jobId).join(', ');
  const states = r.jobs.map((j) => j.state).join(', ');
  const lines = [messages.getMessage('info.jobsSummary', [ids, r.operation, r.object, states, c.rows, c.succeeded, c.failed, c.unprocessed])];
  lines.push(r.file ? messages.getMessage('info.joined', [r.file]) : messages.getMessage('info.notJoined'));
  if (c.created !== undefined && c.updated !== undefined && c.succeeded > 0) lines.push(messages.getMessage('info.summaryCreated', [c.created, c.updated]));
  for (const j of r.jobs) if (j.errorMessage) lines.push(messages.getMessage('info.jobError', [j.jobId, j.state, j.errorMessage]));
  if (r.unmatched > 0) lines.push(messages.getMessage('info.unmatched', [r.unmatched, r.files.unmatched ?? '']));
  if (rowsNotLoaded(r) === 0) lines.push(messages.getMessage('info.allLoaded'));
  return lines;
}

function fileLines(r: Reconciled & { counts: ReconcileFolder['counts'] }): string[] {
  const lines = [messages.getMessage('info.files', [r.files.folder]), `  ${messages.getMessage('info.rowsFile')}`];
  for (const g of r.groups) lines.push(`  ${basename(g.file)}: ${g.count}`);
  lines.push(`  ${r.counts.retryable ? messages.getMessage('info.retryFile', [r.counts.retryable]) : messages.getMessage('info.retryFileEmpty')}`);
  if (r.counts.rejected) lines.push(`  ${messages.getMessage('info.rejectedFile', [r.counts.rejected])}`);
  return lines;
}

const COLUMNS = ['count', 'code', 'fields', 'action', 'file'] as const;

function groupRows(r: Reconciled): Array<Record<(typeof COLUMNS)[number], string>> {
  return r.groups.map((g) => ({ count: String(g.count), code: g.state === 'failed' ? g.code : 'unprocessed', fields: g.fields.join(', '), action: g.advice, file: basename(g.file) }));
}

function isJobs(r: ReconcileOutput | JobsReconcileOutput): r is JobsReconcileOutput {
  return 'jobs' in r;
}

/** Prints the reconcile on the terminal; returns the exit code. */
export function printReconcile(cmd: Printer, r: ReconcileOutput | JobsReconcileOutput): number {
  for (const line of isJobs(r) ? jobsSummaryLines(r) : summaryLines(r, cmd.config.bin)) cmd.log(line);
  if (r.groups.length) {
    cmd.log('');
    cmd.log(messages.getMessage('info.groups'));
    cmd.table({ data: groupRows(r), columns: COLUMNS.map((key) => ({ key, name: messages.getMessage(`column.${key}`) })) });
  }
  cmd.log('');
  for (const line of fileLines(r)) cmd.log(line);
  if (r.report) cmd.log(messages.getMessage('info.report', [r.report]));
  return exitCodeOf(r);
}

/** The same as Markdown, for a ticket or a pull request. */
export function reconcileMarkdown(r: ReconcileOutput | JobsReconcileOutput, bin: string): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const out = isJobs(r)
    ? [`# Reconcile of job${r.jobs.length > 1 ? 's' : ''} ${r.jobs.map((j) => j.jobId).join(', ')}`, '', ...jobsSummaryLines(r), '']
    : [`# Reconcile of run ${r.runId}`, '', ...summaryLines(r, bin), ''];
  const c = r.counts;
  out.push('| state | rows |', '|---|---:|');
  for (const [label, n] of [
    ['succeeded', c.succeeded],
    ['failed', c.failed],
    ['unprocessed', c.unprocessed],
    ['left out by the checks', c.rejected],
    ['pending', c.pending],
    ['never sent', c.neverSent],
  ] as const) {
    out.push(`| ${label} | ${n} |`);
  }
  if (r.groups.length) {
    out.push('', `## ${messages.getMessage('info.groups')}`, '');
    out.push(`| ${COLUMNS.map((k) => messages.getMessage(`column.${k}`)).join(' | ')} |`, `|${COLUMNS.map((k) => (k === 'count' ? '---:' : '---')).join('|')}|`);
    for (const row of groupRows(r)) out.push(`| ${COLUMNS.map((k) => cell(row[k])).join(' | ')} |`);
  }
  if (isJobs(r)) {
    out.push('', '## Jobs', '', '| job | state | processed | failed | created by | created |', '|---|---|---:|---:|---|---|');
    for (const j of r.jobs) out.push(`| ${j.jobId} | ${j.state} | ${j.processed} | ${j.failed} | ${j.createdById} | ${j.createdDate} |`);
    out.push('', ...fileLines(r).map((l) => (l.startsWith('  ') ? `- ${l.trim()}` : l)), '');
    return out.join('\n');
  }
  out.push('', '## Parts and jobs', '', '| part | file | lines | rows | jobs | state |', '|---:|---|---|---:|---|---|');
  for (const p of r.parts) {
    const jobs = p.jobs.map((j) => (j.dropped ? `${j.jobId} (left: ${j.dropped})` : j.jobId)).join(', ');
    out.push(`| ${p.part} | ${cell(basename(p.inputFile))} | ${p.firstLine}–${p.lastLine} | ${p.rows} | ${jobs || '—'} | ${p.state} |`);
  }
  out.push('', ...fileLines(r).map((l) => (l.startsWith('  ') ? `- ${l.trim()}` : l)), '');
  return out.join('\n');
}
