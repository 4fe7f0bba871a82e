/*
 * Streams a CSV file as records with their input line numbers, in flat memory: bytes are checked
 * (or converted) to UTF-8, the BOM is dropped, the delimiter comes from the file unless the user set
 * it; records end at LF, CRLF or a lone CR alike. Records come in batches (see fastParser.ts) for speed.
 */
import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';
import { ColumnDelimiter, DELIMITER_CHARS } from '../bulk/types.js';
import { CsvInputError } from './errors.js';
import { sniffFile } from './sniff.js';
import { checkedUtf8, Utf8GuardError } from './utf8Guard.js';
import { CsvSyntaxError, parseCsvBatches } from './fastParser.js';
import { csvMessages } from './messages.js';

/** No line ending option: records end at LF, CRLF or a lone CR alike (fastParser.ts), and parts are written with LF. */
export type CsvReadOptions = {
  delimiter?: ColumnDelimiter;
  /** the file's encoding when it is not UTF-8 (any label TextDecoder knows: latin1, windows-1252, utf-16le…) */
  encoding?: string;
};

/**
 * A data row: its fields and the line it starts on (fileIndex: which of several input files);
 * text: the row as csvLine writes it, when the file already had that form (see fastParser.ts).
 */
export type CsvRecord = { line: number; fields: string[]; fileIndex?: number; text?: string };

/** Salesforce's per-record limit is 400,000 characters; a larger record means a quote left open. */
export const MAX_RECORD_CHARS = 1_000_000;

export type CsvSource = {
  file: string;
  header: string[];
  /** the header's line number (1, or later when blank lines precede it) */
  headerLine: number;
  delimiter: ColumnDelimiter;
  bom: boolean;
  /** the data rows, a batch at a time (the fast path) */
  batches: AsyncIterable<CsvRecord[]>;
  /** the same rows one at a time (read one or the other, once) */
  records: AsyncIterable<CsvRecord>;
  /** stops the read (its rows are read another way, or not at all) */
  close: () => Promise<void>;
};

/** Opens a CSV: reads the header, then hands out the records lazily. */
/** `bytes`, when given, sees every byte of the file as it is read (for the run's fingerprint). */
export async function openCsv(file: string, opts: CsvReadOptions = {}, bytes?: { update: (b: Buffer) => void; endFile: () => void }): Promise<CsvSource> {
  const shape = await sniffFile(file);
  if (shape.utf16 && !opts.encoding) {
    throw new CsvInputError('encoding', file, 1, csvMessages.getMessage('utf16'));
  }
  const delimiter = opts.delimiter ?? shape.delimiter;
  const iterator = batchesOf(file, delimiter, opts.encoding, bytes)[Symbol.asyncIterator]();
  // The header is the first record; the rest of its batch is handed out first.
  let pending: CsvRecord[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) throw new CsvInputError('empty-file', file, 1, csvMessages.getMessage('emptyFile'));
    if (next.value.length) {
      pending = next.value;
      break;
    }
  }
  const first = pending.shift()!;
  const header = first.fields;
  checkHeader(file, first.line, header);
  async function* batches(): AsyncGenerator<CsvRecord[]> {
    if (pending.length) yield pending;
    for (let n = await iterator.next(); !n.done; n = await iterator.next()) yield n.value;
  }
  const batchIterable = batches();
  return {
    file,
    header,
    headerLine: first.line,
    delimiter,
    bom: shape.bom,
    batches: batchIterable,
    records: (async function* (): AsyncGenerator<CsvRecord> {
      for await (const batch of batchIterable) yield* batch;
    })(),
    close: async (): Promise<void> => {
      await iterator.return?.(undefined);
    },
  };
}

function checkHeader(file: string, line: number, header: string[]): void {
  const seen = new Map<string, number>();
  header.forEach((name, i) => {
    if (name.trim() === '') throw new CsvInputError('empty-header', file, line, csvMessages.getMessage('emptyHeader', [i + 1]));
    const key = name.toLowerCase();
    if (seen.has(key)) throw new CsvInputError('duplicate-header', file, line, csvMessages.getMessage('duplicateHeader', [name]), name);
    seen.set(key, i);
  });
}

async function* batchesOf(
  file: string,
  delimiter: ColumnDelimiter,
  encoding?: string,
  bytes?: { update: (b: Buffer) => void; endFile: () => void }
): AsyncGenerator<CsvRecord[]> {
  const raw = createReadStream(file, { highWaterMark: 256 * 1024 });
  // Read as it is parsed (no read ahead of the parse), so several files are fingerprinted in order.
  const read = (async function* (): AsyncGenerator<Buffer> {
    for await (const b of raw as AsyncIterable<Buffer>) {
      bytes?.update(b);
      yield b;
    }
    bytes?.endFile();
  })();
  const decoded = encoding !== undefined && !/^utf-?8$/i.test(encoding) ? transcoded(read, decoder(file, encoding)) : checkedUtf8(read);
  try {
    yield* parseCsvBatches(decoded, { delimiter: DELIMITER_CHARS[delimiter], maxRecordChars: MAX_RECORD_CHARS, text: true });
  } catch (e) {
    throw toInputError(file, e);
  } finally {
    // A read stopped early (close()) lets go of its file at once.
    raw.destroy();
  }
}

function toInputError(file: string, e: unknown): Error {
  if (e instanceof Utf8GuardError) {
    return new CsvInputError('encoding', file, e.line, csvMessages.getMessage('notUtf8', [e.byteOffset]));
  }
  if (e instanceof CsvSyntaxError) {
    return new CsvInputError(e.code === 'quote' ? 'quote' : 'record-too-large', file, e.line, csvMessages.getMessage('cannotParse', [e.message]));
  }
  return e as Error;
}

/** The converter for --encoding; an encoding Node does not know is the input's problem, named with its file. */
function decoder(file: string, encoding: string): TextDecoder {
  try {
    return new TextDecoder(encoding);
  } catch {
    throw new CsvInputError('encoding', file, 1, `Unknown encoding "${encoding}"`);
  }
}

/** Converts another encoding to UTF-8 as the bytes stream by. */
async function* transcoded(input: AsyncIterable<Buffer>, from: TextDecoder): AsyncGenerator<Buffer> {
  for await (const chunk of input) yield Buffer.from(from.decode(chunk, { stream: true }), 'utf8');
  const rest = from.decode();
  if (rest) yield Buffer.from(rest, 'utf8');
}
