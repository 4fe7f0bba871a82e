/*
 * Fixtures for the tests of the split on worker threads: a pool kept for a whole suite (starting
 * threads, with TypeScript compiled in each, is the slow part), and the engine suites' emulator
 * with SF_BULKOPS_SPLIT_THREADS_MIN_MB put back after each test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SplitPool } from '../../src/core/split/parallelSplit.js';
import { Emulator, startEmulator } from './emulator.js';

/** A folder and a pool of 2 split workers for the suite it is called in. */
export function suitePool(prefix: string): { work: string; pool: () => SplitPool } {
  const work = mkdtempSync(join(tmpdir(), prefix));
  let pool: SplitPool | undefined;
  before(() => {
    pool = new SplitPool(2);
  });
  after(async () => {
    await pool?.close();
    rmSync(work, { recursive: true, force: true });
  });
  return { work, pool: () => pool! };
}

export const THREADS_ENV = 'SF_BULKOPS_SPLIT_THREADS_MIN_MB';

/** An emulator and a folder for each test; `threads(true)` sends every input through the split threads. */
export function threadsSuite(prefix: string): {
  emu: () => Emulator;
  restart: () => Promise<Emulator>;
  work: () => string;
  target: () => { instanceUrl: string; accessToken: string };
  threads: (on: boolean) => void;
} {
  let emu: Emulator;
  let work: string;
  let saved: string | undefined;
  beforeEach(async () => {
    saved = process.env[THREADS_ENV];
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env[THREADS_ENV];
    else process.env[THREADS_ENV] = saved;
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return {
    emu: (): Emulator => emu,
    restart: async (): Promise<Emulator> => {
      await emu.stop();
      emu = await startEmulator();
      return emu;
    },
    work: (): string => work,
    target: (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken }),
    threads: (on: boolean): void => {
      if (on) process.env[THREADS_ENV] = '0';
      else delete process.env[THREADS_ENV];
    },
  };
}
