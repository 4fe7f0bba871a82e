/*
 * What `sf bulkops monitor` prints: the new problems as a table, what was (or would be) sent to
 * which webhook host, and what stays pending.
 */
import type { Messages } from '@salesforce/core';
import type { SfCommand } from '@salesforce/sf-plugins-core';
import type { MonitorReport } from '../core/monitor/monitorService.js';
import type { Problem } from '../core/monitor/problems.js';
import type { Destination } from '../core/monitor/state.js';

/** How a destination is named to the user. */
export const DESTINATION_LABEL: Record<Destination, string> = { slack: 'Slack', webhook: 'JSON' };

const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

export function problemRows(problems: Problem[]): Array<Record<string, string>> {
  return problems.map((p) => ({
    kind: p.kind,
    job: p.jobId.slice(0, 15),
    what: p.api === 'AsyncApex' ? [p.jobType, p.apexClass, p.method].filter(Boolean).join(' ') : `${p.operation ?? ''} ${p.object ?? ''}`.trim(),
    state: p.state,
    user: p.user,
    integration: p.integration ?? '',
    records: p.processed === undefined ? (p.errors === undefined ? '' : `${p.errors} errors`) : `${p.processed} / ${p.failed ?? 0}`,
    error: cut(p.firstError ?? '', 60),
  }));
}

const COLUMN_KEYS = ['kind', 'job', 'what', 'state', 'user', 'integration', 'records', 'error'] as const;

export function printMonitor(cmd: SfCommand<unknown>, report: MonitorReport, messages: Messages<string>): void {
  if (report.problems.length === 0) cmd.log(messages.getMessage('info.none', [report.since, report.until]));
  else {
    cmd.log(messages.getMessage('info.problems', [report.problems.length, report.since, report.until]));
    cmd.table({ data: problemRows(report.problems), columns: COLUMN_KEYS.map((key) => ({ key, name: messages.getMessage(`column.${key}`) })) });
    for (const p of report.problems) cmd.log(`- ${p.message}\n  ${p.action}`);
  }
  for (const d of report.deliveries) {
    const label = DESTINATION_LABEL[d.destination];
    if (report.dryRun) {
      cmd.log(messages.getMessage('info.dryRun', [d.problems, label, d.host]));
      cmd.log(JSON.stringify(d.body, null, 2));
    } else if (d.delivered) cmd.log(messages.getMessage('info.delivered', [d.problems, label, d.host]));
    else {
      cmd.warn(messages.getMessage('warn.notDelivered', [d.problems, label, d.host, d.reason ?? '', d.attempts]));
      if (d.reconfigure) cmd.warn(messages.getMessage('warn.reconfigure', [label, d.host, d.reason ?? '']));
    }
  }
  const h = report.history;
  cmd.log(messages.getMessage('info.history', [h.dir, h.added, h.changed, h.jobs]));
}
