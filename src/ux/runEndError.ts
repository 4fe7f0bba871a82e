/*
 * The error that ends a command after it started a run (load, resume, a reconcile round): one short
 * block that says what happened (the org's error code kept, for search), which run, how many of its
 * rows are in jobs the org has, and the exact command to go on. Under --json the same is in the
 * error's data: runId, action (the command to go on), retryable (whether that command may succeed
 * later with nothing changed first). The error's name is fixed per kind (the README's table).
 */
import { existsSync, statfsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Messages, SfError } from '@salesforce/core';
import { Ledger, LEDGER_FILE } from '../core/ledger/ledger.js';
import { replay, type ChunkState, type RunState } from '../core/ledger/records.js';
import { OrgApiError, OrgHttp, OrgNetworkError, SessionExpiredError } from '../core/http/orgHttp.js';
import { loadLimits } from '../core/http/orgLimits.js';
import { keepAnswer } from '../core/http/answerFile.js';
import { JobGoneError } from '../core/runner/jobRunner.js';
import { loadErrorToSfError, resumeCommand } from './loadReport.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.runErrors');

export type RunErrorContext = {
  bin: string;
  ledgerDir: string;
  /** the ledger folder is the default one (the resume command then names none) */
  defaultLedger: boolean;
  /** the run's folder, when the command has one (absent: the error passes to loadErrorToSfError) */
  runDir?: string;
  /** the org, to read its limits when an allocation is used up */
  http?: OrgHttp;
  /** the run to go on with when it is not the run of runDir (a plan, whose step's run ended) */
  goOnWith?: string;
};

/** The data an error that ends a started run carries under --json. */
export type RunErrorData = {
  runId: string;
  runDir: string;
  /** the command that goes on with the run (absent when none can: a job the org no longer has) */
  action?: string;
  /** true when that command may succeed later as it is; false when something must be done first (log in, free space) */
  retryable: boolean;
  /**
   * the run's rows, and how many of them are in jobs the org has (total absent while the input was
   * being split); round: the same for a round of rows sent again that did not end
   */
  rows: { total?: number; inOrg: number; round?: { round: number; total: number; inOrg: number } };
};

/** What each kind says and whether the resume may work with nothing done first. */
type Ending = { name: string; message: string; actions: string[]; retryable: boolean };

/** File-system error codes that stop a run, and the message of each. */
const FS_ERRORS: Record<string, string> = {
  ENOSPC: 'error.DiskFull',
  EDQUOT: 'error.DiskFull',
  EACCES: 'error.NoWriteAccess',
  EPERM: 'error.NoWriteAccess',
  EROFS: 'error.ReadOnlyFileSystem',
  EMFILE: 'error.TooManyOpenFiles',
  ENFILE: 'error.TooManyOpenFiles',
};

/** Every error of this block ends the command with exit code 1, as any error does (the README's table). */
export const RUN_ERROR_EXIT = 1;

/**
 * The kinds this block tells: the name scripts see (SfError's name, --json's "name"), whether the
 * command to go on may work later as it is, and the messages of each (the README's table is made
 * from them: runErrorTable.ts).
 */
export const RUN_ERRORS = {
  session: { name: 'SessionExpiredError', retryable: false, actions: 'error.SessionExpired.actions' },
  limit: { name: 'RequestLimitError', retryable: true, actions: 'error.RequestLimit.actions' },
  page: { name: 'OrgUnavailableError', retryable: true, actions: 'error.OrgPage.actions' },
  api: { name: 'OrgApiError', retryable: undefined, actions: 'error.OrgApiInRun.actions' },
  network: { name: 'NetworkError', retryable: true, actions: 'error.NetworkInRun.actions' },
  disk: { name: 'FileSystemError', retryable: false, actions: 'error.DiskFull.actions' },
  // The actions of the other file-system errors: FS_ERRORS.
} as const;

export type RunErrorKind = keyof typeof RUN_ERRORS;

const RUN_ERROR_NAMES = Object.fromEntries(Object.entries(RUN_ERRORS).map(([k, v]) => [k, v.name])) as { [K in RunErrorKind]: (typeof RUN_ERRORS)[K]['name'] };

/** What ends a run part-way and is told by this block: the org's answers, the network, the disk, and errors no one expected. */
function endsRunHere(e: unknown): boolean {
  return e instanceof SessionExpiredError || e instanceof OrgApiError || e instanceof OrgNetworkError || fsCode(e) !== undefined;
}

/**
 * The error that ends a command which reads the org and starts no run (jobs, audit, monitor,
 * inventory init): the same words and steps for the session, an allocation, a page in front of the
 * org, the network and the disk, then "run the command again"; any other error as it is.
 */
export async function readEndError(e: unknown, ctx: { http?: OrgHttp; user: string; folder: string }): Promise<unknown> {
  if (e instanceof SfError || !endsRunHere(e)) return e;
  const fs = fsCode(e);
  const ending = fs ? fsEnding(e as NodeJS.ErrnoException, fs, ctx.folder) : await orgEnding(e, { user: ctx.user }, ctx.http);
  return new SfError(ending.message, ending.name, [...ending.actions, messages.getMessage('read.again')], RUN_ERROR_EXIT);
}

export async function runEndError(e: unknown, ctx: RunErrorContext): Promise<Error> {
  const state = ctx.runDir ? startedRun(ctx.runDir) : undefined;
  const fs = fsCode(e);
  if (!state || !ctx.runDir) {
    if (fs) return fsEnding(e as NodeJS.ErrnoException, fs, ctx.ledgerDir).toError();
    // Before the run had a ledger (its first calls): the same words and steps, and no run to go on with.
    if (e instanceof SessionExpiredError || (e instanceof OrgApiError && (isLimit(e) || !e.fromApi))) {
      const ending = await orgEnding(e, { user: messages.getMessage('run.sameUser') }, ctx.http);
      return new SfError(ending.message, ending.name, [...ending.actions, messages.getMessage('noRun.again')], RUN_ERROR_EXIT);
    }
    return loadErrorToSfError(e, ctx);
  }
  const runDir = ctx.runDir;
  const action = resumeCommand(ctx.bin, ctx.goOnWith ?? state.spec.runId, ctx);
  if (!endsRunHere(e)) {
    // An error with its own message and actions (a job gone, a batch no one recorded…) keeps them,
    // and names the run and what the org has of it; resuming is its next step only once those
    // actions are done (retryable false), and for a job gone there is none.
    const own = loadErrorToSfError(e, ctx);
    if (own !== e || e instanceof SfError) return withRun(own, state, runDir, e instanceof JobGoneError ? undefined : action);
  }
  const ending = fs ? fsEnding(e as NodeJS.ErrnoException, fs, runDir, inputBytes(state)) : await orgEnding(e, { user: state.spec.org.username, runDir }, ctx.http);
  const rows = rowsInOrg(state);
  const sent =
    rows.total === undefined
      ? messages.getMessage('run.sentSplitting', [state.spec.runId, count(rows.inOrg)])
      : messages.getMessage('run.sent', [state.spec.runId, count(rows.inOrg), count(rows.total)]) +
        (rows.round ? ` ${messages.getMessage('run.sentRound', [rows.round.round, count(rows.round.inOrg), count(rows.round.total)])}` : '');
  const data: RunErrorData = { runId: state.spec.runId, runDir, action, retryable: ending.retryable, rows };
  const err = new SfError(`${ending.message}\n${sent}`, ending.name, [...ending.actions, messages.getMessage('run.goOn', [action])], RUN_ERROR_EXIT);
  err.setData(data);
  return err;
}

/** An error with its own words and steps, with the run's id, its rows in the org and its folder added. */
function withRun(own: Error, state: RunState, runDir: string, action: string | undefined): Error {
  if (!(own instanceof SfError)) return own;
  const rows = rowsInOrg(state);
  const total = rows.total === undefined ? '?' : count(rows.total);
  const err = new SfError(
    `${own.message}\n${messages.getMessage('run.stoppedHere', [state.spec.runId, count(rows.inOrg), total, runDir])}`,
    own.name,
    [...(own.actions ?? []), ...(action ? [messages.getMessage('run.thenResume', [action])] : [])],
    own.exitCode
  );
  err.setData({ runId: state.spec.runId, runDir, ...(action ? { action } : {}), retryable: false, rows } satisfies RunErrorData);
  return err;
}

/** The run's state when it has a ledger and did not end before sending anything; else undefined. */
function startedRun(runDir: string): RunState | undefined {
  try {
    if (!existsSync(join(runDir, LEDGER_FILE))) return undefined;
    const state = replay(Ledger.read(runDir));
    return state.abandoned ? undefined : state;
  } catch {
    // A ledger that cannot be read here (cut by the very failure being reported) leaves the plain error.
    return undefined;
  }
}

/** An org's answer or its absence: the session, an allocation, a page from in front of the org, the network. */
async function orgEnding(e: unknown, run: { user: string; runDir?: string }, http: OrgHttp | undefined): Promise<Ending> {
  const { user, runDir } = run;
  if (e instanceof SessionExpiredError) {
    return e.refreshable
      ? { name: RUN_ERROR_NAMES.session, message: messages.getMessage('error.SessionRefreshFailed', [e.refreshError ?? '']), actions: messages.getMessages('error.SessionRefreshFailed.actions', [user]), retryable: RUN_ERRORS.session.retryable }
      : { name: RUN_ERROR_NAMES.session, message: messages.getMessage('error.SessionExpired'), actions: messages.getMessages(RUN_ERRORS.session.actions, [user]), retryable: RUN_ERRORS.session.retryable };
  }
  if (e instanceof OrgApiError && isLimit(e)) {
    const limits = await limitsText(http);
    return {
      name: RUN_ERROR_NAMES.limit,
      message: messages.getMessage('error.RequestLimit', [e.method, e.path, e.status, e.errorCode, sentence(e.message), limits]),
      actions: messages.getMessages('error.RequestLimit.actions'),
      retryable: RUN_ERRORS.limit.retryable,
    };
  }
  if (e instanceof OrgApiError && !e.fromApi) {
    const kept = runDir ? await keepAnswer(runDir, e) : undefined;
    const message = messages.getMessage('error.OrgPage', [e.method, e.path, e.message]) + (kept ? ` ${messages.getMessage('error.OrgPage.kept', [kept])}` : '');
    return { name: RUN_ERROR_NAMES.page, message, actions: messages.getMessages(RUN_ERRORS.page.actions), retryable: RUN_ERRORS.page.retryable };
  }
  if (e instanceof OrgApiError) {
    const base = loadErrorToSfError(e, { bin: '', ledgerDir: '' });
    return { name: RUN_ERROR_NAMES.api, message: base.message, actions: messages.getMessages(RUN_ERRORS.api.actions), retryable: e.status >= 500 };
  }
  if (e instanceof OrgNetworkError) {
    const base = loadErrorToSfError(e, { bin: '', ledgerDir: '' });
    return { name: RUN_ERROR_NAMES.network, message: base.message, actions: messages.getMessages(RUN_ERRORS.network.actions), retryable: RUN_ERRORS.network.retryable };
  }
  // Not an error the run expects (a bug): its own name and message, and where its traces are.
  const err = e as Error;
  return { name: err.name, message: err.message, actions: runDir ? messages.getMessages('error.Unexpected.actions', [runDir]) : [], retryable: false };
}

/** REST's REQUEST_LIMIT_EXCEEDED, and Bulk API V1's ExceededQuota for the same allocation. */
function isLimit(e: OrgApiError): boolean {
  return e.errorCode === 'REQUEST_LIMIT_EXCEEDED' || e.errorCode === 'ExceededQuota';
}

async function limitsText(http: OrgHttp | undefined): Promise<string> {
  if (!http) return '';
  try {
    const limits = await loadLimits(http);
    const each = limits.map((l) => messages.getMessage('error.RequestLimit.limit', [l.name, count(l.max - l.remaining), count(l.max), count(l.remaining)]));
    return messages.getMessage('error.RequestLimit.limits', [each.join(', ')]);
  } catch (e) {
    return messages.getMessage('error.RequestLimit.noLimits', [(e as Error).message]);
  }
}

/** A file-system error: which folder, and for a full disk the space free and the space the run needs. */
function fsEnding(e: NodeJS.ErrnoException, code: string, fallbackDir: string, needBytes?: number): Ending & { toError(): SfError } {
  const folder = folderOf(e.path, fallbackDir);
  const key = FS_ERRORS[code];
  const why = e.syscall ? `${e.syscall}${e.path ? ` ${e.path}` : ''}` : e.message;
  let message: string;
  let actions: string[];
  if (key === 'error.DiskFull' && needBytes !== undefined) {
    message = messages.getMessage(key, [folder, code, size(freeBytes(folder)), size(needBytes)]);
    actions = messages.getMessages(`${key}.actions`, [size(needBytes * 3)]);
  } else if (key === 'error.DiskFull') {
    // Before the run knew its input (or a command with no input): the folder and the space free.
    message = messages.getMessage('error.DiskFullNoSize', [folder, code, size(freeBytes(folder))]);
    actions = messages.getMessages('error.DiskFullNoSize.actions');
  } else if (key === 'error.TooManyOpenFiles') {
    message = messages.getMessage(key, [code, folder, why]);
    actions = messages.getMessages(`${key}.actions`);
  } else {
    message = messages.getMessage(key, [folder, code, why]);
    actions = messages.getMessages(`${key}.actions`, [folder]);
  }
  const ending = { name: RUN_ERROR_NAMES.disk, message, actions, retryable: RUN_ERRORS.disk.retryable };
  return { ...ending, toError: () => new SfError(message, ending.name, actions, RUN_ERROR_EXIT) };
}

function fsCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in FS_ERRORS ? code : undefined;
}

/** The folder a path is in (the path itself when it is a folder); the run's folder when there is no path. */
function folderOf(path: string | undefined, fallback: string): string {
  if (!path) return fallback;
  try {
    return statSync(path).isDirectory() ? path : dirname(path);
  } catch {
    return dirname(path);
  }
}

function freeBytes(folder: string): number | undefined {
  for (let dir = folder; ; dir = dirname(dir)) {
    try {
      const s = statfsSync(dir);
      return s.bavail * s.bsize;
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}

function inputBytes(state: RunState): number | undefined {
  try {
    return state.spec.files.reduce((n, f) => n + statSync(f).size, 0);
  } catch {
    return undefined;
  }
}

/**
 * The run's rows in jobs the org has: a Bulk API 2.0 part once its upload was answered, a V1 part
 * batch by batch. While the input was still being split the total is not known yet. A round not
 * yet merged (a reconcile --retry, a lock round) is counted apart: its rows are sent again.
 */
export function rowsInOrg(state: RunState): RunErrorData['rows'] {
  const batchRows = state.spec.v1?.batchRows;
  const inOrg = partsInOrg(state.chunks, batchRows);
  const round = state.attempts.at(-1);
  return {
    ...(state.planned ? { total: state.rows } : {}),
    inOrg,
    ...(round && !round.merged ? { round: { round: round.round, total: round.rows, inOrg: partsInOrg(round.chunks, batchRows) } } : {}),
  };
}

function partsInOrg(chunks: ChunkState[], batchRows: number | undefined): number {
  let inOrg = 0;
  for (const c of chunks) {
    if (!c?.jobId) continue;
    if (batchRows) {
      for (let i = 0; i < (c.batches?.length ?? 0); i++) if (c.batches?.[i]) inOrg += Math.min(batchRows, c.chunk.rows - i * batchRows);
    } else if (c.uploaded === true || c.closed === true || c.terminal !== undefined) {
      inOrg += c.chunk.rows;
    }
  }
  return inOrg;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function size(bytes: number | undefined): string {
  if (bytes === undefined) return '?';
  if (bytes >= 1024 * 1024 * 1024) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

/** The org's message as a sentence, so the next one follows it cleanly. */
function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}
