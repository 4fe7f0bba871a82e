/*
 * `npm run bench:split -- [MB]`: the client's own speed, with no org round trip in the way: read +
 * check (preflight against the emulator's describe) + split of a generated Account CSV (90 MB by
 * default, the size), as `sf bulkops load` does them before its first upload. Prints MB/s.
 * Profile with `node --cpu-prof` on the same command line (see package.json's bench:split).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/sf.js';
import { openCsv } from '../../src/core/csv/reader.js';
import { planChunks } from '../../src/core/load/planner.js';
import { Fingerprint } from '../../src/core/load/fingerprint.js';
import { Preflight } from '../../src/core/preflight/preflight.js';
import { describeFromOrg } from '../../src/core/preflight/describe.js';
import { testHttp } from '../helpers/engine.js';
import { startEmulator } from '../helpers/emulator.js';
import { makeAccountsCsv } from './accountsCsv.js';

const MB = 1024 * 1024;
const size = Number(process.argv[2] ?? 90) * MB;
const OUT = join(PROJECT_ROOT, '.bench');
mkdirSync(OUT, { recursive: true });
const file = join(OUT, `accounts-${size / MB}mb.csv`);
await makeAccountsCsv(file, size);

const emu = await startEmulator();
try {
  const describe = describeFromOrg(testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken }));
  const runs: number[] = [];
  for (let i = 0; i < Number(process.env.RUNS ?? 3); i++) {
    const dir = join(OUT, 'split');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const print = new Fingerprint(1);
    const source = await openCsv(file, {}, print);
    const preflight = await Preflight.create({ file, object: 'Account', operation: 'insert', header: source.header, headerLine: source.headerLine, describe });
    const plan = await planChunks(source.batches, { dir, header: source.header, check: (r) => preflight.rowReason(r) });
    print.digest();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpuMs = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000;
    runs.push(ms);
    process.stdout.write(`run ${i + 1}: ${plan.rows.toLocaleString('en-US')} rows, ${plan.chunks.length} parts, ${(ms / 1000).toFixed(2)} s, ${(size / MB / (ms / 1000)).toFixed(0)} MB/s (cpu ${(cpuMs / 1000).toFixed(2)} s), rss ${Math.round(process.memoryUsage().rss / MB)} MB\n`);
  }
  const best = Math.min(...runs);
  process.stdout.write(`read + check + split of ${size / MB} MB: best ${(size / MB / (best / 1000)).toFixed(0)} MB/s\n`);
} finally {
  await emu.stop();
}
