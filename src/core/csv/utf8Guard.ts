/*
 * Refuses bytes that are not UTF-8 before they reach the parser, and says on which line they are:
 * Salesforce reads uploads as UTF-8, so a Latin-1 file would load with garbled text otherwise.
 */
import { Transform, TransformCallback } from 'node:stream';
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

/** Offset of the first invalid UTF-8 sequence in buf, or -1; an incomplete tail is not an error. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const need = sequenceLength(buf[i]);
    if (need < 0) return i;
    if (need > 0 && i + need >= buf.length) return -1; // the next chunk completes it
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if ((c & 0xc0) !== 0x80 || (k === 1 && !secondByteOk(buf[i], c))) return i;
    }
    i += need + 1;
  }
  return -1;
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

function countNewlines(buf: Buffer, end = buf.length): number {
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

export class Utf8Guard extends Transform {
  private carry: Buffer = Buffer.alloc(0);
  private line = 1;
  private offset = 0;

  public _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const tail = incompleteTail(buf);
    const body = tail ? buf.subarray(0, buf.length - tail) : buf;
    this.carry = tail ? Buffer.from(buf.subarray(buf.length - tail)) : Buffer.alloc(0);
    if (!isUtf8(body)) {
      const at = Math.max(0, firstInvalidUtf8(body));
      done(new Utf8GuardError(this.line + countNewlines(body, at), this.offset + at));
      return;
    }
    this.line += countNewlines(body);
    this.offset += body.length;
    done(null, body);
  }

  public _flush(done: TransformCallback): void {
    if (this.carry.length) {
      done(new Utf8GuardError(this.line, this.offset));
      return;
    }
    done();
  }
}
