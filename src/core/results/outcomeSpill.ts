/*
 * The per-row outcomes of one job (created/updated/failed, record Id, error text), kept on disk
 * rather than in memory. Results arrive in no order; the result files are written in input order.
 * Holding an outcome per row in memory costs ~20 bytes a row plus every error string (a job whose
 * million rows all fail would hold a million messages), so outcomes are appended to one small file
 * per range of row positions, and read back one range at a time while the parts are written.
 * Memory stays at one buffer per range plus one range's outcomes, whatever the job size.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const CREATED = 1;
export const UPDATED = 2;
export const FAILED = 3;
export type OutcomeKind = typeof CREATED | typeof UPDATED | typeof FAILED;

/** rows per range: one range's outcomes (a few MB at most) are what is held while writing */
export const DEFAULT_RANGE_ROWS = 16_384;
const BUFFER_BYTES = 8 * 1024;
/** pos (u32), kind (u8), id length (u8), error length (u32) */
const HEAD = 10;

/**
 * Reads one range's outcomes at a time, by position within the range. The ids and messages stay
 * in the range's bytes (off the JS heap) and become strings only when a row is written, and the
 * buffers are reused from range to range: anything made per range lives through several young-
 * generation GCs, is promoted, and stays until a full GC (measured: +60 MB per million rows).
 */
export class RangeOutcomes {
  private data = Buffer.alloc(64 * 1024);
  private readonly at: Int32Array;

  public constructor(private readonly spill: OutcomeSpill) {
    this.at = new Int32Array(spill.rangeRows).fill(-1);
  }

  /** Makes range `range` (rows range*rangeRows … +rangeRows-1) the current one. */
  public load(range: number): void {
    this.at.fill(-1);
    let fd: number;
    try {
      fd = openSync(this.spill.file(range), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return; // no result for any row of the range
      throw e;
    }
    let size = 0;
    try {
      const bytes = fstatSync(fd).size;
      if (bytes > this.data.length) this.data = Buffer.alloc(Math.max(bytes, this.data.length * 2));
      while (size < bytes) {
        const n = readSync(fd, this.data, size, bytes - size, size);
        if (n === 0) break;
        size += n;
      }
    } finally {
      closeSync(fd);
    }
    const base = range * this.spill.rangeRows;
    for (let offset = 0; offset < size; offset += HEAD + this.data.readUInt8(offset + 5) + this.data.readUInt32LE(offset + 6)) {
      this.at[this.data.readUInt32LE(offset) - base] = offset;
    }
  }

  /** CREATED, UPDATED, FAILED, or 0 when no result came for the row */
  public kind(i: number): number {
    const at = this.at[i];
    return at < 0 ? 0 : this.data.readUInt8(at + 4);
  }

  public id(i: number): string {
    const at = this.at[i];
    return this.data.toString('utf8', at + HEAD, at + HEAD + this.data.readUInt8(at + 5));
  }

  public error(i: number): string {
    const at = this.at[i];
    const from = at + HEAD + this.data.readUInt8(at + 5);
    return this.data.toString('utf8', from, from + this.data.readUInt32LE(at + 6));
  }
}

export class OutcomeSpill {
  private readonly fds: number[] = [];
  private readonly buffers: Buffer[] = [];
  private readonly fills: number[] = [];

  public constructor(private readonly dir: string, public readonly rangeRows = DEFAULT_RANGE_ROWS) {
    // A join repeated after a crash starts from nothing: earlier outcomes are not trusted.
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }

  /**
   * put, with the Id as bytes src[from, to) (UTF-8, as a result file has it): copied as they are,
   * with no string made (a successful row's outcome on the join's fast path).
   */
  public putBytes(pos: number, kind: OutcomeKind, src: Buffer, from: number, to: number): void {
    const idBytes = Math.min(to - from, 255);
    const at = this.reserve(pos, HEAD + idBytes);
    const buf = this.buffers[Math.floor(pos / this.rangeRows)];
    buf.writeUInt32LE(pos, at);
    buf[at + 4] = kind;
    buf[at + 5] = idBytes;
    buf.writeUInt32LE(0, at + 6);
    src.copy(buf, at + HEAD, from, from + idBytes);
  }

  /** Room for `size` bytes in pos's range buffer: where they go (the range's fill moves past them). */
  private reserve(pos: number, size: number): number {
    const range = Math.floor(pos / this.rangeRows);
    let buf = this.buffers[range];
    if (!buf) {
      buf = this.buffers[range] = Buffer.allocUnsafe(Math.max(BUFFER_BYTES, size));
      this.fills[range] = 0;
    }
    if (this.fills[range] + size > buf.length) {
      this.flush(range);
      if (size > buf.length) this.buffers[range] = Buffer.allocUnsafe(size);
    }
    const at = this.fills[range];
    this.fills[range] = at + size;
    return at;
  }

  public put(pos: number, kind: OutcomeKind, id: string, error = ''): void {
    const idBytes = Math.min(Buffer.byteLength(id), 255);
    const errorBytes = Buffer.byteLength(error);
    let at = this.reserve(pos, HEAD + idBytes + errorBytes);
    const buf = this.buffers[Math.floor(pos / this.rangeRows)];
    at = buf.writeUInt32LE(pos, at);
    at = buf.writeUInt8(kind, at);
    at = buf.writeUInt8(idBytes, at);
    at = buf.writeUInt32LE(errorBytes, at);
    at += buf.write(id, at, idBytes, 'utf8');
    buf.write(error, at, errorBytes, 'utf8');
  }

  /** Writes out what is buffered; call once all results are in. */
  public finish(): void {
    for (let range = 0; range < this.buffers.length; range++) if (this.buffers[range]) this.flush(range);
    for (const fd of this.fds) if (fd !== undefined) closeSync(fd);
    this.fds.length = 0;
    this.buffers.length = 0;
  }

  /** A reader of the outcomes, a range at a time (after finish()). */
  public reader(): RangeOutcomes {
    return new RangeOutcomes(this);
  }

  public dispose(): void {
    this.finish();
    rmSync(this.dir, { recursive: true, force: true });
  }

  public file(range: number): string {
    return join(this.dir, `${range}.bin`);
  }

  private flush(range: number): void {
    if (!this.fills[range]) return;
    this.fds[range] ??= openSync(this.file(range), 'a');
    writeAll(this.fds[range], this.buffers[range].subarray(0, this.fills[range]));
    this.fills[range] = 0;
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let done = 0; done < data.length; ) done += writeSync(fd, data, done);
}
