/*
 * Looks at the start of a CSV file to learn its shape before parsing: BOM and delimiter. Users'
 * files come from Excel, databases and scripts; we adapt to them instead of failing the job after
 * upload. Line ends need no looking at: the parser ends records at LF, CRLF or CR alike and parts are
 * written with LF (plugin-data takes the line ending from the OS, not the file, and fails the job).
 */
import { open } from 'node:fs/promises';
import { ColumnDelimiter, DELIMITER_CHARS } from '../bulk/types.js';

export type CsvShape = {
  bom: boolean;
  delimiter: ColumnDelimiter;
  /** a UTF-16 BOM was seen: the file must be converted (--encoding utf-16le) */
  utf16: boolean;
};

const SAMPLE_BYTES = 64 * 1024;

export async function sniffFile(path: string): Promise<CsvShape> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SAMPLE_BYTES, 0);
    return sniff(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

export function sniff(sample: Buffer): CsvShape {
  const utf16 = (sample[0] === 0xff && sample[1] === 0xfe) || (sample[0] === 0xfe && sample[1] === 0xff);
  const bom = sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf;
  const text = sample.subarray(bom ? 3 : 0).toString('latin1');
  return { bom, utf16, delimiter: detectDelimiter(text) };
}

/** The candidate seen most often outside quotes on the header line; comma when none is seen. */
function detectDelimiter(text: string): ColumnDelimiter {
  const counts = new Map<ColumnDelimiter, number>();
  const byChar = new Map(Object.entries(DELIMITER_CHARS).map(([name, ch]) => [ch, name as ColumnDelimiter]));
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === '\n' || c === '\r')) break;
    else if (!quoted && byChar.has(c)) counts.set(byChar.get(c)!, (counts.get(byChar.get(c)!) ?? 0) + 1);
  }
  let best: ColumnDelimiter = 'COMMA';
  let bestCount = 0;
  for (const [name, n] of counts) {
    if (n > bestCount) {
      best = name;
      bestCount = n;
    }
  }
  return best;
}
