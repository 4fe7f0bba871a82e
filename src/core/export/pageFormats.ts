/*
 * What a result page becomes in the output file, a chunk at a time (never a whole page in memory):
 * - csv: the org's bytes as they came; the pages after the first lose their header;
 * - csv for load: each field rewritten where `load` needs it (an empty value as #N/A, so an update
 *   or upsert clears the field the snapshot had empty; a date-time's +0000 as Z);
 * - jsonl: one JSON object per record, the header's names as keys, an empty value as null.
 * Each counts the page's records, so they can be checked against what the org said it sent.
 */
import { StringDecoder } from 'node:string_decoder';
import { RecordBatcher } from '../csv/fastParser.js';
import { DELIMITER_CHARS, type ColumnDelimiter, type LineEnding } from '../bulk/types.js';
import { PageScanner } from './pageScanner.js';
import type { ExportFormat, ForLoad } from './types.js';

export type PageFormat = {
  /** the bytes to write for this chunk of the page */
  push(chunk: Buffer): Buffer;
  /** the bytes still to write once the page's body has ended */
  end(): Buffer;
  readonly records: number;
  /** false when the body ended inside a record */
  readonly whole: boolean;
};

export type FormatSpec = { format: ExportFormat; columnDelimiter: ColumnDelimiter; lineEnding: LineEnding; forLoad?: ForLoad };

/** A header of the first page is checked (for load: the key column is there) before any byte of it is written. */
export type HeaderCheck = (columns: string[]) => void;

export function pageFormat(spec: FormatSpec, firstPage: boolean, checkHeader?: HeaderCheck): PageFormat {
  if (spec.format === 'csv' && !spec.forLoad && !checkHeader) return new PassThroughPage(firstPage);
  return new RecordPage(spec, firstPage, checkHeader);
}

class PassThroughPage implements PageFormat {
  private readonly scanner = new PageScanner();
  private skipping: boolean;

  public constructor(firstPage: boolean) {
    this.skipping = !firstPage;
  }

  public get records(): number {
    return this.scanner.records;
  }

  public get whole(): boolean {
    return this.scanner.whole;
  }

  public push(chunk: Buffer): Buffer {
    const headerEnd = this.scanner.scan(chunk);
    if (!this.skipping) return chunk;
    if (headerEnd === undefined) return Buffer.alloc(0);
    this.skipping = false;
    return chunk.subarray(headerEnd);
  }

  public end(): Buffer {
    return Buffer.alloc(0);
  }
}

const SF_DATETIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+0000$/;

class RecordPage implements PageFormat {
  public records = 0;
  private readonly batcher: RecordBatcher;
  private readonly decoder = new StringDecoder('utf8');
  private readonly delimiter: string;
  private readonly eol: string;
  private readonly quoteWhen: RegExp;
  private columns?: string[];
  private lastRest = '';

  public constructor(private readonly spec: FormatSpec, private readonly firstPage: boolean, private readonly checkHeader?: HeaderCheck) {
    this.delimiter = DELIMITER_CHARS[spec.columnDelimiter];
    this.eol = spec.lineEnding === 'CRLF' ? '\r\n' : '\n';
    this.batcher = new RecordBatcher({ delimiter: this.delimiter, bom: false });
    this.quoteWhen = new RegExp(`["\\r\\n${this.delimiter === '\t' ? '\\t' : `\\${this.delimiter}`}]`);
  }

  public get whole(): boolean {
    return this.columns !== undefined && this.lastRest === '';
  }

  public push(chunk: Buffer): Buffer {
    return this.render(this.batcher.push(this.decoder.write(chunk)));
  }

  public end(): Buffer {
    const out = this.render(this.batcher.push(this.decoder.end()));
    this.lastRest = this.batcher.rest;
    return out;
  }

  private render(batch: Array<{ fields: string[] }>): Buffer {
    let text = '';
    for (const { fields } of batch) {
      if (!this.columns) {
        this.columns = fields;
        this.checkHeader?.(fields);
        if (this.firstPage && this.spec.format === 'csv') text += this.line(fields);
        continue;
      }
      this.records++;
      text += this.spec.format === 'jsonl' ? this.json(fields) : this.line(fields.map((v) => this.forLoad(v)));
    }
    return Buffer.from(text, 'utf8');
  }

  private forLoad(value: string): string {
    if (!this.spec.forLoad) return value;
    if (value === '') return '#N/A';
    return SF_DATETIME.test(value) ? `${value.slice(0, -5)}Z` : value;
  }

  private line(fields: string[]): string {
    return fields.map((v) => (this.quoteWhen.test(v) ? `"${v.replace(/"/g, '""')}"` : v)).join(this.delimiter) + this.eol;
  }

  private json(fields: string[]): string {
    const row: Record<string, string | null> = {};
    this.columns!.forEach((name, i) => (row[name] = fields[i] === '' || fields[i] === undefined ? null : fields[i]));
    return `${JSON.stringify(row)}\n`;
  }
}
