/*
 * The audit as people read it: tables on the terminal, the same as Markdown (a ticket, a pull
 * request, the quarterly review) and the findings as CSV (a spreadsheet); the exit code.
 */
import { Messages } from '@salesforce/core';
import type { AuditReport } from '../core/audit/auditService.js';
import { atOrAbove, Finding, Severity, SEVERITIES } from '../core/audit/findings.js';
import { csvLine } from '../core/csv/writer.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.audit');

export const AUDIT_FORMATS = ['table', 'markdown', 'json', 'csv'] as const;
export type AuditFormat = (typeof AUDIT_FORMATS)[number];

type Printer = {
  log(message?: string): void;
  table(opts: { data: Array<Record<string, string>>; columns: Array<{ key: string; name: string }> }): void;
};

const FINDING_COLUMNS = ['severity', 'kind', 'subject', 'finding', 'action'] as const;
const THROUGHPUT_COLUMNS = ['source', 'object', 'operation', 'jobs', 'records', 'rowsPerMinute', 'automationMsPerRow'] as const;
const INTEGRATION_COLUMNS = ['name', 'status', 'jobs', 'records', 'failedJobs', 'lastSeen', 'asyncApex'] as const;

const dayOf = (iso?: string): string => (iso ? iso.slice(0, 10) : '');
const subject = (f: Finding): string => f.integration ?? f.user ?? (f.kind === 'coverage-gap' || f.kind === 'stale-inventory' ? messages.getMessage('subject.inventory') : '');

function findingRows(r: AuditReport): Array<Record<(typeof FINDING_COLUMNS)[number], string>> {
  return r.findings.map((f) => ({ severity: f.severity, kind: f.kind, subject: subject(f), finding: f.message, action: f.action }));
}

function throughputRows(r: AuditReport): Array<Record<(typeof THROUGHPUT_COLUMNS)[number], string>> {
  return r.throughput.map((t) => ({
    source: t.source,
    object: t.object,
    operation: t.operation,
    jobs: String(t.jobs),
    records: String(t.records),
    rowsPerMinute: t.rowsPerMinute === undefined ? '' : String(t.rowsPerMinute),
    automationMsPerRow: t.automationMsPerRow === undefined ? '' : String(t.automationMsPerRow),
  }));
}

function integrationRows(r: AuditReport): Array<Record<(typeof INTEGRATION_COLUMNS)[number], string>> {
  return r.integrations.map((i) => ({
    name: i.name,
    status: i.status,
    jobs: String(i.jobs),
    records: String(i.records),
    failedJobs: String(i.failedJobs),
    lastSeen: dayOf(i.lastSeen),
    asyncApex: i.asyncApexJobs ? `${i.asyncApexJobs} (${i.asyncApexFailed} failed)` : '0',
  }));
}

const columns = <K extends string>(keys: readonly K[]): Array<{ key: K; name: string }> => keys.map((key) => ({ key, name: messages.getMessage(`column.${key}`) }));

function summaryLines(r: AuditReport): string[] {
  const c = r.counts;
  const lines = [
    messages.getMessage('info.period', [r.since.slice(0, 10), r.until.slice(0, 10), r.jobs, r.unattributedJobs, r.asyncApexJobs]),
    messages.getMessage('info.counts', [r.findings.length, c.critical, c.high, c.medium, c.low, c.info]),
    messages.getMessage('info.history', [r.history.dir, r.history.added, r.history.changed, r.history.jobs]),
  ];
  if (!r.history.eventLogs.available) lines.push(messages.getMessage('info.noEventLogs'));
  if (!r.permissionsRead) lines.push(messages.getMessage('info.noPermissions'));
  return lines;
}

/** Prints the audit on the terminal. */
export function printAudit(cmd: Printer, r: AuditReport): void {
  if (r.findings.length === 0) cmd.log(messages.getMessage('info.noFindings'));
  else cmd.table({ data: findingRows(r), columns: columns(FINDING_COLUMNS) });
  cmd.log('');
  cmd.log(messages.getMessage('info.integrations'));
  cmd.table({ data: integrationRows(r), columns: columns(INTEGRATION_COLUMNS) });
  cmd.log('');
  cmd.log(messages.getMessage('info.throughput'));
  cmd.table({ data: throughputRows(r), columns: columns(THROUGHPUT_COLUMNS) });
  cmd.log('');
  for (const line of summaryLines(r)) cmd.log(line);
}

/** The same as Markdown. */
export function auditMarkdown(r: AuditReport): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const table = <K extends string>(keys: readonly K[], rows: Array<Record<K, string>>, numeric: readonly string[] = []): string[] => [
    `| ${columns(keys)
      .map((c) => c.name)
      .join(' | ')} |`,
    `|${keys.map((k) => (numeric.includes(k) ? '---:' : '---')).join('|')}|`,
    ...rows.map((row) => `| ${keys.map((k) => cell(row[k])).join(' | ')} |`),
  ];
  const out = [`# ${messages.getMessage('markdown.title', [r.orgId])}`, '', ...summaryLines(r).map((l) => `${l}  `), ''];
  out.push(`## ${messages.getMessage('markdown.findings')}`, '');
  if (r.findings.length === 0) out.push(messages.getMessage('info.noFindings'));
  else out.push(...table(FINDING_COLUMNS, findingRows(r)));
  out.push('', `## ${messages.getMessage('info.integrations')}`, '', ...table(INTEGRATION_COLUMNS, integrationRows(r), ['jobs', 'records', 'failedJobs']));
  out.push('', `## ${messages.getMessage('info.throughput')}`, '', ...table(THROUGHPUT_COLUMNS, throughputRows(r), ['jobs', 'records', 'rowsPerMinute', 'automationMsPerRow']), '');
  return out.join('\n');
}

const CSV_COLUMNS = [
  'severity',
  'kind',
  'integration',
  'user',
  'connectedApps',
  'clients',
  'objects',
  'operations',
  'firstSeen',
  'lastSeen',
  'jobs',
  'records',
  'failedJobs',
  'failedRecords',
  'failureRate',
  'from',
  'to',
  'days',
  'message',
  'action',
] as const;

/** One line per finding; lists joined with "; ". */
export function auditCsv(r: AuditReport): string {
  const text = (v: unknown): string => (v === undefined ? '' : Array.isArray(v) ? v.join('; ') : String(v));
  return csvLine(CSV_COLUMNS) + r.findings.map((f) => csvLine(CSV_COLUMNS.map((k) => text(f[k])))).join('');
}

/** The report in a format, for stdout or --output (a table is written as Markdown). */
export function auditText(r: AuditReport, format: AuditFormat): string {
  if (format === 'json') return JSON.stringify(r, null, 2) + '\n';
  if (format === 'csv') return auditCsv(r);
  return auditMarkdown(r);
}

/** 68 when a finding is at or above the severity, else 0. */
export function auditExitCode(r: AuditReport, failOn: Severity): number {
  return r.findings.some((f) => atOrAbove(f.severity, failOn)) ? 68 : 0;
}

export { SEVERITIES };
