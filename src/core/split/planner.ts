/*
 * Cuts the input into job-sized chunk files at record boundaries, in one streaming pass:
 * each record is written in one form (UTF-8, comma, LF, BOM gone, quotes only where needed), so
 * the upload always matches the job's declared delimiter and line ending whatever the source looked
 * like; a record that was already in that form is copied as read. Next to each chunk a
 * .lines file holds the input line number of each row (uint32), which the result join and resume use.
 */
import { createWriteStream, WriteStream } from 'node:fs';
import { createHash, Hash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { endianness } from 'node:os';
import { CsvRecord } from '../csv/reader.js';
import { CsvInputError } from '../csv/errors.js';
import { csvLine, lineNumberText } from '../csv/writer.js';
import { ByteWriter } from '../io/byteWriter.js';
import { syncDir, syncFile } from '../io/durable.js';
import type { PlannedChunk } from '../ledger/shapes.js';

const LF = 10;
const RUN_PIECE = 128 * 1024;
const LITTLE_ENDIAN = endianness() === 'LE';

/** Salesforce caps an upload at 150 MB after base64, about 112 MB raw; 100 MB leaves margin. */
export const DEFAULT_MAX_JOB_BYTES = 100 * 1024 * 1024;

/** Below this a part would cost more in per-job calls (create, upload, close, polls, results) than it saves. */
export const MIN_DEFAULT_PART_BYTES = 10 * 1024 * 1024;

/**
 * The part size when the user sets none: the input spread over the jobs that may run at once (10 MB
 * to 100 MB a part). A finished job's results are joined while the other jobs still run, so with
 * several parts only the last one's join is left once the org is done; one 90 MB job left the whole
 * join (seconds) until after the org had finished.
 */
export function defaultPartBytes(inputBytes: number, jobsAtOnce: number): number {
  const spread = Math.ceil(inputBytes / Math.max(1, jobsAtOnce));
  return Math.min(DEFAULT_MAX_JOB_BYTES, Math.max(MIN_DEFAULT_PART_BYTES, spread));
}

export type PlanOptions = {
  dir: string;
  header: string[];
  maxBytes?: number;
  /** called for every record; a reason leaves the row out of the upload (preflight rejected it) */
  check?: (record: CsvRecord) => string | undefined;
  /** a plan step's row whose parent did not load: true leaves it out (it went to skipped.csv), before the checks */
  skip?: (record: CsvRecord) => Promise<boolean>;
  /** where rejected rows go, with their line and reason */
  rejectedFile?: string;
  /** input file names, when there are several: rejected rows then say which file they come from */
  fileNames?: string[];
  /** puts the rows the checks let through in another order (the sort by parent of a grouped load) */
  order?: (rows: AsyncIterable<CsvRecord[]>) => AsyncIterable<CsvRecord[]>;
  /**
   * Parts of at most `rows` rows (one Bulk API chunk each). With `key` (rows come sorted by it), a
   * parent's rows start a new part when they would fit in one but not in what is left of this one
   * (`count`: the parent's rows, when known), and each part records its first and last key.
   */
  group?: { rows: number; key?: (record: CsvRecord) => string | undefined; count?: (key: string) => number | undefined };
  /** called with each part once it is on disk (file and folder entry), while the split goes on */
  onPart?: (chunk: PlannedChunk) => Promise<void> | void;
};

class ChunkWriter {
  public rows = 0;
  public bytes = 0;
  public firstLine = 0;
  public lastLine = 0;
  public parentKeys?: { first: string; last: string };
  private readonly hash: Hash = createHash('sha256');
  /** rows are copied into one reused buffer: no string grows per row, nothing big is left for the GC */
  private readonly out: ByteWriter;
  private readonly lines: WriteStream;
  private lineBuf = Buffer.alloc(4 * 4096);
  private lineFill = 0;

  public constructor(
    public readonly index: number,
    public readonly fileIndex: number,
    public readonly file: string,
    public readonly linesFile: string,
    headerLine: string
  ) {
    this.out = new ByteWriter(file, (block) => this.hash.update(block));
    this.lines = createWriteStream(linesFile);
    this.bytes = Buffer.byteLength(headerLine);
    this.out.text(headerLine);
  }

  /** A grouped part's next row has this parent key (rows come in key order); returns it. */
  public parent(key: string | undefined): string | undefined {
    if (key === undefined) return undefined;
    this.parentKeys ??= { first: key, last: key };
    this.parentKeys.last = key;
    return key;
  }

  /** Whether a row of `bytes` (0: far from the limit) from this input file may join this part. */
  public takes(bytes: number, maxBytes: number, fileIndex: number): boolean {
    return this.bytes + bytes <= maxBytes && this.fileIndex === fileIndex;
  }

  /**
   * Adds a row (`lf`: text lacks its line end); returns a promise only when it had to write (so the
   * caller awaits rarely).
   */
  public add(text: string, lf: boolean, line: number): Promise<void> | undefined {
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    this.bytes += this.out.text(text);
    if (lf) {
      this.out.byte(LF);
      this.bytes++;
    }
    this.lineBuf.writeUInt32LE(line, this.lineFill);
    this.lineFill += 4;
    if (this.lineFill === this.lineBuf.length || this.out.due) return this.flush();
    return undefined;
  }

  /**
   * Adds rows i in [from, to) of a block already in csvLine's form: their bytes end at ends[i] in
   * `bytes`, and lines[i] is each one's input line.
   */
  public async addRows(bytes: Uint8Array, ends: Uint32Array, lines: Uint32Array, from: number, to: number): Promise<void> {
    if (to <= from) return;
    if (this.rows === 0) this.firstLine = lines[from];
    this.lastLine = lines[to - 1];
    this.rows += to - from;
    const start = from === 0 ? 0 : ends[from - 1];
    const stop = ends[to - 1];
    this.bytes += stop - start;
    // In pieces of the writer's size, so its buffer never grows to a run's size.
    for (let at = start; at < stop; at += RUN_PIECE) {
      this.out.bytes(bytes, at, Math.min(stop, at + RUN_PIECE));
      if (this.out.due) await this.out.flush();
    }
    if (LITTLE_ENDIAN) {
      // The .lines format is uint32 little-endian, as the array holds them here: copied in runs.
      const src = new Uint8Array(lines.buffer, lines.byteOffset, lines.byteLength);
      for (let at = from * 4; at < to * 4; ) {
        const n = Math.min(to * 4 - at, this.lineBuf.length - this.lineFill);
        this.lineBuf.set(src.subarray(at, at + n), this.lineFill);
        this.lineFill += n;
        at += n;
        if (this.lineFill === this.lineBuf.length) await this.flush();
      }
      return;
    }
    for (let i = from; i < to; i++) {
      this.lineBuf.writeUInt32LE(lines[i], this.lineFill);
      this.lineFill += 4;
      if (this.lineFill === this.lineBuf.length) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    if (this.lineFill === this.lineBuf.length) {
      const full = this.lineBuf;
      this.lineBuf = Buffer.alloc(full.length);
      this.lineFill = 0;
      await write(this.lines, full);
    }
    if (this.out.due) await this.out.flush();
  }

  /** The read failed part-way: close the files without finishing them (the run never uses them). */
  public async abort(): Promise<void> {
    await Promise.all([this.out.abort(), discard(this.lines)]);
  }

  public async finish(): Promise<PlannedChunk> {
    if (this.lineFill) await write(this.lines, this.lineBuf.subarray(0, this.lineFill));
    await Promise.all([this.out.close(), end(this.lines)]);
    // On disk before the 'planned' record names them (their folder is synced once, by planChunks).
    await syncFile(this.file);
    await syncFile(this.linesFile);
    return {
      index: this.index,
      fileIndex: this.fileIndex,
      file: this.file,
      linesFile: this.linesFile,
      rows: this.rows,
      bytes: this.bytes,
      firstLine: this.firstLine,
      lastLine: this.lastLine,
      sha256: this.hash.digest('hex'),
      ...(this.parentKeys ? { parentKeys: this.parentKeys } : {}),
    };
  }
}

async function write(stream: WriteStream, data: string | Buffer): Promise<void> {
  if (!stream.write(data)) await once(stream, 'drain');
}

async function discard(stream: WriteStream): Promise<void> {
  stream.on('error', () => {}); // the file may be gone already; nothing of it is kept
  if (stream.closed) return;
  // Not once(stream, 'close'): it rejects with the error of a write still in flight, which would
  // then stand in for the input error that stopped the split.
  const closed = new Promise<void>((resolve) => stream.once('close', () => resolve()));
  stream.destroy();
  await closed;
}

async function end(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

/** A grouped part is full, or the next parent fits whole in a part of its own but not in what is left of this one. */
function startsPart(group: PlanOptions['group'], rows: number, key: string | undefined, lastKey: string | undefined): boolean {
  if (!group) return false;
  if (rows >= group.rows) return true;
  if (key === undefined || key === lastKey) return false;
  const count = group.count?.(key);
  return count !== undefined && count <= group.rows && rows + count > group.rows;
}

export type PlanResult = { chunks: PlannedChunk[]; rows: number; rejected: number };

/** rejected.csv: the rows preflight left out, with line and reason (and file, when there are several). */
class RejectedRows {
  public count = 0;
  private out?: WriteStream;

  public constructor(private readonly path: string, private readonly header: string[], private readonly fileNames?: string[]) {}

  public async add(record: Pick<CsvRecord, 'line' | 'fields' | 'fileIndex'>, reason: string): Promise<void> {
    const multi = (this.fileNames?.length ?? 0) > 1;
    if (!this.out) {
      this.out = createWriteStream(this.path);
      await write(this.out, csvLine([...(multi ? ['sf__File'] : []), 'sf__Line', 'sf__Reason', ...this.header]));
    }
    this.count++;
    await write(this.out, csvLine([...(multi ? [this.fileNames![record.fileIndex ?? 0]] : []), lineNumberText(record.line), reason, ...record.fields]));
  }

  /** Finishes the file and puts it on disk, with its folder's entry, before the ledger counts its rows. */
  public async close(): Promise<void> {
    if (!this.out) return;
    await end(this.out);
    await syncFile(this.path);
    await syncDir(dirname(this.path));
  }

  public async abort(): Promise<void> {
    if (this.out) await discard(this.out);
  }
}

/** A record no job could take: the input's problem, named with its file and line. */
function tooLarge(record: Pick<CsvRecord, 'line' | 'fileIndex'>, maxBytes: number, fileNames?: string[]): CsvInputError {
  const file = fileNames?.[record.fileIndex ?? 0] ?? 'the input';
  return new CsvInputError('record-too-large', file, record.line, `one record is larger than the job size limit (${maxBytes} bytes)`);
}

/**
 * A row's size in bytes (plus `extra`, its line end) when it may take a part of `used` bytes past
 * the limit, else 0. UTF-8 takes at most 3 bytes a UTF-16 unit, so far from the limit the exact size
 * is left to the write, which counts it: no second pass over every row.
 */
function sizeNearLimit(text: string, extra: number, used: number, maxBytes: number): number {
  if (used + text.length * 3 + extra <= maxBytes) return 0;
  return Buffer.byteLength(text) + extra;
}

/**
 * The files a split writes: the part being filled, the parts done (each handed to onPart as it is
 * finished) and rejected.csv. Shared by the one-thread split (planChunks) and the parallel one.
 */
export class PartFiles {
  public readonly chunks: PlannedChunk[] = [];
  public readonly rejected: RejectedRows;
  public readonly maxBytes: number;
  public readonly headerBytes: number;
  public current: ChunkWriter | undefined;
  private readonly headerLine: string;

  public constructor(private readonly opts: PlanOptions) {
    this.maxBytes = opts.maxBytes ?? DEFAULT_MAX_JOB_BYTES;
    this.headerLine = csvLine(opts.header);
    this.headerBytes = Buffer.byteLength(this.headerLine);
    this.rejected = new RejectedRows(opts.rejectedFile ?? join(opts.dir, 'rejected.csv'), opts.header, opts.fileNames);
  }

  /** The part to write to, a new one when none is open. */
  public part(fileIndex: number): ChunkWriter {
    if (this.current) return this.current;
    const index = this.chunks.length + 1;
    const name = `chunk-${String(index).padStart(4, '0')}`;
    this.current = new ChunkWriter(index, fileIndex, join(this.opts.dir, `${name}.csv`), join(this.opts.dir, `${name}.lines`), this.headerLine);
    return this.current;
  }

  /** Finishes the open part, if any; it is on disk (file and folder entry) when onPart sees it. */
  public async finishPart(): Promise<void> {
    const part = this.current;
    if (!part) return;
    this.current = undefined;
    const chunk = await part.finish();
    this.chunks.push(chunk);
    if (!this.opts.onPart) return;
    // Its folder entry too: the part may be named in the ledger (and uploaded) before the split ends.
    await syncDir(this.opts.dir);
    await this.opts.onPart(chunk);
  }

  /**
   * Rows of a block already in csvLine's form (see addRows), cut into parts: a part never passes the
   * size limit (nor `maxRows`), nor mixes two files' rows.
   */
  public async addBlock(bytes: Uint8Array, ends: Uint32Array, lines: Uint32Array, fileIndex: number, maxRows = Infinity): Promise<void> {
    const n = ends.length;
    let i = 0;
    while (i < n) {
      let part = this.current;
      const first = (i === 0 ? ends[0] : ends[i] - ends[i - 1]);
      if (this.headerBytes + first > this.maxBytes) throw tooLarge({ line: lines[i], fileIndex }, this.maxBytes, this.opts.fileNames);
      if (part && (!part.takes(first, this.maxBytes, fileIndex) || part.rows >= maxRows)) {
        await this.finishPart();
        part = undefined;
      }
      part ??= this.part(fileIndex);
      const start = i === 0 ? 0 : ends[i - 1];
      // The rows that fit: a binary search over their ends (row i fits, checked above).
      const limit = start + this.maxBytes - part.bytes;
      let lo = i + 1;
      let hi = Math.min(n, i + Math.max(1, maxRows - part.rows));
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (ends[mid - 1] <= limit) lo = mid;
        else hi = mid - 1;
      }
      const j = lo;
      await part.addRows(bytes, ends, lines, i, j);
      i = j;
    }
  }

  /** The split is done: the last part finished, the folder and rejected.csv on disk. */
  public async close(): Promise<{ chunks: PlannedChunk[]; rejected: number }> {
    await this.finishPart();
    if (this.chunks.length) await syncDir(this.opts.dir);
    await this.rejected.close();
    return { chunks: this.chunks, rejected: this.rejected.count };
  }

  /** A bad input stops the split: no file of this run may stay open behind the error. */
  public async abort(): Promise<void> {
    const part = this.current;
    this.current = undefined;
    await part?.abort();
    await this.rejected.abort();
  }
}

/** Takes records one at a time or in batches (the fast path: no await per row, see fastParser.ts). */
export async function planChunks(input: AsyncIterable<CsvRecord> | AsyncIterable<CsvRecord[]>, opts: PlanOptions): Promise<PlanResult> {
  const files = new PartFiles(opts);
  const { maxBytes, headerBytes, rejected } = files;
  let rows = 0;
  // The rows the checks let through, a batch at a time; rejected ones go to rejected.csv, in input order.
  async function* accepted(): AsyncGenerator<CsvRecord[]> {
    for await (const item of input as AsyncIterable<CsvRecord | CsvRecord[]>) {
      const batch = Array.isArray(item) ? item : [item];
      if (!opts.check && !opts.skip) {
        yield batch;
        continue;
      }
      const kept: CsvRecord[] = [];
      for (const record of batch) {
        if (opts.skip && (await opts.skip(record))) continue;
        const reason = opts.check?.(record);
        if (reason === undefined) kept.push(record);
        else await rejected.add(record, reason);
      }
      yield kept;
    }
  }
  const group = opts.group;
  let lastKey: string | undefined;
  try {
    for await (const batch of opts.order ? opts.order(accepted()) : accepted()) {
      for (const record of batch) {
        // A row already in csvLine's form goes as it was read (its line end added); others are written again.
        const copied = record.text !== undefined;
        const text = copied ? record.text! : csvLine(record.fields);
        const current = files.current;
        const bytes = sizeNearLimit(text, copied ? 1 : 0, current?.bytes ?? headerBytes, maxBytes);
        if (headerBytes + bytes > maxBytes) throw tooLarge(record, maxBytes, opts.fileNames);
        const fileIndex = record.fileIndex ?? 0;
        const key = group?.key?.(record);
        // A part never passes the size limit, and never mixes rows of two files.
        if (current && (!current.takes(bytes, maxBytes, fileIndex) || startsPart(group, current.rows, key, lastKey))) await files.finishPart();
        const part = files.part(fileIndex);
        lastKey = part.parent(key) ?? lastKey;
        const pending = part.add(text, copied, record.line);
        if (pending) await pending;
        rows++;
      }
    }
  } catch (e) {
    await files.abort();
    throw e;
  }
  return { ...(await files.close()), rows };
}
