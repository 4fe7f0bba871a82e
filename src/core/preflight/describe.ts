/*
 * The parts of an sObject describe that preflight checks a CSV against (REST API Developer Guide: sObject Describe), and where
 * they come from: the org (GET sobjects/X/describe, once per object per run) or, in tests and dry runs
 * with a saved describe, plain objects.
 */
import { OrgApiError, OrgHttp } from '../http/orgHttp.js';
import { Retrier } from '../http/retry.js';
import { closestName } from './closestName.js';
import { unknownObjectError } from './errors.js';

export type FieldDescribe = {
  name: string;
  /** id, string, textarea, boolean, int, double, currency, percent, date, datetime, reference, picklist, … */
  type: string;
  /** maximum length in UTF-16 characters for text types; 0 when not limited */
  length: number;
  precision: number;
  scale: number;
  /** int fields: the most digits allowed (their precision is 0 in a real describe) */
  digits?: number;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  defaultedOnCreate: boolean;
  externalId: boolean;
  idLookup: boolean;
  unique: boolean;
  calculated: boolean;
  autoNumber: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  picklistValues: Array<{ value: string; active: boolean }>;
  restrictedPicklist: boolean;
  /** the label users see in Setup; used to tell "you wrote the label, the API name is X" */
  label?: string;
  /** unique/external ID values compare case-sensitively (default: case-insensitively) */
  caseSensitive?: boolean;
  /** a master-detail reference (the describe gives it a relationshipOrder); other references are lookups */
  masterDetail?: boolean;
};

export type ObjectDescribe = {
  name: string;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  fields: FieldDescribe[];
};

/** Describes one object; rejects with PreflightError('unknown-object') when the org has no such object. */
export type DescribeSource = (objectName: string) => Promise<ObjectDescribe>;

type RawField = Partial<Omit<FieldDescribe, 'picklistValues'>> & {
  name: string;
  picklistValues?: Array<{ value?: string; active?: boolean }> | null;
  relationshipOrder?: number | null;
};
type RawDescribe = { name: string; createable?: boolean; updateable?: boolean; deletable?: boolean; fields?: RawField[] };
type RawGlobal = { sobjects?: Array<{ name: string }> };

/**
 * Describes from the org, cached per object (names are case-insensitive), so the parents of several
 * relationship columns cost one request each. A 404 becomes an 'unknown object' PreflightError that
 * suggests the closest object name from the global describe. Each call goes through `retry` (the
 * run's policy) when given.
 */
export function describeFromOrg(http: OrgHttp, retry: Retrier = <T>(_what: string, fn: () => Promise<T>): Promise<T> => fn()): DescribeSource {
  const cache = new Map<string, Promise<ObjectDescribe>>();
  let globalNames: Promise<string[]> | undefined;

  const objectNames = (): Promise<string[]> => {
    globalNames ??= retry('describe', () => http.json<RawGlobal>({ method: 'GET', path: http.dataPath('/sobjects') })).then((g) =>
      (g.sobjects ?? []).map((o) => o.name)
    );
    return globalNames;
  };

  const fetchDescribe = async (objectName: string): Promise<ObjectDescribe> => {
    try {
      const raw = await retry('describe', () =>
        http.json<RawDescribe>({
          method: 'GET',
          path: http.dataPath(`/sobjects/${encodeURIComponent(objectName)}/describe`),
        })
      );
      return normalizeDescribe(raw);
    } catch (e) {
      if (e instanceof OrgApiError && e.status === 404) {
        // The suggestion is a nicety: an org that will not list its objects still gets the error.
        const names = await objectNames().catch(() => []);
        throw unknownObjectError(objectName, closestName(objectName, names));
      }
      throw e;
    }
  };

  return (objectName: string): Promise<ObjectDescribe> => {
    const key = objectName.toLowerCase();
    let pending = cache.get(key);
    if (!pending) {
      pending = fetchDescribe(objectName);
      // Forget failures (a network blip must not stick for the run); an unknown object just fails again.
      pending.catch(() => cache.delete(key));
      cache.set(key, pending);
    }
    return pending;
  };
}

/** Describes from objects already in hand (tests, a describe saved with a run). */
export function describeFromObjects(objects: ObjectDescribe[]): DescribeSource {
  const byName = new Map(objects.map((o) => [o.name.toLowerCase(), o]));
  return (objectName: string): Promise<ObjectDescribe> => {
    const found = byName.get(objectName.toLowerCase());
    if (found) return Promise.resolve(found);
    const suggestion = closestName(
      objectName,
      objects.map((o) => o.name)
    );
    return Promise.reject(unknownObjectError(objectName, suggestion));
  };
}

/** The REST describe, reduced to what preflight reads, with safe defaults for anything missing. */
export function normalizeDescribe(raw: RawDescribe): ObjectDescribe {
  return {
    name: raw.name,
    createable: raw.createable ?? false,
    updateable: raw.updateable ?? false,
    deletable: raw.deletable ?? false,
    fields: (raw.fields ?? []).map(normalizeField),
  };
}

function normalizeField(f: RawField): FieldDescribe {
  return {
    name: f.name,
    type: f.type ?? 'string',
    length: f.length ?? 0,
    precision: f.precision ?? 0,
    scale: f.scale ?? 0,
    ...normalizeFlags(f),
    referenceTo: f.referenceTo ?? [],
    relationshipName: f.relationshipName ?? null,
    picklistValues: (f.picklistValues ?? [])
      .filter((p): p is { value: string; active?: boolean } => typeof p.value === 'string')
      .map((p) => ({ value: p.value, active: p.active ?? true })),
    ...(f.digits !== undefined ? { digits: f.digits } : {}),
    ...(f.label !== undefined ? { label: f.label } : {}),
    ...(f.caseSensitive !== undefined ? { caseSensitive: f.caseSensitive } : {}),
    ...(typeof f.relationshipOrder === 'number' || f.masterDetail ? { masterDetail: true } : {}),
  };
}

type FieldFlags = Pick<
  FieldDescribe,
  | 'createable'
  | 'updateable'
  | 'nillable'
  | 'defaultedOnCreate'
  | 'externalId'
  | 'idLookup'
  | 'unique'
  | 'calculated'
  | 'autoNumber'
  | 'restrictedPicklist'
>;

/** Missing flags default to what is safest to check against: not writable, not indexed, nillable. */
function normalizeFlags(f: RawField): FieldFlags {
  return {
    createable: f.createable ?? false,
    updateable: f.updateable ?? false,
    nillable: f.nillable ?? true,
    defaultedOnCreate: f.defaultedOnCreate ?? false,
    externalId: f.externalId ?? false,
    idLookup: f.idLookup ?? false,
    unique: f.unique ?? false,
    calculated: f.calculated ?? false,
    autoNumber: f.autoNumber ?? false,
    restrictedPicklist: f.restrictedPicklist ?? false,
  };
}
