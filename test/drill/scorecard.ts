/*
 * The drill's scorecard: for each planted problem when it happened and when the product first
 * reported it, the alerts sent about it; the rows meant to land that are missing at the end, the
 * rows that landed twice, and the unknown sources still without an owner after the audit.
 */
import type { Emulator } from '../helpers/emulator.js';
import type { Intended } from './integrations.js';
import { DAY } from './org.js';
import type { Planted } from './problems.js';

export type ProblemScore = {
  name: string;
  detector: string;
  happened: string;
  day: number;
  reported?: string;
  /** simulated hours from the problem to its first report */
  hoursToReport?: number;
  alerts: number;
  withinADay: boolean;
  /** whether the end-of-period audit names the problem's jobs too (for the problems it has a finding for) */
  inAudit?: boolean;
};

/** The week the pipeline did not run: the jobs the org ran against those the audit counts, and the days it says it lacks. */
export type HistoryGap = { fromDay: number; toDay: number; jobsRun: number; jobsInAudit: number; coverageGapDays: number };

export type Scorecard = {
  days: number;
  historyGap: HistoryGap;
  problems: ProblemScore[];
  failedRowsNotReconciled: number;
  duplicateRecords: number;
  unknownSourcesWithoutOwner: number;
  alertMessages: number;
  sfRuns: number;
  wallSeconds: number;
  goalsMet: boolean;
};

export function scoreProblem(p: Planted, reportedAt: number | undefined, alerts: number): ProblemScore {
  const hours = reportedAt !== undefined && p.at !== undefined ? (reportedAt - p.at) / 3_600_000 : undefined;
  return {
    name: p.name,
    detector: `${p.detector.by}:${p.detector.kind}`,
    happened: new Date(p.at ?? 0).toISOString(),
    day: p.day,
    ...(reportedAt !== undefined ? { reported: new Date(reportedAt).toISOString(), hoursToReport: Math.round(hours! * 10) / 10 } : {}),
    alerts,
    withinADay: hours !== undefined && hours <= DAY / 3_600_000,
  };
}

const keyField = (object: string): string => (object === 'Contact' ? 'Email' : 'AccountNumber');

/** Rows meant to land that the org does not hold, and rows it holds more than once. */
export function rowScores(emu: Emulator, intended: Intended[]): { missing: number; duplicates: number } {
  let missing = 0;
  let duplicates = 0;
  for (const object of ['Contact', 'Account'] as const) {
    const counts = new Map<string, number>();
    for (const r of emu.store.all(object)) {
      const k = String(r[keyField(object)] ?? '');
      if (k) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const n of counts.values()) if (n > 1) duplicates += n - 1;
    for (const i of intended.filter((x) => x.object === object)) if (!counts.has(i.key)) missing++;
  }
  return { missing, duplicates };
}

/** The gap week is survived when the audit still counts every job, or names the days it lacks. */
export const historyKept = (g: HistoryGap): boolean => g.jobsInAudit >= g.jobsRun || g.coverageGapDays > 0;

export function goalsMet(s: Omit<Scorecard, 'goalsMet'>): boolean {
  return s.problems.every((p) => p.withinADay && (p.detector.startsWith('audit') || p.alerts === 1)) && s.failedRowsNotReconciled === 0 && s.duplicateRecords === 0 && s.unknownSourcesWithoutOwner === 0 && historyKept(s.historyGap);
}

export function printScorecard(s: Scorecard): string {
  const lines = [
    `Operations drill: ${s.days} simulated days, ${s.sfRuns} sf runs, ${s.wallSeconds} s`,
    '',
    '| planted problem | day | reported by | first report after | alerts | within a day | audit names its jobs |',
    '|---|---|---|---|---|---|---|',
    ...s.problems.map((p) => `| ${p.name} | ${p.day} | ${p.detector} | ${p.hoursToReport === undefined ? 'never' : `${p.hoursToReport} h`} | ${p.alerts} | ${p.withinADay ? 'yes' : 'NO'} | ${p.inAudit === undefined ? '' : p.inAudit ? 'yes' : 'NO'} |`),
    '',
    `week without history saved (days ${s.historyGap.fromDay}-${s.historyGap.toDay}): the audit counts ${s.historyGap.jobsInAudit} of the ${s.historyGap.jobsRun} jobs the org ran, ${s.historyGap.coverageGapDays} days reported as a coverage gap (${historyKept(s.historyGap) ? 'kept' : 'LOST'})`,
    `failed rows not reconciled: ${s.failedRowsNotReconciled} (goal 0)`,
    `duplicate records: ${s.duplicateRecords} (goal 0)`,
    `unknown sources without an owner after the audit: ${s.unknownSourcesWithoutOwner} (goal 0)`,
    `alert messages sent: ${s.alertMessages}`,
    `goals met: ${s.goalsMet ? 'yes' : 'NO'}`,
  ];
  return lines.join('\n');
}
