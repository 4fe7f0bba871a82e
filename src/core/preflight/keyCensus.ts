/*
 * Which key values (upsert's external IDs) are on more than one row of a run, all files together.
 *
 * Salesforce fails every row that shares an external ID with another row of its job, so a row of a
 * duplicated key can only be judged once its later twins are known. The run's files are therefore
 * read twice: a first pass (count) records every key, then the split pass (check) asks about each
 * row. Reading twice costs a second parse of the input, but keeps memory flat: rows are never held,
 * and the alternative (holding back every row until its key is known unique, or spilling rows to
 * disk and sorting them by key) would hold or rewrite the whole input. What is kept:
 * - every distinct key as a 64-bit hash in typed arrays (open addressing, linear probing, doubling
 *   when 70% full): 28 bytes a slot, 40 to 80 bytes per distinct key whatever its length (ten
 *   million keys: 400 to 800 MB, where a Map of the strings would take several gigabytes);
 * - for duplicated keys only, the places (file, line) of up to PLACES_KEPT of their rows, for up to
 *   KEYS_WITH_PLACES keys: a bounded few MB however many duplicates the input has. Past that, a
 *   message gives the first line and the count.
 * Two different keys share a 64-bit hash about once in 10^12 pairs of a 10M-row file; the cost of
 * such a collision is one false "duplicate" report, never a row loaded wrong.
 */

/** Which row of a duplicated key is sent: none (the default: what Salesforce would do), the first or the last. */
export type DuplicatePolicy = 'none' | 'first' | 'last';

/** Where a row is: its input file (index in the run's files) and line. */
export type Place = { fileIndex: number; line: number };

/** A duplicated key as seen by one of its rows. */
export type Twins = {
  /** rows with this key, this one included */
  count: number;
  /** this row is the first / the last of them */
  isFirst: boolean;
  isLast: boolean;
  first: Place;
  last: Place;
  /** the other rows' places, in input order (as many as were kept) */
  others: Place[];
};

const MAX_LOAD = 0.7;
const INITIAL_SLOTS = 1024;
/** slot: hash high, hash low, row count, first row's ordinal, last row's ordinal, first row's line, last row's line */
const STRIDE = 7;
const PLACES_KEPT = 10;
const KEYS_WITH_PLACES = 100_000;

export class KeyCensus {
  private table = new Uint32Array(INITIAL_SLOTS * STRIDE);
  private mask = INITIAL_SLOTS - 1;
  private count = 0;
  private hashHi = 0;
  private hashLo = 0;
  /** the row being counted (first pass) or checked (second pass), 1-based over all files */
  private ordinal = 0;
  private sealed = false;
  /** the first ordinal of each file, to tell a first row's file from its ordinal */
  private readonly fileStarts: number[] = [];
  /** places of duplicated keys' rows, by the key's first ordinal (bounded: see above) */
  private readonly places = new Map<number, Place[]>();

  public constructor(private readonly fold: boolean) {}

  /** Distinct keys counted. */
  public get size(): number {
    return this.count;
  }

  /** Bytes held by the hash table, for tests and diagnostics. */
  public get bytes(): number {
    return this.table.byteLength;
  }

  /** First pass: one call per row of every file, in the order the second pass will see them (key undefined: the row has none). */
  public add(key: string | undefined, place: Place): void {
    if (this.sealed) throw new Error('the key census is sealed');
    this.ordinal++;
    if (this.fileStarts.length <= place.fileIndex) this.fileStarts[place.fileIndex] = this.ordinal;
    if (key === undefined) return;
    const at = this.slot(key);
    const table = this.table;
    if (table[at + 3] === 0) {
      table[at] = this.hashHi;
      table[at + 1] = this.hashLo;
      table[at + 2] = 1;
      table[at + 3] = this.ordinal;
      table[at + 4] = this.ordinal;
      table[at + 5] = place.line;
      table[at + 6] = place.line;
      if (++this.count > (this.mask + 1) * MAX_LOAD) this.grow();
      return;
    }
    table[at + 2] = Math.min(table[at + 2] + 1, 0xff_ff_ff_ff);
    table[at + 4] = this.ordinal;
    table[at + 6] = place.line;
    const firstOrdinal = table[at + 3];
    let kept = this.places.get(firstOrdinal);
    if (!kept && this.places.size < KEYS_WITH_PLACES) {
      kept = [{ fileIndex: this.fileOf(firstOrdinal), line: table[at + 5] }];
      this.places.set(firstOrdinal, kept);
    }
    if (kept && kept.length < PLACES_KEPT) kept.push({ ...place });
  }

  /** Ends the first pass: the rows are now checked again from the first. */
  public seal(): void {
    this.sealed = true;
    this.ordinal = 0;
  }

  /** Second pass: moves to the next row (call once per row, whether it has a key or not). */
  public nextRow(): void {
    this.ordinal++;
  }

  /** Second pass: the current row's twins, or undefined when its key is on no other row. */
  public twins(key: string, place: Place): Twins | undefined {
    const at = this.slot(key);
    const table = this.table;
    if (table[at + 3] === 0 || table[at + 2] < 2) return undefined;
    const firstOrdinal = table[at + 3];
    const first = { fileIndex: this.fileOf(firstOrdinal), line: table[at + 5] };
    const kept = this.places.get(firstOrdinal) ?? [first];
    return {
      count: table[at + 2],
      isFirst: this.ordinal === firstOrdinal,
      isLast: this.ordinal === table[at + 4],
      first,
      last: { fileIndex: this.fileOf(table[at + 4]), line: table[at + 6] },
      others: kept.filter((p) => p.fileIndex !== place.fileIndex || p.line !== place.line),
    };
  }

  private fileOf(ordinal: number): number {
    let file = 0;
    while (file + 1 < this.fileStarts.length && this.fileStarts[file + 1] <= ordinal) file++;
    return file;
  }

  /** The key's slot: its own, or the empty one where it would go. Leaves the key's hash in hashHi/hashLo. */
  private slot(key: string): number {
    this.hash(key, this.fold);
    const hi = this.hashHi;
    const lo = this.hashLo;
    const table = this.table;
    let at = ((hi ^ lo) & this.mask) * STRIDE;
    while (table[at + 3] !== 0 && (table[at] !== hi || table[at + 1] !== lo)) {
      at += STRIDE;
      if (at === table.length) at = 0;
    }
    return at;
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
      if (old[from + 3] === 0) continue;
      let at = ((old[from] ^ old[from + 1]) & this.mask) * STRIDE;
      while (table[at + 3] !== 0) {
        at += STRIDE;
        if (at === table.length) at = 0;
      }
      table.set(old.subarray(from, from + STRIDE), at);
    }
    this.table = table;
  }
}
