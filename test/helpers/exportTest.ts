/*
 * The export core wired to an emulator with fast polls and retries, in this process or in a child
 * process a test may kill (exportChild.ts).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { exportDeps } from '../../src/core/export/exportFactory.js';
import { resumeExport, startExport } from '../../src/core/export/exportRun.js';
import type { ExportEvent, ExportRequest, ExportResult } from '../../src/core/export/types.js';
import { testHttp, type ChildExit, type EngineTarget } from './engine.js';
import { PROJECT_ROOT } from './sf.js';
import { call } from './api.js';
import type { Emulator } from './emulator.js';

export type ExportChildInput = { target: EngineTarget; request: ExportRequest } | { target: EngineTarget; resume: string };

export function testExport(target: EngineTarget, onEvent?: (e: ExportEvent) => void, ahead = 3): { start: (r: ExportRequest) => Promise<ExportResult>; resume: (runDir: string) => Promise<ExportResult> } {
  const deps = exportDeps(testHttp(target), { onEvent, poll: { minMs: 10, maxMs: 100 }, retry: { attempts: 6, baseMs: 10, maxMs: 100 }, ahead });
  return { start: (r) => startExport(deps, r), resume: (runDir) => resumeExport(deps, runDir) };
}

/** Runs exportChild.ts; SF_BULKOPS_CRASH_AT (e.g. mid-page:2) makes the export kill it there. */
export function runExportChild(input: ExportChildInput, crashAt: string): Promise<ChildExit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--loader', 'ts-node/esm', '--no-warnings', join(PROJECT_ROOT, 'test', 'helpers', 'exportChild.ts'), JSON.stringify(input)],
      { env: { ...process.env, SF_BULKOPS_CRASH_AT: crashAt, TS_NODE_PROJECT: join(PROJECT_ROOT, 'test', 'tsconfig.json') }, cwd: PROJECT_ROOT, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ signal: error?.signal ?? null, code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr })
    );
  });
}

export const SOQL = 'SELECT Id, Name, Description, NumberOfEmployees, CreatedDate FROM Account';

/** Accounts whose values test the CSV: quotes, commas, line breaks, empty values, non-ASCII text. */
export function seedAccounts(emu: Emulator, n: number): void {
  emu.insertRecords(
    'Account',
    Array.from({ length: n }, (_, i) => ({
      Name: i % 7 === 0 ? `Quote "${i}", comma` : `Åccount ${i} – ünïcode`,
      Description: i % 5 === 0 ? null : i % 3 === 0 ? `line one\nline two ${i}` : `plain ${i}`,
      NumberOfEmployees: i % 4 === 0 ? null : i,
    }))
  );
}

/** The org's own results of a query: one job, one page, as Salesforce sends them. */
export async function orgResults(emu: Emulator, query: string, operation = 'query'): Promise<string> {
  const created = await call(emu, 'POST', '/services/data/v66.0/jobs/query', { body: JSON.stringify({ operation, query }), contentType: 'application/json' });
  const id = (created.json as { id: string }).id;
  while (!(await call(emu, 'GET', `/services/data/v66.0/jobs/query/${id}`)).text.includes('"JobComplete"')) await new Promise((resolve) => setTimeout(resolve, 10));
  return (await call(emu, 'GET', `/services/data/v66.0/jobs/query/${id}/results?maxRecords=1000000`, { accept: 'text/csv' })).text;
}

