/*
 * The data shape `--concurrency auto` decides on (Bulk API Developer Guide: How Requests Are Processed (10,000-row chunks run in parallel)): which columns point to a parent
 * record that a Bulk API chunk locks while it saves the row (lookup and master-detail fields, by Id
 * or by the parent's external ID: `AccountId`, `Account.External_Id__c`), and how many rows share
 * each parent, counted in one streamed pass.
 */
import type { CsvRecord } from '../csv/reader.js';
import type { HeaderPlan } from '../preflight/headerPlan.js';
import { keyIdentity } from '../preflight/preflight.js';

/** Parents whose rows lock nothing: ownership does not lock the User (or queue) record. */
const UNLOCKED_TARGETS = new Set(['user', 'group']);

const NULL_MARKER = '#N/A';

export type ParentColumn = {
  index: number;
  header: string;
  /** the reference field the column sets */
  field: string;
  kind: 'lookup' | 'master-detail';
  parentObject: string;
  /** the parent's field the cell matches on (Id, or an external ID for `Rel.Field` columns) */
  matchedOn: string;
  /** the cell as the org compares it (15-character Ids, external IDs ignoring case unless case-sensitive) */
  key: (cell: string) => string;
};

/** The columns of a header that lock a parent record, from its checked header plan. */
export function parentColumns(plan: HeaderPlan): ParentColumn[] {
  const out: ParentColumn[] = [];
  for (const c of plan.columns) {
    const role = c.role;
    if (role.kind !== 'field' && role.kind !== 'relationship') continue;
    const f = role.field;
    if (f.type !== 'reference' || f.referenceTo.length === 0 || f.referenceTo.every((r) => UNLOCKED_TARGETS.has(r.toLowerCase()))) continue;
    const matched = role.kind === 'relationship' ? role.parentField : f;
    const { text, fold } = keyIdentity(matched);
    out.push({
      index: c.index,
      header: c.header,
      field: f.name,
      kind: f.masterDetail ? 'master-detail' : 'lookup',
      parentObject: role.kind === 'relationship' ? role.parentObject : f.referenceTo[0],
      matchedOn: role.kind === 'relationship' ? matched.name : 'Id',
      key: fold ? (v): string => text(v).toLowerCase() : text,
    });
  }
  return out;
}

/** A parent column's cell as a sort and census key; undefined when the row sets no parent (blank, #N/A). */
export function parentKey(column: ParentColumn, record: CsvRecord): string | undefined {
  const v = record.fields[column.index];
  return v === undefined || v === '' || v === NULL_MARKER ? undefined : column.key(v);
}

/** A parent column (its position in the header, what it points to) and what the census found in it. */
export type ColumnShape = Omit<ParentColumn, 'key'> & {
  /** rows that set this column */
  rowsWithParent: number;
  /** distinct parents (a lower bound when exact is false) */
  parents: number;
  /** rows whose parent has at least one other child (a lower bound when exact is false) */
  sharedRows: number;
  /** the most children of one parent (an upper bound when exact is false) */
  largest: number;
  /** parents with more children than a chunk holds, and their rows (upper bounds when exact is false) */
  oversized: number;
  oversizedRows: number;
  /** false when there were more distinct parents than the census keeps (see ParentCensus) */
  exact: boolean;
};

export type DataShape = {
  rows: number;
  files: number;
  chunkRows: number;
  columns: ColumnShape[];
};

/**
 * Counts the children of each parent, per parent column, in memory bounded by `capacity` keys a
 * column. Up to that many distinct parents the counts are exact. Past it the census turns into a
 * Misra-Gries heavy-hitter summary (not a spill to disk): when a new parent finds the map full,
 * every count drops by one and parents at zero leave. Each count is then low by at most the number
 * of such drops (≤ rows / (capacity + 1)), and every parent with more children than that is still
 * in the map. That is all the decision needs: it asks which parents are heavy (they are the ones
 * that lock out parallel chunks, and the ones too big for a chunk), never about the long tail, and
 * the summary keeps exactly the heavy ones at a cost of one map. A spill would give exact tail
 * counts nobody reads, for a second pass over the disk. What cannot be known past the cap is said:
 * exact is false, and the decision then groups rather than trust a count it does not have.
 */
export class ParentCensus {
  private readonly counts: Array<Map<string, number>>;
  private readonly drops: number[];
  private readonly withParent: number[];
  private rows = 0;

  public constructor(private readonly columns: ParentColumn[], private readonly capacity = 50_000) {
    this.counts = columns.map(() => new Map<string, number>());
    this.drops = columns.map(() => 0);
    this.withParent = columns.map(() => 0);
  }

  public add(record: CsvRecord): void {
    this.rows++;
    for (let i = 0; i < this.columns.length; i++) {
      const key = parentKey(this.columns[i], record);
      if (key === undefined) continue;
      this.withParent[i]++;
      const counts = this.counts[i];
      const n = counts.get(key);
      if (n !== undefined) counts.set(key, n + 1);
      else if (counts.size < this.capacity) counts.set(key, 1);
      else this.drop(i);
    }
  }

  /** The exact number of rows of this parent, when the census still counts exactly. */
  public count(column: number, key: string): number | undefined {
    return this.drops[column] === 0 ? this.counts[column].get(key) ?? 0 : undefined;
  }

  public shape(opts: { files: number; chunkRows: number }): DataShape {
    return {
      rows: this.rows,
      files: opts.files,
      chunkRows: opts.chunkRows,
      columns: this.columns.map((c, i) => {
        const error = this.drops[i];
        let shared = 0;
        let largest = 0;
        let oversized = 0;
        let oversizedRows = 0;
        for (const n of this.counts[i].values()) {
          if (n >= 2) shared += n;
          largest = Math.max(largest, n + error);
          if (n + error > opts.chunkRows) {
            oversized++;
            oversizedRows += n + error;
          }
        }
        const { key, ...column } = c;
        void key;
        return {
          ...column,
          rowsWithParent: this.withParent[i],
          parents: this.counts[i].size,
          sharedRows: shared,
          largest,
          oversized,
          oversizedRows,
          exact: error === 0,
        };
      }),
    };
  }

  /** Misra-Gries: the new key and one of every kept key cancel out. */
  private drop(column: number): void {
    this.drops[column]++;
    const counts = this.counts[column];
    for (const [key, n] of counts) {
      if (n === 1) counts.delete(key);
      else counts.set(key, n - 1);
    }
  }
}
