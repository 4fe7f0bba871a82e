/*
 * Result rows back in input order when the parts were not (a grouped load sorts its rows by parent,
 * concurrency/auto.ts): each result file's rows, from every part, are sorted by file and line into
 * one file per kind, which mergeParts then puts under its header. Each row keeps the bytes the join
 * wrote for it.
 *
 * The join wrote every part row in our own CSV form (csv/writer.ts), led by its input line (after
 * sf__File when a run has several files), so no row is parsed into fields: records are found by
 * scanRecords, the leading fields read where they lie, and each row's bytes are copied. The sort is
 * an external merge sort on the numeric key (file, line): rows gather in one buffer up to a byte
 * budget (a row costs its bytes plus about 20 bytes of key and place, far less than a row as a JS
 * string), are put in order there, and go to disk as a sorted run only when the budget is passed;
 * the runs are then merged k ways, in rounds of at most `fanIn` files (64). Memory stays flat at any size.
 *
 * retry.csv rows carry no line, so they are taken from where their line is: the failed rows worth
 * sending again unchanged (isRetryable, as the join decides) and the unprocessed rows of a job that
 * did not complete (those of a completed job may have been saved: never retried, as in the join).
 * Their bytes are the tail of those rows, past the leading fields the join put before the values.
 */
import { existsSync } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { siftDown } from '../io/minHeap.js';
import { scanRecords } from '../csv/recordScanner.js';
import { ByteWriter } from '../io/byteWriter.js';
import { fileBlocks } from '../io/fileBlocks.js';
import { isRetryable } from './errors.js';
import type { PartPaths } from './join.js';
import type { ResultPaths } from './join.js';

export type LineOrder = {
  /** where the sort's runs go (removed when done) */
  dir: string;
  /** the input files' names as result rows label them (sf__File), when there are several */
  fileNames?: string[];
  /** per part: whether its job completed (its rows without a result are then not retried) */
  completed: boolean[];
  /** bytes of rows gathered before a sorted run goes to disk (tests make it small) */
  runBytes?: number;
  /** runs merged at once (tests make it small) */
  fanIn?: number;
};

type Kind = keyof ResultPaths;

/** A result file to take rows from: `drop` leading fields are left out of the row; `when` keeps a row on one field's value. */
type Source = { file: string | undefined; drop: number; when?: { field: number; keep: (value: string) => boolean } };

const COMMA = 44;
const QUOTE = 34;
/** Line numbers are uint32 (the part's .lines file): the file index goes above them in one exact double. */
const FILE_STEP = 2 ** 32;

/** Writes each kind's rows of every part, in input order, to `<dir>/<kind>.csv` (no header); returns those files. */
export async function sortPartsByLine(parts: PartPaths[], order: LineOrder): Promise<ResultPaths> {
  const lead = (order.fileNames?.length ?? 0) > 1 ? 1 : 0;
  const all = (file: string | undefined): Source => ({ file, drop: 0 });
  const sources: Record<Kind, Source[]> = {
    success: parts.map((p) => all(p.success)),
    failed: parts.map((p) => all(p.failed)),
    unprocessed: parts.map((p) => all(p.unprocessed)),
    retry: [
      // sf__Line, sf__Id, sf__ErrorCode, sf__Error, sf__Fields, then the values
      ...parts.map((p) => ({ file: p.failed, drop: lead + 5, when: { field: lead + 2, keep: isRetryable } })),
      ...parts.map((p, i) => ({ file: order.completed[i] ? undefined : p.unprocessed, drop: lead + 1 })),
    ],
  };
  const fileIndex = fileIndexOf(order.fileNames, lead);
  const out = {} as ResultPaths;
  await mkdir(order.dir, { recursive: true });
  for (const kind of Object.keys(sources) as Kind[]) {
    out[kind] = join(order.dir, `${kind}.csv`);
    const sorter = new LineSorter(join(order.dir, 'runs'), order.runBytes, order.fanIn);
    try {
      for (const source of sources[kind]) if (source.file && existsSync(source.file)) await addRows(sorter, source as Source & { file: string }, lead, fileIndex);
      await sorter.writeTo(out[kind]);
    } finally {
      await sorter.dispose();
    }
  }
  return out;
}

export async function removeSorted(order: LineOrder): Promise<void> {
  await rm(order.dir, { recursive: true, force: true });
}

/** The file index a row's sf__File names (the first file when it names none known, as before). */
function fileIndexOf(fileNames: string[] | undefined, lead: number): (label: string) => number {
  if (!lead) return () => 0;
  const index = new Map<string, number>();
  fileNames!.forEach((name, i) => (index.has(name) ? undefined : index.set(name, i)));
  return (label) => index.get(label) ?? 0;
}

async function addRows(sorter: LineSorter, source: Source & { file: string }, lead: number, fileIndex: (label: string) => number): Promise<void> {
  const want = Math.max(lead + 1, source.drop, (source.when?.field ?? 0) + 1);
  const ends: number[] = [];
  await scanRecords(fileBlocks(source.file), (buf, start, end) => {
    if (start === end) return undefined; // no row (a file the join left empty ends this way)
    if (!leadingFields(buf, start, end, want, ends)) throw new Error(`a result row of ${source.file} has fewer than ${want} fields`);
    const fieldStart = (i: number): number => (i === 0 ? start : ends[i - 1] + 1);
    if (source.when && !source.when.keep(fieldText(buf, fieldStart(source.when.field), ends[source.when.field]))) return undefined;
    const file = lead ? fileIndex(fieldText(buf, start, ends[0])) : 0;
    const line = lineNumber(buf, fieldStart(lead), ends[lead]);
    if (line < 0) throw new Error(`a result row of ${source.file} has no line number`);
    // The row from the first field kept: dropping every field of a one-value row leaves that (empty) value.
    const from = source.drop === 0 ? start : Math.min(end, ends[source.drop - 1] + 1);
    return sorter.add(file * FILE_STEP + line, buf, from, end);
  });
}

/**
 * Where each of the first n fields of a record in our CSV form ends (the comma after it, or the
 * record's end), into `ends`; false when the record has fewer fields.
 */
function leadingFields(buf: Buffer, start: number, end: number, n: number, ends: number[]): boolean {
  let p = start;
  for (let i = 0; i < n; i++) {
    if (p > end) return false;
    if (p < end && buf[p] === QUOTE) {
      // A quoted field runs to the quote not followed by another ("" is a quote inside it).
      for (p++; ; p += 2) {
        p = buf.indexOf(QUOTE, p);
        if (p < 0 || p >= end) return false;
        if (buf[p + 1] !== QUOTE || p + 1 >= end) break;
      }
      p++;
    } else {
      p = buf.indexOf(COMMA, p);
      if (p < 0 || p > end) p = end;
    }
    ends[i] = p;
    p++;
  }
  return true;
}

/** A field's value (its quotes taken off). */
function fieldText(buf: Buffer, start: number, end: number): string {
  if (start < end && buf[start] === QUOTE) return buf.toString('utf8', start + 1, end - 1).replace(/""/g, '"');
  return buf.toString('utf8', start, end);
}

/** A field of digits as a number; -1 when it is anything else. */
function lineNumber(buf: Buffer, start: number, end: number): number {
  if (start === end) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** A sorted run on disk: per row a double key, a uint32 byte count, then the row's bytes. */
const HEAD = 12;
/** What a row held for the sort costs besides its bytes: its key and start (numbers), its index when sorted. */
const ROW_COST = 20;

/**
 * Rows by numeric key (stable), in flat memory: gathered in one buffer up to runBytes, sorted there,
 * and spilled as sorted runs once that is passed; writeTo merges whatever it holds.
 */
class LineSorter {
  private mem = Buffer.allocUnsafe(1024 * 1024);
  private fill = 0;
  private keys: number[] = [];
  private starts: number[] = [];
  private runs: string[] = [];
  private next = 0;
  private readonly runBytes: number;
  private readonly fanIn: number;

  public constructor(private readonly dir: string, runBytes?: number, fanIn?: number) {
    this.runBytes = runBytes ?? 16 * 1024 * 1024;
    this.fanIn = Math.max(2, fanIn ?? 64);
  }

  /** Takes a copy of buf[start, end) under key; a promise when a run had to be written first. */
  public add(key: number, buf: Buffer, start: number, end: number): Promise<void> | undefined {
    const len = end - start;
    // The budget counts each row's key and place too (two numbers, an index when sorted): short or
    // empty rows cannot grow those arrays past it.
    const spill = this.keys.length > 0 && this.fill + this.keys.length * ROW_COST + len > this.runBytes ? this.spill() : undefined;
    if (spill) return spill.then(() => this.keep(key, buf, start, end));
    this.keep(key, buf, start, end);
    return undefined;
  }

  /** Writes every row taken, in key order, one per line. */
  public async writeTo(path: string): Promise<void> {
    const out = new ByteWriter(path);
    const row = (buf: Buffer, start: number, end: number): Promise<void> | undefined => {
      out.bytes(buf, start, end);
      out.byte(10);
      return out.due ? out.flush() : undefined;
    };
    if (this.runs.length === 0) {
      for (const i of this.order()) {
        const pending = row(this.mem, this.starts[i], this.starts[i + 1] ?? this.fill);
        if (pending) await pending;
      }
    } else {
      if (this.keys.length) await this.spill();
      this.mem = Buffer.alloc(0);
      // Rounds of merges until one last merge can read every run at once.
      while (this.runs.length > this.fanIn) {
        const merged: string[] = [];
        for (let i = 0; i < this.runs.length; i += this.fanIn) {
          const group = this.runs.slice(i, i + this.fanIn);
          const runFile = this.runPath();
          const run = new ByteWriter(runFile);
          await mergeRuns(group, (key, buf, start, end) => writeEntry(run, key, buf, start, end));
          await run.close();
          merged.push(runFile);
          await Promise.all(group.map((f) => rm(f, { force: true })));
        }
        this.runs = merged;
      }
      await mergeRuns(this.runs, (_key, buf, start, end) => row(buf, start, end));
    }
    await out.close();
  }

  public async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }

  private keep(key: number, buf: Buffer, start: number, end: number): void {
    const len = end - start;
    if (this.fill + len > this.mem.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.mem.length * 2, this.fill + len));
      this.mem.copy(bigger, 0, 0, this.fill);
      this.mem = bigger;
    }
    buf.copy(this.mem, this.fill, start, end);
    this.keys.push(key);
    this.starts.push(this.fill);
    this.fill += len;
  }

  /** The rows held, by key then arrival (rows come mostly in order: an ordered stretch costs no sort). */
  private order(): Uint32Array {
    const keys = this.keys;
    const idx = new Uint32Array(keys.length);
    let sorted = true;
    for (let i = 0; i < idx.length; i++) {
      idx[i] = i;
      if (i > 0 && keys[i] < keys[i - 1]) sorted = false;
    }
    return sorted ? idx : idx.sort((a, b) => keys[a] - keys[b] || a - b);
  }

  private async spill(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const path = this.runPath();
    const run = new ByteWriter(path);
    for (const i of this.order()) {
      const pending = writeEntry(run, this.keys[i], this.mem, this.starts[i], this.starts[i + 1] ?? this.fill);
      if (pending) await pending;
    }
    await run.close();
    this.runs.push(path);
    this.keys = [];
    this.starts = [];
    this.fill = 0;
  }

  private runPath(): string {
    return join(this.dir, `run-${String(this.next++).padStart(6, '0')}.bin`);
  }
}

const head = Buffer.allocUnsafe(HEAD);

function writeEntry(out: ByteWriter, key: number, buf: Buffer, start: number, end: number): Promise<void> | undefined {
  head.writeDoubleLE(key, 0);
  head.writeUInt32LE(end - start, 8);
  out.bytes(head, 0, HEAD);
  out.bytes(buf, start, end);
  return out.due ? out.flush() : undefined;
}

/** Reads a run's entries in order through one buffer (grown only for an entry larger than it). */
class RunReader {
  public key = 0;
  public start = 0;
  public end = 0;
  public done = false;
  private buf = Buffer.allocUnsafe(64 * 1024);
  private at = 0;
  private fill = 0;
  private eof = false;

  public constructor(private readonly file: FileHandle, public readonly order: number) {}

  public get bytes(): Buffer {
    return this.buf;
  }

  /** Moves to the next entry (done at the end); a promise only when it had to read. */
  public advance(): Promise<void> | undefined {
    if (this.fill - this.at >= HEAD && this.fill - this.at >= HEAD + this.buf.readUInt32LE(this.at + 8)) {
      this.take();
      return undefined;
    }
    return this.read();
  }

  public async close(): Promise<void> {
    await this.file.close();
  }

  private take(): void {
    const len = this.buf.readUInt32LE(this.at + 8);
    this.key = this.buf.readDoubleLE(this.at);
    this.start = this.at + HEAD;
    this.end = this.start + len;
    this.at = this.end;
  }

  private async read(): Promise<void> {
    for (;;) {
      const left = this.fill - this.at;
      const need = left >= HEAD ? HEAD + this.buf.readUInt32LE(this.at + 8) : HEAD;
      if (left >= need) return this.take();
      if (this.eof) {
        if (left === 0) {
          this.done = true;
          return;
        }
        throw new Error('a sort run ends mid-row');
      }
      // The bytes not taken yet go to the front (a larger buffer when one entry needs it).
      const target = need > this.buf.length ? Buffer.allocUnsafe(Math.max(need, this.buf.length * 2)) : this.buf;
      this.buf.copy(target, 0, this.at, this.fill);
      this.buf = target;
      this.fill = left;
      this.at = 0;
      const { bytesRead } = await this.file.read(this.buf, this.fill, this.buf.length - this.fill, null);
      if (bytesRead === 0) this.eof = true;
      this.fill += bytesRead;
    }
  }
}

/** The k-way merge of sorted runs: a binary heap of readers, the smallest key on top (the earlier run on a tie). */
async function mergeRuns(paths: string[], visit: (key: number, buf: Buffer, start: number, end: number) => Promise<void> | undefined): Promise<void> {
  const heap: RunReader[] = [];
  const less = (a: RunReader, b: RunReader): boolean => a.key < b.key || (a.key === b.key && a.order < b.order);
  try {
    for (const [i, p] of paths.entries()) {
      const r = new RunReader(await open(p, 'r'), i);
      await r.advance();
      if (r.done) await r.close();
      else heap.push(r);
    }
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i, less);
    while (heap.length) {
      const top = heap[0];
      const pending = visit(top.key, top.bytes, top.start, top.end);
      if (pending) await pending;
      const read = top.advance();
      if (read) await read;
      if (top.done) {
        await top.close();
        const last = heap.pop()!;
        if (heap.length) heap[0] = last;
        else break;
      }
      siftDown(heap, 0, less);
    }
  } finally {
    await Promise.all(heap.map((r) => r.close().catch(() => undefined)));
  }
}
