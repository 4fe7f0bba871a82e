/*
 * Stops the read at bytes that are not UTF-8 (they never reach the parser), and says on which line
 * they are: Salesforce reads uploads as UTF-8, so a Latin-1 file would load with garbled text otherwise.
 */
import { isUtf8 } from 'node:buffer';

/** Bytes that follow a lead byte, or -1 when b cannot start a sequence. */
function sequenceLength(b: number): number {
  if (b < 0x80) return 0;
  if (b >= 0xc2 && b <= 0xdf) return 1;
  if (b >= 0xe0 && b <= 0xef) return 2;
  if (b >= 0xf0 && b <= 0xf4) return 3;
  return -1;
}

/** The second byte's range is narrower after some lead bytes (overlongs, surrogates, > U+10FFFF). */
function secondByteOk(lead: number, c: number): boolean {
  if (lead === 0xe0) return c >= 0xa0;
  if (lead === 0xed) return c <= 0x9f;
  if (lead === 0xf0) return c >= 0x90;
  if (lead === 0xf4) return c <= 0x8f;
  return true;
}

/**
 * Offset of the first invalid UTF-8 sequence in buf, or -1. A sequence the end of buf cuts off is
 * not an error when the bytes it has are right (the next chunk completes it).
 */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const need = sequenceLength(buf[i]);
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= buf.length) return -1;
      const c = buf[i + k];
      if ((c & 0xc0) !== 0x80 || (k === 1 && !secondByteOk(buf[i], c))) return i;
    }
    i += need + 1;
  }
  return -1;
}

/**
 * Offset of the first byte of buf that is not UTF-8 (buf is known not to be), a sequence cut off
 * by its end included: for bytes that end there (a block, the end of a file).
 */
export function firstInvalidUtf8Ending(buf: Uint8Array): number {
  const at = firstInvalidUtf8(buf);
  if (at >= 0) return at;
  // Only a sequence cut off at the end is left: it starts at the last lead byte.
  let i = buf.length - 1;
  while (i > 0 && (buf[i] & 0xc0) === 0x80) i--;
  return i;
}

/** Length of a trailing incomplete (but so far valid) multi-byte sequence. */
function incompleteTail(buf: Buffer): number {
  for (let back = 1; back <= 3 && back <= buf.length; back++) {
    const b = buf[buf.length - back];
    if ((b & 0xc0) === 0x80) continue;
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0;
}

export function countNewlines(buf: Uint8Array, end = buf.length): number {
  let n = 0;
  let pos = buf.indexOf(0x0a, 0);
  while (pos >= 0 && pos < end) {
    n++;
    pos = buf.indexOf(0x0a, pos + 1);
  }
  return n;
}

export class Utf8GuardError extends Error {
  public constructor(public readonly line: number, public readonly byteOffset: number) {
    super(`invalid UTF-8 at line ${line}`);
  }
}

/**
 * The chunks of `input`, checked: bytes that are not UTF-8 end it with a Utf8GuardError (the line
 * is 1 + the line feeds before them). The valid bytes before them are handed on first, so a
 * problem the parser finds earlier in the file is the one reported, as the split on threads reports
 * it (load/blockSplit.ts). `seen` gets every byte read, as read (the run's fingerprint).
 */
export async function* checkedUtf8(input: AsyncIterable<Buffer>, seen?: (b: Buffer) => void): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  let line = 1;
  let offset = 0;
  for await (const chunk of input) {
    seen?.(chunk);
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const tail = incompleteTail(buf);
    const body = tail ? buf.subarray(0, buf.length - tail) : buf;
    carry = tail ? Buffer.from(buf.subarray(buf.length - tail)) : Buffer.alloc(0);
    if (!isUtf8(body)) {
      const at = firstInvalidUtf8Ending(body);
      if (at > 0) yield body.subarray(0, at);
      throw new Utf8GuardError(line + countNewlines(body, at), offset + at);
    }
    line += countNewlines(body);
    offset += body.length;
    yield body;
  }
  if (carry.length) throw new Utf8GuardError(line, offset);
}
