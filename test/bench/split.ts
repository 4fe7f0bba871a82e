/*
 * `npm run bench:split -- [MB]`: the client's own speed, with no org round trip in the way: read +
 * check (preflight against the emulator's describe) + split of a generated Account CSV (90 MB by
 * default, the size), as `sf bulkops load` does them before its first upload. Prints MB/s.
 * Profile with `node --cpu-prof` on the same command line (see package.json's bench:split). It runs
 * the compiled plugin (npm run build first), on threads when the load would (splitInput.ts).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/sf.js';
import { Fingerprint } from '../../src/core/split/fingerprint.js';
import { startEmulator } from '../helpers/emulator.js';
import { makeAccountsCsv } from './accountsCsv.js';
import { lib, splitLikeLoad } from './splitInput.js';

const MB = 1024 * 1024;
const size = Number(process.argv[2] ?? 90) * MB;
const OUT = join(PROJECT_ROOT, '.bench');
mkdirSync(OUT, { recursive: true });
const file = join(OUT, `accounts-${size / MB}mb.csv`);
await makeAccountsCsv(file, size);

const emu = await startEmulator();
try {
  const runs: number[] = [];
  for (let i = 0; i < Number(process.env.RUNS ?? 3); i++) {
    const dir = join(OUT, 'split');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await lib();
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    // The fingerprint too (an update or an upsert makes it during the split; an insert reads it ahead).
    const print = new Fingerprint(1);
    const plan = await splitLikeLoad(file, dir, { instanceUrl: emu.url, accessToken: emu.accessToken }, print);
    print.digest();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpuMs = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1000;
    runs.push(ms);
    process.stdout.write(`run ${i + 1}: ${plan.rows.toLocaleString('en-US')} rows, ${plan.parts} parts, ${plan.threads} threads, ${(ms / 1000).toFixed(2)} s, ${(size / MB / (ms / 1000)).toFixed(0)} MB/s (cpu ${(cpuMs / 1000).toFixed(2)} s), rss ${Math.round(process.memoryUsage().rss / MB)} MB, peak ${Math.round(process.resourceUsage().maxRSS / 1024)} MB\n`);
  }
  const best = Math.min(...runs);
  process.stdout.write(`read + check + split of ${size / MB} MB: best ${(size / MB / (best / 1000)).toFixed(0)} MB/s\n`);
} finally {
  await emu.stop();
}
