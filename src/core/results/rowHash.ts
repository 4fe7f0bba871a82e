/*
 * A 64-bit hash of a record, as two 32-bit halves. Bulk 2.0 returns results in no order, echoing
 * the values we sent; hashing them finds each result's input row.
 *
 * Both sides hash the same form: a record as our CSV writer writes it (its UTF-8 bytes, without
 * the LF). The part file is hashed as it is, each result row's values after being written that way
 * (csvLine is one-to-one for a given column count). Two different multiplicative hashes keep
 * collisions at about 1 in 10^10 for a million-row job; rows that are truly identical are
 * interchangeable anyway.
 */
export type RowHash = { hi: number; lo: number };

export function hashBytes(buf: Uint8Array, start: number, end: number, out: RowHash = { hi: 0, lo: 0 }): RowHash {
  let h1 = 0x81_1c_9d_c5;
  let h2 = 0x97_47_b2_8c;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    h1 = Math.imul(h1 ^ c, 0x01_00_01_93);
    h2 = Math.imul(h2 ^ c, 0x5b_d1_e9_95);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (end - start), 0x01_00_01_93);
  out.hi = h1 >>> 0;
  out.lo = (h2 ^ (h2 >>> 13)) >>> 0;
  return out;
}

const QUOTE = 34;
const COMMA = 44;

/**
 * hashBytes of a record's every-field-quoted form (the form Salesforce writes result files in),
 * computed from the record as our CSV writer wrote it (csvLine: quotes only where needed), without
 * building it: an unquoted field is hashed inside a pair of quotes, a quoted one as it is.
 */
export function hashQuotedForm(buf: Uint8Array, start: number, end: number, out: RowHash = { hi: 0, lo: 0 }): RowHash {
  // The mixing step of hashBytes, written out at each byte (a shared closure over h1 and h2 is several times slower).
  let h1 = 0x81_1c_9d_c5;
  let h2 = 0x97_47_b2_8c;
  let n = 0;
  let i = start;
  for (;;) {
    // The field's opening quote: its own if it has one, else one it is given.
    h1 = Math.imul(h1 ^ QUOTE, 0x01_00_01_93);
    h2 = Math.imul(h2 ^ QUOTE, 0x5b_d1_e9_95);
    h2 ^= h2 >>> 15;
    n++;
    if (i < end && buf[i] === QUOTE) {
      // Already quoted (its quotes doubled): as it is, up to and with its closing quote.
      for (i++; i < end; i++) {
        const c = buf[i];
        h1 = Math.imul(h1 ^ c, 0x01_00_01_93);
        h2 = Math.imul(h2 ^ c, 0x5b_d1_e9_95);
        h2 ^= h2 >>> 15;
        n++;
        if (c === QUOTE) {
          if (i + 1 >= end || buf[i + 1] !== QUOTE) {
            i++;
            break;
          }
          i++;
          h1 = Math.imul(h1 ^ QUOTE, 0x01_00_01_93);
          h2 = Math.imul(h2 ^ QUOTE, 0x5b_d1_e9_95);
          h2 ^= h2 >>> 15;
          n++;
        }
      }
    } else {
      for (; i < end; i++) {
        const c = buf[i];
        if (c === COMMA) break;
        h1 = Math.imul(h1 ^ c, 0x01_00_01_93);
        h2 = Math.imul(h2 ^ c, 0x5b_d1_e9_95);
        h2 ^= h2 >>> 15;
        n++;
      }
      h1 = Math.imul(h1 ^ QUOTE, 0x01_00_01_93);
      h2 = Math.imul(h2 ^ QUOTE, 0x5b_d1_e9_95);
      h2 ^= h2 >>> 15;
      n++;
    }
    if (i >= end) break;
    // The comma after the field.
    h1 = Math.imul(h1 ^ COMMA, 0x01_00_01_93);
    h2 = Math.imul(h2 ^ COMMA, 0x5b_d1_e9_95);
    h2 ^= h2 >>> 15;
    n++;
    i++;
  }
  h1 = Math.imul(h1 ^ n, 0x01_00_01_93);
  out.hi = h1 >>> 0;
  out.lo = (h2 ^ (h2 >>> 13)) >>> 0;
  return out;
}
