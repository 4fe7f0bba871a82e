/*
 * An export meant to be loaded back (--for-load): the file must hold the column load matches its
 * records on, checked on the first page's header before a byte is written. The rows themselves are
 * rewritten as they pass (pageFormats.ts): empty values as #N/A, date-times with Z.
 */
import { ForLoadColumnError } from './errors.js';
import type { HeaderCheck } from './pageFormats.js';
import type { ForLoad } from './types.js';

export function forLoadHeaderCheck(forLoad: ForLoad): HeaderCheck {
  const key = forLoad.operation === 'upsert' ? forLoad.externalId ?? 'Id' : 'Id';
  return (columns) => {
    if (!columns.some((c) => c.toLowerCase() === key.toLowerCase())) throw new ForLoadColumnError(key, forLoad.operation);
  };
}
