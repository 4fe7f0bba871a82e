/*
 * The emulator in its own process for the benches (`--bench`: inserted records are not kept,
 * results shuffled), so its memory and CPU never count in the figures of the `sf` under test.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/sf.js';

export async function startEmulatorProcess(): Promise<{ url: string; token: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--max-old-space-size=12000', '--loader', 'ts-node/esm', '--no-warnings', join(PROJECT_ROOT, 'test/emulator/main.ts'), '--json', '--bench'],
    { env: { ...process.env, TS_NODE_PROJECT: join(PROJECT_ROOT, 'test/tsconfig.json') }, cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const info = JSON.parse(line.toString()) as { url: string; accessToken: string };
  return { url: info.url, token: info.accessToken, stop: (): void => void child.kill('SIGTERM') };
}
