/*
 * Joins a job's result files back to the input rows that were sent in it (README: "Join the results").
 * Each chunk's rows are hashed into a RowIndex (from the part file's bytes); every result row (in
 * whatever order the org returns them) claims an identical sent row. Each row's outcome waits on
 * disk (OutcomeSpill), then the rows are written out in input order, each as its line/Id/outcome
 * prefix and the bytes that were sent, so the result files read like the input file.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { syncDir, syncFile } from '../io/durable.js';
import { parseCsvSync } from '../csv/fastParser.js';
import { scanRecords } from '../csv/recordScanner.js';
import { ByteWriter } from '../io/byteWriter.js';
import { fileBlocks } from '../io/fileBlocks.js';
import type { PlannedChunk } from '../ledger/shapes.js';
import { ResultKind } from '../bulk/types.js';
import { csvField, csvLine, csvLineQuoted, lineNumberText } from '../csv/writer.js';
import { hashBytes, hashQuotedForm, RowHash } from './rowHash.js';
import { RowIndex } from './rowIndex.js';
import { CREATED, FAILED, OutcomeSpill, UPDATED } from './outcomeSpill.js';
import { isRetryable, parseRowError } from './errors.js';

export type JoinCounts = {
  successful: number;
  /** of the successful rows: created (sf__Created true) and updated (upsert tells them apart) */
  created: number;
  updated: number;
  failed: number;
  unprocessed: number;
  retryable: number;
  /**
   * result rows that matched no sent row (in the unmatched part), plus sent rows a completed job
   * gave no result for: a bug to report, never silently dropped
   */
  unmatched: number;
  errorCodes: Record<string, number>;
};

/** A join's counts, and how many result rows the job returned that matched no sent row. */
export type JoinOutcome = JoinCounts & { strays: number };

export function emptyCounts(): JoinCounts {
  return { successful: 0, created: 0, updated: 0, failed: 0, unprocessed: 0, retryable: 0, unmatched: 0, errorCodes: {} };
}

/** Counts as a run's ledger holds them: created/updated are missing from older ledgers. */
export type StoredCounts = Omit<JoinCounts, 'created' | 'updated'> & Partial<Pick<JoinCounts, 'created' | 'updated'>>;

export function addCounts(a: JoinCounts, b: StoredCounts): JoinCounts {
  const errorCodes = { ...a.errorCodes };
  for (const [code, n] of Object.entries(b.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  return {
    successful: a.successful + b.successful,
    // Ledgers written before these were counted have none: 0, not NaN.
    created: a.created + (b.created ?? 0),
    updated: a.updated + (b.updated ?? 0),
    failed: a.failed + b.failed,
    unprocessed: a.unprocessed + b.unprocessed,
    retryable: a.retryable + b.retryable,
    unmatched: a.unmatched + b.unmatched,
    errorCodes,
  };
}

/** The run's result files (merged from its parts' in input order). */
export type ResultPaths = { success: string; failed: string; unprocessed: string; retry: string };

export type PartPaths = { success: string; failed: string; unprocessed: string; retry: string; unmatched: string; spillDir: string };

export function partPaths(dir: string, chunk: number): PartPaths {
  const base = `${dir}/${String(chunk).padStart(4, '0')}`;
  return {
    success: `${base}.success.csv`,
    failed: `${base}.failed.csv`,
    unprocessed: `${base}.unprocessed.csv`,
    retry: `${base}.retry.csv`,
    unmatched: `${base}.unmatched.csv`,
    spillDir: `${base}.outcomes`,
  };
}

/**
 * What a join can reuse from the previous one (joins run one at a time): the row index, typed
 * arrays of ~15 bytes a row. A new index per job left the last one's memory waiting for a full GC,
 * so two were held at each job boundary (measured: +20 MB RSS on a 1 GB load).
 */
export class JoinWorkspace {
  private index?: RowIndex;

  /**
   * Sizes the index for the largest job to come, so that a job a few rows larger than the last one
   * does not make a second index (parts of the same size hold slightly different row counts).
   */
  public reserve(rows: number): RowIndex {
    if (!this.index || this.index.capacity < rows) {
      this.index = undefined; // let the smaller one go before the larger one is made
      this.index = new RowIndex(rows);
    }
    return this.index;
  }

  /** An empty index for a job of `rows` rows. */
  public rowIndex(rows: number): RowIndex {
    const index = this.reserve(rows);
    index.clear();
    return index;
  }
}

export type JoinOptions = {
  /** reused from join to join; a join without one makes its own */
  workspace?: JoinWorkspace;
  /** the input file's name, when a run has several: result rows then start with it */
  fileLabel?: string;
  /** false for delete and hardDelete: "created" means nothing there, so success rows have no sf__Created */
  createdColumn?: boolean;
  /** rows per outcome range (tests make it small to cross many ranges) */
  rangeRows?: number;
  /**
   * The form the job's result rows are expected in (the fast way to match them; any other form is
   * matched too, parsed): 'quoted' (default) as Salesforce writes result files, every field quoted;
   * 'canonical' as this plugin writes CSV (the results it builds for V1 jobs).
   */
  resultForm?: ResultForm;
};

export type ResultForm = 'quoted' | 'canonical';

/** Streams the three result sets of one job and writes the chunk's result parts in input order. */
export async function joinJob(
  chunk: PlannedChunk,
  jobState: string,
  fetch: (kind: ResultKind) => Promise<Readable>,
  parts: PartPaths,
  opts: JoinOptions = {}
): Promise<JoinOutcome> {
  const index = (opts.workspace ?? new JoinWorkspace()).rowIndex(chunk.rows);
  const hasher = new RecordHasher(opts.resultForm ?? 'quoted');
  // The part file was written by us (csvLine): its records are hashed from their bytes, no field is parsed.
  let headerText: string | undefined;
  await scanRecords(fileBlocks(chunk.file), (buf, start, end) => {
    if (headerText === undefined) headerText = buf.toString('utf8', start, end);
    else index.add(hasher.ofPartRow(buf, start, end));
  });
  const header = parseCsvText(headerText ?? '')[0] ?? [];

  // A join repeated after a result download broke off starts over: the spill and the unmatched part
  // are made anew (truncated), the index was cleared above, the parts are only renamed in at the end.
  const spill = new OutcomeSpill(parts.spillDir, opts.rangeRows);
  const unmatchedOut = new ByteWriter(parts.unmatched);
  try {
    const counts = emptyCounts();
    const row: string[] = new Array<string>(header.length);
    let matched = 0;
    let strays = 0;
    // Each result row names its sent row by its values. When the org echoes them in the expected
    // form (the same columns, quoted as the form says), the row's bytes after sf__Id and
    // sf__Created/sf__Error are hashed as they are, with no field parsed; a row in any other form
    // (columns reordered, other quoting) is parsed and its values hashed in the expected form.
    const claim = (kind: ResultKind, first: string, second: string, pos: number | undefined, values: () => string[]): void => {
      if (pos === undefined) {
        strays++;
        counts.unmatched++;
        unmatchedOut.text(csvLine([kind, first, second, ...values()]));
      } else {
        matched++;
        if (kind === 'failed') spill.put(pos, FAILED, first, second);
        else spill.put(pos, second === 'true' ? CREATED : UPDATED, first);
      }
    };
    for (const kind of ['successful', 'failed'] as ResultKind[]) {
      let order: number[] | undefined;
      let sameForm = false;
      let created: boolean | undefined;
      const bySlowPath = (text: string): void => {
        for (const record of parseCsvText(text)) {
          for (let c = 0; c < header.length; c++) row[c] = order![c] >= 0 ? record[order![c]] ?? '' : '';
          claim(kind, record[0] ?? '', record[1] ?? '', index.take(hasher.ofValues(row)), () => row);
        }
      };
      await scanRecords(
        asBuffers(await fetch(kind)),
        (buf, start, recordEnd) => {
          const end = recordEnd > start && buf[recordEnd - 1] === CR ? recordEnd - 1 : recordEnd;
          if (end === start) return undefined; // a blank line
          if (!order) {
            const names = parseCsvText(buf.toString('utf8', start, end).replace(/^\uFEFF/, ''))[0] ?? [];
            // Results echo the sent columns after two sf__ columns; map them by name in case the order differs.
            const positions = new Map(names.slice(2).map((name, i) => [name, i + 2]));
            order = header.map((name) => positions.get(name) ?? -1);
            sameForm = names.length === header.length + 2 && order.every((o, i) => o === i + 2);
            return undefined;
          }
          const second = sameForm ? fieldEnd(buf, start, end) : -1;
          const rest = second >= 0 ? fieldEnd(buf, second + 1, end) : -1;
          const pos = rest >= 0 ? index.take(hasher.ofBytes(buf, rest + 1, end)) : undefined;
          if (pos === undefined) bySlowPath(buf.toString('utf8', start, end));
          else if (kind === 'successful' && (created = createdFlag(buf, second + 1, rest)) !== undefined && plainId(buf, start, second)) {
            // The common row: an Id and true/false (quoted or not), the Id kept as bytes.
            matched++;
            const quoted = buf[start] === QUOTE ? 1 : 0;
            spill.putBytes(pos, created ? CREATED : UPDATED, buf, start + quoted, second - quoted);
          } else claim(kind, fieldValue(buf, start, second), fieldValue(buf, second + 1, rest), pos, () => []);
          return unmatchedOut.due ? unmatchedOut.flush() : undefined;
        },
        MAX_RESULT_RECORD_BYTES
      );
    }
    spill.finish();
    await unmatchedOut.close();
    await writeParts(chunk, reportsEveryRow(jobState, matched, chunk.rows), spill, parts, counts, opts.fileLabel, opts.createdColumn ?? true);
    return { ...counts, strays };
  } finally {
    // Closes the unmatched part if a download broke off (after close() it does nothing).
    await unmatchedOut.abort();
    spill.dispose();
  }
}

/**
 * Whether the job's results should hold every row of the part. A completed job whose results hold
 * none of them never held them (it held another part's data, or none): they were not processed,
 * and may be sent again.
 */
function reportsEveryRow(jobState: string, matched: number, rows: number): boolean {
  return jobState === 'JobComplete' && (matched > 0 || rows === 0);
}

/** Reads the input line numbers of one range of a chunk's rows into `into` (the .lines file holds a uint32 per row). */
function readLines(fd: number, range: number, into: Uint32Array): void {
  // Written little-endian (planner.ts), read in the platform's order: every platform Node runs on is little-endian.
  into.fill(0);
  readSync(fd, into, 0, into.byteLength, range * into.length * 4);
}

/** Writes the chunk's rows in input order into success/failed/unprocessed/retry parts (atomically). */
async function writeParts(
  chunk: PlannedChunk,
  completed: boolean,
  spill: OutcomeSpill,
  parts: PartPaths,
  counts: JoinCounts,
  fileLabel: string | undefined,
  withCreated: boolean
): Promise<void> {
  const lead = fileLabel === undefined ? '' : `${csvField(fileLabel)},`;
  const out = {
    success: new ByteWriter(`${parts.success}.tmp`),
    failed: new ByteWriter(`${parts.failed}.tmp`),
    unprocessed: new ByteWriter(`${parts.unprocessed}.tmp`),
    retry: new ByteWriter(`${parts.retry}.tmp`),
  };
  const writers = Object.values(out);
  const flushDue = async (): Promise<void> => {
    for (const w of writers) if (w.due) await w.flush();
  };
  const linesFd = openSync(chunk.linesFile, 'r');
  try {
    let range = -1;
    const outcomes = spill.reader();
    const lines = new Uint32Array(spill.rangeRows);
    let pos = -2; // the header comes first
    // Each row is written as its prefix (line, Id, outcome) and then the part's own bytes for the
    // fields: they are exactly what was sent, already written as CSV.
    const row = (w: ByteWriter, prefix: string, buf: Buffer, start: number, end: number): void => {
      w.text(prefix);
      w.bytes(buf, start, end);
      w.text('\n');
    };
    await scanRecords(fileBlocks(chunk.file), (buf, start, end) => {
      if (++pos < 0) return undefined;
      if (Math.floor(pos / spill.rangeRows) !== range) {
        range = Math.floor(pos / spill.rangeRows);
        outcomes.load(range);
        readLines(linesFd, range, lines);
      }
      const i = pos - range * spill.rangeRows;
      const line = lineNumberText(lines[i]);
      const kind = outcomes.kind(i);
      if (kind === CREATED || kind === UPDATED) {
        counts.successful++;
        if (kind === CREATED) counts.created++;
        else counts.updated++;
        const created = withCreated ? (kind === CREATED ? 'true,' : 'false,') : '';
        row(out.success, `${lead}${line},${csvField(outcomes.id(i))},${created}`, buf, start, end);
      } else if (kind === FAILED) {
        counts.failed++;
        const err = parseRowError(outcomes.error(i));
        counts.errorCodes[err.code] = (counts.errorCodes[err.code] ?? 0) + 1;
        row(out.failed, `${lead}${line},${csvField(outcomes.id(i))},${csvField(err.code)},${csvField(err.message)},${csvField(err.fields.join(','))},`, buf, start, end);
        if (isRetryable(err.code)) {
          counts.retryable++;
          row(out.retry, '', buf, start, end);
        }
      } else if (completed) {
        // A completed job reports every row; one without a result may still have been saved, so it
        // is listed as unprocessed but never put in retry.csv (a retry could duplicate it).
        counts.unprocessed++;
        counts.unmatched++;
        row(out.unprocessed, `${lead}${line},`, buf, start, end);
      } else {
        // Never attempted: the job failed or was aborted before reaching the row.
        counts.unprocessed++;
        counts.retryable++;
        row(out.unprocessed, `${lead}${line},`, buf, start, end);
        row(out.retry, '', buf, start, end);
      }
      return writers.some((w) => w.due) ? flushDue() : undefined;
    });
  } finally {
    closeSync(linesFd);
  }
  for (const w of writers) await w.close();
  // On disk before the ledger's 'results' record says the job's outcome is known: the parts are all
  // that is left of it once results are no longer fetched.
  for (const key of ['success', 'failed', 'unprocessed', 'retry'] as const) {
    await syncFile(`${parts[key]}.tmp`);
    await rename(`${parts[key]}.tmp`, parts[key]);
  }
  if (existsSync(parts.unmatched)) await syncFile(parts.unmatched);
  await syncDir(dirname(parts.success));
}

const encoder = new TextEncoder();
const CR = 13;
const QUOTE = 34;
const COMMA = 44;

/** A stream's chunks as Buffers (a stream may give strings, or Uint8Arrays). */
async function* asBuffers(stream: AsyncIterable<Buffer | Uint8Array | string>): AsyncGenerator<Buffer> {
  for await (const b of stream) yield Buffer.isBuffer(b) ? b : typeof b === 'string' ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** A result row longer than this is no row (Salesforce caps a record at 400,000 characters, at most 3 bytes each). */
const MAX_RESULT_RECORD_BYTES = 4 * 1024 * 1024;

/** Where the field starting at `from` ends (the comma after it), or -1 when no comma follows it before `end`. */
function fieldEnd(buf: Buffer, from: number, end: number): number {
  let at = from;
  if (buf[at] === QUOTE) {
    // A quoted field: up to its closing quote ("" is a quote inside it).
    for (at++; ; at += 2) {
      at = buf.indexOf(QUOTE, at);
      if (at < 0 || at >= end) return -1;
      if (buf[at + 1] !== QUOTE) break;
    }
    return buf[at + 1] === COMMA && at + 1 < end ? at + 1 : -1;
  }
  const comma = buf.indexOf(COMMA, at);
  return comma >= 0 && comma < end ? comma : -1;
}

/** An sf__Created value buf[from, to), bare or quoted: true, false, or undefined for anything else. */
function createdFlag(buf: Buffer, from: number, to: number): boolean | undefined {
  let a = from;
  let b = to;
  if (b - a >= 2 && buf[a] === QUOTE && buf[b - 1] === QUOTE) {
    a++;
    b--;
  }
  if (b - a === 4 && buf[a] === 0x74 && buf[a + 1] === 0x72 && buf[a + 2] === 0x75 && buf[a + 3] === 0x65) return true;
  if (b - a === 5 && buf[a] === 0x66 && buf[a + 1] === 0x61 && buf[a + 2] === 0x6c && buf[a + 3] === 0x73 && buf[a + 4] === 0x65) return false;
  return undefined;
}

/** An sf__Id field buf[from, to) whose value is its bytes (bare, or quoted with no quote inside). */
function plainId(buf: Buffer, from: number, to: number): boolean {
  if (buf[from] !== QUOTE) return true;
  const inner = buf.indexOf(QUOTE, from + 1);
  return inner === to - 1;
}

/** The value of the field buf[from, to), unquoted. */
function fieldValue(buf: Buffer, from: number, to: number): string {
  if (buf[from] !== QUOTE) return buf.toString('utf8', from, to);
  return buf.toString('utf8', from + 1, to - 1).replace(/""/g, '"');
}

/** Every record of a piece of CSV text (comma-delimited), parsed as the stream parser would. */
function parseCsvText(text: string): string[][] {
  return parseCsvSync(text, { delimiter: ',' }).map((r) => r.fields);
}

/**
 * Hashes a record in the form the job's results are expected in: 'quoted', every field quoted, as
 * Salesforce writes result files; 'canonical', as our CSV writer writes it (results this plugin
 * builds itself, V1's). A part row (csvLine's bytes) is hashed as that form; a result row's bytes
 * are hashed as they are (when they are in that form, the hashes meet; when not, the row is parsed
 * and its values hashed as that form).
 */
class RecordHasher {
  private readonly h: RowHash = { hi: 0, lo: 0 };
  private scratch = new Uint8Array(64 * 1024);

  public constructor(private readonly form: ResultForm) {}

  /** A part row, as csvLine wrote it. */
  public ofPartRow(buf: Uint8Array, start: number, end: number): RowHash {
    return this.form === 'quoted' ? hashQuotedForm(buf, start, end, this.h) : hashBytes(buf, start, end, this.h);
  }

  /** A result row's bytes after its two sf__ fields, as they are. */
  public ofBytes(buf: Uint8Array, start: number, end: number): RowHash {
    return hashBytes(buf, start, end, this.h);
  }

  public ofValues(values: string[]): RowHash {
    const text = this.form === 'quoted' ? csvLineQuoted(values) : csvLine(values);
    if (text.length * 3 > this.scratch.length) this.scratch = new Uint8Array(text.length * 3);
    const { written } = encoder.encodeInto(text, this.scratch);
    return hashBytes(this.scratch, 0, written - 1, this.h); // without the LF, as in the part file
  }
}
