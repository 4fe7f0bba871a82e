/*
 * `npm run bench:memory -- FILE [sf flags]`: one `sf bulkops load` of FILE through the real sf,
 * against the emulator in its own process, with a memory trace of the sf process (see memtrace.cjs)
 * in .bench/memory-trace.txt, then an idle `sf org display` traced the same way. Prints both peaks.
 * This is how the figures behind src/core/runtime/heap.ts and the join's outcome files were found.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SfHome, PROJECT_ROOT, SF_BIN } from '../helpers/sf.js';
import { startEmulatorProcess } from './emulatorProcess.js';

const [file, ...extra] = process.argv.slice(2);
if (!file) throw new Error('usage: npm run bench:memory -- FILE [sf bulkops load flags]');
const OUT = join(PROJECT_ROOT, '.bench');
mkdirSync(OUT, { recursive: true });
const traces = { load: join(OUT, 'memory-trace.txt'), idle: join(OUT, 'memory-trace-idle.txt') };

const emu = await startEmulatorProcess();
const sf = new SfHome();

/** Runs sf with the trace preloaded; returns its exit code and the trace's peak RSS. */
async function traced(args: string[], trace: string): Promise<{ code: number; peakMb: number; ms: number }> {
  rmSync(trace, { force: true });
  const env = sf.env({ SF_BULKOPS_POLL_MS: '500', NODE_OPTIONS: `--require ${join(PROJECT_ROOT, 'test/bench/memtrace.cjs')}`, MEMTRACE_OUT: trace });
  const started = Date.now();
  const child = spawn(process.execPath, [SF_BIN, ...args], { env, cwd: sf.home, stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number];
  const peakMb = Math.max(...readFileSync(trace, 'utf8').split('\n').map((l) => Number(/rss=(\d+)/.exec(l)?.[1] ?? 0)));
  return { code, peakMb, ms: Date.now() - started };
}

try {
  await sf.login(emu.url, emu.token);
  await sf.linkPlugin();
  // `--wait 0` among the extra flags measures the split and the uploads alone (no wait for the org).
  const wait = extra.includes('--wait') ? [] : ['--wait', '120'];
  const load = await traced(['bulkops', 'load', '--file', file, '--sobject', 'Account', ...wait, '--target-org', 'emu', '--json', '--force', ...extra], traces.load);
  const idle = await traced(['org', 'display', '--target-org', 'emu', '--json'], traces.idle);
  process.stdout.write(
    `bulkops load: exit ${load.code} in ${(load.ms / 1000).toFixed(1)} s, peak RSS ${load.peakMb} MB (trace: ${traces.load})\n` +
      `idle sf: peak RSS ${idle.peakMb} MB; ratio ${(load.peakMb / idle.peakMb).toFixed(2)}x\n`
  );
} finally {
  emu.stop();
  sf.dispose();
}
