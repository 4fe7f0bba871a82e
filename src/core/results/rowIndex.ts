/*
 * Row hash -> input line numbers, as a multiset, in typed arrays: 12 bytes a row plus table slack
 * (about 24 MB per million rows) where a Map of strings would take several times that. One job's
 * index at a time keeps the result join's memory flat whatever the file size.
 */
import { RowHash } from './rowHash.js';

const EMPTY = 0xff_ff_ff_ff;

export class RowIndex {
  private readonly hi: Uint32Array;
  private readonly lo: Uint32Array;
  /** head of the chain of entries with this hash, or EMPTY */
  private readonly head: Uint32Array;
  private readonly mask: number;
  /** entry -> line number, entry -> next entry with the same hash */
  private readonly lines: Uint32Array;
  private readonly next: Uint32Array;
  private count = 0;
  private remaining = 0;

  public constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.mask = size - 1;
    this.hi = new Uint32Array(size);
    this.lo = new Uint32Array(size);
    this.head = new Uint32Array(size).fill(EMPTY);
    this.lines = new Uint32Array(Math.max(1, capacity));
    this.next = new Uint32Array(Math.max(1, capacity));
  }

  public get size(): number {
    return this.remaining;
  }

  public add(h: RowHash, line: number): void {
    if (this.count >= this.lines.length) throw new Error('RowIndex capacity exceeded');
    const slot = this.slotOf(h, true);
    const entry = this.count++;
    this.lines[entry] = line;
    this.next[entry] = this.head[slot];
    this.head[slot] = entry;
    this.remaining++;
  }

  /** Takes one line number with this hash (any of them: identical rows are interchangeable). */
  public take(h: RowHash): number | undefined {
    const slot = this.slotOf(h, false);
    if (slot < 0) return undefined;
    const entry = this.head[slot];
    if (entry === EMPTY) return undefined;
    this.head[slot] = this.next[entry];
    this.remaining--;
    return this.lines[entry];
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
