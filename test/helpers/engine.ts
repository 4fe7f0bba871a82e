/*
 * The load engine wired to an emulator with fast polls and retries, for tests that drive the core
 * directly (no CLI), in this process or in a child process that a test may kill.
 */
import { OrgHttp } from '../../src/core/http/orgHttp.js';
import type { LoadEngine } from '../../src/core/load/engine.js';
import type { LoadEvent } from '../../src/core/load/types.js';
import { engineForHttp } from '../../src/core/org/engineFactory.js';

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

export function testEngine(target: EngineTarget, onEvent?: (e: LoadEvent) => void): { engine: LoadEngine; http: OrgHttp } {
  const http = testHttp(target);
  const engine = engineForHttp(http, { onEvent, poll: { minMs: 20, maxMs: 200 }, retry: { attempts: 6, baseMs: 10, maxMs: 100 } });
  return { engine, http };
}
