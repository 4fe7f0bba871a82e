/*
 * The export bench: N Accounts (about 150 bytes of CSV each) in an emulator of their own process,
 * exported through the real `sf` by `sf data export bulk` and by `sf bulkops export` (same query,
 * same file format): wall time and peak RSS of each process, and the files checked to hold the same
 * records. Each runs twice (A B B A), the org's query jobs deleted before each run. Returns a
 * Markdown table for the README.
 */
import { createReadStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { SfHome, SF_BIN } from '../helpers/sf.js';
import { startEmulatorProcess } from './emulatorProcess.js';
import { measure, type Measured } from './measure.js';

const QUERY = 'SELECT Id, Name, External_Id__c, Industry, NumberOfEmployees, BillingCity, Description FROM Account';
const MB = 1024 * 1024;

/** Lines of a file (its records, for files without line breaks inside fields), read as a stream. */
async function lines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file)) for (let i = (chunk as Buffer).indexOf(10); i >= 0; i = (chunk as Buffer).indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Deletes the org's query jobs (Bulk API 2.0: Delete a Query Job), so that a run never pays for the
 * memory the emulator still holds for the one before it (a million records' results each).
 */
async function deleteQueryJobs(emu: { url: string; token: string }): Promise<void> {
  const headers = { Authorization: `Bearer ${emu.token}` };
  const list = (await (await fetch(`${emu.url}/services/data/v66.0/jobs/query`, { headers })).json()) as { records: Array<{ id: string }> };
  for (const job of list.records) await fetch(`${emu.url}/services/data/v66.0/jobs/query/${job.id}`, { method: 'DELETE', headers });
}

/** The faster of two runs, the runs told apart in the table. */
function best(a: Measured, b: Measured): { best: Measured; both: string } {
  return { best: a.wallMs <= b.wallMs ? a : b, both: `${(a.wallMs / 1000).toFixed(1)} s, ${(b.wallMs / 1000).toFixed(1)} s` };
}

export async function exportScenario(out: string, rows: number): Promise<string> {
  process.stderr.write(`bench: export, seeding ${rows.toLocaleString('en-US')} Accounts\n`);
  const emu = await startEmulatorProcess({ accounts: rows });
  const sf = new SfHome();
  try {
    await sf.login(emu.url, emu.token);
    await sf.linkPlugin();
    const env = sf.env({ SF_BULKOPS_POLL_MS: '500', OCLIF_DISABLE_LINKED_ESM_WARNING: 'true' });
    const run = (args: string[]): Promise<Measured> => measure(process.execPath, [SF_BIN, ...args], env, sf.home);
    const pdFile = join(out, 'export-plugin-data.csv');
    const boFile = join(out, 'export-bulkops.csv');
    const idle = await run(['org', 'display', '--target-org', 'emu', '--json']);
    const plugin = async (): Promise<Measured> => {
      await deleteQueryJobs(emu);
      process.stderr.write('bench: export with sf data export bulk\n');
      return run(['data', 'export', 'bulk', '--query', QUERY, '--output-file', pdFile, '--wait', '30', '--target-org', 'emu', '--json']);
    };
    const bulkops = async (): Promise<Measured> => {
      await deleteQueryJobs(emu);
      process.stderr.write('bench: export with sf bulkops export\n');
      return run(['bulkops', 'export', '--query', QUERY, '--output-file', boFile, '--target-org', 'emu', '--json']);
    };
    // Twice each, in the order A B B A: the machine's load and the emulator's warm-up fall on both.
    const pd1 = await plugin();
    const bo1 = await bulkops();
    const bo2 = await bulkops();
    const pd2 = await plugin();
    const { best: pd, both: pdBoth } = best(pd1, pd2);
    const { best: bo, both: boBoth } = best(bo1, bo2);
    const file = (path: string, m: Measured): string => {
      try {
        return `${(statSync(path).size / MB).toFixed(0)} MB`;
      } catch {
        return `no file (exit ${m.code})`;
      }
    };
    const [pdLines, boLines] = [await lines(pdFile).catch(() => 0), await lines(boFile).catch(() => 0)];
    const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');
    return [
      `Export of ${rows.toLocaleString('en-US')} Accounts (\`${QUERY}\`), emulator in its own process:`,
      '',
      '| | `sf data export bulk` | `sf bulkops export` | bulkops / plugin-data |',
      '|---|---|---|---|',
      `| wall time (the faster of two runs) | ${(pd.wallMs / 1000).toFixed(1)} s (runs: ${pdBoth}; exit ${pd.code}) | ${(bo.wallMs / 1000).toFixed(1)} s (runs: ${boBoth}; exit ${bo.code}) | ${ratio(bo.wallMs, pd.wallMs)}x |`,
      `| peak RSS (that run) | ${pd.peakRssMb} MB | ${bo.peakRssMb} MB | ${ratio(bo.peakRssMb, pd.peakRssMb)}x |`,
      `| an idle sf (\`sf org display\`) for scale | ${(idle.wallMs / 1000).toFixed(1)} s, ${idle.peakRssMb} MB | | |`,
      `| file | ${file(pdFile, pd)}, ${(pdLines - 1).toLocaleString('en-US')} records | ${file(boFile, bo)}, ${(boLines - 1).toLocaleString('en-US')} records | |`,
      '',
    ].join('\n');
  } finally {
    emu.stop();
    sf.dispose();
  }
}
