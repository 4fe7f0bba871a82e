/*
 * The input's fingerprint: sha256 and size of its bytes. Fed by the reader as the bytes stream by
 * (no extra read), or, for an insert, read ahead of the split (fingerprintFiles), so that a second
 * insert of the file is refused before anything is written or sent. Several files hash in order,
 * each file's length mixed in so that where one ends and the next begins counts.
 */
import { createHash, Hash } from 'node:crypto';
import { fileBlocks } from '../io/fileBlocks.js';

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

/**
 * The fingerprint of files read on their own, ahead of the split: an insert is checked against
 * earlier runs before any part of it is written or sent (SHA-256 runs at several hundred MB/s, and
 * the split then reads without hashing, so the whole costs about the same).
 */
export async function fingerprintFiles(files: string[]): Promise<{ sha256: string; bytes: number }> {
  const print = new Fingerprint(files.length);
  for (const file of files) {
    for await (const block of fileBlocks(file, 1024 * 1024)) print.update(block);
    print.endFile();
  }
  return print.digest();
}
