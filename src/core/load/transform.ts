/*
 * The transform in the split path: each row, as it streams, mapped to the object's fields (columns
 * renamed, left out, constants added) and its cells converted to Salesforce's forms (dates, date-
 * times in a time zone, decimal separators; blanks as #N/A with --blank-as-null). A cell that does
 * not fit its format is never sent: the row is rejected with its line, column, value and the form
 * expected. One row at a time, in place: memory stays flat.
 */
import { closestName } from '../preflight/closestName.js';
import type { FieldDescribe } from '../preflight/describe.js';
import { CsvInputError } from '../csv/errors.js';
import { checkTimeZone, convertDate, convertDateTime, convertDecimal, parseFormat, type CellFormat } from '../csv/formats.js';
import { type FormatSpec, type MappingSpec, readMappingFile, type TransformSpec } from '../csv/mapping.js';
import { csvMessages } from '../csv/messages.js';
import type { CsvRecord } from '../csv/reader.js';

const NUMBER_TYPES = new Set(['double', 'currency', 'percent', 'int', 'long']);
const NULL_MARKER = '#N/A';

type Convert = (v: string) => { value: string } | { reason: string };
type Column = { name: string; from: number; constant?: string; convert?: Convert; source: string };

/** A row that did not convert: its reason (the row is rejected with it). */
export type Converted = CsvRecord & { convertError?: string };

export class RowTransform {
  private constructor(public readonly header: string[], private readonly columns: Column[], private readonly blankAsNull: boolean) {}

  /** The transform of a file's header; a mapping that names a column the file does not have is refused (with the closest one). */
  public static create(spec: TransformSpec, header: string[], fields: FieldDescribe[] | undefined, file: string, headerLine: number): RowTransform {
    const m = spec.mapping ?? {};
    const f = spec.formats ?? {};
    const lower = header.map((h) => h.toLowerCase());
    const find = (name: string): number => lower.indexOf(name.toLowerCase());
    for (const name of [...Object.keys(m.columns ?? {}), ...(m.ignore ?? [])]) {
      if (find(name) >= 0) continue;
      const close = closestName(name, header);
      throw new CsvInputError('header-mismatch', file, headerLine, close ? csvMessages.getMessage('mapping.unknownColumnClose', [name, close]) : csvMessages.getMessage('mapping.unknownColumn', [name]));
    }
    const ignored = new Set((m.ignore ?? []).map((x) => x.toLowerCase()));
    const mapped = new Map(Object.entries(m.columns ?? {}).map(([k, v]) => [k.toLowerCase(), typeof v === 'string' ? (v === '' ? [] : [v]) : v]));
    const columns: Column[] = [];
    header.forEach((h, i) => {
      if (ignored.has(h.toLowerCase())) return;
      for (const name of mapped.get(h.toLowerCase()) ?? [h]) columns.push({ name, from: i, source: h });
    });
    for (const [name, value] of Object.entries(m.constants ?? {})) columns.push({ name, from: -1, constant: value, source: name });
    if (f.timeZone) checkTimeZone(f.timeZone);
    for (const c of columns) c.convert = converterOf(c.name, fields, { date: f.dateFormat, datetime: f.datetimeFormat, timeZone: f.timeZone, decimal: f.decimalSeparator }, m.formats);
    return new RowTransform(
      columns.map((c) => c.name),
      columns,
      f.blankAsNull === true
    );
  }

  /** The row in the mapped columns, its cells converted; a cell that does not fit sets convertError. */
  public apply(record: Converted): void {
    const src = record.fields;
    const out = new Array<string>(this.columns.length);
    for (let i = 0; i < this.columns.length; i++) {
      const c = this.columns[i];
      let v = c.constant ?? src[c.from] ?? '';
      if (v === '') {
        out[i] = this.blankAsNull ? NULL_MARKER : '';
        continue;
      }
      if (c.convert && v !== NULL_MARKER) {
        const r = c.convert(v);
        if ('reason' in r) {
          record.convertError ??= csvMessages.getMessage('convert.reason', [c.source, v, r.reason]);
        } else v = r.value;
      }
      out[i] = v;
    }
    record.fields = out;
    record.text = undefined; // the source's text is not what is sent any more
  }
}

/** The conversion of a field's cells: its own format in the mapping, else the load's by the field's type. */
function converterOf(name: string, fields: FieldDescribe[] | undefined, load: CellFormat, own: Record<string, CellFormat> | undefined): Convert | undefined {
  const mine = Object.entries(own ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  const type = fields?.find((x) => x.name.toLowerCase() === name.toLowerCase())?.type;
  const zone = mine?.timeZone ?? load.timeZone ?? 'UTC';
  if (mine?.timeZone) checkTimeZone(mine.timeZone);
  if (mine?.datetime ?? (type === 'datetime' ? load.datetime : undefined)) {
    const fmt = parseFormat((mine?.datetime ?? load.datetime)!);
    return (v) => convertDateTime(fmt, zone, v);
  }
  if (mine?.date ?? (type === 'date' ? load.date : undefined)) {
    const fmt = parseFormat((mine?.date ?? load.date)!);
    return (v) => convertDate(fmt, v);
  }
  const decimal = mine?.decimal ?? (type && NUMBER_TYPES.has(type) ? load.decimal : undefined);
  if (decimal && decimal !== '.') return (v) => convertDecimal(decimal, v);
  return undefined;
}

/** Rows through the transform, batch by batch. */
export async function* transformed(t: RowTransform, batches: AsyncIterable<CsvRecord[]>): AsyncGenerator<CsvRecord[]> {
  for await (const batch of batches) {
    for (const r of batch) t.apply(r);
    yield batch;
  }
}

/** A header's names as a mapping makes them (for a plan's parent columns, before the step's run reads its files). */
export function mappedHeader(spec: TransformSpec | undefined, header: string[]): string[] {
  if (!spec?.mapping) return header;
  return RowTransform.create({ mapping: spec.mapping }, header, undefined, '', 1).header;
}

/** The transform a load's flags (or a plan step's keys) ask for, formats checked now; none when nothing is asked. */
export function transformSpecOf(opts: { mapping?: MappingSpec | string; dateFormat?: string; datetimeFormat?: string; timeZone?: string; decimalSeparator?: string; blankAsNull?: boolean }): TransformSpec | undefined {
  const mapping = typeof opts.mapping === 'string' ? readMappingFile(opts.mapping) : opts.mapping;
  const formats: FormatSpec = {
    ...(opts.dateFormat ? { dateFormat: opts.dateFormat } : {}),
    ...(opts.datetimeFormat ? { datetimeFormat: opts.datetimeFormat } : {}),
    ...(opts.timeZone ? { timeZone: opts.timeZone } : {}),
    ...(opts.decimalSeparator ? { decimalSeparator: opts.decimalSeparator } : {}),
    ...(opts.blankAsNull ? { blankAsNull: true } : {}),
  };
  if (formats.dateFormat) parseFormat(formats.dateFormat);
  if (formats.datetimeFormat) parseFormat(formats.datetimeFormat);
  if (formats.timeZone) checkTimeZone(formats.timeZone);
  for (const f of Object.values(mapping?.formats ?? {})) {
    if (f.date) parseFormat(f.date);
    if (f.datetime) parseFormat(f.datetime);
    if (f.timeZone) checkTimeZone(f.timeZone);
  }
  if (!mapping && Object.keys(formats).length === 0) return undefined;
  return { ...(mapping ? { mapping } : {}), ...(Object.keys(formats).length ? { formats } : {}) };
}
