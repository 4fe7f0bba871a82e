/*
 * Reading Salesforce's per-row error text (`CODE:message:fields --`, bulk-api.md §6) and deciding
 * which failures are worth sending again unchanged.
 */
export type RowError = { code: string; message: string };

export function parseRowError(text: string): RowError {
  const trimmed = text.replace(/\s*--\s*$/, '');
  const m = /^([A-Z][A-Z0-9_]*):(.*)$/s.exec(trimmed);
  if (!m) return { code: 'UNKNOWN', message: trimmed };
  // The message ends with ":field,field" (possibly empty); keep the field list out of it.
  const message = m[2].replace(/:[\w,\s.]*$/, '');
  return { code: m[1], message: message || m[2] };
}

/** Failures caused by the org's state at the time, not by the row: the same row can succeed later. */
const TRANSIENT = new Set([
  'UNABLE_TO_LOCK_ROW',
  'REQUEST_RUNNING_TOO_LONG',
  'SERVER_UNAVAILABLE',
  'QUERY_TIMEOUT',
  'TOO_MANY_LOCK_FAILURE',
  'UNKNOWN_EXCEPTION',
]);

export function isRetryable(code: string): boolean {
  return TRANSIENT.has(code);
}
