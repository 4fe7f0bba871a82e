/*
 * CSV serialisation for what we upload and what we write for users: RFC 4180, LF line ends,
 * quotes only where a value needs them.
 */
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  return NEEDS_QUOTES.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function csvLine(values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    out += csvField(values[i]);
  }
  return out + '\n';
}
