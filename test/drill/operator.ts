/*
 * The pipeline and the person on call, through the real `sf`: the daily monitor (webhooks from the
 * environment, as examples/github-actions/monitor.yml sets them), the weekly `jobs --save`, the
 * audit, and the operator who follows each alert's command and fixes the data it names.
 */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { SfHome, SfRun } from '../helpers/sf.js';
import type { WebhookReceiver } from '../helpers/webhookReceiver.js';
import type { Problem } from '../../src/core/monitor/problems.js';
import type { Ledger } from './integrations.js';

export const HOOK_PATH = '/hooks/drill-secret';

export type Pipeline = { sf: SfHome; receiver: WebhookReceiver; work: string; historyDir: string; inventory: string; log: string[] };

async function sf(p: Pipeline, args: string[]): Promise<SfRun> {
  const r = await p.sf.run(args, { env: { BULKOPS_WEBHOOK: p.receiver.url(HOOK_PATH), SF_BULKOPS_HISTORY_DIR: p.historyDir } });
  p.log.push(`sf ${args.join(' ')} -> ${r.code}`);
  return r;
}

/** The daily monitor; its new problems (exit 68) or none (0); anything else stops the drill. */
export async function monitor(p: Pipeline): Promise<Problem[]> {
  const r = await sf(p, ['bulkops', 'monitor', '--target-org', 'emu', '--inventory', p.inventory, '--json']);
  if (r.code !== 0 && r.code !== 68) throw new Error(`monitor exited ${r.code}: ${r.json?.message ?? r.stderr}`);
  return (r.json?.result as { problems: Problem[] }).problems;
}

export async function jobsSave(p: Pipeline): Promise<void> {
  const r = await sf(p, ['bulkops', 'jobs', '--target-org', 'emu', '--save', '--json']);
  if (r.code !== 0) throw new Error(`jobs --save exited ${r.code}: ${r.json?.message ?? r.stderr}`);
}

export type AuditFinding = { kind: string; severity: string; integration?: string; user?: string; jobIds?: string[]; days?: number; message?: string };
export type AuditReport = { jobs: number; findings: AuditFinding[]; integrations: Array<{ name: string; owner?: { team?: string; contact?: string } }> };

export async function audit(p: Pipeline, since: string): Promise<AuditReport> {
  const r = await sf(p, ['bulkops', 'audit', '--target-org', 'emu', '--inventory', p.inventory, '--since', since, '--json']);
  if (r.code !== 0 && r.code !== 68) throw new Error(`audit exited ${r.code}: ${r.json?.message ?? r.stderr}`);
  return r.json?.result as AuditReport;
}

/** One inventory entry with an owner, appended as a person would after finding who runs a source. */
export function addEntry(p: Pipeline, name: string, users: string[], team: string, allowed = '[{ object: Contact, operations: [insert] }]'): void {
  appendFileSync(p.inventory, [`  - name: ${name}`, `    owner: { team: ${team}, contact: ${name}@drill.emu }`, `    match: { users: [${users.join(', ')}] }`, `    allowed: ${allowed}`, '    cadence: daily', ''].join('\n'));
}

let fixes = 0;

/** Loads rows through `sf bulkops load` as the operator (whose loads the inventory names). */
async function load(p: Pipeline, object: string, csv: string): Promise<void> {
  const file = join(p.work, `fix-${++fixes}.csv`);
  writeFileSync(file, csv);
  const r = await sf(p, ['bulkops', 'load', '--target-org', 'emu', '--sobject', object, '--operation', 'insert', '--file', file, '--no-prompt', '--json']);
  if (r.code !== 0) throw new Error(`the operator's load exited ${r.code}: ${r.json?.message ?? r.stderr}`);
}

const quote = (v: string): string => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** The rows of a reconcile folder that did not succeed (failed, or never processed). */
function failedRows(dir: string): Array<Record<string, string>> {
  const rows: Array<Record<string, string>> = parse(readFileSync(join(dir, 'rows.csv')), { columns: true, skip_empty_lines: true });
  return rows.filter((r) => r.sf__State !== 'succeeded');
}

/**
 * Follows one alert as a person on call would: a reconcile command is run and the rows it lists are
 * fixed (a missing last name filled in) and loaded again; a failed job without results is looked at
 * and its integration's rows sent again; an unknown source gets its owner and an inventory entry.
 */
export async function follow(p: Pipeline, problem: Problem, ledger: Ledger): Promise<void> {
  const reconcile = /bulkops reconcile --job-id (\S+)/.exec(problem.action);
  if (reconcile) {
    const out = join(p.work, `reconcile-${reconcile[1]}`);
    const r = await sf(p, ['bulkops', 'reconcile', '--job-id', reconcile[1], '--target-org', 'emu', '--output-dir', out, '--json']);
    if (r.code !== 0 && r.code !== 68) throw new Error(`reconcile exited ${r.code}: ${r.json?.message ?? r.stderr}`);
    const rows = failedRows(out);
    if (rows.length === 0) return;
    const object = problem.object ?? 'Contact';
    const columns = Object.keys(rows[0]).filter((c) => !c.startsWith('sf__'));
    const fixed = rows.map((row) => columns.map((c) => quote(c === 'LastName' && !row[c] ? 'Fixed' : row[c] ?? '')).join(','));
    await load(p, object, [columns.join(','), ...fixed].join('\n') + '\n');
    return;
  }
  if (problem.kind === 'unknown-source') {
    await sf(p, ['bulkops', 'jobs', '--target-org', 'emu', '--user', problem.user, '--inventory', p.inventory, '--json']);
    addEntry(p, 'marketing-sync', [problem.user], 'Marketing Ops');
    return;
  }
  if (problem.kind === 'failed' && problem.api === 'V2Ingest') {
    await sf(p, ['bulkops', 'jobs', '--target-org', 'emu', '--state', 'Failed', '--object', problem.object ?? 'Account', '--json']);
    const sent = ledger.fileOfJob.get(problem.jobId);
    if (sent) await load(p, sent.object, sent.csv);
  }
  // apex-failed and the rest: looked at (Setup > Apex Jobs); no rows to fix.
}

export function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}
