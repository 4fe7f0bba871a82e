/*
 * The first line each key value was seen on, for files of any length: keys are kept as 64-bit
 * hashes in typed arrays (open addressing, linear probing, doubling when 70% full): 12 bytes a slot,
 * 17 to 34 bytes per distinct key depending on fill, whatever the key's length. Ten million external
 * IDs take 200 to 400 MB; a Map of the strings would take several gigabytes.
 * Two different keys share a 64-bit hash about once in 10^12 pairs of a 10M-row file; the cost of
 * such a collision is one false "duplicate" report, never a row loaded wrong.
 */

const MAX_LOAD = 0.7;
const INITIAL_SLOTS = 1024;
/** A slot is 3 consecutive uint32s, so one probe touches one cache line: hash high, hash low, line. */
const STRIDE = 3;

export class SeenKeys {
  /** slot i: [i*3] hash high, [i*3+1] hash low, [i*3+2] first line; line 0 marks an empty slot (lines start at 1) */
  private table = new Uint32Array(INITIAL_SLOTS * STRIDE);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;
  private hashHi = 0;
  private hashLo = 0;

  public constructor(private readonly fold: boolean) {}

  /** Distinct keys seen. */
  public get size(): number {
    return this.count;
  }

  /** Bytes held by the table, for tests and diagnostics. */
  public get bytes(): number {
    return this.table.byteLength;
  }

  /**
   * Records that `key` is on `line` (line ≥ 1); returns the line it was first seen on, or 0 the
   * first time.
   */
  public firstLine(key: string, line: number): number {
    this.hash(key, this.fold);
    const hi = this.hashHi;
    const lo = this.hashLo;
    const table = this.table;
    let at = ((hi ^ lo) & this.mask) * STRIDE;
    for (;;) {
      const seen = table[at + 2];
      if (seen === 0) break;
      if (table[at] === hi && table[at + 1] === lo) return seen;
      at += STRIDE;
      if (at === table.length) at = 0;
    }
    table[at] = hi;
    table[at + 1] = lo;
    table[at + 2] = line;
    if (++this.count > (this.mask + 1) * MAX_LOAD) this.grow();
    return 0;
  }

  /** Two 32-bit multiplicative hashes of the key; `fold` lower-cases it first (case-insensitive keys). */
  private hash(key: string, fold: boolean): void {
    let h1 = 0x81_1c_9d_c5 ^ key.length;
    let h2 = 0x3c_6e_f3_72;
    for (let i = 0; i < key.length; i++) {
      let c = key.charCodeAt(i);
      if (fold) {
        if (c >= 65 && c <= 90) c += 32;
        // Outside ASCII, case rules need the full Unicode tables: hash the lower-cased string instead.
        else if (c >= 128) return this.hash(key.toLowerCase(), false);
      }
      h1 = Math.imul(h1 ^ c, 0x01_00_01_93);
      h2 = Math.imul(h2 + c, 0x5b_d1_e9_95);
      h2 ^= h2 >>> 15;
    }
    // Final avalanche so that nearby keys land far apart in the table.
    h1 ^= h1 >>> 16;
    h1 = Math.imul(h1, 0x85_eb_ca_6b);
    h1 ^= h1 >>> 13;
    h1 = Math.imul(h1, 0xc2_b2_ae_35);
    h1 ^= h1 >>> 16;
    h2 ^= h2 >>> 13;
    h2 = Math.imul(h2, 0x27_d4_eb_2f);
    h2 ^= h2 >>> 16;
    this.hashHi = h1 >>> 0;
    this.hashLo = h2 >>> 0;
  }

  private grow(): void {
    const old = this.table;
    const slots = (this.mask + 1) * 2;
    const table = new Uint32Array(slots * STRIDE);
    this.mask = slots - 1;
    for (let from = 0; from < old.length; from += STRIDE) {
      if (old[from + 2] === 0) continue;
      let at = ((old[from] ^ old[from + 1]) & this.mask) * STRIDE;
      while (table[at + 2] !== 0) {
        at += STRIDE;
        if (at === table.length) at = 0;
      }
      table[at] = old[from];
      table[at + 1] = old[from + 1];
      table[at + 2] = old[from + 2];
    }
    this.table = table;
  }
}
