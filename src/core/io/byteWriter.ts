/*
 * Writes a file through one reused buffer: text and byte ranges are copied in and written out in
 * large blocks. Rows built this way cost no Buffer or stream object each, which matters when a
 * result file gets a million of them (see results/join.ts).
 */
import { FileHandle, open } from 'node:fs/promises';

const SIZE = 256 * 1024;

export class ByteWriter {
  private buf = Buffer.allocUnsafe(SIZE);
  private fill = 0;
  private file?: FileHandle;

  /** onBlock sees every block before it is written (a checksum of the file, say). */
  public constructor(private readonly path: string, private readonly onBlock?: (block: Buffer) => void) {}

  /** True once enough is buffered to be worth writing: callers then await flush() between rows. */
  public get due(): boolean {
    return this.fill >= SIZE * 0.75;
  }

  /** Copies s in as UTF-8; returns its length in bytes (no separate Buffer.byteLength pass needed). */
  public text(s: string): number {
    this.ensure(s.length * 3);
    const n = this.buf.write(s, this.fill, 'utf8');
    this.fill += n;
    return n;
  }

  /** One byte (a line end after a row copied as read: no string concatenation per row). */
  public byte(b: number): void {
    this.ensure(1);
    this.buf[this.fill++] = b;
  }

  public bytes(src: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    this.buf.set(src.subarray(start, end), this.fill);
    this.fill += end - start;
  }

  public async flush(): Promise<void> {
    this.file ??= await open(this.path, 'w');
    if (this.fill) this.onBlock?.(this.buf.subarray(0, this.fill));
    for (let done = 0; done < this.fill; ) done += (await this.file.write(this.buf, done, this.fill - done)).bytesWritten;
    this.fill = 0;
  }

  /** Writes what is left and closes the file; a writer that got nothing still leaves an empty file. */
  public async close(): Promise<void> {
    await this.flush();
    await this.file?.close();
    this.file = undefined;
  }

  /** Closes the file without writing what is buffered (the file is being given up). */
  public async abort(): Promise<void> {
    this.fill = 0;
    await this.file?.close();
    this.file = undefined;
  }

  /** Grows the buffer for a row larger than it (rare: records can reach a few MB). */
  private ensure(n: number): void {
    if (this.fill + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.fill + n));
    this.buf.copy(bigger, 0, 0, this.fill);
    this.buf = bigger;
  }
}
