/*
 * One checker per column, built once from the field's describe: the hot loop then calls a closure
 * per cell with no lookups, no regex compilation and no allocation unless the cell is bad.
 * Empty cells and `#N/A` (set to null) never reach these: they are never a type error.
 */
import { dateProblem, dateTimeProblem } from './calendar.js';
import { closestName } from './closestName.js';
import type { FieldDescribe } from './describe.js';
import { preflightMessages } from './messages.js';
import { quoted, type ProblemKind } from './problems.js';
import { idProblem } from './salesforceId.js';

export type Fault = { kind: ProblemKind; detail: string };
export type CellCheck = (value: string) => Fault | undefined;

const INTEGER_RE = /^[+-]?\d+$/;
// xsd:double's lexical form, which is what Salesforce parses: plain decimals, and exponents too
// (Salesforce writes 9.1226E8 in its own result files, so refusing them would refuse its own output).
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const GROUPED_DIGITS_RE = /^[+-]?\d{1,3}(?:[,' ]\d{3})+(?:[.,]\d+)?$/;
const DECIMAL_COMMA_RE = /^[+-]?\d+,\d+$/;
const MONEY_SIGNS_RE = /[$€£¥%]/;
// local@domain.tld with the characters mail systems allow; Salesforce's own check is of this kind.
const EMAIL_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const INT_MIN = -2_147_483_648;
const INT_MAX = 2_147_483_647;

const TEXT_TYPES = new Set(['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist', 'combobox', 'encryptedstring']);
const DECIMAL_TYPES = new Set(['double', 'currency', 'percent']);

/** The checker for a column that writes `field`, or undefined when no value can be wrong for it. */
export function cellCheck(field: FieldDescribe): CellCheck | undefined {
  const t = field.type;
  if (t === 'id' || t === 'reference') return checkId;
  if (t === 'boolean') return checkBoolean;
  if (t === 'date') return checkDate;
  if (t === 'datetime') return checkDateTime;
  if (t === 'int') return intCheck(field);
  if (DECIMAL_TYPES.has(t)) return decimalCheck(field);
  if (TEXT_TYPES.has(t)) return textCheck(field);
  return undefined;
}

const fault = (kind: ProblemKind, detail: string): Fault => ({ kind, detail });

function checkId(v: string): Fault | undefined {
  const why = idProblem(v);
  return why === undefined ? undefined : fault('malformed-id', why);
}

function checkBoolean(v: string): Fault | undefined {
  if (v.length <= 5) {
    const l = v.toLowerCase();
    if (l === 'true' || l === 'false' || l === '1' || l === '0') return undefined;
  }
  return fault('bad-boolean', preflightMessages.getMessage('badBoolean', [quoted(v)]));
}

function checkDate(v: string): Fault | undefined {
  const why = dateProblem(v);
  return why === undefined ? undefined : fault('bad-date', why);
}

function checkDateTime(v: string): Fault | undefined {
  const why = dateTimeProblem(v);
  return why === undefined ? undefined : fault('bad-datetime', why);
}

/** Says how a rejected number should be written, from the way it was written. */
function numberAdvice(v: string, whole: boolean): string {
  const plain = whole ? preflightMessages.getMessage('plainWholeNumber') : preflightMessages.getMessage('plainDecimal');
  const trimmed = v.trim();
  if (trimmed !== v && (whole ? INTEGER_RE : DECIMAL_RE).test(trimmed)) {
    return preflightMessages.getMessage('numberHasSpaces', [quoted(v), trimmed]);
  }
  if (GROUPED_DIGITS_RE.test(trimmed)) return preflightMessages.getMessage('numberGrouped', [quoted(v), plain]);
  if (DECIMAL_COMMA_RE.test(trimmed)) return preflightMessages.getMessage('numberDecimalComma', [quoted(v), plain]);
  if (MONEY_SIGNS_RE.test(trimmed)) return preflightMessages.getMessage('numberMoneySigns', [quoted(v), plain]);
  return preflightMessages.getMessage('notANumber', [quoted(v), plain]);
}

function intCheck(field: FieldDescribe): CellCheck {
  const digits = field.digits ?? field.precision;
  // An int is 32-bit whatever its digits; fewer digits narrow it symmetrically.
  const narrowed = digits > 0 && 10 ** digits - 1 < INT_MAX;
  const limit = narrowed ? 10 ** digits - 1 : INT_MAX;
  const lowest = narrowed ? -limit : INT_MIN;
  return (v) => {
    if (!INTEGER_RE.test(v)) return fault('bad-number', numberAdvice(v, true));
    const n = Number(v);
    if (n > limit || n < lowest) {
      return fault('number-out-of-range', preflightMessages.getMessage('intOutOfRange', [v, field.name, limit]));
    }
    return undefined;
  };
}

function decimalCheck(field: FieldDescribe): CellCheck {
  const scale = Math.max(0, field.scale);
  const wholeDigits = field.precision - scale;
  // Salesforce rounds to the field's scale, then refuses what has too many digits before the point.
  const bound = field.precision > 0 ? 10 ** wholeDigits - 0.5 * 10 ** -scale : Number.POSITIVE_INFINITY;
  return (v) => {
    if (!DECIMAL_RE.test(v)) return fault('bad-number', numberAdvice(v, false));
    const n = Number(v);
    if (!Number.isFinite(n) || Math.abs(n) >= bound) {
      return fault(
        'number-out-of-range',
        preflightMessages.getMessage(wholeDigits === 1 ? 'decimalOutOfRangeOne' : 'decimalOutOfRange', [v, field.name, wholeDigits])
      );
    }
    return undefined;
  };
}

function textCheck(field: FieldDescribe): CellCheck | undefined {
  const max = field.length;
  const email = field.type === 'email';
  const picklist = field.restrictedPicklist ? picklistCheck(field) : undefined;
  if (max <= 0 && !email && !picklist) return undefined;
  return (v) => {
    // UTF-16 code units, as Salesforce (Java) counts them: an emoji counts 2.
    if (max > 0 && v.length > max) {
      return fault('too-long', preflightMessages.getMessage('tooLong', [v.length, field.name, max]));
    }
    if (email && !EMAIL_RE.test(v)) return fault('bad-email', preflightMessages.getMessage('badEmail', [quoted(v)]));
    return picklist ? picklist(v) : undefined;
  };
}

/** Restricted picklists refuse values that are not active ones; a multi-select checks each of its `;` parts. */
function picklistCheck(field: FieldDescribe): CellCheck {
  const active = field.picklistValues.filter((p) => p.active).map((p) => p.value);
  const allowed = new Set(active);
  const multi = field.type === 'multipicklist';
  const refuse = (bad: string): Fault => {
    const near = closestName(bad, active);
    const hint =
      near !== undefined ? preflightMessages.getMessage('picklistDidYouMean', [near]) : preflightMessages.getMessage('picklistActiveValues', [listed(active)]);
    return fault('bad-picklist', preflightMessages.getMessage('badPicklist', [quoted(bad), field.name, hint]));
  };
  return (v) => {
    if (!multi) return allowed.has(v) ? undefined : refuse(v);
    if (allowed.has(v)) return undefined;
    for (const part of v.split(';')) if (!allowed.has(part)) return refuse(part);
    return undefined;
  };
}

function listed(values: string[]): string {
  const shown = values.slice(0, 10).join(', ');
  return values.length > 10 ? preflightMessages.getMessage('listedMore', [shown, values.length]) : shown;
}
