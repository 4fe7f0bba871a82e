/*
 * `npm run bench`: bulkops side by side with the official plugin-data commands, on the same
 * emulator (in its own process), in one run, whole-process figures (wall time and peak RSS of each
 * `sf` process). The issue's two scenarios come first, each as a Markdown table for the README:
 *
 *   skew     200,000 Contacts over 20 Accounts, skewed, emulator defaults: `sf data import bulk`
 *            against bulkops --concurrency parallel, serial and auto (skewScenario.ts)
 *   medium   a 90 MB insert: bulkops end to end (results joined to the input lines) against
 *            `sf data import bulk` plus `sf data bulk results`
 *   large    a 1 GB insert (plugin-data refuses it); results: a 1M-row job's results;
 *   split    the client's read + check + split speed
 *   export   1,000,000 Accounts (about 150 MB): `sf bulkops export` against `sf data export bulk`
 *
 *   BENCH_SCALE=small  9 MB / 100 MB / 100k rows / 20,000 skewed Contacts / 100k exported, to check the bench itself
 *   BENCH_SCALE=tiny   1 MB / 4 MB / 5,000 rows / 2,000 skewed Contacts / 5,000 exported, in about a minute
 *   BENCH_ONLY=skew,medium  only these cases
 *   (default)          the README's figures
 *
 * Figures are measured here, in this run; they are printed and written to .bench/results.md.
 * Nothing here asserts a timing: tests never do.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SfHome, PROJECT_ROOT, SF_BIN } from '../helpers/sf.js';
import { startEmulatorProcess } from './emulatorProcess.js';
import { makeAccountsCsv } from './accountsCsv.js';
import { measure, type Measured } from './measure.js';
import { skewScenario } from './skewScenario.js';
import { exportScenario } from './export.js';
import { lib, splitLikeLoad } from './splitInput.js';

const SCALES = {
  full: { medium: 90, large: 1024, resultsRows: 1_000_000, skew: 1, exportRows: 1_000_000 },
  small: { medium: 9, large: 100, resultsRows: 100_000, skew: 0.1, exportRows: 100_000 },
  tiny: { medium: 1, large: 4, resultsRows: 5000, skew: 0.01, exportRows: 5000 },
};
const scaleName = (process.env.BENCH_SCALE ?? 'full') as keyof typeof SCALES;
const scale = SCALES[scaleName] ?? SCALES.full;
const only = process.env.BENCH_ONLY?.split(',');
const runs = (name: string): boolean => !only || only.includes(name);
const OUT = join(PROJECT_ROOT, '.bench');
const MB = 1024 * 1024;

const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function jsonOf<T>(m: Measured): T | undefined {
  try {
    return JSON.parse(m.stdout) as T;
  } catch {
    return undefined;
  }
}

type Run = (args: string[]) => Promise<Measured>;

/** The issue's 90 MB insert: bulkops with its results joined, against plugin-data's import and then its results. */
async function mediumScenario(run: Run, file: string, rows: number): Promise<string> {
  process.stderr.write(`bench: ${scale.medium} MB with plugin-data (import, then results) and bulkops\n`);
  const pd = await run(['data', 'import', 'bulk', '--file', file, '--sobject', 'Account', '--wait', '60', '--target-org', 'emu', '--json']);
  const pdJson = jsonOf<{ result?: { jobId?: string }; data?: { jobId?: string } }>(pd);
  const jobId = pdJson?.result?.jobId ?? pdJson?.data?.jobId ?? '';
  const pdResults = await run(['data', 'bulk', 'results', '--job-id', jobId, '--target-org', 'emu', '--json']);
  const bo = await run(['bulkops', 'load', '--file', file, '--sobject', 'Account', '--wait', '60', '--target-org', 'emu', '--json', '--force']);
  const pdTotal = pd.wallMs + pdResults.wallMs;
  return [
    `${scale.medium} MB insert (${rows.toLocaleString('en-US')} Accounts), emulator in its own process, results shuffled:`,
    '',
    '| | `sf data import bulk` + `sf data bulk results` | bulkops end to end (results joined to input lines) |',
    '|---|---|---|',
    `| wall time | ${seconds(pd.wallMs)} + ${seconds(pdResults.wallMs)} = ${seconds(pdTotal)} (exit ${pd.code}, ${pdResults.code}) | ${seconds(bo.wallMs)} (exit ${bo.code}); ${ratio(bo.wallMs, pdTotal)}x |`,
    `| peak RSS | ${pd.peakRssMb} MB, ${pdResults.peakRssMb} MB | ${bo.peakRssMb} MB |`,
    '',
  ].join('\n');
}

/** The earlier cases: a file plugin-data refuses, a 1M-row job's results, and the client's own speed. */
async function otherCases(run: Run, emu: { url: string; token: string }): Promise<string> {
  const rows: string[] = [];
  const idle = await run(['org', 'display', '--target-org', 'emu', '--json']);
  const large = join(OUT, `accounts-${scale.large}mb.csv`);
  if (runs('large')) {
    const largeRows = await makeAccountsCsv(large, scale.large * MB);
    process.stderr.write(`bench: ${scale.large} MB with bulkops and plugin-data\n`);
    const boLarge = await run(['bulkops', 'load', '--file', large, '--sobject', 'Account', '--wait', '120', '--target-org', 'emu', '--json', '--force']);
    const pdLarge = await run(['data', 'import', 'bulk', '--file', large, '--sobject', 'Account', '--wait', '120', '--target-org', 'emu', '--json']);
    const pdMessage = pdLarge.code === 0 ? '' : jsonOf<{ message?: string }>(pdLarge)?.message ?? '';
    const jobs = jsonOf<{ result: { jobs: unknown[] } }>(boLarge)?.result.jobs.length ?? 0;
    rows.push(
      `| ${scale.large} MB CSV (${largeRows.toLocaleString('en-US')} rows), insert | ${seconds(pdLarge.wallMs)}, ${pdLarge.peakRssMb} MB, exit ${pdLarge.code}${pdMessage ? `: "${pdMessage.slice(0, 120)}"` : ''} | ${seconds(boLarge.wallMs)}, ${boLarge.peakRssMb} MB, exit ${boLarge.code}, ${jobs} job(s) | bulkops RSS ${ratio(boLarge.peakRssMb, idle.peakRssMb)}x an idle sf (${idle.peakRssMb} MB) |`
    );
  }
  if (runs('results')) {
    const results = join(OUT, `accounts-${scale.resultsRows}rows.csv`);
    const resultsRows = await makeAccountsCsv(results, scale.resultsRows * 102);
    process.stderr.write(`bench: results of a ${resultsRows.toLocaleString('en-US')}-row job\n`);
    const bo = await run(['bulkops', 'load', '--file', results, '--sobject', 'Account', '--wait', '60', '--target-org', 'emu', '--json', '--force', '--max-job-size', '107']);
    const jobId = jsonOf<{ result: { jobs: Array<{ id: string }> } }>(bo)?.result.jobs[0]?.id ?? '';
    const pd = await run(['data', 'bulk', 'results', '--job-id', jobId, '--target-org', 'emu', '--json']);
    rows.push(
      `| results of a ${resultsRows.toLocaleString('en-US')}-row job | \`sf data bulk results\`: ${seconds(pd.wallMs)}, ${pd.peakRssMb} MB (exit ${pd.code}) | whole load incl. join to input lines: ${seconds(bo.wallMs)}, ${bo.peakRssMb} MB (exit ${bo.code}) | RSS ${ratio(bo.peakRssMb, pd.peakRssMb)}x |`
    );
  }
  if (runs('split')) {
    const splitFile = join(OUT, `accounts-${scale.large}mb.csv`);
    await makeAccountsCsv(splitFile, scale.large * MB);
    process.stderr.write('bench: client-side read + check + split speed\n');
    const splitDir = join(OUT, 'split');
    rmSync(splitDir, { recursive: true, force: true });
    mkdirSync(splitDir, { recursive: true });
    await lib();
    const t0 = Date.now();
    const split = await splitLikeLoad(splitFile, splitDir, { instanceUrl: emu.url, accessToken: emu.token });
    const splitMs = Date.now() - t0;
    const wc = await measure('wc', ['-l', splitFile], process.env, OUT);
    const mbps = (ms: number): string => (scale.large / (ms / 1000)).toFixed(0);
    rows.push(
      `| read + check + split ${scale.large} MB | \`wc -l\`: ${seconds(wc.wallMs)} (${mbps(wc.wallMs)} MB/s) | ${seconds(splitMs)} (${mbps(splitMs)} MB/s, ${split.threads ? `${split.threads} threads` : 'one thread'}) | ${ratio(Number(mbps(splitMs)), Number(mbps(wc.wallMs)))}x of wc's speed |`
    );
  }
  if (!rows.length) return '';
  return ['| case | plugin-data (`sf data … bulk`) | bulkops | ratio |', '|---|---|---|---|', ...rows, ''].join('\n');
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const sections: string[] = [`Bench run ${new Date().toISOString()} (scale ${scaleName}), node ${process.version}.`, ''];
  if (runs('skew')) sections.push(await skewScenario(OUT, scale.skew));
  if (runs('export')) sections.push(await exportScenario(OUT, scale.exportRows));
  // The cases below share one emulator: none of them runs when only the export was asked for.
  if (only?.every((name) => name === 'export' || name === 'skew')) return finish(sections);
  const emu = await startEmulatorProcess();
  const sf = new SfHome();
  try {
    await sf.login(emu.url, emu.token);
    await sf.linkPlugin();
    const env = sf.env({ SF_BULKOPS_POLL_MS: '500', OCLIF_DISABLE_LINKED_ESM_WARNING: 'true' });
    const run: Run = (args) => measure(process.execPath, [SF_BIN, ...args], env, sf.home);
    if (runs('medium')) {
      const medium = join(OUT, `accounts-${scale.medium}mb.csv`);
      sections.push(await mediumScenario(run, medium, await makeAccountsCsv(medium, scale.medium * MB)));
    }
    sections.push(await otherCases(run, emu));
  } finally {
    emu.stop();
    sf.dispose();
  }
  finish(sections);
}

function finish(sections: string[]): void {
  const text = sections.join('\n');
  writeFileSync(join(OUT, 'results.md'), text);
  process.stdout.write(text);
}

await main();
