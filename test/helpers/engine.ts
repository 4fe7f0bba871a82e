/*
 * The load engine wired to an emulator with fast polls and retries, for tests that drive the core
 * directly (no CLI), in this process or in a child process that a test may kill.
 */
import { ChildProcess, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OrgHttp } from '../../src/core/http/orgHttp.js';
import type { LoadEngine } from '../../src/core/load/engine.js';
import type { LoadEvent, LoadRequest } from '../../src/core/run/types.js';
import { engineForHttp } from '../../src/core/load/engineFactory.js';
import { PROJECT_ROOT } from './sf.js';

/** With a refresh token, an expired session is renewed through the refresh-token grant (accessToken is updated). */
export type EngineTarget = { instanceUrl: string; accessToken: string; refreshToken?: string };

/**
 * Time-outs short enough that a stalled answer costs a test two seconds, long enough that a busy
 * emulator on a shared machine does not trip them.
 */
export const TEST_TIMEOUTS = { connectMs: 2000, idleMs: 2000 };

export function testHttp(target: EngineTarget): OrgHttp {
  return new OrgHttp(
    {
      instanceUrl: target.instanceUrl,
      apiVersion: '66.0',
      accessToken: () => target.accessToken,
      refresh: async (): Promise<void> => {
        if (!target.refreshToken) throw new Error('no refresh in tests');
        const res = await fetch(`${target.instanceUrl}/services/oauth2/token`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: target.refreshToken }).toString(),
        });
        // eslint-disable-next-line no-param-reassign -- the renewed token is what every later call sends
        target.accessToken = ((await res.json()) as { access_token: string }).access_token;
      },
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

/** `now`: the engine's clock, for a test that stands for time gone by (default Date.now). */
export function testEngine(target: EngineTarget, onEvent?: (e: LoadEvent) => void, now?: () => number): { engine: LoadEngine; http: OrgHttp } {
  const http = testHttp(target);
  const engine = engineForHttp(http, { onEvent, stateDir: testStateDir(target), poll: { minMs: 20, maxMs: 200 }, retry: { attempts: 6, baseMs: 10, maxMs: 100 }, ...(now ? { now } : {}) });
  return { engine, http };
}

/** A Contact insert of one file into a run under `work`/runs, as the engine tests make them; `extra` overrides. */
export function contactLoad(file: string, work: string, extra: Partial<LoadRequest> = {}): LoadRequest {
  return {
    object: 'Contact',
    operation: 'insert',
    files: [file],
    runId: `run-${Math.random().toString(36).slice(2, 8)}`,
    ledgerDir: join(work, 'runs'),
    waitMs: 60_000,
    concurrency: 5,
    ...extra,
  };
}

/** What engineChild.ts runs: a new load (request), the resume of a run folder, or a new round of a run (reconcile --retry, --fixed-file). */
export type ChildInput =
  | { target: EngineTarget; request: LoadRequest }
  | { target: EngineTarget; resume: { runDir: string; waitMs: number } }
  | { target: EngineTarget; resend: { runDir: string; how: { kind: 'retry' } | { kind: 'fixed'; file: string }; waitMs: number } };

export type ChildExit = { signal: string | null; code: number | null; stdout: string; stderr: string };

/**
 * Runs engineChild.ts in a child process; SF_BULKOPS_CRASH_AT (if given) makes the engine kill it at
 * that point (see src/core/runtime/crashPoints.ts), and the caller may kill it too (child.kill('SIGKILL')).
 */
export function spawnEngineChild(input: ChildInput, crashAt?: string): { child: ChildProcess; exited: Promise<ChildExit> } {
  let child!: ChildProcess;
  const exited = new Promise<ChildExit>((resolve) => {
    child = execFile(
      process.execPath,
      ['--loader', 'ts-node/esm', '--no-warnings', join(PROJECT_ROOT, 'test', 'helpers', 'engineChild.ts'), JSON.stringify(input)],
      {
        env: { ...process.env, SF_BULKOPS_CRASH_AT: crashAt ?? '', TS_NODE_PROJECT: join(PROJECT_ROOT, 'test', 'tsconfig.json') },
        cwd: PROJECT_ROOT,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => resolve({ signal: error?.signal ?? null, code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr })
    );
  });
  return { child, exited };
}

/** Runs one load or resume in a child that ends by SIGKILL at `crashAt` ('' lets it finish). */
export function runCrashChild(input: ChildInput, crashAt: string): Promise<ChildExit> {
  return spawnEngineChild(input, crashAt).exited;
}
