/*
 * The input file's fingerprint: size and sha256 of its bytes, read as a stream (about disk speed).
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';

export async function fingerprint(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
