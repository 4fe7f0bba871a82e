/*
 * Date and date-time cells in the forms Bulk API accepts (Bulk API Developer Guide: Prepare CSV Files): date `yyyy-MM-dd`,
 * date-time `yyyy-MM-ddTHH:mm:ss(.SSS)?(Z|±HH:mm)`. Parsed by hand, character by character: these
 * run once per cell of multi-million-row files, and a real-date check needs the numbers anyway.
 */
import { preflightMessages } from './messages.js';
import { quoted } from './problems.js';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** The number in v[from, from+count), or -1 when any of those characters is not a digit. */
function digitsAt(v: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = v.charCodeAt(i);
    if (!isDigit(c)) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** A day that exists: no 2023-02-29, no 2024-04-31 (Salesforce refuses what would roll over). */
function isRealDay(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]);
}

type DayParse = 'ok' | 'shape' | 'no-such-day';

/** Reads `yyyy-MM-dd` at the start of v. */
function readDay(v: string): DayParse {
  if (v.length < 10 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45) return 'shape';
  const y = digitsAt(v, 0, 4);
  const m = digitsAt(v, 5, 2);
  const d = digitsAt(v, 8, 2);
  if (y < 0 || m < 0 || d < 0) return 'shape';
  return isRealDay(y, m, d) ? 'ok' : 'no-such-day';
}

/** Why v is not a date cell, or undefined when it is one. */
export function dateProblem(v: string): string | undefined {
  const day = readDay(v);
  if (day === 'ok' && v.length === 10) return undefined;
  if (day === 'no-such-day') return preflightMessages.getMessage('notRealDate', [quoted(v.slice(0, 10))]);
  if (day === 'ok') return preflightMessages.getMessage('dateOnlyDay', [quoted(v)]);
  return preflightMessages.getMessage('badDate', [quoted(v)]);
}

/** Why v is not a date-time cell, or undefined when it is one. */
export function dateTimeProblem(v: string): string | undefined {
  const day = readDay(v);
  if (day === 'no-such-day') return preflightMessages.getMessage('notRealDate', [quoted(v.slice(0, 10))]);
  // Built only when needed: valid date-times (nearly every cell) pay for no text.
  const shape = (): string => preflightMessages.getMessage('badDateTime', [quoted(v)]);
  if (day === 'shape') return shape();
  if (v.length === 10) return preflightMessages.getMessage('dateTimeNoTime', [quoted(v)]);
  if (v.charCodeAt(10) !== 84 /* T */) return preflightMessages.getMessage('dateTimeNoT', [quoted(v)]);
  if (v.length < 19 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return shape();
  const h = digitsAt(v, 11, 2);
  const mi = digitsAt(v, 14, 2);
  const s = digitsAt(v, 17, 2);
  if (h < 0 || mi < 0 || s < 0) return shape();
  if (h > 23 || mi > 59 || s > 59) return preflightMessages.getMessage('noSuchTimeOfDay', [quoted(v)]);
  let i = 19;
  if (v.charCodeAt(i) === 46 /* . */) {
    i++;
    const start = i;
    while (i < v.length && isDigit(v.charCodeAt(i))) i++;
    if (i === start) return shape();
  }
  return zoneProblem(v, i) ?? undefined;
}

/** The time zone at v[i…]: `Z` or `±HH:mm` (at most ±14:00, the widest real offset). */
function zoneProblem(v: string, i: number): string | undefined {
  if (i === v.length) return preflightMessages.getMessage('noTimeZone', [quoted(v)]);
  const c = v.charCodeAt(i);
  if (c === 90 /* Z */ && i + 1 === v.length) return undefined;
  if ((c === 43 /* + */ || c === 45) /* - */ && i + 6 === v.length && v.charCodeAt(i + 3) === 58) {
    const oh = digitsAt(v, i + 1, 2);
    const om = digitsAt(v, i + 4, 2);
    if (oh >= 0 && om >= 0 && oh <= 14 && om <= 59) return undefined;
  }
  return preflightMessages.getMessage('badTimeZone', [quoted(v)]);
}
