/*
 * The load engine wired to an emulator with fast polls and retries, for tests that drive the core
 * directly (no CLI), in this process or in a child process that a test may kill.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { OrgHttp } from '../../src/core/http/orgHttp.js';
import type { LoadEngine } from '../../src/core/load/engine.js';
import type { LoadEvent, LoadRequest } from '../../src/core/load/types.js';
import { engineForHttp } from '../../src/core/org/engineFactory.js';
import { PROJECT_ROOT } from './sf.js';

export type EngineTarget = { instanceUrl: string; accessToken: string };

export function testHttp(target: EngineTarget): OrgHttp {
  return new OrgHttp({
    instanceUrl: target.instanceUrl,
    apiVersion: '66.0',
    accessToken: () => target.accessToken,
    refresh: () => Promise.reject(new Error('no refresh in tests')),
  });
}

export function testEngine(target: EngineTarget, onEvent?: (e: LoadEvent) => void): { engine: LoadEngine; http: OrgHttp } {
  const http = testHttp(target);
  const engine = engineForHttp(http, { onEvent, poll: { minMs: 20, maxMs: 200 }, retry: { attempts: 6, baseMs: 10, maxMs: 100 } });
  return { engine, http };
}

/** Runs one load in engineChild.ts with SF_BULKOPS_CRASH_AT=crashAt: it ends by SIGKILL at that point. */
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
