/*
 * Cells in a user's formats converted to the forms Bulk API takes (Bulk API Developer Guide:
 * Valid Date Format in Records): dates `yyyy-MM-dd`, date-times `yyyy-MM-ddTHH:mm:ss.SSSZ` in UTC,
 * numbers with a `.` decimal point. A local date-time is read in an IANA time zone with the
 * platform's own zone data (Intl), so daylight saving is right on both sides of a change: a time the
 * clocks skipped does not exist and is refused; a time the clocks passed twice is read as the first
 * (the earlier instant, still on summer time). A cell that does not fit gets a reason, never a guess.
 */
import { csvMessages } from './messages.js';

/** A format's pattern, e.g. dd/MM/yyyy HH:mm (d, dd, M, MM, yy, yyyy, H, HH, mm, ss, SSS; other characters as they are). */
export type DateFormat = { pattern: string; parts: Array<{ token: string } | { text: string }> };

export type CellFormat = { date?: string; datetime?: string; timeZone?: string; decimal?: string };

const TOKENS = ['yyyy', 'yy', 'MM', 'M', 'dd', 'd', 'HH', 'H', 'mm', 'ss', 'SSS'];

export class FormatError extends Error {
  public constructor(public readonly what: string) {
    super(what);
    this.name = 'FormatError';
  }
}

export function parseFormat(pattern: string): DateFormat {
  const parts: DateFormat['parts'] = [];
  let i = 0;
  while (i < pattern.length) {
    const token = TOKENS.find((t) => pattern.startsWith(t, i));
    if (token) {
      parts.push({ token });
      i += token.length;
    } else {
      const last = parts[parts.length - 1];
      if (last && 'text' in last) last.text += pattern[i];
      else parts.push({ text: pattern[i] });
      i++;
    }
  }
  // A two-digit year is a guess of the century (85: 1985 or 2085?): refused, never guessed.
  if (parts.some((p) => 'token' in p && p.token === 'yy')) throw new FormatError(csvMessages.getMessage('format.twoDigitYear', [pattern]));
  if (!parts.some((p) => 'token' in p && p.token.startsWith('y')) || !parts.some((p) => 'token' in p && p.token.startsWith('M')) || !parts.some((p) => 'token' in p && p.token.startsWith('d'))) {
    throw new FormatError(csvMessages.getMessage('format.incomplete', [pattern]));
  }
  return { pattern, parts };
}

/** Checks a time zone name against the platform's zone data. */
export function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new FormatError(csvMessages.getMessage('format.timeZone', [zone]));
  }
}

type Fields = { y: number; mo: number; d: number; h: number; mi: number; s: number; ms: number };

const SET: Record<string, (f: Fields, n: number, token: string) => void> = {
  y: (f, n) => (f.y = n),
  M: (f, n) => (f.mo = n),
  d: (f, n) => (f.d = n),
  H: (f, n) => (f.h = n),
  m: (f, n) => (f.mi = n),
  s: (f, n) => (f.s = n),
  S: (f, n) => (f.ms = n),
};

/** Where the digits of a token starting at `at` end (a one-letter token takes one to four digits), or -1. */
function digitsEnd(v: string, at: number, token: string): number {
  const fixed = token.length > 1;
  let end = at;
  while (end < v.length && v.charCodeAt(end) >= 48 && v.charCodeAt(end) <= 57 && (!fixed || end - at < token.length) && end - at < 4) end++;
  return end === at || (fixed && end - at !== token.length) ? -1 : end;
}

function isReal(f: Fields): boolean {
  const days = new Date(Date.UTC(f.y, f.mo, 0)).getUTCDate();
  return f.mo >= 1 && f.mo <= 12 && f.d >= 1 && f.d <= days && f.h <= 23 && f.mi <= 59 && f.s <= 59;
}

/** The cell's numbers by the format; undefined when the cell does not fit it, or is not a real date. */
function read(format: DateFormat, v: string): Fields | undefined {
  const f: Fields = { y: -1, mo: -1, d: -1, h: 0, mi: 0, s: 0, ms: 0 };
  let at = 0;
  for (const p of format.parts) {
    if ('text' in p) {
      if (!v.startsWith(p.text, at)) return undefined;
      at += p.text.length;
      continue;
    }
    const end = digitsEnd(v, at, p.token);
    if (end < 0) return undefined;
    SET[p.token[0]](f, Number(v.slice(at, end)), p.token);
    at = end;
  }
  return at === v.length && isReal(f) ? f : undefined;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** A date cell as yyyy-MM-dd; a reason when it does not fit. */
export function convertDate(format: DateFormat, v: string): { value: string } | { reason: string } {
  const f = read(format, v);
  if (!f) return { reason: csvMessages.getMessage('format.notDate', [format.pattern]) };
  return { value: `${pad(f.y, 4)}-${pad(f.mo)}-${pad(f.d)}` };
}

/** The zone's offset from UTC (ms) at an instant. */
function offsetAt(zone: Intl.DateTimeFormat, instant: number): number {
  const parts = Object.fromEntries(zone.formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour) % 24, Number(parts.minute), Number(parts.second));
  return local - Math.floor(instant / 1000) * 1000;
}

const zones = new Map<string, Intl.DateTimeFormat>();

function zoneFormat(zone: string): Intl.DateTimeFormat {
  let z = zones.get(zone);
  if (!z) {
    z = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    zones.set(zone, z);
  }
  return z;
}

/** A local date-time cell, read in `zone`, as the UTC instant Bulk API takes; a reason when it does not fit or does not exist there. */
export function convertDateTime(format: DateFormat, zone: string, v: string): { value: string } | { reason: string } {
  const f = read(format, v);
  if (!f) return { reason: csvMessages.getMessage('format.notDateTime', [format.pattern]) };
  const wall = Date.UTC(f.y, f.mo - 1, f.d, f.h, f.mi, f.s, f.ms);
  const z = zoneFormat(zone);
  // The instants whose local time could be this wall time: one per offset the zone had around it.
  const candidates = [...new Set([offsetAt(z, wall - 86_400_000), offsetAt(z, wall), offsetAt(z, wall + 86_400_000)])]
    .map((off) => wall - off)
    .filter((t) => t + offsetAt(z, t) === wall)
    .sort((a, b) => a - b);
  if (candidates.length === 0) return { reason: csvMessages.getMessage('format.skippedTime', [zone]) };
  return { value: new Date(candidates[0]).toISOString() };
}

/** A number with `decimal` as its decimal separator (spaces and the other separator taken as grouping), with a `.` point. */
export function convertDecimal(decimal: string, v: string): { value: string } | { reason: string } {
  // Grouping marks only between groups of three digits before the decimal separator ("1.234.567,5"
  // with ","; "1,234.5" with "."), one kind in a value: "1.5" with "," is refused, never read as 15.
  const group = decimal === ',' ? "[.\\s\\u00a0\\u202f']" : "[,\\s\\u00a0\\u202f']";
  const sep = decimal === ',' ? ',' : '\\.';
  const shape = new RegExp(`^[-+]?(?:\\d{1,3}(${group})\\d{3}(?:\\1\\d{3})*|\\d+)?(?:${sep}\\d+)?$`);
  const m = shape.exec(v);
  if (!m || !/\d/.test(v)) return { reason: csvMessages.getMessage('format.notNumber', [decimal]) };
  const plain = (m[1] ? v.split(m[1]).join('') : v).replace(decimal, '.');
  return { value: plain };
}
