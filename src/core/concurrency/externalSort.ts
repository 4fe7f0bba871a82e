/*
 * Rows sorted by a key in flat memory at any file size (an external merge sort): rows are gathered
 * up to a byte budget, sorted, and written as a sorted run to disk; the runs are then merged k ways
 * (in rounds of at most FAN_IN files, so open files stay few) and handed out in order. Rows keep
 * their input line and file, so results still join to the original lines. The order is by file
 * first (a part never mixes files), then key, then line: stable, and the same on every run.
 */
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { CsvRecord } from '../csv/reader.js';
import { csvLine } from '../csv/writer.js';
import { ByteWriter } from '../io/byteWriter.js';
import { siftDown } from '../io/minHeap.js';

/** A row as the sort hands it out: its text as sent, its line and file, and its key ('' for none). */
export type KeyedRecord = CsvRecord & { key: string };

export type SortOptions = {
  /** where the runs go (removed once the merge has read them) */
  dir: string;
  key: (record: CsvRecord) => string | undefined;
  /** bytes of row text per in-memory run (default 4 MB: the run in memory costs about ten times its text, measured) */
  runBytes?: number;
  /** runs merged at once (default 64) */
  fanIn?: number;
};

type Entry = { fileIndex: number; line: number; key: string; text: string };

const BATCH = 1024;
/** fileIndex u16, line u32, key bytes u32, text bytes u32 */
const HEAD = 14;

const before = (a: RunReader, b: RunReader): boolean => compare(a.current!, b.current!) < 0;

function compare(a: Entry, b: Entry): number {
  if (a.fileIndex !== b.fileIndex) return a.fileIndex - b.fileIndex;
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return a.line - b.line;
}

export async function* sortedByKey(input: AsyncIterable<CsvRecord[]>, opts: SortOptions): AsyncGenerator<KeyedRecord[]> {
  const runBytes = opts.runBytes ?? 4 * 1024 * 1024;
  const fanIn = Math.max(2, opts.fanIn ?? 64);
  await mkdir(opts.dir, { recursive: true });
  let runs: string[] = [];
  let next = 0;
  const runPath = (): string => join(opts.dir, `run-${String(next++).padStart(6, '0')}.bin`);
  try {
    let entries: Entry[] = [];
    let bytes = 0;
    // Whether the rows of this run came in (file, line) order, as a split reads them.
    let ordered = true;
    let last: Entry | undefined;
    for await (const batch of input) {
      for (const r of batch) {
        const text = r.text ?? csvLine(r.fields).slice(0, -1);
        const e: Entry = { fileIndex: r.fileIndex ?? 0, line: r.line, key: opts.key(r) ?? '', text };
        if (!follows(last, e)) ordered = false;
        entries.push(e);
        last = e;
        bytes += text.length;
        if (bytes >= runBytes) {
          runs.push(await writeRun(runPath(), sortRun(entries, ordered)));
          entries = [];
          bytes = 0;
          ordered = true;
          last = undefined;
        }
      }
    }
    entries = sortRun(entries, ordered);
    if (runs.length === 0) {
      // Everything fitted in one run: no disk needed.
      for (let i = 0; i < entries.length; i += BATCH) yield entries.slice(i, i + BATCH).map(toRecord);
      return;
    }
    if (entries.length) runs.push(await writeRun(runPath(), entries));
    entries = [];
    // Rounds of merges until one last merge can read every run at once.
    while (runs.length > fanIn) {
      const merged: string[] = [];
      for (let i = 0; i < runs.length; i += fanIn) {
        const group = runs.slice(i, i + fanIn);
        const out = new RunWriter(runPath());
        for await (const batch of merge(group)) {
          for (const e of batch) {
            const pending = out.add(e);
            if (pending) await pending;
          }
        }
        merged.push(await out.close());
        await Promise.all(group.map((f) => rm(f, { force: true })));
      }
      runs = merged;
    }
    for await (const batch of merge(runs)) yield batch.map(toRecord);
  } finally {
    await rm(opts.dir, { recursive: true, force: true });
  }
}

function toRecord(e: Entry): KeyedRecord {
  return { line: e.line, fileIndex: e.fileIndex, fields: [], text: e.text, key: e.key };
}

/** Whether e comes after last in (file, line) order (or is the first). */
function follows(last: Entry | undefined, e: Entry): boolean {
  return !last || e.fileIndex > last.fileIndex || (e.fileIndex === last.fileIndex && e.line >= last.line);
}

/**
 * A run's entries in compare() order. Rows that came in (file, line) order only need grouping by
 * (file, key), each group keeping its arrival order: one comparison per distinct key instead of
 * n log n string comparisons (a grouped load has few parents per run, and many rows each).
 */
function sortRun(entries: Entry[], ordered: boolean): Entry[] {
  if (!ordered) return entries.sort(compare);
  const files = new Map<number, Map<string, Entry[]>>();
  for (const e of entries) {
    let keys = files.get(e.fileIndex);
    if (!keys) files.set(e.fileIndex, (keys = new Map<string, Entry[]>()));
    const group = keys.get(e.key);
    if (group) group.push(e);
    else keys.set(e.key, [e]);
  }
  const out: Entry[] = [];
  for (const f of [...files.keys()].sort((a, b) => a - b)) {
    const keys = files.get(f)!;
    for (const k of [...keys.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) for (const e of keys.get(k)!) out.push(e);
  }
  return out;
}

async function writeRun(path: string, entries: Entry[]): Promise<string> {
  const out = new RunWriter(path);
  for (const e of entries) {
    const pending = out.add(e);
    if (pending) await pending;
  }
  return out.close();
}

class RunWriter {
  private readonly out: ByteWriter;
  private readonly head = Buffer.allocUnsafe(HEAD);

  public constructor(private readonly path: string) {
    this.out = new ByteWriter(path);
  }

  /** A promise only when the buffer was due to be written (no await per row). */
  public add(e: Entry): Promise<void> | undefined {
    this.head.writeUInt16LE(e.fileIndex, 0);
    this.head.writeUInt32LE(e.line, 2);
    this.head.writeUInt32LE(Buffer.byteLength(e.key), 6);
    this.head.writeUInt32LE(Buffer.byteLength(e.text), 10);
    this.out.bytes(this.head, 0, HEAD);
    this.out.text(e.key);
    this.out.text(e.text);
    return this.out.due ? this.out.flush() : undefined;
  }

  public async close(): Promise<string> {
    await this.out.close();
    return this.path;
  }
}

/** Reads a run's entries in order through one buffer (grown only for an entry larger than it). */
class RunReader {
  private buf = Buffer.allocUnsafe(64 * 1024);
  private start = 0;
  private end = 0;
  private eof = false;
  public current: Entry | undefined;

  private constructor(private readonly file: FileHandle) {}

  public static async open(path: string): Promise<RunReader> {
    const r = new RunReader(await open(path, 'r'));
    await r.advance();
    return r;
  }

  /** Moves to the next entry (current is undefined at the end); a promise only when it had to read. */
  public advance(): Promise<void> | undefined {
    const left = this.end - this.start;
    if (left >= HEAD && left >= HEAD + this.buf.readUInt32LE(this.start + 6) + this.buf.readUInt32LE(this.start + 10)) {
      this.take();
      return undefined;
    }
    return this.read();
  }

  public async close(): Promise<void> {
    await this.file.close();
  }

  private async read(): Promise<void> {
    if (!(await this.have(HEAD))) {
      this.current = undefined;
      return;
    }
    const keyBytes = this.buf.readUInt32LE(this.start + 6);
    const textBytes = this.buf.readUInt32LE(this.start + 10);
    if (!(await this.have(HEAD + keyBytes + textBytes))) throw new Error('a sort run ends mid-row');
    this.take();
  }

  /** The entry at start, whole in the buffer. */
  private take(): void {
    const at = this.start;
    const keyBytes = this.buf.readUInt32LE(at + 6);
    const textBytes = this.buf.readUInt32LE(at + 10);
    const k = at + HEAD;
    this.current = {
      fileIndex: this.buf.readUInt16LE(at),
      line: this.buf.readUInt32LE(at + 2),
      key: this.buf.toString('utf8', k, k + keyBytes),
      text: this.buf.toString('utf8', k + keyBytes, k + keyBytes + textBytes),
    };
    this.start = k + keyBytes + textBytes;
  }

  /** True once n bytes from start are in the buffer; false at a clean end of file. */
  private async have(n: number): Promise<boolean> {
    while (this.end - this.start < n) {
      if (this.eof) {
        if (this.end === this.start) return false;
        throw new Error('a sort run ends mid-row');
      }
      if (this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      }
      if (n > this.buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
        this.buf.copy(bigger, 0, 0, this.end);
        this.buf = bigger;
      }
      const { bytesRead } = await this.file.read(this.buf, this.end, this.buf.length - this.end, null);
      if (bytesRead === 0) this.eof = true;
      this.end += bytesRead;
    }
    return true;
  }
}

/** The k-way merge: a binary heap of run readers, smallest current entry on top. */
async function* merge(paths: string[]): AsyncGenerator<Entry[]> {
  const heap: RunReader[] = [];
  try {
    for (const p of paths) {
      const r = await RunReader.open(p);
      if (r.current) heap.push(r);
      else await r.close();
    }
    for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(heap, i, before);
    let batch: Entry[] = [];
    while (heap.length) {
      const top = heap[0];
      batch.push(top.current!);
      const read = top.advance();
      if (read) await read;
      if (!top.current) {
        await top.close();
        const last = heap.pop()!;
        if (heap.length) heap[0] = last;
      }
      if (heap.length) siftDown(heap, 0, before);
      if (batch.length === BATCH) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  } finally {
    await Promise.all(heap.map((r) => r.close().catch(() => undefined)));
  }
}
