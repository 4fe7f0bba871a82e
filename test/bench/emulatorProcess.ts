/*
 * The emulator in its own process for the benches, so its memory and CPU never count in the figures
 * of the `sf` under test: with `--bench` (the default here) inserted records are not kept and
 * simulated time runs fast; `{ bench: false }` keeps the emulator's defaults (10,000-row chunks,
 * 4 workers, 10 s lock time-out, clock 1,000 times real time), which lock failures depend on.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/sf.js';

export async function startEmulatorProcess(opts: { bench?: boolean; seed?: string; accounts?: number } = {}): Promise<{ url: string; token: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '--max-old-space-size=12000',
      '--loader',
      'ts-node/esm',
      '--no-warnings',
      join(PROJECT_ROOT, 'test/emulator/main.ts'),
      '--json',
      ...(opts.bench === false ? [] : ['--bench']),
      ...(opts.seed ? ['--seed', opts.seed] : []),
      ...(opts.accounts ? ['--accounts', String(opts.accounts)] : []),
    ],
    { env: { ...process.env, TS_NODE_PROJECT: join(PROJECT_ROOT, 'test/tsconfig.json') }, cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const info = JSON.parse(line.toString()) as { url: string; accessToken: string };
  return { url: info.url, token: info.accessToken, stop: (): void => void child.kill('SIGTERM') };
}
