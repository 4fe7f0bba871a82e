/*
 * Row hash -> row positions in a chunk, as a multiset, in typed arrays: 14 to 16 bytes a row (a
 * Map of strings takes several times that). One job's index at a time keeps the result join's
 * memory bounded by the job size (at most ~100 MB of CSV), whatever the file size.
 *
 * Layout: each row position is an entry holding its 64-bit hash and the next entry of its bucket;
 * a bucket table (about one bucket per two rows) holds the first entry of each chain.
 */
import { RowHash } from './rowHash.js';

const EMPTY = 0xff_ff_ff_ff;

export class RowIndex {
  /** bucket -> first entry, or EMPTY */
  private readonly head: Uint32Array;
  private readonly mask: number;
  /** entry (row position) -> its hash, and the next entry of its bucket */
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly next: Uint32Array;
  private count = 0;
  private remaining = 0;

  public constructor(capacity: number) {
    let size = 16;
    // Chains of two on average: short to walk, and the bucket table stays a quarter of the entries.
    while (size * 2 < capacity) size *= 2;
    this.mask = size - 1;
    this.head = new Uint32Array(size).fill(EMPTY);
    const entries = Math.max(1, capacity);
    this.hi = new Uint32Array(entries);
    this.lo = new Uint32Array(entries);
    this.next = new Uint32Array(entries);
  }

  /** How many rows it can hold. */
  public get capacity(): number {
    return this.next.length;
  }

  /** Empties it for another job of at most `capacity` rows, keeping its memory. */
  public clear(): void {
    this.head.fill(EMPTY);
    this.count = 0;
    this.remaining = 0;
  }

  /** Rows added since it was made or cleared (taken ones included). */
  public get added(): number {
    return this.count;
  }

  /** Rows not taken yet. */
  public get size(): number {
    return this.remaining;
  }

  /** Adds the next row (positions are given in order: 0, 1, 2, …). */
  public add(h: RowHash): number {
    if (this.count >= this.next.length) throw new Error('RowIndex capacity exceeded');
    const entry = this.count++;
    const bucket = this.bucketOf(h);
    this.hi[entry] = h.hi;
    this.lo[entry] = h.lo;
    this.next[entry] = this.head[bucket];
    this.head[bucket] = entry;
    this.remaining++;
    return entry;
  }

  /** Takes one row position with this hash (any of them: identical rows are interchangeable). */
  public take(h: RowHash): number | undefined {
    const bucket = this.bucketOf(h);
    let previous = EMPTY;
    for (let entry = this.head[bucket]; entry !== EMPTY; previous = entry, entry = this.next[entry]) {
      if (this.hi[entry] !== h.hi || this.lo[entry] !== h.lo) continue;
      // Unlink it: a taken row can never be claimed by a second result.
      if (previous === EMPTY) this.head[bucket] = this.next[entry];
      else this.next[previous] = this.next[entry];
      this.remaining--;
      return entry;
    }
    return undefined;
  }

  private bucketOf(h: RowHash): number {
    return (h.lo ^ Math.imul(h.hi, 0x9e_37_79_b1)) & this.mask;
  }
}
