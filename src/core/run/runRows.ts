/*
 * Every input row of a run, in input order, with its outcome: read from what the run folder keeps.
 *
 * A finished run is read from its result files alone (success, failed, unprocessed, rejected.csv:
 * each row carries its input line, and its file's name when there were several) and its ledger
 * (which part and job each line went to, and the jobs each part went through). Those are exactly
 * what tidying keeps, and they need no org: a run whose jobs the org has long forgotten (terminal
 * jobs are purged after 7 days) reconciles the same. A run not finished yet is read from its
 * per-job result parts (parts/) for the jobs that ended, and from its part files (chunks/) for the
 * rows whose job has not ended (pending) or was never created (never sent).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseCsvRecords } from '../csv/fastParser.js';
import { fileBlocks } from '../io/fileBlocks.js';
import { ChunkState, DropReason, LedgerRecord, RunState } from '../ledger/records.js';
import { partPaths } from '../results/join.js';
import { resultHeaders, resultPaths } from '../results/resultFiles.js';
import type { ResultPaths } from '../results/join.js';
import { causeFields } from '../results/errors.js';
import { RoundLines } from './roundLines.js';
import type { Kind, RowState, RunRow, Source } from './runRow.js';
import { createsRecords, partsDir, pendingRejectedPath } from './runState.js';

/** A result file the run's state says exists is gone (deleted by hand): what it held cannot be told. */
export class RunFileMissingError extends Error {
  public constructor(public readonly runId: string, public readonly file: string) {
    super(`run ${runId}: ${file} is missing`);
    this.name = 'RunFileMissingError';
  }
}

export type PartJobs = Array<{ attempt: number; jobId: string; dropped?: DropReason }>;

/** Each part's jobs in the order it had them (a part leaves a job that held someone else's data, or none of its rows). */
export function jobsOfParts(records: LedgerRecord[]): Map<number, PartJobs> {
  const byPart = new Map<number, PartJobs>();
  for (const r of records) {
    if (r.t === 'created') {
      const jobs = byPart.get(r.chunk) ?? [];
      jobs.push({ attempt: jobs.length + 1, jobId: r.jobId });
      byPart.set(r.chunk, jobs);
    } else if (r.t === 'job-dropped') {
      const job = byPart.get(r.chunk)?.find((j) => j.jobId === r.jobId && !j.dropped);
      if (job) job.dropped = r.reason;
    }
  }
  return byPart;
}

/** The rows of a run in input order (file by file, line by line). */
export async function* runRows(state: RunState, runDir?: string): AsyncGenerator<RunRow> {
  const resultsDir = state.spec.resultsDir;
  const multi = state.spec.files.length > 1;
  const names = state.spec.files.map((f) => basename(f));
  const fileIndexOf = (name: string | undefined): number => (multi ? Math.max(0, names.indexOf(name ?? '')) : 0);
  const must = (file: string): string => {
    if (!existsSync(file)) throw new RunFileMissingError(state.spec.runId, file);
    return file;
  };
  const headers = resultHeaders(state.header, multi, createsRecords(state));

  const results = (key: keyof ResultPaths): Source => {
    if (state.merged) return resultRows(must(resultPaths(resultsDir)[key]), undefined, key, fileIndexOf);
    // Not merged yet: the parts of the jobs that ended, in part order (their rows are in input order too).
    const files = state.chunks.filter((c) => c.results).map((c) => must(partPaths(partsDir(state), c.chunk.index)[key]));
    return concat(files.map((f) => resultRows(f, headers[key], key, fileIndexOf)));
  };
  // Until the run sends its first job, its rejected rows wait in the run folder (engine.ts publishRejected).
  const pending = runDir ? pendingRejectedPath(runDir) : undefined;
  const rejectedFile = pending && existsSync(pending) ? pending : `${resultsDir}/rejected.csv`;
  const sources: Source[] = [
    results('success'),
    results('failed'),
    results('unprocessed'),
    state.rejected > 0 ? resultRows(must(rejectedFile), undefined, 'rejected', fileIndexOf) : empty(),
    state.merged ? empty() : unsentRows(state, must),
  ];
  // A grouped load's parts hold rows sorted by parent: their line ranges overlap, their .lines files say.
  const parts = state.concurrency?.mode === 'grouped' ? await PartsByLine.read(state.chunks, must) : new PartFinder(state.chunks);
  // A row sent again in a later round: its outcome (in the result files) is that round's, through that round's part.
  const rounds = await RoundLines.read(state.attempts.filter((a) => a.merged));
  // A round not merged yet (the wait ran out, a crash): its rows' outcome is its jobs', not yet known
  // (resume finishes it). Their old outcome is not theirs any more: told as retryable, they could go twice.
  const underWay = await RoundLines.read(state.attempts.filter((a) => !a.merged));
  for await (const row of inLineOrder(sources)) {
    if (row.state !== 'rejected') row.part ??= parts.of(row.fileIndex, row.line);
    const last = rounds.latest(row.fileIndex, row.line);
    if (last) {
      row.part = last.part;
      row.round = last.round.round;
    }
    const sent = underWay.latest(row.fileIndex, row.line);
    if (sent) {
      const c = sent.part;
      const reached = c.results !== undefined || c.uploading === true || c.uploaded === true;
      yield { fileIndex: row.fileIndex, line: row.line, state: reached ? 'pending' : 'never-sent', part: c, round: sent.round.round, values: row.values };
      continue;
    }
    yield row;
  }
}

/** Merges sources that are each in input order into one in input order (file by file, line by line). */
export async function* inLineOrder(sources: Source[]): AsyncGenerator<RunRow> {
  const heads: Array<RunRow | undefined> = [];
  for (const s of sources) heads.push((await s.next()).value as RunRow | undefined);
  for (;;) {
    let min = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h && (min < 0 || before(h, heads[min]!))) min = i;
    }
    if (min < 0) return;
    const row = heads[min]!;
    heads[min] = (await sources[min].next()).value as RunRow | undefined;
    yield row;
  }
}

function before(a: RunRow, b: RunRow): boolean {
  return a.fileIndex < b.fileIndex || (a.fileIndex === b.fileIndex && a.line < b.line);
}

/** Finds the part of each line; lines come in input order, so a pointer moves forward. */
class PartFinder {
  private at = 0;
  public constructor(private readonly chunks: ChunkState[]) {}

  public of(fileIndex: number, line: number): ChunkState | undefined {
    const fits = (c: ChunkState): boolean => c.chunk.fileIndex === fileIndex && c.chunk.firstLine <= line && line <= c.chunk.lastLine;
    while (this.at < this.chunks.length && !fits(this.chunks[this.at]) && !ahead(this.chunks[this.at], fileIndex, line)) this.at++;
    return this.at < this.chunks.length && fits(this.chunks[this.at]) ? this.chunks[this.at] : undefined;
  }
}

/**
 * The part of each line of a grouped load, from the parts' .lines files (kept for it when the run is
 * tidied): a part number per input line, 2 bytes a line (4 past 65,535 parts).
 */
class PartsByLine {
  private constructor(private readonly chunks: ChunkState[], private readonly byFile: Array<Uint16Array | Uint32Array>) {}

  public static async read(chunks: ChunkState[], must: (file: string) => string): Promise<PartsByLine> {
    // The .lines file: the input line of each row, a little-endian uint32 each (planner.ts); read
    // one at a time, twice (the highest line first), so that only the map stays in memory.
    const each = async (visit: (fileIndex: number, line: number, part: number) => void): Promise<void> => {
      for (const [i, c] of chunks.entries()) {
        const lines = await readFile(must(c.chunk.linesFile));
        for (let at = 0; at < lines.length; at += 4) visit(c.chunk.fileIndex, lines.readUInt32LE(at), i + 1);
      }
    };
    const last: number[] = [];
    await each((f, line) => (last[f] = Math.max(last[f] ?? 0, line)));
    const byFile = Array.from(last, (max) => (chunks.length < 65_535 ? new Uint16Array((max ?? 0) + 1) : new Uint32Array((max ?? 0) + 1)));
    await each((f, line, part) => (byFile[f][line] = part));
    return new PartsByLine(chunks, byFile);
  }

  public of(fileIndex: number, line: number): ChunkState | undefined {
    const part = this.byFile[fileIndex]?.[line] ?? 0;
    return part ? this.chunks[part - 1] : undefined;
  }
}

function ahead(c: ChunkState, fileIndex: number, line: number): boolean {
  return c.chunk.fileIndex > fileIndex || (c.chunk.fileIndex === fileIndex && c.chunk.firstLine > line);
}

/**
 * Rows of a result file (a merged one has its header; a part has none, `header` gives it). Columns
 * are found by name, so files written before a column existed (sf__Fields) are read too.
 */
export async function* resultRows(file: string, header: string[] | undefined, kind: Kind, fileIndexOf: (name: string | undefined) => number): AsyncGenerator<RunRow> {
  let cols = header;
  let at: Record<string, number> = header ? indexOf(header) : {};
  let valuesFrom = header ? header.findIndex((h) => !h.startsWith('sf__')) : 0;
  for await (const record of parseCsvRecords(fileBlocks(file), { delimiter: ',' })) {
    const f = record.fields;
    if (!cols) {
      cols = f;
      at = indexOf(f);
      valuesFrom = f.findIndex((h) => !h.startsWith('sf__'));
      if (valuesFrom < 0) valuesFrom = f.length;
      continue;
    }
    const get = (name: string): string | undefined => (at[name] === undefined ? undefined : f[at[name]]);
    const row: RunRow = { fileIndex: fileIndexOf(get('sf__File')), line: Number(get('sf__Line')), state: STATE_OF[kind], values: f.slice(valuesFrom) };
    if (kind === 'success') {
      row.id = get('sf__Id');
      const created = get('sf__Created');
      if (created !== undefined) row.created = created === 'true';
    } else if (kind === 'failed') {
      row.id = get('sf__Id') ?? '';
      row.code = get('sf__ErrorCode') ?? 'UNKNOWN';
      row.message = get('sf__Error') ?? '';
      row.fields = causeFields(row.code, row.message, (get('sf__Fields') ?? '').split(',').filter((x) => x !== ''));
    } else if (kind === 'rejected') {
      row.message = get('sf__Reason') ?? '';
    }
    yield row;
  }
}

const STATE_OF: Record<Kind, RowState> = { success: 'succeeded', failed: 'failed', unprocessed: 'unprocessed', retry: 'unprocessed', rejected: 'rejected' };

function indexOf(header: string[]): Record<string, number> {
  const at: Record<string, number> = {};
  header.forEach((h, i) => (at[h] = i));
  return at;
}

/** Rows of the parts with no results yet: sent to a job that has not ended, or never sent. */
async function* unsentRows(state: RunState, must: (file: string) => string): AsyncGenerator<RunRow> {
  for (const c of state.chunks.filter((x) => !x.results)) {
    // The .lines file: the input line of each row, a little-endian uint32 each (planner.ts); 4 bytes a row.
    const lines = await readFile(must(c.chunk.linesFile));
    // Rows whose upload may have reached a job are pending: that job decides, resume will tell.
    const rowState: RowState = c.uploading ?? c.uploaded ? 'pending' : 'never-sent';
    let row = -1; // the part's header comes first
    for await (const record of parseCsvRecords(fileBlocks(must(c.chunk.file)), { delimiter: ',' })) {
      if (row >= 0) yield { fileIndex: c.chunk.fileIndex, line: lines.readUInt32LE(row * 4), state: rowState, part: c, values: record.fields };
      row++;
    }
  }
}

async function* concat(sources: Source[]): AsyncGenerator<RunRow> {
  for (const s of sources) for (let r = await s.next(); !r.done; r = await s.next()) yield r.value;
}

export function empty(): Source {
  return [][Symbol.iterator]() as unknown as Source;
}

/**
 * Whether a row (in its latest outcome) may be sent again: only one that never succeeded, and not a
 * row its completed job gave no result for (a completed job reports every row: it may have loaded).
 */
export function mayResend(row: Pick<RunRow, 'state' | 'part'>): boolean {
  if (row.state === 'unprocessed') return row.part?.terminal?.state !== 'JobComplete';
  return row.state === 'failed' || row.state === 'rejected';
}
