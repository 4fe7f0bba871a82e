/*
 * Reads CSV files the way a user's spreadsheet would, for assertions on result files.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';

export function readCsv(path: string): Array<Record<string, string>> {
  return parse(readFileSync(path, 'utf8'), { columns: true, bom: true });
}
