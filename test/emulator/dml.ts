/*
 * The per-row data engine behind Bulk API ingest jobs (2.0 now, V1 later). A job checks its CSV header
 * once (checkHeader), then feeds the rows chunk by chunk (applyChunk). Each row gets the outcome
 * Salesforce would give it: a record id and created flag, or the sf__Error text in Salesforce's
 * `CODE:message:fields --` form (Bulk API Developer Guide: Get Job Failed Record Results).
 *
 * Wording sources, where Salesforce's exact text is known from captures: the CSV deserialiser's
 * `Failed to deserialize field at col N` (0-based column), `Foreign key external ID: … not found …`,
 * `<Label>: more than one record found for external id field: [...]`, `Id not specified in an update
 * call`, `cannot specify Id in an insert call`, `<Label>: bad value for restricted picklist field`,
 * `<Label>: value outside of valid range on numeric field`, and `INVALID_CROSS_REFERENCE_KEY` for an
 * Id that matches no record in a delete (salesforcecli/plugin-data bulk NUTs). Texts not seen in a
 * capture are marked "unverified" next to where they are built.
 */
import { canonicalId, isValidId } from './ids.js';
import type { FieldDef, FieldType, ObjectDef } from './schema.js';
import type { SObjectRecord, Store, Value } from './store.js';

export type Operation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';

export type JobContext = {
  object: ObjectDef;
  operation: Operation;
  /** upsert only: the matching key (an externalId or idLookup field, or 'Id') */
  externalIdFieldName?: string;
  /** who the rows are written as (CreatedById, LastModifiedById, default OwnerId) */
  userId: string;
};

/**
 * How one CSV column maps, in header order. Names only (no FieldDef objects) so a job can keep its
 * plan as plain data; applyChunk looks the definitions up again.
 * - `id`: the record Id column (the key for update/delete/upsert; an error on insert when filled)
 * - `field`: a plain field, by canonical API name
 * - `relationship`: `Rel.Field` or `Type:Rel.Field`; the child's reference `field` gets the Id of
 * the `parentObject` record whose `parentField` equals the cell
 * - `ignored`: delete/hardDelete read only the Id column
 */
export type ColumnPlan =
  | { header: string; kind: 'id' }
  | { header: string; kind: 'field'; field: string }
  | { header: string; kind: 'relationship'; field: string; parentObject: string; parentField: string }
  | { header: string; kind: 'ignored' };

export type HeaderCheck = { ok: true; columns: ColumnPlan[] } | { ok: false; message: string };

export type RowOutcome = {
  success: boolean;
  /** true for an insert, or the insert side of an upsert */
  created: boolean;
  /** '' when none (a failed insert, or an Id too malformed to echo) */
  id: string;
  /** '' on success; else the whole sf__Error cell */
  error: string;
};

/** The CSV value that sets a field to null (Bulk API Developer Guide: Prepare CSV Files). */
const NULL_MARKER = '#N/A';

const TEXT_TYPES: ReadonlySet<FieldType> = new Set<FieldType>([
  'string',
  'textarea',
  'email',
  'phone',
  'url',
  'picklist',
  'multipicklist',
]);
const DECIMAL_TYPES: ReadonlySet<FieldType> = new Set<FieldType>(['double', 'currency', 'percent']);

const INT_RE = /^[+-]?\d+$/;
// xsd:double's lexical form: plain decimals, plus an exponent (Salesforce itself writes 9.12260031E8
// in result files). NaN/INF are left out on purpose: no number field can hold them.
const DECIMAL_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;
// Salesforce's check is looser than RFC 5322 but does want local@domain.tld.
const EMAIL_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

// ---------------------------------------------------------------------------------------------
// Header check
// ---------------------------------------------------------------------------------------------

const notFound = (column: string): HeaderCheck => ({ ok: false, message: `InvalidBatch : Field name not found : ${column}` });

/**
 * Whether `name` may key an upsert on `object`: Id, or a field flagged externalId or idLookup.
 * Exported so job creation can refuse a bad externalIdFieldName before any upload.
 */
export function checkExternalIdField(
  store: Store,
  object: ObjectDef,
  name: string | undefined
): { ok: true; field: FieldDef } | { ok: false; message: string } {
  if (!name) {
    return { ok: false, message: `External ID was blank for ${object.name}. An External ID must be specified for upsert.` };
  }
  const f = store.field(object, name);
  if (!f || !(f.externalId || f.idLookup || f.type === 'id')) {
    return { ok: false, message: `Field name provided, ${name} is not an External ID or indexed field for ${object.name}` };
  }
  return { ok: true, field: f };
}

/**
 * Whole-job check of the CSV header before any row is processed. Names match case-insensitively
 * (API names are case-insensitive elsewhere in the API; Bulk API Developer Guide: Prepare CSV Files marks this unverified), but
 * nothing is trimmed or stripped, so a BOM or a stray space makes the name unknown.
 */
export function checkHeader(store: Store, ctx: JobContext, header: string[]): HeaderCheck {
  const def = ctx.object;

  if (ctx.operation === 'delete' || ctx.operation === 'hardDelete') {
    // Only Id is read; other columns, even unknown ones, are ignored (Bulk API Developer Guide: Prepare CSV Files).
    const columns = header.map((h): ColumnPlan => (h.toLowerCase() === 'id' ? { header: h, kind: 'id' } : { header: h, kind: 'ignored' }));
    // Unverified wording: Salesforce's text for a delete file without an Id column is not captured.
    return columns.some((c) => c.kind === 'id') ? { ok: true, columns } : notFound('Id');
  }

  let keyField: FieldDef | undefined;
  if (ctx.operation === 'upsert') {
    const key = checkExternalIdField(store, def, ctx.externalIdFieldName);
    if (!key.ok) return { ok: false, message: `InvalidJob : ${key.message}` };
    keyField = key.field;
  }

  const columns: ColumnPlan[] = [];
  for (const h of header) {
    const plan = planColumn(store, def, h);
    if ('message' in plan) return { ok: false, message: plan.message };
    columns.push(plan);
  }

  if (keyField) {
    const keyName = keyField.name;
    const hasKey = columns.some((c) => c.kind === 'id' || (c.kind === 'field' && c.field === keyName));
    // The file must carry the external ID column, or Id (Bulk API Developer Guide: Prepare CSV Files). Unverified wording.
    // Keyed on Id itself, a file without an Id column is accepted and every row is inserted:
    // plugin-data's NUTs upsert such a file (--external-id Id) into real scratch orgs and get one
    // created record per row.
    if (!hasKey && keyField.type !== 'id') return notFound(keyName);
  }
  return { ok: true, columns };
}

/** One header cell: a plain field, or a `[Type:]Rel.Field` parent lookup. */
function planColumn(store: Store, def: ObjectDef, header: string): ColumnPlan | { message: string } {
  const dot = header.indexOf('.');
  if (dot < 0) {
    const f = store.field(def, header);
    if (!f) return { message: `InvalidBatch : Field name not found : ${header}` };
    return f.type === 'id' ? { header, kind: 'id' } : { header, kind: 'field', field: f.name };
  }

  const bad = { message: `InvalidBatch : Field name not found : ${header}` };
  const left = header.slice(0, dot);
  const parentFieldName = header.slice(dot + 1);
  if (parentFieldName.includes('.')) return bad; // one level only: child-to-parent
  const colon = left.indexOf(':');
  const typeName = colon >= 0 ? left.slice(0, colon) : undefined;
  const relName = (colon >= 0 ? left.slice(colon + 1) : left).toLowerCase();

  const ref = def.fields.find((f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === relName);
  if (!ref) return bad;
  const polymorphic = ref.referenceTo.length > 1;

  let parentName: string | undefined;
  if (typeName === undefined) {
    // A polymorphic lookup cannot tell which object to search without the type.
    if (polymorphic) return bad;
    parentName = ref.referenceTo[0];
  } else {
    if (!polymorphic) {
      // The documented complaint (Bulk API Developer Guide: Prepare CSV Files); the surrounding text is unverified.
      return {
        message: `InvalidBatch : Field name not found : ${header}. The object type ${typeName} is not needed for non polymorphic foreign key references`,
      };
    }
    parentName = ref.referenceTo.find((r) => r.toLowerCase() === typeName.toLowerCase());
  }
  const parent = parentName ? store.describe(parentName) : undefined;
  if (!parent) return bad;
  const parentField = store.field(parent, parentFieldName);
  // Only indexed fields can be looked up: externalId, or idLookup (which covers Id).
  if (!parentField || !(parentField.externalId || parentField.idLookup)) return bad;
  return { header, kind: 'relationship', field: ref.name, parentObject: parent.name, parentField: parentField.name };
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/** A row's failure; `text` is the whole sf__Error cell. A class so `instanceof` tells it from a value. */
class RowError {
  public constructor(public readonly text: string) {}
}

/** `CODE:message:Field1,Field2 --`, or `CODE:message:--` when no field is named. */
function sfError(code: string, message: string, fields: string[] = []): RowError {
  return new RowError(fields.length > 0 ? `${code}:${message}:${fields.join(',')} --` : `${code}:${message}:--`);
}

const crossReferenceError = (): RowError => sfError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
const deletedError = (): RowError => sfError('ENTITY_IS_DELETED', 'entity is deleted');

function requiredError(names: string[]): RowError {
  return sfError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${names.join(', ')}]`, names);
}

function xsdType(type: FieldType): string {
  if (type === 'datetime') return 'dateTime';
  if (DECIMAL_TYPES.has(type)) return 'double';
  return type;
}

// ---------------------------------------------------------------------------------------------
// Value conversion
// ---------------------------------------------------------------------------------------------

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** A real calendar day (no 2023-02-29), so a date never silently rolls into the next month. */
function validYmd(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= (m === 2 && leap ? 29 : DAYS_IN_MONTH[m - 1]);
}

/** yyyy-MM-dd with a real calendar day; no time zone (Bulk API Developer Guide: Prepare CSV Files). */
function parseDate(raw: string): string | null {
  const m = DATE_RE.exec(raw);
  return m && validYmd(Number(m[1]), Number(m[2]), Number(m[3])) ? raw : null;
}

/**
 * yyyy-MM-ddTHH:mm:ss(.SSS)?(Z|±HH:mm), stored the way Salesforce returns it: UTC with +0000.
 * Digits past milliseconds are dropped.
 */
function parseDateTime(raw: string): string | null {
  const m = DATETIME_RE.exec(raw);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i]));
  if (!validYmd(y, mo, d) || h > 23 || mi > 59 || s > 59) return null;
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let offsetMin = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 14 || om > 59) return null;
    offsetMin = (m[8].startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return new Date(date.getTime() - offsetMin * 60_000).toISOString().replace('Z', '+0000');
}

/**
 * The CSV deserialiser's step: text to the field's type. Fails the way Salesforce's does, naming
 * the 0-based column, before any other check on the row.
 */
function deserialize(field: FieldDef, raw: string, col: number): Value | RowError {
  switch (field.type) {
    case 'boolean': {
      const l = raw.toLowerCase();
      if (l === 'true' || l === '1') return true;
      if (l === 'false' || l === '0') return false;
      break;
    }
    case 'int':
      if (INT_RE.test(raw)) {
        const n = Number(raw);
        if (n >= -2_147_483_648 && n <= 2_147_483_647) return n + 0; // + 0 turns -0 into 0
      }
      break;
    case 'double':
    case 'currency':
    case 'percent':
      if (DECIMAL_RE.test(raw)) {
        const n = Number(raw);
        if (Number.isFinite(n)) return n + 0;
      }
      break;
    case 'date':
      if (parseDate(raw) !== null) return raw;
      break;
    case 'datetime': {
      const v = parseDateTime(raw);
      if (v !== null) return v;
      break;
    }
    default:
      return raw; // text, picklists, ids and references stay text until validated
  }
  return sfError(
    'INVALID_FIELD',
    `Failed to deserialize field at col ${col}. Due to, '${raw}' is not a valid value for the type xsd:${xsdType(field.type)}`,
    [field.name]
  );
}

/** Half-up (away from zero) to `scale` decimals, as Salesforce rounds extra decimals on save. */
function roundToScale(n: number, scale: number): number {
  const abs = Math.abs(n);
  const rounded = scale > 0 ? Number(abs.toFixed(scale)) : Math.round(abs);
  return (n < 0 ? -rounded : rounded) + 0;
}

/** Lookup/uniqueness key of a stored or converted value: case-folded unless the field is case-sensitive. */
function keyOf(field: FieldDef, value: Value | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return String(value);
  if (field.type === 'id' || field.type === 'reference') return isValidId(value) ? canonicalId(value) : value;
  return field.caseSensitive ? value : value.toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Per-chunk index over one field
// ---------------------------------------------------------------------------------------------

/**
 * Records of one object by one field's key, for one chunk (store.findBy scans every record per
 * call). The build keeps only the keys the chunk's rows mention (`wanted`), which is several times
 * cheaper than keying every record; any other key is looked up by a scan the first time it is
 * asked for, so a missed key costs time, never a wrong answer.
 * Entries can go stale when a row changes or deletes a record, so each lookup re-checks its hits
 * against the live record; rows of the chunk add their writes with `add`, so later rows see them.
 */
class FieldIndex {
  private readonly map = new Map<string, SObjectRecord[]>();

  public constructor(
    private readonly store: Store,
    public readonly def: ObjectDef,
    public readonly field: FieldDef,
    private readonly wanted: Set<string>
  ) {
    if (wanted.size > 0) this.scan((key) => wanted.has(key));
  }

  public add(rec: SObjectRecord): void {
    const key = keyOf(this.field, rec[this.field.name]);
    if (key !== null) this.put(key, rec);
  }

  /** Live records whose field has this key, in insertion order. */
  public find(key: string): SObjectRecord[] {
    if (!this.wanted.has(key)) {
      this.wanted.add(key);
      this.scan((k) => k === key);
    }
    const list = this.map.get(key);
    if (!list) return [];
    const live = list.filter(
      (r) =>
        r.IsDeleted !== true &&
        keyOf(this.field, r[this.field.name]) === key &&
        this.store.get(this.def.name, r.Id as string) === r // gone after a hardDelete
    );
    if (live.length !== list.length) this.map.set(key, live);
    return live;
  }

  private scan(keep: (key: string) => boolean): void {
    for (const rec of this.store.all(this.def.name)) {
      const key = keyOf(this.field, rec[this.field.name]);
      if (key !== null && keep(key)) this.put(key, rec);
    }
  }

  private put(key: string, rec: SObjectRecord): void {
    const list = this.map.get(key);
    if (!list) this.map.set(key, [rec]);
    else if (!list.includes(rec)) list.push(rec);
  }
}

// ---------------------------------------------------------------------------------------------
// Applying rows
// ---------------------------------------------------------------------------------------------

/** A column with its definitions looked up once per chunk. */
type Column =
  | { index: number; header: string; kind: 'id' | 'ignored' }
  | { index: number; header: string; kind: 'field'; field: FieldDef }
  | { index: number; header: string; kind: 'relationship'; field: FieldDef; parent: ObjectDef; parentField: FieldDef };

type WritableColumn = Extract<Column, { field: FieldDef }>;

/** A cell after deserialising: undefined = empty (leave alone), null = #N/A (set null). */
type Parsed = Value | undefined;

const failure = (error: RowError, id = ''): RowOutcome => ({ success: false, created: false, id, error: error.text });

/**
 * Applies one chunk of rows in order and returns one outcome per row, in the same order. Rows in a
 * chunk see each other's effects (a parent inserted in row 1 can be looked up by row 2).
 * `chunkRows`, when the rows are one DML transaction of a larger chunk (the processing model
 * applies a chunk 200 rows at a time), is the whole chunk: chunk-wide rules (an upsert key repeated
 * in the chunk) are judged on it.
 */
export function applyChunk(store: Store, ctx: JobContext, columns: ColumnPlan[], rows: string[][], chunkRows?: string[][]): RowOutcome[] {
  return new ChunkRun(store, ctx, columns).run(rows, chunkRows);
}

class ChunkRun {
  private readonly def: ObjectDef;
  private readonly columns: Column[];
  private readonly writable: WritableColumn[];
  private readonly idCol: number;
  /** upsert: the column holding the key, and its field (undefined when keyed on Id) */
  private readonly keyCol: number = -1;
  private readonly keyField: FieldDef | undefined;
  /** upsert: key values present on more than one row of this chunk */
  private duplicateKeys = new Set<string>();
  private readonly requiredOnInsert: FieldDef[];
  private readonly uniqueFields: FieldDef[];
  private readonly indexes = new Map<string, FieldIndex>();
  /** per `Object.Field`: the keys this chunk's rows will look up */
  private wanted = new Map<string, Set<string>>();

  public constructor(private readonly store: Store, private readonly ctx: JobContext, plan: ColumnPlan[]) {
    this.def = ctx.object;
    this.columns = plan.map((p, index) => this.resolve(p, index));
    this.writable = this.columns.filter((c): c is WritableColumn => c.kind === 'field' || c.kind === 'relationship');
    this.idCol = this.columns.findIndex((c) => c.kind === 'id');

    if (ctx.operation === 'upsert') {
      const key = store.field(this.def, ctx.externalIdFieldName ?? 'Id');
      if (key && key.type !== 'id') {
        const col = this.writable.find((c) => c.kind === 'field' && c.field === key);
        if (col) {
          this.keyCol = col.index;
          this.keyField = key;
        }
      }
      // Without the external ID column the file may still key on Id (Bulk API Developer Guide: Prepare CSV Files).
      if (this.keyCol < 0) this.keyCol = this.idCol;
    }

    // Checkboxes are never "missing": they default to false.
    this.requiredOnInsert = this.def.fields.filter(
      (f) => f.createable && f.type !== 'boolean' && (f.masterDetail || (!f.nillable && !f.defaultedOnCreate))
    );
    this.uniqueFields = this.def.fields.filter((f) => f.unique);
  }

  public run(rows: string[][], chunkRows = rows): RowOutcome[] {
    if (this.keyField) this.duplicateKeys = this.findDuplicateKeys(chunkRows, this.keyField);
    this.wanted = this.collectWanted(rows);
    return rows.map((row) => this.applyRow(row));
  }

  /** The keys each index will be asked for: upsert keys, parent keys, values of unique fields. */
  private collectWanted(rows: string[][]): Map<string, Set<string>> {
    const wanted = new Map<string, Set<string>>();
    const want = (def: ObjectDef, field: FieldDef, col: number): void => {
      const name = `${def.name}.${field.name}`;
      let keys = wanted.get(name);
      if (!keys) wanted.set(name, (keys = new Set()));
      for (const row of rows) {
        const raw = row[col];
        if (raw === undefined || raw === '' || raw === NULL_MARKER) continue;
        const v = deserialize(field, raw, col);
        const key = v instanceof RowError ? null : keyOf(field, v);
        if (key !== null) keys.add(key);
      }
    };
    for (const c of this.writable) {
      if (c.kind === 'relationship') {
        if (c.parentField.type !== 'id') want(c.parent, c.parentField, c.index);
      } else if (c.field.unique || c.index === this.keyCol) {
        want(this.def, c.field, c.index);
      }
    }
    return wanted;
  }

  private resolve(p: ColumnPlan, index: number): Column {
    if (p.kind === 'id' || p.kind === 'ignored') return { index, header: p.header, kind: p.kind };
    const field = this.store.field(this.def, p.field);
    if (!field) throw new Error(`dml: ${this.def.name}.${p.field} is not defined`);
    if (p.kind === 'field') return { index, header: p.header, kind: 'field', field };
    const parent = this.store.describe(p.parentObject);
    const parentField = parent ? this.store.field(parent, p.parentField) : undefined;
    if (!parent || !parentField) throw new Error(`dml: ${p.parentObject}.${p.parentField} is not defined`);
    return { index, header: p.header, kind: 'relationship', field, parent, parentField };
  }

  private index(def: ObjectDef, field: FieldDef): FieldIndex {
    const name = `${def.name}.${field.name}`;
    let idx = this.indexes.get(name);
    if (!idx) {
      idx = new FieldIndex(this.store, def, field, this.wanted.get(name) ?? new Set());
      this.indexes.set(name, idx);
    }
    return idx;
  }

  /** Keeps this chunk's indexes in step with a record a row just wrote. */
  private wrote(def: ObjectDef, rec: SObjectRecord): void {
    for (const idx of this.indexes.values()) if (idx.def.name === def.name) idx.add(rec);
  }

  /**
   * Salesforce refuses every row whose external ID appears more than once in the same upsert
   * chunk, the first occurrence included, so this has to be known before any row is applied.
   */
  private findDuplicateKeys(rows: string[][], field: FieldDef): Set<string> {
    const seen = new Set<string>();
    const dup = new Set<string>();
    for (const row of rows) {
      const raw = row[this.keyCol];
      if (raw === undefined || raw === '' || raw === NULL_MARKER) continue;
      const v = deserialize(field, raw, this.keyCol);
      if (v instanceof RowError) continue;
      const key = keyOf(field, v);
      if (key === null) continue;
      if (seen.has(key)) dup.add(key);
      else seen.add(key);
    }
    return dup;
  }

  private applyRow(row: string[]): RowOutcome {
    if (row.length !== this.columns.length) {
      // Unverified wording; a CSV reader normally rejects such a row first.
      return failure(
        sfError('INVALID_FIELD', `Row has ${row.length} values but the header has ${this.columns.length} columns`)
      );
    }
    switch (this.ctx.operation) {
      case 'insert':
        return this.insertRow(row);
      case 'update':
        return this.updateRow(row);
      case 'upsert':
        return this.upsertRow(row);
      case 'delete':
      case 'hardDelete':
        return this.deleteRow(row);
    }
  }

  /** Deserialises every mapped cell; the first bad one fails the row. */
  private parseRow(row: string[]): Parsed[] | RowError {
    const parsed: Parsed[] = new Array<Parsed>(this.columns.length);
    for (const c of this.writable) {
      const raw = row[c.index];
      if (raw === '') continue; // values are not trimmed: ' ' is a value
      if (raw === NULL_MARKER) {
        parsed[c.index] = null;
        continue;
      }
      const v = deserialize(c.kind === 'field' ? c.field : c.parentField, raw, c.index);
      if (v instanceof RowError) return v;
      parsed[c.index] = v;
    }
    return parsed;
  }

  // ---- operations -------------------------------------------------------------------------

  private insertRow(row: string[]): RowOutcome {
    if (!this.def.createable) return failure(sfError('INVALID_TYPE_FOR_OPERATION', 'entity type cannot be inserted'));
    const parsed = this.parseRow(row);
    if (parsed instanceof RowError) return failure(parsed);
    if (this.idCol >= 0) {
      const raw = row[this.idCol];
      if (raw !== '' && raw !== NULL_MARKER) {
        return failure(sfError('INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']));
      }
    }
    return this.create(parsed);
  }

  private updateRow(row: string[]): RowOutcome {
    const parsed = this.parseRow(row);
    if (parsed instanceof RowError) return failure(parsed);
    const target = this.target(this.idCol >= 0 ? row[this.idCol] : '', 'an update');
    if (target instanceof RowError) return failure(target, this.echoId(row));
    return this.modify(parsed, target, -1);
  }

  private upsertRow(row: string[]): RowOutcome {
    const parsed = this.parseRow(row);
    if (parsed instanceof RowError) return failure(parsed);
    // No key column at all (an upsert keyed on Id whose file has no Id column): the row is new.
    const raw = this.keyCol >= 0 ? row[this.keyCol] : '';

    if (!this.keyField) {
      // Keyed on Id: a row without one is created, a row with one must name a live record.
      if (raw === '' || raw === NULL_MARKER) return this.create(parsed);
      const target = this.target(raw, 'an upsert');
      if (target instanceof RowError) return failure(target, this.echoId(row));
      return this.modify(parsed, target, this.keyCol);
    }

    const field = this.keyField;
    const value = parsed[this.keyCol];
    if (value === undefined || value === null) {
      // Unverified wording (SOAP's MISSING_ARGUMENT for a blank upsert key).
      return failure(sfError('MISSING_ARGUMENT', `${field.name} not specified`));
    }
    const key = keyOf(field, value) as string;
    if (this.duplicateKeys.has(key)) {
      return failure(sfError('DUPLICATE_VALUE', `Duplicate external id specified: ${raw}`, [field.name]));
    }
    const matches = this.index(this.def, field).find(key);
    if (matches.length > 1) {
      const ids = matches.map((r) => r.Id as string);
      return failure(sfError('DUPLICATE_EXTERNAL_ID', `${field.label}: more than one record found for external id field: [${ids.join(', ')}]`));
    }
    if (matches.length === 0) return this.create(parsed);
    return this.modify(parsed, matches[0], this.keyCol);
  }

  private deleteRow(row: string[]): RowOutcome {
    if (!this.def.deletable) return failure(sfError('INVALID_TYPE_FOR_OPERATION', 'entity type cannot be deleted'), this.echoId(row));
    // Unverified wording for the missing-Id case, modelled on the update call's.
    const target = this.target(this.idCol >= 0 ? row[this.idCol] : '', 'a delete');
    if (target instanceof RowError) return failure(target, this.echoId(row));
    if (this.ctx.operation === 'hardDelete') this.store.hardDelete(this.def, target);
    else this.store.softDelete(this.def, target);
    return { success: true, created: false, id: target.Id as string, error: '' };
  }

  // ---- shared steps -----------------------------------------------------------------------

  /** The live record an Id cell names, or why it names none. */
  private target(raw: string, call: string): SObjectRecord | RowError {
    if (raw === '' || raw === NULL_MARKER) return sfError('MISSING_ARGUMENT', `Id not specified in ${call} call`);
    if (!isValidId(raw)) return sfError('MALFORMED_ID', `malformed id ${raw}`);
    if (this.store.objectOfId(raw)?.name !== this.def.name) {
      return sfError('MALFORMED_ID', `${this.def.label} ID: id value of incorrect type: ${raw}`, ['Id']);
    }
    const rec = this.store.get(this.def.name, raw);
    // A well-formed Id that matches nothing (plugin-data's bulk delete NUT asserts this text).
    if (!rec) return crossReferenceError();
    if (rec.IsDeleted === true) return deletedError();
    return rec;
  }

  /** sf__Id of a failed update/delete row: the Id it named, when that is a well-formed Id. */
  private echoId(row: string[]): string {
    const raw = this.idCol >= 0 ? row[this.idCol] : '';
    return raw && isValidId(raw) ? canonicalId(raw) : '';
  }

  private create(parsed: Parsed[]): RowOutcome {
    if (!this.def.createable) return failure(sfError('INVALID_TYPE_FOR_OPERATION', 'entity type cannot be inserted'));
    const values = this.buildValues(parsed, 'insert', -1);
    if (values instanceof RowError) return failure(values);

    const missing = this.requiredOnInsert.filter((f) => values[f.name] === undefined || values[f.name] === null);
    if (missing.length > 0) return failure(requiredError(missing.map((f) => f.name)));

    const clash = this.uniqueClash(values, undefined);
    if (clash) return failure(clash);

    const rec = this.store.insert(this.def, values, this.ctx.userId);
    this.wrote(this.def, rec);
    return { success: true, created: true, id: rec.Id as string, error: '' };
  }

  /** Update side of update/upsert; `keyCol` is the upsert key column, which is matched, not written. */
  private modify(parsed: Parsed[], rec: SObjectRecord, keyCol: number): RowOutcome {
    const id = rec.Id as string;
    if (!this.def.updateable) return failure(sfError('INVALID_TYPE_FOR_OPERATION', 'entity type cannot be updated'), id);
    const values = this.buildValues(parsed, 'update', keyCol);
    if (values instanceof RowError) return failure(values, id);

    // #N/A on a field that cannot be null is the same error an insert gets for leaving it out.
    const nulled = Object.keys(values).filter((name) => {
      if (values[name] !== null) return false;
      const f = this.store.field(this.def, name) as FieldDef;
      return f.type !== 'boolean' && (f.masterDetail || !f.nillable);
    });
    if (nulled.length > 0) return failure(requiredError(nulled), id);

    const clash = this.uniqueClash(values, rec);
    if (clash) return failure(clash, id);

    this.store.update(rec, values, this.ctx.userId);
    this.wrote(this.def, rec);
    return { success: true, created: false, id, error: '' };
  }

  /**
   * The row's field values under canonical names: permissions first (every offending field in one
   * error), then each value's own checks, first failure wins. On insert a null is left out so the
   * store's defaults apply; on update it clears the field.
   */
  private buildValues(parsed: Parsed[], mode: 'insert' | 'update', keyCol: number): SObjectRecord | RowError {
    const denied: string[] = [];
    for (const c of this.writable) {
      if (parsed[c.index] === undefined || c.index === keyCol) continue;
      const allowed = mode === 'insert' ? c.field.createable : c.field.updateable;
      if (!allowed && !denied.includes(c.field.name)) denied.push(c.field.name);
    }
    if (denied.length > 0) {
      const list = denied.join(', ');
      return sfError(
        'INVALID_FIELD_FOR_INSERT_UPDATE',
        `Unable to create/update fields: ${list}. Please check the security settings of this field and verify that it is read/write for your user profile or permission set.`,
        denied
      );
    }

    const values: SObjectRecord = {};
    for (const c of this.writable) {
      const v = parsed[c.index];
      if (v === undefined) continue;
      // The matched upsert key is written back (its case may differ) only where it may be updated.
      if (c.index === keyCol && !c.field.updateable) continue;
      if (v === null) {
        // A checkbox cannot hold null; clearing it means false.
        if (c.field.type === 'boolean') values[c.field.name] = false;
        else if (mode === 'update') values[c.field.name] = null;
        else delete values[c.field.name]; // a later #N/A column beats an earlier value
        continue;
      }
      const checked = c.kind === 'field' ? this.validate(c.field, v) : this.lookUpParent(c, v);
      if (checked instanceof RowError) return checked;
      values[c.field.name] = checked;
    }
    return values;
  }

  /** Checks a deserialised, non-null value against the field's describe flags. */
  private validate(field: FieldDef, v: Value): Value | RowError {
    if (TEXT_TYPES.has(field.type) && typeof v === 'string') {
      // Java counts UTF-16 units, as String.length does.
      if (field.length > 0 && v.length > field.length) {
        return sfError('STRING_TOO_LONG', `${field.label}: data value too large: ${v} (max length=${field.length})`, [field.name]);
      }
      if (field.type === 'email' && !EMAIL_RE.test(v)) {
        return sfError('INVALID_EMAIL_ADDRESS', `${field.label}: invalid email address: ${v}`, [field.name]);
      }
      if (field.restrictedPicklist) {
        const picked = field.type === 'multipicklist' ? v.split(';') : [v];
        const bad = picked.find((p) => !field.picklistValues.includes(p));
        if (bad !== undefined) {
          return sfError(
            'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
            `${field.label}: bad value for restricted picklist field: ${bad}`,
            [field.name]
          );
        }
      }
      return v;
    }
    if (typeof v === 'number') {
      const isInt = field.type === 'int';
      const rounded = isInt ? v : roundToScale(v, field.scale);
      const digits = isInt ? field.precision : field.precision - field.scale;
      if (digits > 0 && Math.abs(rounded) >= 10 ** digits) {
        return sfError('NUMBER_OUTSIDE_VALID_RANGE', `${field.label}: value outside of valid range on numeric field: ${v}`, [field.name]);
      }
      return rounded;
    }
    if (field.type === 'reference' && typeof v === 'string') return this.checkReference(field, v);
    return v;
  }

  /** A lookup given as an Id: well-formed, of an object the field points to, naming a live record. */
  private checkReference(field: FieldDef, raw: string): Value | RowError {
    if (!isValidId(raw)) return sfError('MALFORMED_ID', `${field.label}: id value of incorrect type: ${raw}`, [field.name]);
    const owner = this.store.objectOfId(raw);
    const ownerName = owner?.name.toLowerCase();
    if (!owner || !field.referenceTo.some((r) => r.toLowerCase() === ownerName)) {
      // Salesforce's answer to an Id of the wrong object in a lookup (seen from Apex and the APIs).
      return sfError('FIELD_INTEGRITY_EXCEPTION', `${field.label}: id value of incorrect type: ${raw}`, [field.name]);
    }
    const rec = this.store.get(owner.name, raw);
    if (!rec) return crossReferenceError();
    if (rec.IsDeleted === true) return deletedError();
    return rec.Id as string;
  }

  /** `Rel.Field` cell: the Id of the one live parent whose indexed field equals the value. */
  private lookUpParent(c: Extract<Column, { kind: 'relationship' }>, v: Value): Value | RowError {
    let matches: SObjectRecord[];
    if (c.parentField.type === 'id') {
      const rec = typeof v === 'string' && isValidId(v) ? this.store.get(c.parent.name, v) : undefined;
      matches = rec && rec.IsDeleted !== true ? [rec] : [];
    } else {
      matches = this.index(c.parent, c.parentField).find(keyOf(c.parentField, v) as string);
    }
    if (matches.length === 0) {
      return sfError(
        'INVALID_FIELD',
        `Foreign key external ID: ${String(v)} not found for field ${c.parentField.name} in entity ${c.parent.name}`
      );
    }
    if (matches.length > 1) {
      // Unverified wording: modelled on the upsert key's several-matches error.
      const ids = matches.map((r) => r.Id as string);
      return sfError(
        'DUPLICATE_EXTERNAL_ID',
        `${c.parentField.label}: more than one record found for external id field: [${ids.join(', ')}]`
      );
    }
    return matches[0].Id as string;
  }

  /** The first unique field this row would give a value another live record already has. */
  private uniqueClash(values: SObjectRecord, self: SObjectRecord | undefined): RowError | undefined {
    for (const f of this.uniqueFields) {
      const key = keyOf(f, values[f.name]);
      if (key === null) continue;
      const other = this.index(this.def, f)
        .find(key)
        .find((r) => r !== self);
      if (other) {
        return sfError('DUPLICATE_VALUE', `duplicate value found: ${f.name} duplicates value on record with id: ${other.Id as string}`);
      }
    }
    return undefined;
  }
}
