/*
 * The load engine wired to an emulator with fast polls and retries, for tests that drive the core
 * directly (no CLI), in this process or in a child process that a test may kill.
 */
import { BulkV2 } from '../../src/core/bulk/bulkV2.js';
import { OrgHttp } from '../../src/core/http/orgHttp.js';
import { LoadEngine } from '../../src/core/load/engine.js';
import type { LoadEvent } from '../../src/core/load/types.js';
import { fetchIdentity } from '../../src/core/org/identity.js';

export type EngineTarget = { instanceUrl: string; accessToken: string };

export function testEngine(target: EngineTarget, onEvent?: (e: LoadEvent) => void): { engine: LoadEngine; http: OrgHttp } {
  const http = new OrgHttp({
    instanceUrl: target.instanceUrl,
    apiVersion: '66.0',
    accessToken: () => target.accessToken,
    refresh: () => Promise.reject(new Error('no refresh in tests')),
  });
  const engine = new LoadEngine({
    bulk: new BulkV2(http),
    identity: () => fetchIdentity(http),
    onEvent,
    poll: { minMs: 20, maxMs: 200 },
    retry: { attempts: 6, baseMs: 10, maxMs: 100 },
  });
  return { engine, http };
}
