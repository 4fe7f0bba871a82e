/*
 * The issue's first benchmark: 200,000 Contacts over 20 Accounts, skewed (60,000 on the first, 500
 * on the last) in a scrambled order, with the emulator's defaults, loaded through the real `sf`:
 * `sf data import bulk` (one job, its chunks in parallel) against bulkops --concurrency parallel,
 * serial and auto. Rows reference their Account by external ID, so one seed serves every run.
 * Figures: lock failures in the load, the lock-failure rounds after it (rows sent, rows still locked),
 * rows left failed (failed or unprocessed), wall time. Returns a Markdown table.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SfHome, SF_BIN } from '../helpers/sf.js';
import { scrambledParents } from '../helpers/skew.js';
import { startEmulatorProcess } from './emulatorProcess.js';
import type { Measured } from './measure.js';
import { measure } from './measure.js';

const SKEW = [60_000, 40_000, 25_000, 15_000, 10_000, 10_000, 8000, 6000, 5000, 4000, 3000, 3000, 2500, 2000, 2000, 1500, 1000, 1000, 500, 500];

type Round = { rows: number; succeeded?: number; stillLocked?: number };
type LoadJson = { result?: { failed?: number; unprocessed?: number; rounds?: Round[]; observed?: { lockFailures: number }; jobs?: unknown[] }; data?: { jobId?: string }; message?: string };

function parse(out: string): LoadJson {
  try {
    return JSON.parse(out) as LoadJson;
  } catch {
    return {};
  }
}

/** plugin-data: `result.failedRecords`, or on failed rows exit 1 with "failed to process N records." */
function officialFailed(m: Measured): string {
  const json = parse(m.stdout) as { result?: { failedRecords?: number }; message?: string };
  if (json.result?.failedRecords !== undefined) return json.result.failedRecords.toLocaleString('en-US');
  const n = /failed to process (\d+) records/.exec(json.message ?? '')?.[1];
  return n ? Number(n).toLocaleString('en-US') : `? (exit ${m.code})`;
}

/** The lock-failure rounds the load's JSON reports: how many, and the rows each sent and left locked. */
function rounds(json: LoadJson): string {
  const r = json.result?.rounds ?? [];
  if (!r.length) return 'none';
  return `${r.length} (${r.map((x) => `${x.rows.toLocaleString('en-US')} sent, ${(x.stillLocked ?? 0).toLocaleString('en-US')} still locked`).join('; ')})`;
}

const count = (n: number | undefined): string => (n === undefined ? '?' : n.toLocaleString('en-US'));

export async function skewScenario(out: string, scale: number): Promise<string> {
  const counts = SKEW.map((n) => Math.max(1, Math.round(n * scale)));
  const total = counts.reduce((a, b) => a + b, 0);
  const seed = join(out, 'skew-seed.json');
  writeFileSync(seed, JSON.stringify({ records: { Account: counts.map((_, i) => ({ Name: `Parent ${i}`, External_Id__c: `SKEW-P${i}` })) } }));
  const file = join(out, `skew-contacts-${total}.csv`);
  writeFileSync(file, 'LastName,Account.External_Id__c\n' + scrambledParents(counts).map((a, i) => `Contact ${i},SKEW-P${a}`).join('\n') + '\n');

  const emu = await startEmulatorProcess({ bench: false, seed });
  const sf = new SfHome();
  try {
    await sf.login(emu.url, emu.token);
    await sf.linkPlugin();
    const env = sf.env({ SF_BULKOPS_POLL_MS: '200', OCLIF_DISABLE_LINKED_ESM_WARNING: 'true' });
    const run = (args: string[]): Promise<Measured> => measure(process.execPath, [SF_BIN, ...args], env, sf.home);
    const lines: string[] = [];
    process.stderr.write(`bench: skew, ${total} Contacts with sf data import bulk\n`);
    const official = await run(['data', 'import', 'bulk', '--file', file, '--sobject', 'Contact', '--wait', '120', '--target-org', 'emu', '--json']);
    lines.push(`| \`sf data import bulk\` (one job, chunks in parallel) | ${officialFailed(official)} | none (no such thing) | ${officialFailed(official)} | ${(official.wallMs / 1000).toFixed(1)} s |`);
    for (const mode of ['parallel', 'serial', 'auto']) {
      process.stderr.write(`bench: skew, bulkops --concurrency ${mode}\n`);
      const m = await run(['bulkops', 'load', '--file', file, '--sobject', 'Contact', '--concurrency', mode, '--wait', '120', '--target-org', 'emu', '--json', '--force']);
      const json = parse(m.stdout);
      const left = (json.result?.failed ?? NaN) + (json.result?.unprocessed ?? 0);
      lines.push(
        `| bulkops \`--concurrency ${mode}\` (${json.result?.jobs?.length ?? '?'} job(s)) | ${count(json.result?.observed?.lockFailures)} | ${rounds(json)} | ${Number.isNaN(left) ? `? (exit ${m.code})` : left.toLocaleString('en-US')} | ${(m.wallMs / 1000).toFixed(1)} s |`
      );
    }
    return [
      `${total.toLocaleString('en-US')} Contacts over 20 Accounts (${counts[0].toLocaleString('en-US')} on the first, ${counts[19].toLocaleString('en-US')} on the last), scrambled, emulator defaults:`,
      '',
      '| load | UNABLE_TO_LOCK_ROW in the load | lock rounds | rows left failed | wall time |',
      '|---|---|---|---|---|',
      ...lines,
      '',
    ].join('\n');
  } finally {
    emu.stop();
    sf.dispose();
  }
}
