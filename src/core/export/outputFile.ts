/*
 * The export's output file, written at its end only: a page's bytes are appended as they arrive,
 * synced before the ledger records the page, and a page not whole (a transfer that broke off, a
 * crash) is cut off again by truncating to where it began.
 */
import { open, type FileHandle } from 'node:fs/promises';

export class OutputFile {
  private constructor(private readonly handle: FileHandle, public size: number) {}

  /** Opens the file to go on at `from` bytes (0: a new file); bytes after it are cut off. */
  public static async openAt(path: string, from: number): Promise<OutputFile> {
    const handle = await open(path, from === 0 ? 'w' : 'r+');
    const file = new OutputFile(handle, from);
    if (from > 0) await handle.truncate(from);
    return file;
  }

  public async write(bytes: Buffer): Promise<void> {
    if (bytes.length === 0) return;
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done, this.size + done);
      done += bytesWritten;
    }
    this.size += bytes.length;
  }

  public async truncate(size: number): Promise<void> {
    await this.handle.truncate(size);
    this.size = size;
  }

  public sync(): Promise<void> {
    return this.handle.sync();
  }

  public close(): Promise<void> {
    return this.handle.close();
  }
}
