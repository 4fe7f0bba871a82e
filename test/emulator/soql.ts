/*
 * The SOQL subset the emulator answers: REST query/queryAll and Bulk query jobs all go through
 * executeSoql. A hand-written tokenizer and recursive-descent parser produce a small AST; the
 * evaluator then resolves every field against the Store's describe metadata (so errors carry
 * Salesforce's codes and wording) and filters, sorts and pages the records.
 *
 * Supported: SELECT fields / parent paths / COUNT(), FROM one object (optional alias), WHERE with
 * = != <> < > <= >= IN, NOT IN, LIKE, AND, OR, NOT and parentheses, ORDER BY (several keys,
 * ASC/DESC, NULLS FIRST/LAST), LIMIT, OFFSET. Not supported: child subqueries, semi-joins,
 * aggregates other than COUNT(), GROUP BY, TYPEOF, INCLUDES/EXCLUDES, WITH, FOR and bind variables.
 */
import { canonicalId, isValidId } from './ids.js';
import type { FieldDef, ObjectDef } from './schema.js';
import type { SObjectRecord, Store, Value } from './store.js';

// ---------------------------------------------------------------------------------------------
// Errors and public result types
// ---------------------------------------------------------------------------------------------

export type SoqlErrorCode = 'MALFORMED_QUERY' | 'INVALID_FIELD' | 'INVALID_TYPE';

export class SoqlError extends Error {
  public constructor(public errorCode: SoqlErrorCode, message: string) {
    super(message);
    this.name = 'SoqlError';
  }
}

export type SoqlResult = {
  /** the FROM object */
  object: ObjectDef;
  /** SELECT items as canonical names in select order, e.g. ['Id','Name','Account.Name']; [] for COUNT() */
  columns: string[];
  /** matching store records after WHERE, ORDER BY, OFFSET, LIMIT ([] for COUNT(), as REST returns) */
  records: SObjectRecord[];
  /** for COUNT(): the count; else records.length */
  totalSize: number;
  isCount: boolean;
};

export type SoqlOptions = {
  /** queryAll: also return records in the recycle bin */
  includeDeleted?: boolean;
  /** clock for TODAY, LAST_N_DAYS:n and friends; Date.now by default */
  now?: () => number;
};

// Salesforce's own wording, which clients (sf CLI, jsforce) show verbatim.
function invalidType(name: string): SoqlError {
  return new SoqlError(
    'INVALID_TYPE',
    `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`
  );
}

function noSuchColumn(name: string, entity: string): SoqlError {
  return new SoqlError(
    'INVALID_FIELD',
    `No such column '${name}' on entity '${entity}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`
  );
}

function badRelationship(name: string): SoqlError {
  return new SoqlError(
    'INVALID_FIELD',
    `Didn't understand relationship '${name}' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.`
  );
}

// ---------------------------------------------------------------------------------------------
// Tokenizer
// ---------------------------------------------------------------------------------------------

type Token =
  | { kind: 'ident'; text: string; pos: number }
  | { kind: 'string'; text: string; pos: number; value: string; pattern: string }
  | { kind: 'number'; text: string; pos: number; value: number }
  | { kind: 'date'; text: string; pos: number; day: number }
  | { kind: 'datetime'; text: string; pos: number; ms: number }
  | { kind: 'op'; text: string; pos: number }
  | { kind: 'punct'; text: string; pos: number }
  | { kind: 'eof'; text: string; pos: number };

const DAY_MS = 86_400_000;

/**
 * Salesforce reports syntax errors with the query, a caret under the offending spot and its
 * row/column; keeping that shape makes the emulator's errors read like the real ones.
 */
function malformed(src: string, pos: number, detail: string): SoqlError {
  const before = src.slice(0, pos).split('\n');
  const row = before.length;
  const col = before[before.length - 1].length + 1;
  const line = src.split('\n')[row - 1] ?? '';
  return new SoqlError('MALFORMED_QUERY', `\n${line}\n${' '.repeat(col - 1)}^\nERROR at Row:${row}:Column:${col}\n${detail}`);
}

const IDENT = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/y;
const NUMBER = /[+-]?\d+(?:\.\d+)?/y;
// Dates are unquoted in SOQL; a datetime must carry Z or an offset.
const DATE_OR_DATETIME = /(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?)?/y;

/** Day number (days since 1970-01-01 UTC) of a valid y/m/d, or undefined for e.g. 2026-02-30. */
function dayOf(y: number, m: number, d: number): number | undefined {
  const ms = Date.UTC(y, m - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== m - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

function offsetMinutes(zone: string): number {
  if (zone === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4));
  return zone.startsWith('-') ? -minutes : minutes;
}

/** Milliseconds of a stored datetime ('2026-11-28T10:00:00.000+0000') or a literal; null if unparseable. */
export function parseDateTime(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return null;
  const day = dayOf(Number(m[1]), Number(m[2]), Number(m[3]));
  if (day === undefined) return null;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const local = day * DAY_MS + ((Number(m[4]) * 60 + Number(m[5])) * 60 + Number(m[6])) * 1000 + millis;
  return local - offsetMinutes(m[8] ?? 'Z') * 60_000;
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

const STRING_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', '"': '"', "'": "'", '\\': '\\' };

/**
 * Reads a quoted string starting at src[start] === "'". Produces both its plain value and a LIKE
 * regex source, because \% and \_ mean a literal % or _ in a pattern while bare ones are wildcards.
 */
function readString(src: string, start: number): { end: number; value: string; pattern: string } {
  let value = '';
  let pattern = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === "'") return { end: i + 1, value, pattern };
    if (c === '\\') {
      const e = src[i + 1];
      if (e === undefined) break;
      const plain = e === '%' || e === '_' ? e : STRING_ESCAPES[e.toLowerCase()];
      if (plain === undefined) {
        throw malformed(src, i, `Invalid string literal '${src.slice(start + 1, i + 2)}'. Illegal character sequence '\\${e}' in string literal.`);
      }
      value += plain;
      pattern += escapeRegex(plain);
      i += 2;
      continue;
    }
    value += c;
    pattern += c === '%' ? '.*' : c === '_' ? '.' : escapeRegex(c);
    i++;
  }
  throw malformed(src, start, 'unexpected token: unterminated string literal');
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const at = (re: RegExp): RegExpExecArray | null => {
    re.lastIndex = i;
    return re.exec(src);
  };
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'") {
      const s = readString(src, i);
      tokens.push({ kind: 'string', text: src.slice(i, s.end), pos: i, value: s.value, pattern: s.pattern });
      i = s.end;
      continue;
    }
    if (/\d/.test(c)) {
      const d = at(DATE_OR_DATETIME);
      if (d) {
        const day = dayOf(Number(d[1]), Number(d[2]), Number(d[3]));
        if (day === undefined) throw malformed(src, i, `invalid date: ${d[0]}`);
        if (d[4] === undefined) {
          tokens.push({ kind: 'date', text: d[0], pos: i, day });
        } else {
          if (d[8] === undefined) throw malformed(src, i, `invalid datetime, a time zone (Z or +hh:mm) is required: ${d[0]}`);
          const ms = parseDateTime(d[0]);
          if (ms === null || Number(d[4]) > 23 || Number(d[5]) > 59 || Number(d[6]) > 59) throw malformed(src, i, `invalid datetime: ${d[0]}`);
          tokens.push({ kind: 'datetime', text: d[0], pos: i, ms });
        }
        i += d[0].length;
        continue;
      }
    }
    if (/\d/.test(c) || ((c === '-' || c === '+') && /\d/.test(src[i + 1] ?? ''))) {
      const n = at(NUMBER)!;
      tokens.push({ kind: 'number', text: n[0], pos: i, value: Number(n[0]) });
      i += n[0].length;
      // "5abc" is no number and no identifier either
      if (/[A-Za-z_]/.test(src[i] ?? '')) throw malformed(src, i, `unexpected token: '${src.slice(i).split(/\s/)[0]}'`);
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = at(IDENT)!;
      tokens.push({ kind: 'ident', text: m[0], pos: i });
      i += m[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (two === '!=' || two === '<>' || two === '<=' || two === '>=') {
      tokens.push({ kind: 'op', text: two === '<>' ? '!=' : two, pos: i });
      i += 2;
      continue;
    }
    if (c === '=' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c, pos: i });
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === ',' || c === ':') {
      tokens.push({ kind: 'punct', text: c, pos: i });
      i++;
      continue;
    }
    throw malformed(src, i, `unexpected token: '${c}'`);
  }
  tokens.push({ kind: 'eof', text: '<EOF>', pos: src.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// AST and parser
// ---------------------------------------------------------------------------------------------

export type SoqlLiteral =
  | { kind: 'string'; value: string; /** anchored-less regex source for LIKE */ pattern: string }
  | { kind: 'number'; value: number }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'date'; text: string; day: number }
  | { kind: 'datetime'; text: string; ms: number }
  /** TODAY, LAST_N_DAYS:n, ...: a range of days resolved against the clock at execution */
  | { kind: 'relative'; name: string; n?: number };

export type SoqlComparison = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type SoqlCondition =
  | { kind: 'and' | 'or'; items: SoqlCondition[] }
  | { kind: 'not'; item: SoqlCondition }
  | { kind: 'compare'; field: string; op: SoqlComparison; value: SoqlLiteral }
  | { kind: 'in'; field: string; negated: boolean; values: SoqlLiteral[] }
  | { kind: 'like'; field: string; value: SoqlLiteral };

export type SoqlOrderKey = { field: string; descending: boolean; nullsFirst: boolean };

/** A parsed query; field names are as written (resolution against metadata happens later). */
export type SoqlQuery = {
  count: boolean;
  fields: string[];
  from: string;
  alias?: string;
  where?: SoqlCondition;
  orderBy: SoqlOrderKey[];
  limit?: number;
  offset?: number;
};

const RELATIVE_FIXED = new Set([
  'YESTERDAY',
  'TODAY',
  'TOMORROW',
  'LAST_WEEK',
  'THIS_WEEK',
  'NEXT_WEEK',
  'LAST_MONTH',
  'THIS_MONTH',
  'NEXT_MONTH',
  'LAST_YEAR',
  'THIS_YEAR',
  'NEXT_YEAR',
]);
const RELATIVE_N = new Set(['LAST_N_DAYS', 'NEXT_N_DAYS']);

/** Words that end the FROM clause, so they can't be taken for an alias. */
const CLAUSE_WORDS = new Set(['WHERE', 'ORDER', 'LIMIT', 'OFFSET', 'GROUP', 'HAVING', 'WITH', 'FOR', 'USING', 'UPDATE']);

class Parser {
  private i = 0;

  public constructor(private readonly src: string, private readonly tokens: Token[]) {}

  public query(): SoqlQuery {
    this.expectWord('SELECT');
    const { count, fields } = this.selectList();
    this.expectWord('FROM');
    const from = this.identifier('an object name');
    let alias: string | undefined;
    const next = this.peek();
    if (next.kind === 'ident' && !next.text.includes('.') && !CLAUSE_WORDS.has(next.text.toUpperCase())) {
      alias = this.take().text;
    }
    const q: SoqlQuery = { count, fields, from, alias, orderBy: [] };
    if (this.acceptWord('WHERE')) q.where = this.condition();
    if (this.acceptWord('ORDER')) {
      this.expectWord('BY');
      q.orderBy = this.orderList();
    }
    if (this.acceptWord('LIMIT')) q.limit = this.nonNegativeInt();
    if (this.acceptWord('OFFSET')) q.offset = this.nonNegativeInt();
    const end = this.peek();
    if (end.kind !== 'eof') throw this.unexpected(end);
    return q;
  }

  private selectList(): { count: boolean; fields: string[] } {
    const fields: string[] = [];
    let count = false;
    do {
      const tok = this.peek();
      if (tok.kind === 'punct' && tok.text === '(') {
        throw malformed(this.src, tok.pos, 'child relationship subqueries are not supported by the emulator');
      }
      const name = this.identifier('a field name');
      if (this.peekPunct('(')) {
        if (name.toUpperCase() !== 'COUNT' || !this.peekPunct(')', 1)) {
          throw malformed(this.src, tok.pos, `function ${name}() is not supported by the emulator; only COUNT() is`);
        }
        this.take();
        this.take();
        count = true;
      } else {
        fields.push(name);
      }
    } while (this.acceptPunct(','));
    if (count && fields.length > 0) {
      throw malformed(this.src, this.peek().pos, 'COUNT() cannot be combined with other fields in the SELECT list');
    }
    return { count, fields };
  }

  private orderList(): SoqlOrderKey[] {
    const keys: SoqlOrderKey[] = [];
    do {
      const field = this.identifier('a field name');
      let descending = false;
      if (this.acceptWord('DESC')) descending = true;
      else this.acceptWord('ASC');
      // Salesforce sorts null as the lowest value: first when ascending, last when descending.
      let nullsFirst = !descending;
      if (this.acceptWord('NULLS')) {
        if (this.acceptWord('FIRST')) nullsFirst = true;
        else if (this.acceptWord('LAST')) nullsFirst = false;
        else throw this.unexpected(this.peek());
      }
      keys.push({ field, descending, nullsFirst });
    } while (this.acceptPunct(','));
    return keys;
  }

  /**
   * SOQL refuses to mix AND and OR at one level without parentheses (there is no precedence
   * between them), so a chain is all-AND or all-OR.
   */
  private condition(): SoqlCondition {
    const first = this.unary();
    const items = [first];
    let joiner: 'AND' | 'OR' | undefined;
    for (;;) {
      const tok = this.peek();
      const word = tok.kind === 'ident' ? tok.text.toUpperCase() : '';
      if (word !== 'AND' && word !== 'OR') break;
      if (joiner && word !== joiner) throw this.unexpected(tok);
      joiner = word;
      this.take();
      items.push(this.unary());
    }
    if (!joiner) return first;
    return { kind: joiner === 'AND' ? 'and' : 'or', items };
  }

  private unary(): SoqlCondition {
    if (this.acceptWord('NOT')) return { kind: 'not', item: this.unary() };
    if (this.acceptPunct('(')) {
      const inner = this.condition();
      this.expectPunct(')');
      return inner;
    }
    return this.predicate();
  }

  private predicate(): SoqlCondition {
    const field = this.identifier('a field name');
    const tok = this.peek();
    if (tok.kind === 'op') {
      this.take();
      return { kind: 'compare', field, op: tok.text as SoqlComparison, value: this.literal() };
    }
    if (this.acceptWord('LIKE')) return { kind: 'like', field, value: this.literal() };
    const negated = this.acceptWord('NOT');
    if (this.acceptWord('IN')) {
      this.expectPunct('(');
      const sub = this.peek();
      if (sub.kind === 'ident' && sub.text.toUpperCase() === 'SELECT') {
        throw malformed(this.src, sub.pos, 'semi-join subqueries are not supported by the emulator');
      }
      const values = [this.literal()];
      while (this.acceptPunct(',')) values.push(this.literal());
      this.expectPunct(')');
      return { kind: 'in', field, negated, values };
    }
    throw this.unexpected(this.peek());
  }

  private literal(): SoqlLiteral {
    const tok = this.take();
    switch (tok.kind) {
      case 'string':
        return { kind: 'string', value: tok.value, pattern: tok.pattern };
      case 'number':
        return { kind: 'number', value: tok.value };
      case 'date':
        return { kind: 'date', text: tok.text, day: tok.day };
      case 'datetime':
        return { kind: 'datetime', text: tok.text, ms: tok.ms };
      case 'ident': {
        const word = tok.text.toUpperCase();
        if (word === 'NULL') return { kind: 'null' };
        if (word === 'TRUE' || word === 'FALSE') return { kind: 'boolean', value: word === 'TRUE' };
        if (RELATIVE_FIXED.has(word)) return { kind: 'relative', name: word };
        if (RELATIVE_N.has(word)) {
          this.expectPunct(':');
          return { kind: 'relative', name: word, n: this.nonNegativeInt() };
        }
        throw this.unexpected(tok);
      }
      default:
        throw this.unexpected(tok);
    }
  }

  private nonNegativeInt(): number {
    const tok = this.take();
    if (tok.kind !== 'number' || !/^\d+$/.test(tok.text)) throw this.unexpected(tok);
    return tok.value;
  }

  private identifier(what: string): string {
    const tok = this.take();
    if (tok.kind !== 'ident') throw malformed(this.src, tok.pos, `unexpected token: '${tok.text}', expected ${what}`);
    return tok.text;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.i + ahead, this.tokens.length - 1)];
  }

  private take(): Token {
    const tok = this.peek();
    if (tok.kind !== 'eof') this.i++;
    return tok;
  }

  private peekPunct(text: string, ahead = 0): boolean {
    const tok = this.peek(ahead);
    return tok.kind === 'punct' && tok.text === text;
  }

  private acceptPunct(text: string): boolean {
    if (!this.peekPunct(text)) return false;
    this.i++;
    return true;
  }

  private expectPunct(text: string): void {
    if (!this.acceptPunct(text)) throw this.unexpected(this.peek(), `'${text}'`);
  }

  private acceptWord(word: string): boolean {
    const tok = this.peek();
    if (tok.kind !== 'ident' || tok.text.toUpperCase() !== word) return false;
    this.i++;
    return true;
  }

  private expectWord(word: string): void {
    if (!this.acceptWord(word)) throw this.unexpected(this.peek(), word);
  }

  private unexpected(tok: Token, expected?: string): SoqlError {
    const shown = tok.kind === 'eof' ? '<EOF>' : `'${tok.text}'`;
    return malformed(this.src, tok.pos, `unexpected token: ${shown}${expected ? `, expected ${expected}` : ''}`);
  }
}

/** Parses without consulting metadata; throws SoqlError('MALFORMED_QUERY') on bad syntax. */
export function parseSoql(soql: string): SoqlQuery {
  return new Parser(soql, tokenize(soql)).query();
}

// ---------------------------------------------------------------------------------------------
// Field paths
// ---------------------------------------------------------------------------------------------

export type ResolvedPath = {
  /** canonical spelling, e.g. 'Account.Owner.Username' */
  canonical: string;
  /** the reference fields walked, in order */
  relationships: FieldDef[];
  /** the field read on the last object */
  leaf: FieldDef;
};

// Resolution is pure metadata work; bulk query results ask for the same few columns per row.
const pathCache = new WeakMap<ObjectDef, Map<string, ResolvedPath>>();

/**
 * Resolves 'Name', 'Account.Name' or 'Account.Owner.Username' through relationshipName. A leading
 * alias or the FROM object's own name ('Account.Name' on Account) is dropped, as SOQL allows.
 */
export function resolvePath(store: Store, object: ObjectDef, path: string, alias?: string): ResolvedPath {
  const key = `${alias?.toLowerCase() ?? ''}|${path.toLowerCase()}`;
  let cache = pathCache.get(object);
  const hit = cache?.get(key);
  if (hit) return hit;

  let parts = path.split('.');
  if (parts.length > 1) {
    const head = parts[0].toLowerCase();
    const isRelationship = object.fields.some((f) => f.relationshipName?.toLowerCase() === head);
    const isAlias = alias !== undefined && head === alias.toLowerCase();
    if (isAlias || (!isRelationship && head === object.name.toLowerCase())) parts = parts.slice(1);
  }
  const relationships: FieldDef[] = [];
  const names: string[] = [];
  let current = object;
  for (const part of parts.slice(0, -1)) {
    const lower = part.toLowerCase();
    const ref = current.fields.find((f) => f.type === 'reference' && f.relationshipName?.toLowerCase() === lower);
    // Polymorphic lookups are described by their first target; values are followed by ID prefix.
    const target = ref ? store.describe(ref.referenceTo[0] ?? '') : undefined;
    if (!ref || !target) throw badRelationship(part);
    relationships.push(ref);
    names.push(ref.relationshipName!);
    current = target;
  }
  const last = parts[parts.length - 1];
  const leaf = store.field(current, last);
  if (!leaf) throw noSuchColumn(last, current.name);
  names.push(leaf.name);

  const resolved = { canonical: names.join('.'), relationships, leaf };
  if (!cache) {
    cache = new Map<string, ResolvedPath>();
    pathCache.set(object, cache);
  }
  cache.set(key, resolved);
  return resolved;
}

/** The parent record a reference field points at, of whichever object its ID prefix names. */
function parentOf(store: Store, record: SObjectRecord, ref: FieldDef): { def: ObjectDef; record: SObjectRecord } | undefined {
  const id = record[ref.name];
  return typeof id === 'string' && id !== '' ? store.getAny(id) : undefined;
}

function pathValue(store: Store, path: ResolvedPath, record: SObjectRecord): Value {
  let current = record;
  for (const ref of path.relationships) {
    const parent = parentOf(store, current, ref);
    if (!parent) return null;
    current = parent.record;
  }
  return current[path.leaf.name] ?? null;
}

/** Value of a column (a field or a parent path like 'Account.Name' / 'Owner.Username') for a record; null when the parent is missing. */
export function columnValue(store: Store, object: ObjectDef, record: SObjectRecord, column: string): Value {
  return pathValue(store, resolvePath(store, object, column), record);
}

/** A column's value reader, its path resolved once: for result sets of millions of records. */
export function columnReader(store: Store, object: ObjectDef, column: string): (record: SObjectRecord) => Value {
  const path = resolvePath(store, object, column);
  return (record) => pathValue(store, path, record);
}

/** A record in REST query JSON form: {attributes:{type,url:'/services/data/vXX.X/sobjects/Type/Id'}, Field: value, Account: {attributes:{...}, Name: ...} | null} following the columns. */
export function restRecord(
  store: Store,
  object: ObjectDef,
  record: SObjectRecord,
  columns: string[],
  apiVersion: string
): Record<string, unknown> {
  const version = apiVersion.replace(/^v/i, '');
  const attributes = (type: string, id: Value): { type: string; url: string } => ({
    type,
    url: `/services/data/v${version}/sobjects/${type}/${String(id)}`,
  });
  const out: Record<string, unknown> = { attributes: attributes(object.name, record.Id) };
  for (const column of columns) {
    const path = resolvePath(store, object, column);
    let node = out;
    let current: SObjectRecord = record;
    let missing = false;
    for (const ref of path.relationships) {
      const key = ref.relationshipName!;
      const parent = parentOf(store, current, ref);
      if (!parent) {
        // A missing parent shows as null, however many more levels the path had.
        if (!(key in node)) node[key] = null;
        missing = true;
        break;
      }
      if (!(key in node) || node[key] === null) node[key] = { attributes: attributes(parent.def.name, parent.record.Id) };
      node = node[key] as Record<string, unknown>;
      current = parent.record;
    }
    if (!missing) node[path.leaf.name] = current[path.leaf.name] ?? null;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Comparison semantics
// ---------------------------------------------------------------------------------------------

type Kind = 'id' | 'text' | 'number' | 'boolean' | 'date' | 'datetime';
type Scalar = string | number | boolean;
/** A literal ready to compare with normalized field values: one value, or [from, to) for date literals. */
type Operand = { point: Scalar | null } | { range: [number, number] };

function kindOf(f: FieldDef): Kind {
  switch (f.type) {
    case 'id':
    case 'reference':
      return 'id';
    case 'int':
    case 'double':
    case 'currency':
    case 'percent':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'date':
      return 'date';
    case 'datetime':
      return 'datetime';
    default:
      return 'text';
  }
}

/**
 * A stored value in comparable form: text lower-cased (SOQL compares text case-insensitively),
 * IDs as 18 chars, dates as day numbers, datetimes as epoch ms. Salesforce stores no empty
 * strings, so '' is null.
 */
function normalize(kind: Kind, v: Value): Scalar | null {
  if (v === null || v === undefined || v === '') return null;
  switch (kind) {
    case 'id': {
      const s = String(v);
      return isValidId(s) ? canonicalId(s) : s;
    }
    case 'text':
      return String(v).toLowerCase();
    case 'number': {
      const n = typeof v === 'number' ? v : Number(v);
      return Number.isNaN(n) ? null : n;
    }
    case 'boolean':
      return v === true || v === 'true';
    case 'date': {
      const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(v));
      return m ? dayOf(Number(m[1]), Number(m[2]), Number(m[3])) ?? null : null;
    }
    case 'datetime':
      return parseDateTime(String(v));
  }
}

/** [from, to) in days since the epoch, UTC (the emulated org's time zone and locale are GMT/en_US). */
function relativeDays(name: string, n: number, now: number): [number, number] {
  const today = Math.floor(now / DAY_MS);
  const date = new Date(today * DAY_MS);
  const weekStart = today - date.getUTCDay(); // weeks start on Sunday in en_US
  const month = (shift: number): [number, number] => {
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + shift;
    return [Date.UTC(y, m, 1) / DAY_MS, Date.UTC(y, m + 1, 1) / DAY_MS];
  };
  const year = (shift: number): [number, number] => {
    const y = date.getUTCFullYear() + shift;
    return [Date.UTC(y, 0, 1) / DAY_MS, Date.UTC(y + 1, 0, 1) / DAY_MS];
  };
  switch (name) {
    case 'YESTERDAY':
      return [today - 1, today];
    case 'TODAY':
      return [today, today + 1];
    case 'TOMORROW':
      return [today + 1, today + 2];
    case 'LAST_WEEK':
      return [weekStart - 7, weekStart];
    case 'THIS_WEEK':
      return [weekStart, weekStart + 7];
    case 'NEXT_WEEK':
      return [weekStart + 7, weekStart + 14];
    case 'LAST_MONTH':
      return month(-1);
    case 'THIS_MONTH':
      return month(0);
    case 'NEXT_MONTH':
      return month(1);
    case 'LAST_YEAR':
      return year(-1);
    case 'THIS_YEAR':
      return year(0);
    case 'NEXT_YEAR':
      return year(1);
    // LAST_N_DAYS:n includes today (LAST_N_DAYS:1 is yesterday and today); NEXT_N_DAYS:n starts tomorrow.
    case 'LAST_N_DAYS':
      return [today - n, today + 1];
    default:
      return [today + 1, today + 1 + n];
  }
}

const TYPE_NAMES: Record<Kind, string> = {
  id: 'id',
  text: 'string',
  number: 'double',
  boolean: 'boolean',
  date: 'date',
  datetime: 'dateTime',
};

/**
 * Converts a literal for comparison with a field, refusing mismatches the way Salesforce does
 * (a quoted number, an unquoted string, a date against a datetime field, ...).
 */
function operand(kind: Kind, field: FieldDef, path: string, lit: SoqlLiteral, now: number): Operand {
  if (lit.kind === 'null') return { point: null };
  const quoted = kind === 'text' || kind === 'id';
  const mismatch = (): SoqlError =>
    new SoqlError(
      'INVALID_FIELD',
      `value of filter criterion for field '${path}' must be of type ${field.type === 'int' ? 'int' : TYPE_NAMES[kind]} and should ${quoted ? '' : 'not '}be enclosed in quotes`
    );
  switch (kind) {
    case 'text':
      if (lit.kind !== 'string') throw mismatch();
      return { point: normalize('text', lit.value) };
    case 'id':
      if (lit.kind !== 'string') throw mismatch();
      if (lit.value !== '' && !isValidId(lit.value)) throw new SoqlError('MALFORMED_QUERY', `invalid ID field: ${lit.value}`);
      return { point: normalize('id', lit.value) };
    case 'number':
      if (lit.kind !== 'number') throw mismatch();
      return { point: lit.value };
    case 'boolean':
      if (lit.kind !== 'boolean') throw mismatch();
      return { point: lit.value };
    case 'date':
      if (lit.kind === 'date') return { point: lit.day };
      if (lit.kind === 'relative') return { range: relativeDays(lit.name, lit.n ?? 0, now) };
      throw mismatch();
    case 'datetime': {
      if (lit.kind === 'datetime') return { point: lit.ms };
      if (lit.kind !== 'relative') throw mismatch();
      const [from, to] = relativeDays(lit.name, lit.n ?? 0, now);
      return { range: [from * DAY_MS, to * DAY_MS] };
    }
  }
}

function compareScalars(a: Scalar, b: Scalar): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * SOQL uses two-valued logic: `= null` matches nulls, `!= 'x'` also matches nulls, and an
 * ordering comparison against null is simply false.
 */
function matches(value: Scalar | null, op: SoqlComparison, rhs: Operand): boolean {
  if ('range' in rhs) {
    const [from, to] = rhs.range;
    if (value === null || typeof value !== 'number') return op === '!=';
    switch (op) {
      case '=':
        return value >= from && value < to;
      case '!=':
        return value < from || value >= to;
      case '<':
        return value < from;
      case '<=':
        return value < to;
      case '>':
        return value >= to;
      case '>=':
        return value >= from;
    }
  }
  const point = rhs.point;
  if (op === '=' || op === '!=') {
    const equal = value === null || point === null ? value === point : compareScalars(value, point) === 0;
    return op === '=' ? equal : !equal;
  }
  if (value === null || point === null) return false;
  const c = compareScalars(value, point);
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

type Predicate = (record: SObjectRecord) => boolean;

type Context = { store: Store; object: ObjectDef; alias?: string; now: number };

function compileCondition(ctx: Context, cond: SoqlCondition): Predicate {
  switch (cond.kind) {
    case 'and': {
      const parts = cond.items.map((c) => compileCondition(ctx, c));
      return (r) => parts.every((p) => p(r));
    }
    case 'or': {
      const parts = cond.items.map((c) => compileCondition(ctx, c));
      return (r) => parts.some((p) => p(r));
    }
    case 'not': {
      const inner = compileCondition(ctx, cond.item);
      return (r) => !inner(r);
    }
    default:
      break;
  }
  const path = resolvePath(ctx.store, ctx.object, cond.field, ctx.alias);
  const kind = kindOf(path.leaf);
  const read = (r: SObjectRecord): Scalar | null => normalize(kind, pathValue(ctx.store, path, r));

  if (cond.kind === 'like') {
    if (kind !== 'text' && kind !== 'id') {
      throw new SoqlError('INVALID_FIELD', `invalid operator on field '${path.canonical}': LIKE only applies to text fields`);
    }
    if (cond.value.kind !== 'string') throw new SoqlError('INVALID_FIELD', `LIKE on field '${path.canonical}' needs a quoted string pattern`);
    const re = new RegExp(`^${cond.value.pattern}$`, 'is');
    // LIKE matches the stored text itself (case-insensitively), never null.
    return (r) => {
      const v = pathValue(ctx.store, path, r);
      return v !== null && v !== '' && re.test(String(v));
    };
  }
  if (cond.kind === 'in') {
    const values = cond.values.map((v) => operand(kind, path.leaf, path.canonical, v, ctx.now));
    return (r) => {
      const v = read(r);
      const found = values.some((o) => matches(v, '=', o));
      return cond.negated ? !found : found;
    };
  }
  const rhs = operand(kind, path.leaf, path.canonical, cond.value, ctx.now);
  return (r) => matches(read(r), cond.op, rhs);
}

// ---------------------------------------------------------------------------------------------
// Execution
// ---------------------------------------------------------------------------------------------

export function executeSoql(store: Store, soql: string, opts: SoqlOptions = {}): SoqlResult {
  const q = parseSoql(soql);
  const object = store.describe(q.from);
  if (!object || !object.queryable) throw invalidType(q.from);
  const ctx: Context = { store, object, alias: q.alias, now: (opts.now ?? Date.now)() };

  const columns: string[] = [];
  for (const f of q.fields) {
    const canonical = resolvePath(store, object, f, q.alias).canonical;
    if (columns.some((c) => c.toLowerCase() === canonical.toLowerCase())) {
      throw new SoqlError('MALFORMED_QUERY', `duplicate field selected: ${canonical}`);
    }
    columns.push(canonical);
  }

  const where = q.where ? compileCondition(ctx, q.where) : undefined;
  const order = q.orderBy.map((k) => {
    const path = resolvePath(store, object, k.field, q.alias);
    return { ...k, path, kind: kindOf(path.leaf) };
  });

  let records = [...store.all(object.name, opts.includeDeleted ?? false)];
  if (where) records = records.filter(where);
  if (order.length > 0) {
    // Precompute sort keys so parent lookups happen once per record, not once per comparison.
    const keyed = records.map((record) => ({ record, keys: order.map((k) => normalize(k.kind, pathValue(store, k.path, record))) }));
    keyed.sort((a, b) => {
      for (let i = 0; i < order.length; i++) {
        const x = a.keys[i];
        const y = b.keys[i];
        if (x === y) continue;
        if (x === null || y === null) return (x === null) === order[i].nullsFirst ? -1 : 1;
        const c = compareScalars(x, y);
        if (c !== 0) return order[i].descending ? -c : c;
      }
      return 0; // Array.prototype.sort is stable: ties keep insertion order
    });
    records = keyed.map((k) => k.record);
  }
  const start = q.offset ?? 0;
  records = records.slice(start, q.limit === undefined ? undefined : start + q.limit);

  if (q.count) return { object, columns: [], records: [], totalSize: records.length, isCount: true };
  return { object, columns, records, totalSize: records.length, isCount: false };
}
