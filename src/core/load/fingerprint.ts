/*
 * The input's fingerprint: sha256 and size of its bytes, fed by the reader as the bytes stream by
 * (so the file is read once, not once more just to hash it). Several files hash in order, each
 * file's length mixed in so that where one ends and the next begins counts.
 */
import { createHash, Hash } from 'node:crypto';

export class Fingerprint {
  private readonly hash: Hash = createHash('sha256');
  private fileBytes = 0;
  private total = 0;

  public constructor(private readonly files: number) {}

  public update(chunk: Buffer): void {
    this.hash.update(chunk);
    this.fileBytes += chunk.length;
  }

  public endFile(): void {
    if (this.files > 1) this.hash.update(`\0${this.fileBytes}\0`);
    this.total += this.fileBytes;
    this.fileBytes = 0;
  }

  public digest(): { sha256: string; bytes: number } {
    return { sha256: this.hash.digest('hex'), bytes: this.total };
  }
}
