/*
 * One block of an input file, read, checked and written out as part rows: what each split worker
 * does (parallelSplit.ts hands the blocks out and puts their rows into parts, in input order).
 *
 * A block starts where the file or the block before it ended at a line end, and is parsed as if a
 * record starts there. That is true unless the line end was inside a quoted field; the block before
 * then reports an unfinished record (`restFrom`), and the caller parses that rest and this block
 * again, together. Line numbers here count from 1 at the block's start: the caller adds where the
 * block starts, once the blocks before it are done.
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { CsvSyntaxError, PIECE, RecordBatcher, type ParsedRecord } from '../csv/fastParser.js';
import { csvLine } from '../csv/writer.js';
import type { CsvRecord } from '../csv/reader.js';
import { firstInvalidUtf8Ending } from '../csv/utf8Guard.js';
import { reasonOf, type Problem } from '../preflight/problems.js';

/** A row's check, as the split runs it: the problems Salesforce would find (counted by the caller). */
export type RowChecker = (record: CsvRecord) => Problem[];

export type BlockOptions = {
  delimiter: string;
  maxRecordChars: number;
  fileIndex: number;
  /** the block starts the file: its first record is the header, not a row */
  first: boolean;
  /** the block ends the file: an unfinished record is an error, not a rest */
  final: boolean;
  /** where each of the first file's columns is in this file's rows, when the order differs */
  columnMap?: number[];
  check?: RowChecker;
  /** rows with problems are still sent (--keep-invalid-rows); otherwise they are rejected */
  keepInvalid?: boolean;
  spare?: SpareBuffers;
};

/** The buffers of a result the caller is done with, handed back to be written into again. */
export type SpareBuffers = { out: ArrayBuffer; ends: ArrayBuffer; lines: ArrayBuffer };

export type RejectedRow = { line: number; reason: string; fields: string[] };

export type BlockError =
  | { kind: 'utf8'; offset: number }
  | { kind: 'syntax'; code: 'quote' | 'record-too-large'; line: number; message: string };

export type BlockResult = {
  /** the rows to send, each as csvLine writes it (LF-terminated), one after another */
  out: Uint8Array<ArrayBuffer>;
  /** where each row ends in `out` */
  ends: Uint32Array<ArrayBuffer>;
  /** each row's line, counted from 1 at the block's start */
  lines: Uint32Array<ArrayBuffer>;
  rejected: RejectedRow[];
  /** the problems of each row that had some, in input order */
  problems: Problem[][];
  /** rows checked (header excluded) */
  checked: number;
  /** the line the unparsed rest starts on (or the line after the block) */
  endLine: number;
  /** where in the block an unfinished record starts (the block's length when none) */
  restFrom: number;
  /** whether the header record was in this block */
  headerSeen: boolean;
  error?: BlockError;
};

/**
 * Grows as rows are written: the block's rows, bytes and line numbers. Each array has a buffer of
 * its own, so the result can be handed to the caller's thread without a copy.
 */
class RowsOut {
  public rows = 0;
  private buf: Buffer<ArrayBuffer>;
  private fill = 0;
  private ends: Uint32Array<ArrayBuffer>;
  private lines: Uint32Array<ArrayBuffer>;

  /** `spare`: buffers of an earlier block's result, to write into again (no allocation per block) */
  public constructor(spare?: SpareBuffers) {
    this.buf = Buffer.from(spare?.out ?? new ArrayBuffer(1 << 20));
    this.ends = new Uint32Array(spare?.ends ?? new ArrayBuffer(4 << 14));
    this.lines = new Uint32Array(spare?.lines ?? new ArrayBuffer(4 << 14));
  }

  public add(text: string, lf: boolean, line: number): void {
    if (this.fill + text.length * 3 + 1 > this.buf.length) this.grow(this.fill + text.length * 3 + 1);
    this.fill += this.buf.write(text, this.fill, 'utf8');
    if (lf) this.buf[this.fill++] = 10;
    this.row(line);
  }

  /** A row copied as read: bytes[start, end), then a line feed. */
  public copy(bytes: Buffer, start: number, end: number, line: number): void {
    if (this.fill + end - start + 1 > this.buf.length) this.grow(this.fill + end - start + 1);
    // Buffer.copy makes no view object per row, as set(subarray()) would.
    this.fill += bytes.copy(this.buf, this.fill, start, end);
    this.buf[this.fill++] = 10;
    this.row(line);
  }

  private row(line: number): void {
    if (this.rows === this.ends.length) {
      this.ends = grown(this.ends);
      this.lines = grown(this.lines);
    }
    this.ends[this.rows] = this.fill;
    this.lines[this.rows++] = line;
  }

  public result(): Pick<BlockResult, 'out' | 'ends' | 'lines'> {
    return { out: new Uint8Array(this.buf.buffer, 0, this.fill), ends: this.ends.subarray(0, this.rows), lines: this.lines.subarray(0, this.rows) };
  }

  private grow(need: number): void {
    const next = Buffer.from(new ArrayBuffer(Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.fill);
    this.buf = next;
  }
}

function grown(a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const next = new Uint32Array(a.length * 2);
  next.set(a);
  return next;
}

/** Reads, checks and writes out one block (see the file's comment). */
export function splitBlock(bytes: Uint8Array, opts: BlockOptions): BlockResult {
  const rows = new RowsOut(opts.spare);
  const rejected: RejectedRow[] = [];
  const problems: Problem[][] = [];
  let checked = 0;
  let headerSeen = false;
  // Bytes that are not UTF-8 end the block there: the rows before them still parse, so whichever
  // problem comes first in the file is the one reported.
  const bad = isUtf8(bytes) ? -1 : firstInvalidUtf8Ending(bytes);
  const whole = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const text = bad < 0 ? whole : whole.subarray(0, bad);
  // ASCII text has one byte a character: a row already in csvLine's form is copied from the bytes
  // at the place the parse gives, with no string made of it nor encoded again.
  const ascii = isAscii(text);
  const batcher = new RecordBatcher({ delimiter: opts.delimiter, maxRecordChars: opts.maxRecordChars, text: ascii && !opts.columnMap ? 'at' : true, bom: false });
  const done = (error?: BlockError): BlockResult => {
    const rest = Buffer.byteLength(batcher.rest);
    return {
      ...rows.result(),
      rejected,
      problems,
      checked,
      endLine: batcher.line,
      restFrom: bytes.length - rest,
      headerSeen,
      ...(error ? { error } : {}),
    };
  };
  const map = opts.columnMap;
  const take = (record: CsvRecord & Pick<ParsedRecord, 'at' | 'end'>): void => {
    if (opts.first && !headerSeen) {
      headerSeen = true;
      return;
    }
    if (map) {
      // Put in the first file's column order: the text as read has the other order.
      const own = record.fields;
      record.fields = map.map((m) => own[m] ?? '');
      record.text = undefined;
    }
    record.fileIndex = opts.fileIndex;
    if (opts.check) {
      checked++;
      const found = opts.check(record);
      if (found.length) {
        problems.push(found);
        if (!opts.keepInvalid) {
          rejected.push({ line: record.line, reason: reasonOf(found), fields: record.fields });
          return;
        }
      }
    }
    if (record.at !== undefined) rows.copy(text, record.at, record.end!, record.line);
    else if (record.text !== undefined) rows.add(record.text, true, record.line);
    else rows.add(csvLine(record.fields), false, record.line);
  };
  const decoder = new StringDecoder('utf8');
  try {
    // In pieces, as the stream parser reads: the text parsed stays a regular heap object.
    for (let at = 0; at < text.length; at += PIECE) {
      for (const record of batcher.push(decoder.write(text.subarray(at, at + PIECE)))) take(record);
    }
    for (const record of batcher.push(decoder.end(), opts.final && bad < 0)) take(record);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    return done({ kind: 'syntax', code: e.code, line: e.line, message: e.message });
  }
  return done(bad < 0 ? undefined : { kind: 'utf8', offset: bad });
}
