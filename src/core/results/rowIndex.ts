/*
 * Row hash -> row positions in a chunk, as a multiset, in typed arrays: about 20 bytes a row
 * (a Map of strings takes several times that). One job's index at a time keeps the result join's
 * memory bounded by the job size (at most ~100 MB of CSV), whatever the file size.
 */
import { RowHash } from './rowHash.js';

const EMPTY = 0xff_ff_ff_ff;

export class RowIndex {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  /** head of the chain of entries with this hash, or EMPTY */
  private readonly head: Uint32Array;
  private readonly mask: number;
  /** entry -> next entry with the same hash; entries are row positions 0..rows-1 */
  private readonly next: Uint32Array;
  private count = 0;
  private remaining = 0;

  public constructor(capacity: number) {
    let size = 16;
    // Load factor up to 3/4: linear probing stays short, and the table is half the size of a 1/2 one.
    while (size * 3 < capacity * 4) size *= 2;
    this.mask = size - 1;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.head = new Uint32Array(size).fill(EMPTY);
    this.next = new Uint32Array(Math.max(1, capacity));
  }

  /** Rows not taken yet. */
  public get size(): number {
    return this.remaining;
  }

  /** Adds the next row (positions are given in order: 0, 1, 2, …). */
  public add(h: RowHash): number {
    if (this.count >= this.next.length) throw new Error('RowIndex capacity exceeded');
    const slot = this.slotOf(h, true);
    const entry = this.count++;
    this.next[entry] = this.head[slot];
    this.head[slot] = entry;
    this.remaining++;
    return entry;
  }

  /** Takes one row position with this hash (any of them: identical rows are interchangeable). */
  public take(h: RowHash): number | undefined {
    const slot = this.slotOf(h, false);
    if (slot < 0) return undefined;
    const entry = this.head[slot];
    if (entry === EMPTY) return undefined;
    this.head[slot] = this.next[entry];
    this.remaining--;
    return entry;
  }

  /** Linear probing; a slot keeps its hash after its entries are taken, so probes stay valid. */
  private slotOf(h: RowHash, create: boolean): number {
    let hi = h.hi;
    let lo = h.lo;
    // 0:0 marks an empty slot; move a real zero hash elsewhere (sharing a chain at worst).
    if (hi === 0 && lo === 0) {
      hi = 1;
      lo = 0x9e_37_79_b1;
    }
    let i = (lo ^ Math.imul(hi, 0x9e_37_79_b1)) & this.mask;
    for (;;) {
      const slotHi = this.hi[i];
      const slotLo = this.lo[i];
      if (slotHi === 0 && slotLo === 0) {
        if (!create) return -1;
        this.hi[i] = hi;
        this.lo[i] = lo;
        return i;
      }
      if (slotHi === hi && slotLo === lo) return i;
      i = (i + 1) & this.mask;
    }
  }
}
