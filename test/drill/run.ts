/*
 * The drill's schedule: day by day on the org's clock, the integrations load at night (01:00), the
 * planted problems happen on their days, the pipeline runs the monitor at 06:17 (and `jobs --save`
 * on Mondays, as a weekly review), the operator follows each new alert; a week goes by with no
 * pipeline at all (no history saved); the audit closes the period, its unknown sources get owners
 * from `inventory init`'s draft, and the audit runs again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SfHome } from '../helpers/sf.js';
import { WebhookReceiver } from '../helpers/webhookReceiver.js';
import type { Problem } from '../../src/core/monitor/problems.js';
import { crmDaily, erpDaily, newLedger } from './integrations.js';
import { addEntry, audit, type AuditFinding, type AuditReport, ensureDir, follow, HOOK_PATH, jobsSave, monitor, type Pipeline } from './operator.js';
import { ADMIN, DAY, moveTo, SOURCES, startDrillOrg } from './org.js';
import { forgottenDaily, gapStart, plannedProblems, plant, type Planted } from './problems.js';
import { goalsMet, rowScores, type Scorecard, scoreProblem } from './scorecard.js';

export type DrillOptions = {
  days: number;
  /** test-only: the monitor's reports of this planted problem are dropped, as if its detection were gone */
  dropDetection?: string;
  output?: string;
  onDay?: (day: number) => void;
};

function inventoryText(day0: number): string {
  return [
    'version: 1',
    'org: drill',
    `reviewed: ${new Date(day0).toISOString().slice(0, 10)}`,
    'integrations:',
    `  - name: ${SOURCES.crm.key}`,
    '    owner: { team: CRM, contact: crm@drill.emu }',
    `    match: { users: [${SOURCES.crm.username}], connectedApps: [${SOURCES.crm.app.name}] }`,
    '    allowed: [{ object: Contact, operations: [insert] }]',
    '    cadence: daily',
    `  - name: ${SOURCES.erp.key}`,
    '    owner: { team: Finance Systems, contact: erp@drill.emu }',
    `    match: { users: [${SOURCES.erp.username}], connectedApps: [${SOURCES.erp.app.name}] }`,
    '    allowed: [{ object: Account, operations: [insert] }, { object: Contact, operations: [insert] }]',
    '    cadence: daily',
    `  - name: ${SOURCES.legacy.key}`,
    '    owner: { team: Data Platform, contact: data@drill.emu }',
    `    match: { users: [${SOURCES.legacy.username}] }`,
    '    status: retired',
    '    cadence: weekly',
    '  - name: operations',
    '    owner: { team: Salesforce Ops, contact: ops@drill.emu }',
    `    match: { users: [${ADMIN}] }`,
    '    allowed: [{ object: Account, operations: [insert] }, { object: Contact, operations: [insert] }]',
    '    cadence: on-demand',
    '',
  ].join('\n');
}

const matches = (p: Planted, problem: Problem): boolean => p.detector.by === 'monitor' && problem.kind === p.detector.kind && p.jobIds.some((id) => id.slice(0, 15) === problem.jobId.slice(0, 15));

export async function runDrill(opts: DrillOptions): Promise<Scorecard> {
  const started = Date.now();
  const org = await startDrillOrg();
  const receiver = new WebhookReceiver();
  await receiver.start();
  const work = mkdtempSync(join(tmpdir(), 'bulkops-drill-'));
  const sf = new SfHome();
  try {
    await sf.login(org.emu.url, org.emu.accessToken);
    await sf.linkPlugin();
    const p: Pipeline = { sf, receiver, work, historyDir: ensureDir(join(work, 'history')), inventory: join(work, 'bulkops-inventory.yaml'), log: [] };
    writeFileSync(p.inventory, inventoryText(org.day0));
    const ledger = newLedger();
    // Every Bulk API 2.0 ingest job the org creates, whoever sends it: what a complete history holds.
    let jobsCreated = 0;
    org.emu.onRequest = (e): void => {
      if (e.method === 'POST' && /\/jobs\/ingest\/?$/.test(e.path) && e.status < 300) jobsCreated++;
    };
    const planted = plannedProblems(opts.days);
    const firstReport = new Map<string, number>();
    const gap = gapStart(opts.days);
    const forgotten = planted.find((x) => x.name === 'forgotten integration appears')!;

    for (let day = 0; day < opts.days; day++) {
      opts.onDay?.(day);
      moveTo(org, day, 1);
      // eslint-disable-next-line no-await-in-loop -- one integration after another, as their schedules are
      await crmDaily(org, ledger, work, day);
      // eslint-disable-next-line no-await-in-loop
      await erpDaily(org, ledger, work, day);
      if (day > forgotten.day) {
        // eslint-disable-next-line no-await-in-loop
        forgotten.jobIds.push((await forgottenDaily(org, ledger, day)).id);
      }
      for (const x of planted.filter((y) => y.day === day)) {
        moveTo(org, day, 2);
        x.at = org.emu.clock.now();
        // eslint-disable-next-line no-await-in-loop
        x.jobIds.push(...(await plant(org, ledger, x.name, day)));
      }
      if (day >= gap && day < gap + 7) continue; // the week the pipeline did not run: no history saved
      moveTo(org, day, 6 + 17 / 60);
      if (new Date(org.day0 + day * DAY).getUTCDay() === 1) {
        // eslint-disable-next-line no-await-in-loop
        await jobsSave(p);
      }
      const at = org.emu.clock.now();
      // eslint-disable-next-line no-await-in-loop
      const problems = await monitor(p);
      for (const problem of problems) {
        const x = planted.find((y) => matches(y, problem));
        if (x && x.name !== opts.dropDetection && !firstReport.has(x.name)) firstReport.set(x.name, at);
        // eslint-disable-next-line no-await-in-loop -- the operator works through the alerts one by one
        await follow(p, problem, ledger);
      }
    }

    // The end of the period: the audit, owners for what it cannot attribute (from the draft), the audit again.
    moveTo(org, opts.days, 6.5);
    const since = `${opts.days + 1}d`;
    const first = await audit(p, since);
    const auditAt = org.emu.clock.now();
    for (const x of planted.filter((y) => y.detector.by === 'audit')) {
      const d = x.detector;
      const names = (f: AuditFinding): boolean => (f.jobIds ?? []).some((id) => x.jobIds.some((j) => j.slice(0, 15) === id.slice(0, 15))) || (d.by === 'audit' && f.integration === d.integration);
      if (x.name !== opts.dropDetection && first.findings.some((f) => f.kind === d.kind && names(f))) firstReport.set(x.name, auditAt);
    }
    // The audit sees the jobs the monitor alerted on: the findings that name a planted problem's jobs.
    const inAudit = new Set(planted.filter((x) => x.auditKind && first.findings.some((f) => f.kind === x.auditKind && (f.jobIds ?? []).some((id) => x.jobIds.some((j) => j.slice(0, 15) === id.slice(0, 15))))).map((x) => x.name));
    await applyDraft(p, first);
    const final: AuditReport = await audit(p, since);
    const unowned = final.findings.filter((f) => f.kind === 'orphan' || f.kind === 'no-owner').length;

    const hooks = receiver.delivered(HOOK_PATH).map((r) => JSON.parse(r.body) as { problems: Problem[] });
    const alertsAbout = (x: Planted): number => hooks.filter((h) => h.problems.some((problem) => matches(x, problem))).length;
    const rows = rowScores(org.emu, ledger.intended);
    // The week without history: the audit should count every job the org ran, or say which days it lacks.
    const historyGap = {
      fromDay: gap,
      toDay: Math.min(gap + 6, opts.days - 1),
      jobsRun: jobsCreated,
      jobsInAudit: first.jobs,
      coverageGapDays: first.findings.filter((f) => f.kind === 'coverage-gap').reduce((n, f) => n + (f.days ?? 0), 0),
    };
    const card = {
      historyGap,
      days: opts.days,
      problems: planted.map((x) => ({ ...scoreProblem(x, firstReport.get(x.name), x.detector.by === 'monitor' ? alertsAbout(x) : 0), ...(x.auditKind ? { inAudit: inAudit.has(x.name) } : {}) })),
      failedRowsNotReconciled: rows.missing,
      duplicateRecords: rows.duplicates,
      unknownSourcesWithoutOwner: unowned,
      alertMessages: hooks.length,
      sfRuns: p.log.length,
      wallSeconds: Math.round((Date.now() - started) / 1000),
    };
    const scorecard: Scorecard = { ...card, goalsMet: goalsMet(card) };
    if (opts.output) writeFileSync(opts.output, JSON.stringify({ ...scorecard, log: p.log }, null, 2) + '\n');
    return scorecard;
  } finally {
    await receiver.stop();
    await org.emu.stop();
    sf.dispose();
    if (process.env.DRILL_KEEP === '1') process.stderr.write(`work folder kept: ${work}\n`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** `sf bulkops inventory init`'s draft: each entry for a user the audit found no owner for is added, with its owner. */
async function applyDraft(p: Pipeline, report: AuditReport): Promise<void> {
  const orphans = new Set(report.findings.filter((f) => f.kind === 'orphan' && f.user).map((f) => f.user!.toLowerCase()));
  if (orphans.size === 0) return;
  const draftFile = join(p.work, 'draft.yaml');
  const r = await p.sf.run(['bulkops', 'inventory', 'init', '--target-org', 'emu', '--output-file', draftFile, '--history-dir', p.historyDir, '--force', '--json']);
  p.log.push(`sf bulkops inventory init -> ${r.code}`);
  const { readFileSync } = await import('node:fs');
  const draft = parseYaml(readFileSync(draftFile, 'utf8')) as { integrations: Array<{ name: string; match: { users?: string[] } }> };
  for (const entry of draft.integrations) {
    const users = (entry.match.users ?? []).filter((u) => orphans.has(u.toLowerCase()));
    if (users.length) addEntry(p, `${entry.name}-owned`, users, 'Found in audit');
  }
}
