/*
 * A mapping of a file's columns to the object's fields, and the formats its cells are written in:
 * from a plan step, a YAML or JSON file, or a Data Loader mapping file (.sdl) read as it is (Data
 * Loader Guide: Map Columns): `Column=Field` lines (several fields after one column, comma
 * separated), `"value"=Field` for a constant, `Column=` to ignore a column, `#` comments, and the
 * Java properties escapes (`\:`, `\=`, `\ `).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CsvInputError } from './errors.js';
import { csvMessages } from './messages.js';
import type { CellFormat } from './formats.js';

export type MappingSpec = {
  /** a source column's field, or fields; '' ignores it */
  columns?: Record<string, string | string[]>;
  /** a field set to the same value in every row */
  constants?: Record<string, string>;
  /** source columns left out */
  ignore?: string[];
  /** a field's own format (its date, date-time, time zone or decimal separator) */
  formats?: Record<string, CellFormat>;
};

/** The formats of the whole load (--date-format, --datetime-format, --time-zone, --decimal-separator, --blank-as-null). */
export type FormatSpec = { dateFormat?: string; datetimeFormat?: string; timeZone?: string; decimalSeparator?: string; blankAsNull?: boolean };

/** What a load converts while it streams: the mapping and the formats; recorded in the run, so resume converts the same way. */
export type TransformSpec = { mapping?: MappingSpec; formats?: FormatSpec };

/** Reads a mapping file: .sdl (Data Loader), else YAML or JSON of a MappingSpec. */
export function readMappingFile(file: string): MappingSpec {
  if (!existsSync(file)) throw new CsvInputError('empty-file', file, 0, csvMessages.getMessage('mapping.notFound'));
  const text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  if (/\.sdl$/i.test(file)) return readSdl(file, text);
  return (parseYaml(text) ?? {}) as MappingSpec;
}

function readSdl(file: string, text: string): MappingSpec {
  const spec: Required<Pick<MappingSpec, 'columns' | 'constants' | 'ignore'>> = { columns: {}, constants: {}, ignore: [] };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) return;
    const eq = unescapedEquals(line);
    if (eq < 0) throw new CsvInputError('no-header', file, i + 1, csvMessages.getMessage('mapping.sdlLine'));
    const key = unescape(line.slice(0, eq).trim());
    const targets = unescape(line.slice(eq + 1).trim())
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
    const constant = /^"(.*)"$/.exec(key);
    if (constant) for (const t of targets) spec.constants[t] = constant[1];
    else if (targets.length === 0) spec.ignore.push(key);
    else spec.columns[key] = targets;
  });
  return spec;
}

function unescapedEquals(line: string): number {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\') i++;
    else if (line[i] === '=' || line[i] === ':') return i;
  }
  return -1;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}
