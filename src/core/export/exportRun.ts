/*
 * An export run: its folder in the runs folder (lock, ledger), the query job, its pages. start()
 * begins one; resume() goes on with one after a crash, a signal or an error: the job is the same
 * (results are kept 7 days), the file is cut back to its last whole page, and the pages after it
 * are asked for from the locator the ledger holds, so no row is written twice or left out.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { BulkV2Query } from '../bulk/bulkV2Query.js';
import { TERMINAL_STATES, type JobInfo } from '../bulk/types.js';
import { OrgApiError } from '../http/orgHttp.js';
import type { Retrying } from '../http/retrying.js';
import type { Identity } from '../org/identity.js';
import type { DescribeSource } from '../preflight/describe.js';
import { lockRun } from '../run/runFolder.js';
import type { StopToken } from '../runtime/stopToken.js';
import { LocatorRefusedError, NoExportRunError, OtherOrgError, OutputChangedError, QueryJobFailedError, QueryJobGoneError, QueryRefusedError, RowCountError } from './errors.js';
import { forLoadHeaderCheck } from './forLoad.js';
import { OutputFile } from './outputFile.js';
import { PageLedger, readExportState, type ExportSpecRecord, type ExportState } from './pageLedger.js';
import { writePages } from './pageLoop.js';
import type { ExportEvent, ExportRequest, ExportResult } from './types.js';

export type ExportDeps = {
  query: BulkV2Query;
  identity: () => Promise<Identity>;
  /** the object's describe, for --for-load's check of the columns */
  describe: DescribeSource;
  retry: Retrying;
  /** waits between polls; a stop wakes it */
  sleep: (ms: number) => Promise<void>;
  poll: { minMs: number; maxMs: number };
  /** pages asked for ahead of the one being written */
  ahead: number;
  stop?: StopToken;
  onEvent?: (e: ExportEvent) => void;
  now?: () => number;
};

export async function startExport(deps: ExportDeps, req: ExportRequest): Promise<ExportResult> {
  const runDir = join(req.ledgerDir, req.runId);
  mkdirSync(runDir, { recursive: true });
  mkdirSync(dirname(req.output), { recursive: true });
  const lock = lockRun(runDir, req.runId);
  const ledger = new PageLedger(runDir, deps.now);
  try {
    const me = await deps.identity();
    const spec: ExportSpecRecord = {
      t: 'export',
      runId: req.runId,
      query: req.query,
      operation: req.allRows ? 'queryAll' : 'query',
      output: req.output,
      format: req.format,
      columnDelimiter: req.columnDelimiter,
      lineEnding: req.lineEnding,
      ...(req.maxRecords ? { maxRecords: req.maxRecords } : {}),
      ...(req.forLoad ? { forLoad: req.forLoad } : {}),
      org: { orgId: me.orgId, userId: me.userId, username: me.username },
    };
    ledger.append(spec);
    return await go(deps, runDir, ledger, { spec, pages: [], done: false });
  } finally {
    ledger.close();
    lock.release();
  }
}

/** Goes on with the export run in runDir; a run already finished gives its result again. */
export async function resumeExport(deps: ExportDeps, runDir: string): Promise<ExportResult> {
  const found = readExportState(runDir);
  if (!found) throw new NoExportRunError(runDir, false);
  const lock = lockRun(runDir, found.spec.runId);
  const ledger = new PageLedger(runDir, deps.now);
  try {
    // Read again under the lock: the process that held it may have written more.
    const state = readExportState(runDir)!;
    // Finished: its file is whole, and the org need not be asked (its job may be gone by now).
    if (state.finished) {
      const { rows, bytes, pages, jobRecords } = state.finished;
      return { runId: state.spec.runId, runDir, jobId: state.jobId!, file: state.spec.output, format: state.spec.format, records: rows, bytes, pages, jobRecords, resumed: true, elapsedMs: 0 };
    }
    return await go(deps, runDir, ledger, state, true);
  } finally {
    ledger.close();
    lock.release();
  }
}

async function go(deps: ExportDeps, runDir: string, ledger: PageLedger, state: ExportState, resumed = false): Promise<ExportResult> {
  const started = (deps.now ?? Date.now)();
  const { spec } = state;
  if (resumed) {
    const me = await deps.identity();
    if (me.orgId.slice(0, 15) !== spec.org.orgId.slice(0, 15)) throw new OtherOrgError(spec.runId, spec.org.orgId, me.orgId);
  }
  const jobId = state.jobId ?? (await createJob(deps, spec));
  if (!state.jobId) ledger.append({ t: 'job', jobId });
  deps.onEvent?.({ type: 'job', jobId, resumed: Boolean(state.jobId) });
  const info = await untilDone(deps, jobId);
  const checkHeader = spec.forLoad ? forLoadHeaderCheck(spec.forLoad, await deps.describe(info.object)) : undefined;
  const end = state.pages.at(-1)?.end ?? 0;
  const out = await openOutput(spec.output, end, state, deps);
  try {
    const totals = await writePages(
      {
        fetch: (locator) => deps.retry('result page', () => deps.query.page(jobId, locator, spec.maxRecords)).catch((e) => refused(e, jobId)),
        retry: deps.retry,
        ledger,
        out,
        format: spec,
        ...(checkHeader ? { checkHeader } : {}),
        ahead: deps.ahead,
        ...(deps.stop ? { stop: deps.stop } : {}),
        ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
      },
      state.pages
    );
    const jobRecords = info.numberRecordsProcessed ?? totals.rows;
    if (jobRecords !== totals.rows) throw new RowCountError(`query job ${jobId}`, jobRecords, totals.rows);
    ledger.append({ t: 'done', rows: totals.rows, bytes: totals.bytes, pages: totals.pages, jobRecords });
    return { runId: spec.runId, runDir, jobId, file: spec.output, format: spec.format, records: totals.rows, bytes: totals.bytes, pages: totals.pages, jobRecords, resumed, elapsedMs: (deps.now ?? Date.now)() - started };
  } finally {
    await out.close();
  }
}

/** The output file opened after its last whole page: a page cut short by a crash is cut off; a file shorter than the ledger says was changed by someone else. */
async function openOutput(file: string, end: number, state: ExportState, deps: ExportDeps): Promise<OutputFile> {
  if (state.pages.length === 0) return OutputFile.openAt(file, 0);
  let size = -1;
  try {
    size = statSync(file).size;
  } catch {
    // gone: said below
  }
  if (size < end) throw new OutputChangedError(file, end, Math.max(0, size));
  const rows = state.pages.reduce((n, p) => n + p.rows, 0);
  deps.onEvent?.({ type: 'resumed', pages: state.pages.length, rows, bytes: end, cutBytes: size - end });
  return OutputFile.openAt(file, end);
}

async function createJob(deps: ExportDeps, spec: ExportSpecRecord): Promise<string> {
  deps.stop?.check();
  try {
    const job = await deps.retry('query job', () => deps.query.create(spec.query, spec.operation, { columnDelimiter: spec.columnDelimiter, lineEnding: spec.lineEnding }));
    return job.id;
  } catch (e) {
    // The org's own refusal of the query (MALFORMED_QUERY, INVALID_FIELD…, with the position in its message).
    if (e instanceof OrgApiError && e.status === 400 && e.fromApi) throw new QueryRefusedError(e.errorCode, e.message);
    throw e;
  }
}

async function untilDone(deps: ExportDeps, jobId: string): Promise<JobInfo> {
  let wait = deps.poll.minMs;
  for (;;) {
    const info = await deps.retry('query job info', () => deps.query.info(jobId)).catch((e) => refused(e, jobId));
    deps.onEvent?.({ type: 'state', jobId, state: info.state });
    if (info.state === 'JobComplete') return info;
    if (TERMINAL_STATES.has(info.state)) throw new QueryJobFailedError(jobId, info.state, info.errorMessage);
    await deps.sleep(wait);
    wait = Math.min(deps.poll.maxMs, Math.ceil(wait * 1.5));
  }
}

/** A 404 is a job the org no longer keeps; a refused locator, pages this job can no longer give. */
function refused(e: unknown, jobId: string): never {
  if (e instanceof OrgApiError && e.status === 404) throw new QueryJobGoneError(jobId);
  if (e instanceof OrgApiError && e.errorCode === 'INVALID_QUERY_LOCATOR') throw new LocatorRefusedError(jobId);
  throw e;
}
