/*
 * `npm run bench`: bulkops side by side with the official plugin-data commands, on the same
 * emulator, in one run, whole-process figures (wall time and peak RSS of each `sf` process).
 *
 *   BENCH_SCALE=small  a quick run (9 MB / 100 MB / 100k rows) to check the bench itself
 *   (default)          the figures of the README: 90 MB, 1 GB, 1M-row results
 *
 * Figures are ratios measured here, in this run; they are printed as a Markdown table and written
 * to .bench/results.md. Nothing here asserts a timing: tests never do.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SfHome, PROJECT_ROOT, SF_BIN } from '../helpers/sf.js';
import { openCsv } from '../../src/core/csv/reader.js';
import { planChunks } from '../../src/core/load/planner.js';
import { Preflight } from '../../src/core/preflight/preflight.js';
import { describeFromOrg } from '../../src/core/preflight/describe.js';
import { testHttp } from '../helpers/engine.js';
import { startEmulatorProcess } from './emulatorProcess.js';
import { makeAccountsCsv } from './accountsCsv.js';

const small = process.env.BENCH_SCALE === 'small';
const OUT = join(PROJECT_ROOT, '.bench');
const MB = 1024 * 1024;
const SIZES = { medium: (small ? 9 : 90) * MB, large: (small ? 100 : 1024) * MB, resultsRows: small ? 100_000 : 1_000_000 };

type Measured = { code: number; wallMs: number; peakRssMb: number; stdout: string; stderr: string };

/** Runs a command and samples its peak RSS (VmHWM) until it exits. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Measured> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(cmd, args, { env, cwd });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sample = (): void => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid!}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // the process has exited
      }
    };
    const timer = setInterval(sample, 25);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, wallMs: Date.now() - started, peakRssMb: Math.round(peakKb / 1024), stdout, stderr });
    });
  });
}

const ratio = (a: number, b: number): string => (b > 0 ? (a / b).toFixed(2) : 'n/a');

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  process.stderr.write(`bench: generating CSVs in ${OUT}\n`);
  const medium = join(OUT, `accounts-${SIZES.medium / MB}mb.csv`);
  const large = join(OUT, `accounts-${SIZES.large / MB}mb.csv`);
  const mediumRows = await makeAccountsCsv(medium, SIZES.medium);
  const largeRows = await makeAccountsCsv(large, SIZES.large);
  const results = join(OUT, `accounts-${SIZES.resultsRows}rows.csv`);
  const resultsRows = await makeAccountsCsv(results, SIZES.resultsRows * 102);

  const emu = await startEmulatorProcess();
  const sf = new SfHome();
  try {
    await sf.login(emu.url, emu.token);
    await sf.linkPlugin();
    const env = sf.env({ SF_BULKOPS_POLL_MS: '500' });
    const run = (args: string[]): Promise<Measured> => measure(process.execPath, [SF_BIN, ...args], env, sf.home);
    const rows: string[] = [];

    process.stderr.write('bench: idle sf\n');
    const idle = await run(['org', 'display', '--target-org', 'emu', '--json']);

    process.stderr.write(`bench: ${SIZES.medium / MB} MB with plugin-data and bulkops\n`);
    const pdMedium = await run(['data', 'import', 'bulk', '--file', medium, '--sobject', 'Account', '--wait', '60', '--target-org', 'emu', '--json']);
    const boMedium = await run(['bulkops', 'load', '--file', medium, '--sobject', 'Account', '--wait', '60', '--target-org', 'emu', '--json', '--force']);
    rows.push(
      `| ${SIZES.medium / MB} MB CSV (${mediumRows.toLocaleString('en-US')} rows), insert | ${(pdMedium.wallMs / 1000).toFixed(1)} s, ${pdMedium.peakRssMb} MB (exit ${pdMedium.code}) | ${(boMedium.wallMs / 1000).toFixed(1)} s, ${boMedium.peakRssMb} MB (exit ${boMedium.code}) | wall ${ratio(boMedium.wallMs, pdMedium.wallMs)}x, RSS ${ratio(boMedium.peakRssMb, pdMedium.peakRssMb)}x |`
    );

    process.stderr.write(`bench: ${SIZES.large / MB} MB with bulkops and plugin-data\n`);
    const boLarge = await run(['bulkops', 'load', '--file', large, '--sobject', 'Account', '--wait', '120', '--target-org', 'emu', '--json', '--force']);
    const pdLarge = await run(['data', 'import', 'bulk', '--file', large, '--sobject', 'Account', '--wait', '120', '--target-org', 'emu', '--json']);
    const pdLargeMessage = ((): string => {
      try {
        return (JSON.parse(pdLarge.stdout) as { message?: string }).message ?? '';
      } catch {
        return pdLarge.stderr.split('\n')[0] ?? '';
      }
    })();
    const boLargeJobs = ((): number => {
      try {
        return (JSON.parse(boLarge.stdout) as { result: { jobs: unknown[] } }).result.jobs.length;
      } catch {
        return 0;
      }
    })();
    rows.push(
      `| ${SIZES.large / MB} MB CSV (${largeRows.toLocaleString('en-US')} rows), insert | ${(pdLarge.wallMs / 1000).toFixed(1)} s, ${pdLarge.peakRssMb} MB, exit ${pdLarge.code}: "${pdLargeMessage.slice(0, 120)}" | ${(boLarge.wallMs / 1000).toFixed(1)} s, ${boLarge.peakRssMb} MB, exit ${boLarge.code}, ${boLargeJobs} jobs | bulkops RSS ${ratio(boLarge.peakRssMb, idle.peakRssMb)}x an idle sf (${idle.peakRssMb} MB) |`
    );

    process.stderr.write(`bench: results of a ${resultsRows.toLocaleString('en-US')}-row job\n`);
    const boResults = await run(['bulkops', 'load', '--file', results, '--sobject', 'Account', '--wait', '60', '--target-org', 'emu', '--json', '--force', '--max-job-size', '110']);
    const jobId = ((): string => {
      try {
        return (JSON.parse(boResults.stdout) as { result: { jobs: Array<{ id: string }> } }).result.jobs[0].id;
      } catch {
        return '';
      }
    })();
    const pdResults = await run(['data', 'bulk', 'results', '--job-id', jobId, '--target-org', 'emu', '--json']);
    rows.push(
      `| results of a ${resultsRows.toLocaleString('en-US')}-row job | \`sf data bulk results\`: ${(pdResults.wallMs / 1000).toFixed(1)} s, ${pdResults.peakRssMb} MB (exit ${pdResults.code}) | whole load incl. join to input lines: ${(boResults.wallMs / 1000).toFixed(1)} s, ${boResults.peakRssMb} MB (exit ${boResults.code}) | RSS ${ratio(boResults.peakRssMb, pdResults.peakRssMb)}x |`
    );

    process.stderr.write('bench: client-side read + check + split speed\n');
    const t0 = Date.now();
    const source = await openCsv(large);
    const preflight = await Preflight.create({
      file: large,
      object: 'Account',
      operation: 'insert',
      header: source.header,
      headerLine: source.headerLine,
      describe: describeFromOrg(testHttp({ instanceUrl: emu.url, accessToken: emu.token })),
    });
    const splitDir = join(OUT, 'split');
    mkdirSync(splitDir, { recursive: true });
    await planChunks(source.records, { dir: splitDir, header: source.header, check: (r) => preflight.rowReason(r) });
    const splitMs = Date.now() - t0;
    const wc = await measure('wc', ['-l', large], process.env, OUT);
    const mbps = (ms: number): string => ((SIZES.large / MB) / (ms / 1000)).toFixed(0);
    rows.push(
      `| read + check + split ${SIZES.large / MB} MB | \`wc -l\`: ${(wc.wallMs / 1000).toFixed(1)} s (${mbps(wc.wallMs)} MB/s) | ${(splitMs / 1000).toFixed(1)} s (${mbps(splitMs)} MB/s) | ${ratio(Number(mbps(splitMs)), Number(mbps(wc.wallMs)))}x of wc's speed |`
    );

    const table = [
      `Bench run ${new Date().toISOString()} (${small ? 'small scale' : 'full scale'}), node ${process.version}, emulator in its own process, results shuffled.`,
      '',
      '| case | plugin-data (`sf data … bulk`) | bulkops | ratio |',
      '|---|---|---|---|',
      ...rows,
      '',
    ].join('\n');
    writeFileSync(join(OUT, 'results.md'), table);
    process.stdout.write(table);
  } finally {
    emu.stop();
    sf.dispose();
  }
}

await main();
