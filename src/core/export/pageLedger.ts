/*
 * An export's ledger (export.jsonl in its run folder): one JSON record per line, each written and
 * fsynced before the next step, so a kill -9 anywhere leaves a ledger that says which pages are
 * whole in the output file. A page's record is appended only after its bytes are on disk; resume
 * cuts the file back to the end of the last page recorded, and asks the org for the page after it.
 *
 * A crash while a record is written leaves its line without a newline (or not JSON): that record's
 * append never returned, so it is dropped on reading, and cut off before the next append.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { syncDirSync } from '../io/durable.js';
import type { ExportRequest } from './types.js';

export const EXPORT_LEDGER_FILE = 'export.jsonl';

/** The run's first record: what was asked (the request's own fields), as which user of which org. */
export type ExportSpecRecord = Pick<ExportRequest, 'runId' | 'query' | 'output' | 'format' | 'columnDelimiter' | 'lineEnding' | 'maxRecords' | 'forLoad'> & {
  t: 'export';
  operation: 'query' | 'queryAll';
  org: { orgId: string; userId: string; username: string };
};

export type PageRecord = {
  t: 'page';
  /** 0 for the first page */
  n: number;
  /** the locator this page was asked for with (absent for the first page) */
  locator?: string;
  /** the next page's locator (absent after the last page) */
  next?: string;
  rows: number;
  bytes: number;
  /** the output file's size once this page is in it */
  end: number;
};

export type ExportRecord = ExportSpecRecord | { t: 'job'; jobId: string } | PageRecord | { t: 'done'; rows: number; bytes: number; pages: number; jobRecords: number };

export type ExportState = {
  spec: ExportSpecRecord;
  jobId?: string;
  pages: PageRecord[];
  done: boolean;
  /** what the run wrote, once it finished */
  finished?: { rows: number; bytes: number; pages: number; jobRecords: number };
};

type Stamped = ExportRecord & { at: string };

/** Whether a run folder holds an export run. */
export function isExportRun(runDir: string): boolean {
  return existsSync(join(runDir, EXPORT_LEDGER_FILE));
}

/** The whole records of the ledger and where they end (a torn last line is not one of them). */
function readWhole(path: string): { records: Stamped[]; end: number } {
  const bytes = readFileSync(path);
  const records: Stamped[] = [];
  let start = 0;
  for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10, start)) {
    try {
      records.push(JSON.parse(bytes.toString('utf8', start, nl)) as Stamped);
    } catch {
      break; // written in part before a crash: what follows cannot be whole either
    }
    start = nl + 1;
  }
  return { records, end: start };
}

export function readExportState(runDir: string): ExportState | undefined {
  const path = join(runDir, EXPORT_LEDGER_FILE);
  if (!existsSync(path)) return undefined;
  const { records } = readWhole(path);
  const spec = records[0];
  if (spec?.t !== 'export') return undefined;
  const state: ExportState = { spec, pages: [], done: false };
  for (const r of records.slice(1)) {
    if (r.t === 'job') state.jobId = r.jobId;
    else if (r.t === 'page') state.pages.push(r);
    else if (r.t === 'done') {
      state.done = true;
      state.finished = { rows: r.rows, bytes: r.bytes, pages: r.pages, jobRecords: r.jobRecords };
    }
  }
  return state;
}

export class PageLedger {
  private fd?: number;

  public constructor(public readonly runDir: string, private readonly now: () => number = Date.now) {}

  public get path(): string {
    return join(this.runDir, EXPORT_LEDGER_FILE);
  }

  public append(record: ExportRecord): void {
    if (this.fd === undefined) {
      const existed = existsSync(this.path);
      // A torn last line goes before anything is appended after it (the new record would be glued to it).
      if (existed) truncateSync(this.path, readWhole(this.path).end);
      this.fd = openSync(this.path, 'a');
      if (!existed) {
        syncDirSync(this.runDir);
        syncDirSync(dirname(this.runDir));
      }
    }
    writeSync(this.fd, `${JSON.stringify({ ...record, at: new Date(this.now()).toISOString() })}\n`);
    fsyncSync(this.fd);
  }

  public close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
