/*
 * The preflight of a load: the header checked once against the object's describe (problems there
 * stop the load before anything is sent), then every row checked as the file streams by, with no
 * I/O, for what Salesforce would refuse it for. Users find their typos and bad rows in seconds,
 * locally, instead of after an upload and a failed job.
 */
import type { IngestOperation } from '../bulk/types.js';
import type { CsvRecord } from '../csv/reader.js';
import { cellCheck, type CellCheck, type Fault } from './cellChecks.js';
import type { DescribeSource, FieldDescribe, ObjectDescribe } from './describe.js';
import { planHeader, type HeaderPlan, type PlannedColumn } from './headerPlan.js';
import { preflightMessages } from './messages.js';
import {
  problemMessage,
  ProblemTally,
  quoted,
  reasonOf,
  shownValue,
  type PreflightReport,
  type Problem,
  type ProblemKind,
  type ProblemScope,
} from './problems.js';
import { KeyCensus, type DuplicatePolicy, type Place, type Twins } from './keyCensus.js';

export { PreflightError } from './errors.js';
export type { DescribeSource, FieldDescribe, ObjectDescribe } from './describe.js';
export { KeyCensus, type DuplicatePolicy } from './keyCensus.js';
export type { KindSummary, PreflightReport, Problem, ProblemExample, ProblemKind, ProblemScope } from './problems.js';

/** The CSV value that sets a field to null (Bulk API Developer Guide: Prepare CSV Files). */
const NULL_MARKER = '#N/A';

/** A Preflight's options with the describes it read instead of their source (see portable()). */
export type PortablePreflight = Omit<PreflightOptions, 'describe'> & { describes: ObjectDescribe[] };

export type PreflightOptions = {
  /** the file as the user named it: every message starts with it */
  file: string;
  object: string;
  operation: IngestOperation;
  /** upsert: the field records are matched on */
  externalId?: string;
  header: string[];
  headerLine: number;
  describe: DescribeSource;
};

/** A blank cell ('' leaves the field alone, '#N/A' sets it to null) is wrong only for some columns. */
type BlankRule = (value: string) => Fault | undefined;

type ColumnCheck = {
  index: number;
  header: string;
  /** for a cell with a value */
  check: CellCheck | undefined;
  /** for '' and '#N/A' */
  blank: BlankRule | undefined;
};

type RequiredGroup = { field: FieldDescribe; header: string; columns: number[] };

const isBlank = (v: string): boolean => v === '' || v === NULL_MARKER;

/** Whether every one of these cells is blank (a loop, not every(): it runs for every row). */
function allBlank(cells: string[], columns: number[]): boolean {
  for (const col of columns) if (!isBlank(cells[col])) return false;
  return true;
}

export class Preflight {
  /** Header problems: each would fail the whole job (or every row), so the load stops before upload. */
  public readonly jobProblems: Problem[];
  /** The object's API name as the org spells it. */
  public readonly object: string;

  private readonly file: string;
  private readonly operation: IngestOperation;
  private readonly externalId: string | undefined;
  private readonly width: number;
  private readonly checks: ColumnCheck[];
  private readonly required: RequiredGroup[];
  private readonly keyColumn: number;
  private readonly keyName: string;
  private readonly keyText: ((v: string) => string) | undefined;
  private readonly keyFold: boolean | undefined;
  private readonly keyCheck: CellCheck | undefined;
  /** duplicated keys, all files of the run together (see countKeys) */
  private census: KeyCensus | undefined;
  private policy: DuplicatePolicy = 'none';
  private fileNames: string[] = [];
  private readonly tally = new ProblemTally();
  private rowsChecked = 0;
  private problemRows = 0;
  private portableOptions?: PortablePreflight;

  private constructor(opts: PreflightOptions, objectName: string, plan: HeaderPlan) {
    this.file = opts.file;
    this.object = objectName;
    this.operation = opts.operation;
    this.externalId = opts.externalId;
    this.width = opts.header.length;
    this.jobProblems = plan.problems.map((p) =>
      this.problem('job', p.kind, opts.headerLine, p.field, undefined, p.detail)
    );
    for (const p of this.jobProblems) this.tally.add(p);

    this.keyColumn = plan.key?.column ?? -1;
    this.keyName = plan.key ? opts.header[plan.key.column] : '';
    if (plan.key) {
      const keyField = plan.key.field;
      const { text, fold } = keyIdentity(keyField);
      this.keyText = text;
      this.keyFold = fold;
    }
    this.checks = plan.columns
      .map((c) => this.columnCheck(c, plan))
      .filter((c): c is ColumnCheck => c.check !== undefined || c.blank !== undefined);
    this.required = plan.required.map((r) => ({ field: r.field, header: opts.header[r.columns[0]], columns: r.columns }));
    this.keyCheck = this.checks.find((c) => c.index === this.keyColumn)?.check;
  }

  /** Describes the object (and the parents of relationship columns) and checks the header. */
  public static async create(opts: PreflightOptions): Promise<Preflight> {
    // The describes it reads are kept: another thread can then build the same checks (portable()).
    const seen = new Map<string, ObjectDescribe>();
    const describe = async (name: string): Promise<ObjectDescribe> => {
      const d = await opts.describe(name);
      seen.set(d.name.toLowerCase(), d);
      return d;
    };
    const object = await describe(opts.object);
    const plan = await planHeader({
      object,
      operation: opts.operation,
      externalId: opts.externalId,
      header: opts.header,
      describe,
    });
    const preflight = new Preflight(opts, object.name, plan);
    preflight.portableOptions = {
      file: opts.file,
      object: opts.object,
      operation: opts.operation,
      ...(opts.externalId !== undefined ? { externalId: opts.externalId } : {}),
      header: opts.header,
      headerLine: opts.headerLine,
      describes: [...seen.values()],
    };
    return preflight;
  }

  /** What another thread needs to build the same checks (plain data: it crosses to a worker as is). */
  public portable(): PortablePreflight {
    return this.portableOptions!;
  }

  /**
   * Counts rows another thread checked with the same checks (the parallel split): `found` holds the
   * problems of each row that had some, in input order, with lines counted from 1 at the block's
   * start; `lineBase` is added to make them the file's lines.
   */
  public addChecked(rows: number, found: Problem[][], lineBase: number): void {
    this.rowsChecked += rows;
    for (const problems of found) {
      for (const p of problems) {
        p.line += lineBase;
        p.message = problemMessage(this.file, p.line, p.field, p.detail);
      }
      this.counted(problems);
    }
  }

  /** True when the header is fine and the load may start (rows may still be refused one by one). */
  public get canLoad(): boolean {
    return this.jobProblems.length === 0;
  }

  /**
   * Why Salesforce would refuse this row, or [] when it would not (as far as can be told without
   * the org's data). Counts what it finds for report().
   */
  public checkRow(record: CsvRecord): Problem[] {
    this.rowsChecked++;
    this.census?.nextRow();
    const cells = record.fields;
    const line = record.line;
    if (cells.length !== this.width) {
      const detail = preflightMessages.getMessage(cells.length === 1 ? 'raggedRowOne' : 'raggedRow', [cells.length, this.width]);
      return this.counted([this.problem('row', 'ragged-row', line, undefined, undefined, detail)]);
    }
    let found: Problem[] | undefined;
    for (const c of this.checks) {
      const v = cells[c.index];
      let fault: Fault | undefined;
      if (v === '' || v === NULL_MARKER) {
        if (c.blank === undefined) continue;
        fault = c.blank(v);
      } else {
        if (c.check !== undefined) fault = c.check(v);
        if (fault === undefined && c.index === this.keyColumn) fault = this.duplicate(v, { fileIndex: record.fileIndex ?? 0, line });
      }
      if (fault !== undefined) (found ??= []).push(this.problem('row', fault.kind, line, c.header, v, fault.detail));
    }
    for (const r of this.required) {
      if (allBlank(cells, r.columns)) {
        const v = cells[r.columns[0]];
        const detail =
          v === NULL_MARKER
            ? preflightMessages.getMessage('requiredSetToNull', [r.field.name])
            : preflightMessages.getMessage('requiredEmpty', [r.field.name]);
        (found ??= []).push(this.problem('row', 'missing-required', line, r.header, v, detail));
      }
    }
    return found ? this.counted(found) : [];
  }

  /**
   * checkRow, with the row's problems joined into one reason (for a rejected-rows file), or
   * undefined when it has none. Use one or the other for a row: both count it.
   */
  public rowReason(record: CsvRecord): string | undefined {
    const problems = this.checkRow(record);
    return problems.length === 0 ? undefined : reasonOf(problems);
  }

  /** What was found so far: counts per kind, with up to `capPerKind` examples of each. */
  public report(capPerKind = 5): PreflightReport {
    return {
      file: this.file,
      object: this.object,
      operation: this.operation,
      ...(this.externalId !== undefined ? { externalId: this.externalId } : {}),
      ok: this.tally.count === 0,
      ...(this.policy !== 'none' ? { duplicates: this.policy } : {}),
      jobProblems: this.jobProblems.length,
      rowsChecked: this.rowsChecked,
      problemRows: this.problemRows,
      problems: this.tally.count,
      kinds: this.tally.summaries(capPerKind),
    };
  }

  private counted(found: Problem[]): Problem[] {
    this.problemRows++;
    for (const p of found) this.tally.add(p);
    return found;
  }

  private problem(
    scope: ProblemScope,
    kind: ProblemKind,
    line: number,
    field: string | undefined,
    value: string | undefined,
    detail: string
  ): Problem {
    const p: Problem = { kind, scope, line, detail, message: problemMessage(this.file, line, field, detail) };
    if (field !== undefined) p.field = field;
    if (value !== undefined) p.value = shownValue(value);
    return p;
  }

  /**
   * Salesforce fails every row whose external ID appears more than once in a job, the first one
   * included: by default every row of a duplicated key is reported (each with its twins' lines), so
   * none is sent; --duplicates first or last sends one of them and reports the others.
   */
  private duplicate(v: string, place: Place): Fault | undefined {
    const twins = this.census?.twins(this.keyText!(v), place);
    if (!twins) return undefined;
    if (this.policy === 'none') {
      return {
        kind: 'duplicate-external-id',
        detail: preflightMessages.getMessage('duplicateExternalId', [this.keyName, quoted(v), this.placesText(twins), twins.count]),
      };
    }
    if (this.policy === 'first' ? twins.isFirst : twins.isLast) return undefined;
    const kept = this.policy === 'first' ? twins.first : twins.last;
    return {
      kind: 'duplicate-external-id',
      detail: preflightMessages.getMessage('duplicateExternalIdKept', [this.keyName, quoted(v), this.placeText(kept), this.policy]),
    };
  }

  /** "line 4", "lines 4, 9", "lines 4, 9 and 3 more"; with several files, "b.csv:4". */
  private placesText(twins: Twins): string {
    const shown = twins.others.map((p) => this.placeText(p, false));
    const more = twins.count - 1 - shown.length;
    const list = more > 0 ? preflightMessages.getMessage('placesMore', [shown.join(', '), more]) : shown.join(', ');
    return preflightMessages.getMessage(twins.count - 1 === 1 ? 'placeOne' : 'placeMany', [list]);
  }

  private placeText(p: Place, withWord = true): string {
    const where = this.fileNames.length > 1 ? `${this.fileNames[p.fileIndex]}:${p.line}` : String(p.line);
    return withWord ? preflightMessages.getMessage('placeOne', [where]) : where;
  }

  /** True when rows have a key whose duplicates must be counted first (see countKeys). */
  public get keyed(): boolean {
    return this.keyFold !== undefined;
  }

  /** The row's key as compared for duplicates, or undefined when it has none a duplicate check would look at. */
  public censusKey(record: CsvRecord): string | undefined {
    if (this.keyFold === undefined || record.fields.length !== this.width) return undefined;
    const v = record.fields[this.keyColumn];
    if (isBlank(v) || this.keyCheck?.(v) !== undefined) return undefined;
    return this.keyText!(v);
  }

  /** Hands over the run's counted keys (every file's preflight gets the same census). */
  public useCensus(census: KeyCensus, policy: DuplicatePolicy, fileNames: string[]): void {
    this.census = census;
    this.policy = policy;
    this.fileNames = fileNames;
  }

  /** For the census: the key field compares ignoring case. */
  public get keyFoldsCase(): boolean {
    return this.keyFold === true;
  }

  /** The checks one column needs, given what it writes and the operation. */
  private columnCheck(c: PlannedColumn, plan: HeaderPlan): ColumnCheck {
    const base = { index: c.index, header: c.header };
    const op = this.operation;
    const role = c.role;
    switch (role.kind) {
      case 'ignored':
        return { ...base, check: undefined, blank: undefined };
      case 'id': {
        if (op === 'insert') return { ...base, check: idOnInsert, blank: undefined };
        // upsert: an empty Id means "create"; update and delete need one on every row.
        const blank = op === 'upsert' ? undefined : missingId(c.header, op);
        return { ...base, check: cellCheck(ID_FIELD), blank };
      }
      case 'field':
      case 'relationship': {
        // A parent column holds the parent's key, so the parent field's type rules apply.
        const check = cellCheck(role.kind === 'field' ? role.field : role.parentField);
        if (c.index === plan.key?.column) return { ...base, check, blank: missingKey(c.header) };
        return { ...base, check, blank: op === 'update' || op === 'upsert' ? cannotClear(role.field) : undefined };
      }
    }
  }
}

/** A stand-in describe for the Id column, whose own describe entry is not needed to check it. */
const ID_FIELD: FieldDescribe = {
  name: 'Id',
  type: 'id',
  length: 18,
  precision: 0,
  scale: 0,
  createable: false,
  updateable: false,
  nillable: false,
  defaultedOnCreate: true,
  externalId: false,
  idLookup: true,
  unique: false,
  calculated: false,
  autoNumber: false,
  referenceTo: [],
  relationshipName: null,
  picklistValues: [],
  restrictedPicklist: false,
};

function idOnInsert(v: string): Fault {
  return { kind: 'id-on-insert', detail: preflightMessages.getMessage('idOnInsert', [quoted(v)]) };
}

// The faults below are built when first met, not with the checks: a split worker thread then loads
// the messages only if a row has a problem (lazyMessages.ts).
function missingId(header: string, op: IngestOperation): BlankRule {
  let fault: Fault | undefined;
  return () => (fault ??= { kind: 'missing-id', detail: preflightMessages.getMessage(op === 'update' ? 'missingIdToChange' : 'missingIdToDelete', [header, op]) });
}

function missingKey(header: string): BlankRule {
  let fault: Fault | undefined;
  return () => (fault ??= { kind: 'missing-external-id', detail: preflightMessages.getMessage('missingExternalId', [header]) });
}

/** '#N/A' clears a field on update, which a required field refuses (a checkbox just becomes false). */
function cannotClear(field: FieldDescribe): BlankRule | undefined {
  if (field.nillable || field.type === 'boolean') return undefined;
  let fault: Fault | undefined;
  return (v) => (v === NULL_MARKER ? (fault ??= { kind: 'missing-required', detail: preflightMessages.getMessage('cannotClearRequired', [field.name]) }) : undefined);
}

/**
 * How Salesforce compares values of the key field, as the text hashed for the duplicate check:
 * IDs by their 15-character case-sensitive form, numbers by value, text ignoring case unless the
 * field is case-sensitive.
 */
export function keyIdentity(field: FieldDescribe): { text: (v: string) => string; fold: boolean } {
  if (field.type === 'id' || field.type === 'reference') return { text: (v) => v.slice(0, 15), fold: false };
  if (['int', 'double', 'currency', 'percent'].includes(field.type)) return { text: (v) => String(Number(v)), fold: false };
  return { text: (v) => v, fold: field.caseSensitive !== true };
}

/**
 * The first pass over a run's rows (all files, in the order they will be checked): counts every
 * key so that the check can tell every row of a duplicated key, the first included. Returns
 * undefined, and reads nothing, when the rows have no key (only upsert has one).
 */
export async function countKeys(
  preflights: Preflight[],
  rows: AsyncIterable<CsvRecord[]> | Iterable<CsvRecord[]>,
  opts: { policy?: DuplicatePolicy; fileNames?: string[] } = {}
): Promise<KeyCensus | undefined> {
  const keyed = preflights.find((p) => p.keyed);
  if (!keyed) return undefined;
  const census = new KeyCensus(keyed.keyFoldsCase);
  for await (const batch of rows) {
    for (const record of batch) {
      const fileIndex = record.fileIndex ?? 0;
      census.add(preflights[fileIndex].censusKey(record), { fileIndex, line: record.line });
    }
  }
  census.seal();
  for (const p of preflights) p.useCensus(census, opts.policy ?? 'none', opts.fileNames ?? []);
  return census;
}
