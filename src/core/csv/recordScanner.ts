/*
 * Finds the records of CSV bytes that our own writer produced (csvLine: LF line ends, fields with a
 * quote, comma or line break quoted, quotes doubled) without parsing their fields: a record ends at
 * the first LF outside quotes. The part files of a run are written that way, so reading them back
 * for the result files needs no field strings at all: each record's bytes are copied as they are.
 */
import { CsvSyntaxError } from './fastParser.js';
import { csvMessages } from './messages.js';

const LF = 10;
const QUOTE = 34;

/** Called with each record's bytes, buf[start, end) without its LF; a promise makes the scan wait. */
export type RecordVisitor = (buf: Buffer, start: number, end: number) => void | Promise<void>;

/**
 * Visits every record of a stream of such bytes, in order; a last record without LF is visited too.
 * A record that grows past `maxRecordBytes` stops the scan (bytes with no LF where one belongs).
 */
export async function scanRecords(input: AsyncIterable<Buffer>, visit: RecordVisitor, maxRecordBytes = Infinity): Promise<void> {
  let inQuotes = false;
  // The bytes of a record that started in an earlier chunk (one record at most).
  let carry: Buffer | undefined;
  for await (const chunk of input) {
    let from = 0; // where the current record starts
    let at = 0; // where the search for its end resumes
    // The first quote not counted yet: found once per quote, so a chunk is scanned in one pass.
    let nextQuote = chunk.indexOf(QUOTE);
    for (;;) {
      const lf = chunk.indexOf(LF, at);
      if (lf < 0) break;
      // Each quote before this LF flips the state ("" flips it twice, as it should).
      while (nextQuote >= 0 && nextQuote < lf) {
        inQuotes = !inQuotes;
        nextQuote = chunk.indexOf(QUOTE, nextQuote + 1);
      }
      at = lf + 1;
      if (inQuotes) continue; // a line break inside a quoted field
      let pending: void | Promise<void>;
      if (carry) {
        const record = Buffer.concat([carry, chunk.subarray(from, lf)]);
        carry = undefined;
        pending = visit(record, 0, record.length);
      } else {
        pending = visit(chunk, from, lf);
      }
      if (pending) await pending;
      from = at;
    }
    for (; nextQuote >= 0; nextQuote = chunk.indexOf(QUOTE, nextQuote + 1)) inQuotes = !inQuotes;
    if (from < chunk.length) carry = carry ? Buffer.concat([carry, chunk.subarray(from)]) : Buffer.from(chunk.subarray(from));
    if (carry && carry.length > maxRecordBytes) throw new CsvSyntaxError('record-too-large', 0, csvMessages.getMessage('recordTooLarge', [maxRecordBytes]));
  }
  if (carry) {
    const pending = visit(carry, 0, carry.length);
    if (pending) await pending;
  }
}
