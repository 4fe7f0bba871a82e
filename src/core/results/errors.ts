/*
 * Reading Salesforce's per-row error text (`CODE:message:fields --`, Bulk API Developer Guide: Get Job Failed Record Results) and deciding
 * which failures are worth sending again unchanged.
 */
/** fields: the fields Salesforce names as the cause (the text's last part), possibly none. */
export type RowError = { code: string; message: string; fields: string[] };

export function parseRowError(text: string): RowError {
  const trimmed = text.replace(/\s*--\s*$/, '');
  const m = /^([A-Z][A-Z0-9_]*):(.*)$/s.exec(trimmed);
  if (!m) return { code: 'UNKNOWN', message: trimmed, fields: [] };
  // The message ends with ":field,field" (possibly empty); keep the field list out of it.
  const tail = /:([\w,\s.]*)$/.exec(m[2]);
  const message = tail ? m[2].slice(0, tail.index) : m[2];
  const fields = (tail?.[1] ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  return { code: m[1], message: message || m[2], fields: message ? fields : [] };
}

/** Failures caused by the org's state at the time, not by the row: the same row can succeed later. */
const TRANSIENT = new Set([
  'UNABLE_TO_LOCK_ROW',
  'REQUEST_RUNNING_TOO_LONG',
  'SERVER_UNAVAILABLE',
  'QUERY_TIMEOUT',
  'TOO_MANY_LOCK_FAILURE',
  'UNKNOWN_EXCEPTION',
  // a limit of the org at that moment (API requests in the rolling 24 hours)
  'REQUEST_LIMIT_EXCEEDED',
]);

export function isRetryable(code: string): boolean {
  return TRANSIENT.has(code);
}

/**
 * The fields a failure is about: those Salesforce names, or for a duplicate value (which names
 * none) the field its message names ("duplicate value found: <field> duplicates value on record …").
 */
export function causeFields(code: string, message: string, fields: string[]): string[] {
  if (fields.length || code !== 'DUPLICATE_VALUE') return fields;
  const m = /duplicate value found: (\S+) duplicates/i.exec(message);
  return m ? [m[1]] : fields;
}
