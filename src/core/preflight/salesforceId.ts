/*
 * Salesforce record IDs: 15 case-sensitive letters and digits, or 18 where the last 3 encode which of
 * the first 15 are upper case. A spreadsheet that changed an ID's case breaks the 18-char suffix,
 * which is why the suffix is worth computing rather than just counting characters.
 */
import { preflightMessages } from './messages.js';
import { quoted } from './problems.js';

const SUFFIX_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

function isAlphanumeric(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The 3-character case-safe suffix of the first 15 characters: one bit per upper-case letter. */
export function caseSafeSuffix(id: string): string {
  let suffix = '';
  for (let group = 0; group < 3; group++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id.charCodeAt(group * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX_ALPHABET[bits];
  }
  return suffix;
}

/** Why `value` is not a record ID, or undefined when it is one. */
export function idProblem(value: string): string | undefined {
  const n = value.length;
  if (n !== 15 && n !== 18) {
    return preflightMessages.getMessage('idWrongLength', [quoted(value), n]);
  }
  for (let i = 0; i < n; i++) {
    if (!isAlphanumeric(value.charCodeAt(i))) {
      return preflightMessages.getMessage('idNotAlphanumeric', [quoted(value)]);
    }
  }
  if (n === 18) {
    const expected = caseSafeSuffix(value);
    if (value.slice(15) !== expected) {
      return preflightMessages.getMessage('idBadSuffix', [quoted(value), expected]);
    }
  }
  return undefined;
}
