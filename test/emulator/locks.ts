/*
 * Which records a row of an ingest chunk locks while the chunk runs (README: "The org emulator", Row locks;
 * Salesforce's "Organize Data to Minimize Lock Contention" / V1 planning guidelines): the parent
 * records its lookup and master-detail columns point to, and the record it updates or deletes
 * (with that record's master-detail parents).
 *
 * Lookups to User (OwnerId and the like) are left out: ownership does not lock the user record;
 * the contention Salesforce documents for it (sharing recalculation on private objects) is not
 * modelled.
 */
import { canonicalId, isValidId } from './ids.js';
import type { ColumnPlan, JobContext } from './dml.js';
import type { FieldDef, ObjectDef } from './schema.js';
import type { Store } from './store.js';

const NULL_MARKER = '#N/A';
const NO_KEYS: readonly string[] = [];

type KeyColumn =
  | { index: number; kind: 'direct' }
  | { index: number; kind: 'lookup'; parent: ObjectDef; field: FieldDef; map?: Map<string, string> }
  | { index: number; kind: 'self' }
  | { index: number; kind: 'selfByKey'; field: FieldDef; map?: Map<string, string> };

/** Lock keys per row of one chunk run; parent look-ups by external ID are resolved against the store as it is now. */
export class LockPlanner {
  private readonly columns: KeyColumn[] = [];
  private readonly masterDetail: FieldDef[];

  public constructor(private readonly store: Store, private readonly ctx: JobContext, plan: ColumnPlan[], private readonly rows: (row: number) => string[] | undefined) {
    const def = ctx.object;
    const op = ctx.operation;
    const lockable = (f: FieldDef | undefined): boolean =>
      !!f && f.type === 'reference' && f.referenceTo.length > 0 && !f.referenceTo.every((r) => r.toLowerCase() === 'user');
    this.masterDetail = def.fields.filter((f) => f.masterDetail);
    plan.forEach((p, index) => {
      if (p.kind === 'id') {
        if (op !== 'insert') this.columns.push({ index, kind: 'self' });
      } else if (p.kind === 'field' && op !== 'delete' && op !== 'hardDelete') {
        const f = store.field(def, p.field);
        if (lockable(f)) this.columns.push({ index, kind: 'direct' });
        else if (op === 'upsert' && f && f.name === ctx.externalIdFieldName && f.type !== 'id') {
          this.columns.push({ index, kind: 'selfByKey', field: f });
        }
      } else if (p.kind === 'relationship' && op !== 'delete' && op !== 'hardDelete') {
        const ref = store.field(def, p.field);
        const parent = store.describe(p.parentObject);
        const pf = parent ? store.field(parent, p.parentField) : undefined;
        if (lockable(ref) && parent && pf) {
          if (pf.type === 'id') this.columns.push({ index, kind: 'direct' });
          else this.columns.push({ index, kind: 'lookup', parent, field: pf });
        }
      }
    });
  }

  public keys(row: number): readonly string[] {
    const cells = this.rows(row);
    if (!cells || this.columns.length === 0) return NO_KEYS;
    const out: string[] = [];
    const add = (id: string | undefined): void => {
      if (id && !out.includes(id)) out.push(id);
    };
    for (const c of this.columns) {
      const raw = cells[c.index];
      if (raw === undefined || raw === '' || raw === NULL_MARKER) continue;
      switch (c.kind) {
        case 'direct':
          if (isValidId(raw)) add(canonicalId(raw));
          break;
        case 'lookup':
          c.map ??= this.index(c.parent, c.field);
          add(c.map.get(fold(c.field, raw)));
          break;
        case 'self':
          if (isValidId(raw)) this.self(canonicalId(raw), add);
          break;
        case 'selfByKey': {
          c.map ??= this.index(this.ctx.object, c.field);
          const id = c.map.get(fold(c.field, raw));
          if (id) this.self(id, add);
          break;
        }
      }
    }
    return out;
  }

  /** The record a row writes, and its master-detail parents (their roll-ups change with it). */
  private self(id: string, add: (id: string | undefined) => void): void {
    add(id);
    if (this.masterDetail.length === 0) return;
    const rec = this.store.get(this.ctx.object.name, id);
    for (const f of this.masterDetail) {
      const parent = rec?.[f.name];
      if (typeof parent === 'string' && isValidId(parent)) add(canonicalId(parent));
    }
  }

  private index(def: ObjectDef, field: FieldDef): Map<string, string> {
    const map = new Map<string, string>();
    for (const rec of this.store.all(def.name)) {
      const v = rec[field.name];
      if (v === null || v === undefined) continue;
      const key = fold(field, String(v));
      if (!map.has(key)) map.set(key, rec.Id as string);
    }
    return map;
  }
}

function fold(field: FieldDef, value: string): string {
  return field.caseSensitive ? value : value.toLowerCase();
}
