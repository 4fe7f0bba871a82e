/*
 * Streams a CSV file as records with their input line numbers, in flat memory: bytes are checked
 * (or converted) to UTF-8, the BOM is dropped, the delimiter and line ending come from the file
 * unless the user set them.
 */
import { createReadStream } from 'node:fs';
import { Readable, Transform, TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import { parse, CsvError } from 'csv-parse';
import { ColumnDelimiter, DELIMITER_CHARS, LineEnding } from '../bulk/types.js';
import { CsvInputError } from './errors.js';
import { sniffFile } from './sniff.js';
import { Utf8Guard, Utf8GuardError } from './utf8Guard.js';

export type CsvReadOptions = {
  delimiter?: ColumnDelimiter;
  lineEnding?: LineEnding;
  /** the file's encoding when it is not UTF-8 (any label TextDecoder knows: latin1, windows-1252, utf-16le…) */
  encoding?: string;
};

/** A data row: its fields and the line it starts on (fileIndex: which of several input files). */
export type CsvRecord = { line: number; fields: string[]; fileIndex?: number };

/** Salesforce's per-record limit is 400,000 characters; a larger record means a quote left open. */
const MAX_RECORD_CHARS = 1_000_000;

export type CsvSource = {
  file: string;
  header: string[];
  /** the header's line number (1, or later when blank lines precede it) */
  headerLine: number;
  delimiter: ColumnDelimiter;
  lineEnding: LineEnding;
  bom: boolean;
  records: AsyncIterable<CsvRecord>;
};

/** Opens a CSV: reads the header, then hands out the records lazily. */
export async function openCsv(file: string, opts: CsvReadOptions = {}): Promise<CsvSource> {
  const shape = await sniffFile(file);
  if (shape.utf16 && !opts.encoding) {
    throw new CsvInputError('encoding', file, 1, 'the file is UTF-16 (it starts with a UTF-16 byte order mark); pass --encoding utf-16le');
  }
  const delimiter = opts.delimiter ?? shape.delimiter;
  const lineEnding = opts.lineEnding ?? shape.lineEnding;
  const iterator = records(file, delimiter, opts.encoding)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new CsvInputError('empty-file', file, 1, 'the file is empty: a header row with field names is needed');
  const header = first.value.fields;
  checkHeader(file, first.value.line, header);
  return {
    file,
    header,
    headerLine: first.value.line,
    delimiter,
    lineEnding,
    bom: shape.bom,
    records: { [Symbol.asyncIterator]: () => iterator },
  };
}

function checkHeader(file: string, line: number, header: string[]): void {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name.trim() === '') throw new CsvInputError('empty-header', file, line, `column ${i + 1} of the header has no name`);
    const key = name.toLowerCase();
    if (seen.has(key)) throw new CsvInputError('duplicate-header', file, line, `column "${name}" appears twice in the header`, name);
    seen.set(key, i);
  });
}

async function* records(file: string, delimiter: ColumnDelimiter, encoding?: string): AsyncGenerator<CsvRecord> {
  const decoded: Readable =
    encoding && !/^utf-?8$/i.test(encoding)
      ? createReadStream(file).pipe(new Transcoder(encoding))
      : createReadStream(file).pipe(new Utf8Guard());
  const parser = decoded.pipe(
    parse({
      delimiter: DELIMITER_CHARS[delimiter],
      bom: true,
      relax_column_count: true,
      info: true,
      max_record_size: MAX_RECORD_CHARS,
    })
  );
  // Errors of the decoding stage do not travel through pipe(): hand them to the parser.
  decoded.on('error', (e) => parser.destroy(e));
  let lastEnd = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const start = lastEnd + 1;
      lastEnd = item.info.lines;
      // A blank line parses as one empty field: skip it, as Salesforce does.
      if (item.record.length === 1 && item.record[0] === '') continue;
      yield { line: start, fields: item.record };
    }
  } catch (e) {
    throw toInputError(file, e, lastEnd + 1);
  }
}

function toInputError(file: string, e: unknown, line: number): Error {
  if (e instanceof Utf8GuardError) {
    return new CsvInputError('encoding', file, e.line, `the file is not UTF-8 (invalid byte at offset ${e.byteOffset}); save it as UTF-8 or pass --encoding with its encoding, e.g. --encoding windows-1252`);
  }
  if (e instanceof CsvError) {
    const at = (e as unknown as { lines?: number }).lines ?? line;
    if (e.code === 'CSV_MAX_RECORD_SIZE') {
      return new CsvInputError('record-too-large', file, line, `a record starting here is over ${MAX_RECORD_CHARS} characters: probably a quote that is never closed`);
    }
    return new CsvInputError('quote', file, at, `the CSV cannot be parsed: ${e.message.replace(/^Invalid \w+:\s*/, '')}`);
  }
  return e as Error;
}

/** Converts another encoding to UTF-8 as the bytes stream by. */
class Transcoder extends Transform {
  private readonly decoder: TextDecoder;

  public constructor(encoding: string) {
    super();
    try {
      this.decoder = new TextDecoder(encoding);
    } catch {
      throw new Error(`Unknown encoding "${encoding}"`);
    }
  }

  public _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.decode(chunk, { stream: true }), 'utf8'));
  }

  public _flush(done: TransformCallback): void {
    done(null, Buffer.from(this.decoder.decode(), 'utf8'));
  }
}
