/*
 * The input file's fingerprint: size and sha256 of its bytes, read as a stream (about disk speed).
 */
import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';

/** Of several files: their bytes in order, with each file's length mixed in so boundaries count. */
export async function fingerprint(files: string[]): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const file of files) {
    let fileBytes = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      hash.update(chunk as Buffer);
      fileBytes += (chunk as Buffer).length;
    }
    if (files.length > 1) hash.update(`\0${fileBytes}\0`);
    bytes += fileBytes;
  }
  return { sha256: hash.digest('hex'), bytes };
}
