/*
 * CSV as the Bulk APIs read and write it: the job declares the delimiter and line ending, and
 * Salesforce does not forgive a mismatch or strip a BOM (Bulk API Developer Guide: Prepare CSV Files).
 */
import { parse } from 'csv-parse/sync';

export const DELIMITERS: Record<string, string> = {
  BACKQUOTE: '`',
  CARET: '^',
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
};

export type ParsedCsv = { ok: true; header: string[]; rows: string[][] } | { ok: false; message: string };

/** Parses an upload; a line-ending mismatch or broken quoting fails the whole job with ClientInputError. */
export function parseUpload(data: Buffer, delimiterName: string, lineEnding: 'LF' | 'CRLF'): ParsedCsv {
  const text = data.toString('utf8');
  // The header line has no quoted newlines in practice, so its end tells which line ending the file uses.
  const firstNl = text.indexOf('\n');
  if (firstNl > 0) {
    const crlf = text.charAt(firstNl - 1) === '\r';
    if (crlf !== (lineEnding === 'CRLF')) {
      return { ok: false, message: `ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is ${lineEnding}` };
    }
  }
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: DELIMITERS[delimiterName] ?? ',',
      record_delimiter: lineEnding === 'CRLF' ? '\r\n' : '\n',
      relax_column_count: true,
      bom: false,
      skip_empty_lines: true,
    });
  } catch (e) {
    return { ok: false, message: `ClientInputError : Failed to parse CSV: ${(e as Error).message}` };
  }
  if (records.length === 0) return { ok: false, message: 'ClientInputError : CSV data is empty' };
  const [header, ...rows] = records;
  return { ok: true, header, rows };
}

/** Quotes every value, as Salesforce's result files do. */
export function quoteCsv(values: readonly string[], delimiter = ','): string {
  // A loop, and a replace only where a quote is: query jobs render millions of records with it.
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += `${i > 0 ? delimiter : ''}"${v.includes('"') ? v.replace(/"/g, '""') : v}"`;
  }
  return out;
}

/** Renders a stored value the way result and query files show it. */
export function renderValue(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

/** Deterministic shuffle (mulberry32) so a job's result order is random-looking yet stable across downloads. */
export function shuffled<T>(items: T[], seed: number): T[] {
  const out = items.slice();
  let a = seed >>> 0;
  const rand = (): number => {
    a = (a + 0x6d_2b_79_f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
