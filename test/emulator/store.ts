/*
 * The org's data: object metadata and records, kept in memory. Everything that reads or writes
 * records (REST query, Bulk ingest and query jobs, the control API) goes through this class.
 */
import { IdFactory, isValidId, canonicalId } from './ids.js';
import { FieldDef, ObjectDef, ObjectSeed, STANDARD_OBJECTS, objectDef } from './schema.js';

export type Value = string | number | boolean | null;

export type SObjectRecord = {
  /** canonical field name -> value; dates as yyyy-MM-dd, datetimes as Salesforce's +0000 form */
  [field: string]: Value;
};

export type UserSeed = {
  id?: string;
  username: string;
  firstName?: string;
  lastName: string;
  email?: string;
  isActive?: boolean;
  userType?: string;
  profileName?: string;
  /** the "Bulk API Hard Delete" permission */
  hardDelete?: boolean;
  manageDataIntegrations?: boolean;
};

/** Salesforce's JSON date-time form: 2026-11-28T10:00:00.000+0000 */
export function sfDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export class Store {
  public readonly ids = new IdFactory();
  /** false (benchmarks): inserts get an Id but are not kept, so a 10M-row load fits in memory */
  public retainInserts = true;
  private readonly objects = new Map<string, ObjectDef>();
  private readonly byPrefix = new Map<string, ObjectDef>();
  private readonly records = new Map<string, Map<string, SObjectRecord>>();
  private customPrefix = 0;

  public constructor(objectSeeds: ObjectSeed[] = [], private readonly now: () => number = Date.now) {
    for (const seed of [...STANDARD_OBJECTS, ...objectSeeds]) this.defineObject(seed);
  }

  public defineObject(seed: ObjectSeed): ObjectDef {
    const prefix = seed.keyPrefix ?? `a0${String.fromCharCode(65 + (this.customPrefix++ % 26))}`;
    const def = objectDef(seed, prefix);
    this.objects.set(def.name.toLowerCase(), def);
    this.byPrefix.set(def.keyPrefix, def);
    if (!this.records.has(def.name)) this.records.set(def.name, new Map());
    return def;
  }

  public describe(name: string): ObjectDef | undefined {
    return this.objects.get(name.toLowerCase());
  }

  public listObjects(): ObjectDef[] {
    return [...this.objects.values()];
  }

  public field(def: ObjectDef, name: string): FieldDef | undefined {
    const lower = name.toLowerCase();
    return def.fields.find((f) => f.name.toLowerCase() === lower);
  }

  /** The object an ID belongs to, by key prefix. */
  public objectOfId(id: string): ObjectDef | undefined {
    return this.byPrefix.get(id.slice(0, 3));
  }

  public get(objectName: string, id: string): SObjectRecord | undefined {
    if (!isValidId(id)) return undefined;
    const def = this.describe(objectName);
    return def ? this.records.get(def.name)?.get(canonicalId(id)) : undefined;
  }

  /** A record of any object by ID. */
  public getAny(id: string): { def: ObjectDef; record: SObjectRecord } | undefined {
    if (!isValidId(id)) return undefined;
    const def = this.objectOfId(id);
    const record = def ? this.records.get(def.name)?.get(canonicalId(id)) : undefined;
    return def && record ? { def, record } : undefined;
  }

  /** Every record of an object, in insertion order; deleted ones only when asked. */
  public *all(objectName: string, includeDeleted = false): Iterable<SObjectRecord> {
    const def = this.describe(objectName);
    if (!def) return;
    for (const rec of this.records.get(def.name)?.values() ?? []) {
      if (includeDeleted || rec.IsDeleted !== true) yield rec;
    }
  }

  public count(objectName: string, includeDeleted = false): number {
    let n = 0;
    for (const rec of this.all(objectName, includeDeleted)) if (rec) n++;
    return n;
  }

  /** Live records whose field equals value (case-insensitive unless the field says otherwise). */
  public findBy(def: ObjectDef, f: FieldDef, value: Value): SObjectRecord[] {
    const found: SObjectRecord[] = [];
    const norm = (v: Value): Value => (typeof v === 'string' && !f.caseSensitive ? v.toLowerCase() : v);
    const target = norm(f.type === 'id' || f.type === 'reference' ? (isValidId(String(value)) ? canonicalId(String(value)) : value) : value);
    for (const rec of this.all(def.name)) {
      if (norm(rec[f.name] ?? null) === target) found.push(rec);
    }
    return found;
  }

  /** Inserts with system fields filled in; values must already be converted and checked. */
  public insert(def: ObjectDef, values: SObjectRecord, userId: string, id?: string): SObjectRecord {
    const ts = sfDateTime(this.now());
    const rec: SObjectRecord = {
      Id: id ?? this.ids.next(def.keyPrefix),
      IsDeleted: false,
      CreatedDate: ts,
      CreatedById: userId,
      LastModifiedDate: ts,
      LastModifiedById: userId,
      SystemModstamp: ts,
    };
    if (def.fields.some((f) => f.name === 'OwnerId')) rec.OwnerId = userId;
    for (const f of def.fields) if (!(f.name in rec)) rec[f.name] = f.type === 'boolean' ? false : null;
    Object.assign(rec, values);
    if (this.retainInserts) this.records.get(def.name)!.set(rec.Id as string, rec);
    return rec;
  }

  public update(rec: SObjectRecord, values: SObjectRecord, userId: string): void {
    const ts = sfDateTime(this.now());
    Object.assign(rec, values, { LastModifiedDate: ts, LastModifiedById: userId, SystemModstamp: ts });
  }

  /** Moves a record to the recycle bin (IsDeleted, still visible to queryAll). */
  public softDelete(def: ObjectDef, rec: SObjectRecord): void {
    rec.IsDeleted = true;
    rec.SystemModstamp = sfDateTime(this.now());
    this.cascade(def, rec, (childDef, child) => this.softDelete(childDef, child));
  }

  /** Removes a record for good (hardDelete skips the recycle bin). */
  public hardDelete(def: ObjectDef, rec: SObjectRecord): void {
    this.records.get(def.name)!.delete(rec.Id as string);
    this.cascade(def, rec, (childDef, child) => this.hardDelete(childDef, child));
  }

  /** Master-detail children go with their parent. */
  private cascade(def: ObjectDef, rec: SObjectRecord, action: (d: ObjectDef, r: SObjectRecord) => void): void {
    for (const child of this.objects.values()) {
      for (const f of child.fields) {
        if (!f.masterDetail || !f.referenceTo.includes(def.name)) continue;
        for (const c of [...this.all(child.name)]) if (c[f.name] === rec.Id) action(child, c);
      }
    }
  }

  public addUser(u: UserSeed): SObjectRecord {
    const def = this.describe('User')!;
    const id = u.id ? canonicalId(u.id) : this.ids.next('005');
    const user = this.insert(
      def,
      {
        Username: u.username,
        FirstName: u.firstName ?? null,
        LastName: u.lastName,
        Name: [u.firstName, u.lastName].filter(Boolean).join(' '),
        Email: u.email ?? u.username,
        IsActive: u.isActive ?? true,
        UserType: u.userType ?? 'Standard',
        ProfileName: u.profileName ?? 'System Administrator',
        PermissionsBulkApiHardDelete: u.hardDelete ?? false,
        PermissionsManageDataIntegrations: u.manageDataIntegrations ?? false,
      },
      id,
      id
    );
    if (u.hardDelete) this.assign(user, 'Bulk_API_Hard_Delete', 'Bulk API Hard Delete', { PermissionsBulkApiHardDelete: true });
    if (u.manageDataIntegrations) this.assign(user, 'Manage_Data_Integrations', 'Manage Data Integrations', { PermissionsManageDataIntegrations: true });
    return user;
  }

  /** Assigns a user the permission set of this name, made the first time it is needed. */
  private assign(user: SObjectRecord, name: string, label: string, permissions: SObjectRecord): void {
    const setDef = this.describe('PermissionSet')!;
    const set = [...this.all('PermissionSet')].find((p) => p.Name === name) ?? this.insert(setDef, { Name: name, Label: label, IsOwnedByProfile: false, ...permissions }, user.Id as string);
    this.insert(this.describe('PermissionSetAssignment')!, { AssigneeId: user.Id, PermissionSetId: set.Id }, user.Id as string);
  }

  public snapshot(): { ids: Record<string, number>; records: Record<string, SObjectRecord[]> } {
    const records: Record<string, SObjectRecord[]> = {};
    for (const [name, map] of this.records) records[name] = [...map.values()];
    return { ids: this.ids.snapshot(), records };
  }

  public restore(state: { ids: Record<string, number>; records: Record<string, SObjectRecord[]> }): void {
    this.ids.restore(state.ids);
    for (const [name, list] of Object.entries(state.records)) {
      this.records.set(name, new Map(list.map((r) => [r.Id as string, r])));
    }
  }
}
