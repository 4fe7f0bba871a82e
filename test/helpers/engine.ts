/*
 * The load engine wired to an emulator with fast polls and retries, for tests that drive the core
 * directly (no CLI), in this process or in a child process that a test may kill.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrgHttp } from '../../src/core/http/orgHttp.js';
import type { LoadEngine } from '../../src/core/load/engine.js';
import type { LoadEvent, LoadRequest } from '../../src/core/load/types.js';
import { engineForHttp } from '../../src/core/org/engineFactory.js';
import { PROJECT_ROOT } from './sf.js';

export type EngineTarget = { instanceUrl: string; accessToken: string };

/**
 * Time-outs short enough that a stalled answer costs a test a second, long enough that a busy
 * emulator on a shared machine does not trip them.
 */
export const TEST_TIMEOUTS = { connectMs: 2000, idleMs: 1000 };

export function testHttp(target: EngineTarget): OrgHttp {
  return new OrgHttp(
    {
      instanceUrl: target.instanceUrl,
      apiVersion: '66.0',
      accessToken: () => target.accessToken,
      refresh: () => Promise.reject(new Error('no refresh in tests')),
    },
    TEST_TIMEOUTS
  );
}

/**
 * The machine state folder (creation journal) of the engines that talk to one emulator: shared by a
 * crash child and the test that resumes its run, apart from other emulators' tests.
 */
export function testStateDir(target: EngineTarget): string {
  // Each emulator has its own token (and hands out the same job Ids as the others): a folder per token.
  return join(tmpdir(), `bulkops-state-${createHash('sha256').update(target.accessToken).digest('hex').slice(0, 16)}`);
}

export function testEngine(target: EngineTarget, onEvent?: (e: LoadEvent) => void): { engine: LoadEngine; http: OrgHttp } {
  const http = testHttp(target);
  const engine = engineForHttp(http, { onEvent, stateDir: testStateDir(target), poll: { minMs: 20, maxMs: 200 }, retry: { attempts: 6, baseMs: 10, maxMs: 100 } });
  return { engine, http };
}

/**
 * Runs one load in a child process (engineChild.ts) that the engine kills with SIGKILL at `crashAt`
 * (SF_BULKOPS_CRASH_AT, see src/core/load/crashPoints.ts); '' lets it finish.
 */
export function runCrashChild(
  input: { target: EngineTarget; request: LoadRequest },
  crashAt: string
): Promise<{ signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--loader', 'ts-node/esm', '--no-warnings', join(PROJECT_ROOT, 'test', 'helpers', 'engineChild.ts'), JSON.stringify(input)],
      { env: { ...process.env, SF_BULKOPS_CRASH_AT: crashAt, TS_NODE_PROJECT: join(PROJECT_ROOT, 'test', 'tsconfig.json') }, cwd: PROJECT_ROOT },
      (error, stdout, stderr) => resolve({ signal: error?.signal ?? null, stdout, stderr })
    );
  });
}
