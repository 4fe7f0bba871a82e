/*
 * What each header column writes, checked against the describe the way Salesforce reads a Bulk API
 * header (Bulk API Developer Guide: Prepare CSV Files; REST API Developer Guide: sObject Describe): field names case-insensitively, `Rel.Field` and `Type:Rel.Field`
 * parent lookups through an External ID or ID lookup field of the parent, the key column each
 * operation needs, and the fields the operation may write. What is wrong here fails the whole job
 * (InvalidBatch : Field name not found) or every row, so it is found before anything is sent.
 */
import type { IngestOperation } from '../bulk/types.js';
import { closestName } from './closestName.js';
import type { DescribeSource, FieldDescribe, ObjectDescribe } from './describe.js';
import { PreflightError } from './errors.js';
import { preflightMessages } from './messages.js';
import { quoted, type ProblemKind } from './problems.js';

export type ColumnRole =
  /** the record Id: the key of update/delete, optional on upsert, refused when filled on insert */
  | { kind: 'id' }
  | { kind: 'field'; field: FieldDescribe }
  /** `[Type:]Rel.Field`: sets the lookup `field` to the parent whose `parentField` equals the cell */
  | { kind: 'relationship'; field: FieldDescribe; parentObject: string; parentField: FieldDescribe }
  /** not read: any column but Id on delete, or a column already reported as a header problem */
  | { kind: 'ignored' };

export type PlannedColumn = { index: number; header: string; role: ColumnRole };

export type HeaderProblem = { kind: ProblemKind; field?: string; detail: string };

export type HeaderPlan = {
  columns: PlannedColumn[];
  problems: HeaderProblem[];
  /** the Id column, or -1 */
  idColumn: number;
  /** upsert: the column records are matched on, and its field */
  key?: { column: number; field: FieldDescribe };
  /** insert: each required field the header sets, with the columns that can set it */
  required: Array<{ field: FieldDescribe; columns: number[] }>;
};

export type HeaderInput = {
  object: ObjectDescribe;
  operation: IngestOperation;
  externalId?: string;
  header: string[];
  describe: DescribeSource;
};

/** Fields that can key an upsert or find a parent: External ID, ID lookup, or the Id itself. */
export function isIndexed(f: FieldDescribe): boolean {
  return f.externalId || f.idLookup || f.type === 'id';
}

/** Required on insert (REQUIRED_FIELD_MISSING when empty); a checkbox is never missing: it defaults to false. */
export function isRequiredOnInsert(f: FieldDescribe): boolean {
  return f.createable && !f.nillable && !f.defaultedOnCreate && f.type !== 'boolean';
}

export async function planHeader(input: HeaderInput): Promise<HeaderPlan> {
  return new HeaderPlanner(input).plan();
}

class HeaderPlanner {
  private readonly object: ObjectDescribe;
  private readonly fields = new Map<string, FieldDescribe>();
  private readonly relationships = new Map<string, FieldDescribe>();
  private readonly problems: HeaderProblem[] = [];
  /** fields suggested for misspelt columns: their absence is that typo, not a second problem */
  private readonly suggested = new Set<FieldDescribe>();

  public constructor(private readonly input: HeaderInput) {
    this.object = input.object;
    for (const f of this.object.fields) {
      this.fields.set(f.name.toLowerCase(), f);
      if (f.type === 'reference' && f.relationshipName) this.relationships.set(f.relationshipName.toLowerCase(), f);
    }
  }

  public async plan(): Promise<HeaderPlan> {
    const { operation, header } = this.input;
    this.checkObject();
    if (operation === 'delete' || operation === 'hardDelete') return this.planDelete();

    const columns = await Promise.all(header.map(async (h, index) => ({ index, header: h, role: await this.role(h) })));
    const idColumn = columns.findIndex((c) => c.role.kind === 'id');
    const key = operation === 'upsert' ? this.upsertKey(columns, idColumn) : undefined;
    if (operation === 'update' && idColumn < 0) {
      this.report('missing-id-column', undefined, preflightMessages.getMessage('updateNeedsIdColumn'));
    }
    for (const c of columns) this.checkWritable(c, key?.column);
    const required = operation === 'insert' ? this.requiredColumns(columns) : [];
    return { columns, problems: this.problems, idColumn, ...(key ? { key } : {}), required };
  }

  private report(kind: ProblemKind, field: string | undefined, detail: string): void {
    this.problems.push(field === undefined ? { kind, detail } : { kind, field, detail });
  }

  /** The object itself must allow the operation, or every row fails. */
  private checkObject(): void {
    const o = this.object;
    const { operation } = this.input;
    const missing: string[] = [];
    if ((operation === 'insert' || operation === 'upsert') && !o.createable) missing.push('createable');
    if ((operation === 'update' || operation === 'upsert') && !o.updateable) missing.push('updateable');
    if ((operation === 'delete' || operation === 'hardDelete') && !o.deletable) missing.push('deletable');
    if (missing.length > 0) {
      const detail =
        missing.length === 1
          ? preflightMessages.getMessage('operationNotAllowed', [operation, o.name, missing[0]])
          : preflightMessages.getMessage('operationNotAllowedEither', [operation, o.name, missing[0], missing[1]]);
      this.report('operation-not-allowed', undefined, detail);
    }
  }

  /** delete/hardDelete read the Id column only; Salesforce ignores the others, so they are not checked. */
  private planDelete(): HeaderPlan {
    const columns: PlannedColumn[] = this.input.header.map((h, index) => ({
      index,
      header: h,
      role: h.toLowerCase() === 'id' ? { kind: 'id' } : { kind: 'ignored' },
    }));
    const idColumn = columns.findIndex((c) => c.role.kind === 'id');
    if (idColumn < 0) {
      this.report('missing-id-column', undefined, preflightMessages.getMessage('deleteNeedsIdColumn', [this.input.operation]));
    }
    return { columns, problems: this.problems, idColumn, required: [] };
  }

  private async role(header: string): Promise<ColumnRole> {
    const dot = header.indexOf('.');
    if (dot < 0) {
      const f = this.fields.get(header.toLowerCase());
      if (f) return f.type === 'id' ? { kind: 'id' } : { kind: 'field', field: f };
      this.report('unknown-field', header, this.unknownField(header));
      return { kind: 'ignored' };
    }
    return this.relationshipRole(header, header.slice(0, dot), header.slice(dot + 1));
  }

  /**
   * Says what the user probably meant by a name that is not a field, and remembers the field meant
   * so that its "missing" column is not reported a second time.
   */
  private unknownField(header: string): string {
    const o = this.object.name;
    const trimmed = header.trim();
    const rel = this.relationships.get(header.toLowerCase());
    if (rel) {
      this.suggested.add(rel);
      return preflightMessages.getMessage('relationshipNotField', [rel.relationshipName!, rel.name, rel.relationshipName!, rel.referenceTo.join('/')]);
    }
    const padded = trimmed !== header ? this.fields.get(trimmed.toLowerCase()) : undefined;
    if (padded) {
      this.suggested.add(padded);
      return preflightMessages.getMessage('headerHasSpaces', [quoted(header), padded.name]);
    }
    const byLabel = this.object.fields.find((f) => f.label?.toLowerCase() === trimmed.toLowerCase());
    if (byLabel) {
      this.suggested.add(byLabel);
      return preflightMessages.getMessage('fieldIsLabel', [o, quoted(header), quoted(header), byLabel.name, byLabel.name]);
    }
    const near = closestName(header, this.object.fields.map((f) => f.name));
    if (!near) return preflightMessages.getMessage('unknownFieldCheckSetup', [o, quoted(header), o]);
    this.suggested.add(this.fields.get(near.toLowerCase())!);
    return preflightMessages.getMessage('unknownFieldDidYouMean', [o, quoted(header), near]);
  }

  private async relationshipRole(header: string, left: string, parentFieldName: string): Promise<ColumnRole> {
    const bad = (detail: string): ColumnRole => {
      this.report('bad-relationship', header, detail);
      return { kind: 'ignored' };
    };
    if (parentFieldName.includes('.')) {
      return bad(preflightMessages.getMessage('relationshipTooDeep', [quoted(header)]));
    }
    const colon = left.indexOf(':');
    const typeName = colon >= 0 ? left.slice(0, colon) : undefined;
    const relName = colon >= 0 ? left.slice(colon + 1) : left;

    const ref = this.relationships.get(relName.toLowerCase());
    if (!ref) return bad(this.unknownRelationship(relName, parentFieldName));
    const rel = ref.relationshipName!;
    const polymorphic = ref.referenceTo.length > 1;

    let parentName: string | undefined;
    if (typeName === undefined) {
      if (polymorphic) {
        return bad(preflightMessages.getMessage('polymorphicNeedsType', [rel, ref.referenceTo.join(', '), ref.referenceTo[0], rel, parentFieldName]));
      }
      parentName = ref.referenceTo[0];
    } else {
      if (!polymorphic) {
        // Salesforce's words for this: the type "is not needed for non polymorphic foreign key references".
        return bad(preflightMessages.getMessage('typePrefixNotNeeded', [rel, ref.referenceTo[0], typeName, rel, parentFieldName]));
      }
      parentName = ref.referenceTo.find((r) => r.toLowerCase() === typeName.toLowerCase());
      if (!parentName) return bad(preflightMessages.getMessage('relationshipWrongType', [rel, typeName, ref.referenceTo.join(', ')]));
    }
    if (!parentName) return bad(preflightMessages.getMessage('noTargetObject', [ref.name, this.object.name]));

    let parent: ObjectDescribe;
    try {
      parent = await this.input.describe(parentName);
    } catch (e) {
      if (e instanceof PreflightError) return bad(preflightMessages.getMessage('parentNotDescribable', [parentName]));
      throw e;
    }
    const parentField = parent.fields.find((f) => f.name.toLowerCase() === parentFieldName.toLowerCase());
    const indexed = parent.fields.filter(isIndexed).map((f) => f.name);
    if (!parentField) {
      const near = closestName(parentFieldName, [...indexed, ...parent.fields.map((f) => f.name)]);
      const hint = near
        ? preflightMessages.getMessage('didYouMean', [near])
        : preflightMessages.getMessage('parentFieldCandidates', [parent.name, indexed.join(', ')]);
      return bad(preflightMessages.getMessage('parentFieldUnknown', [parent.name, quoted(parentFieldName), hint]));
    }
    if (!isIndexed(parentField)) {
      return bad(preflightMessages.getMessage('parentFieldNotIndexed', [parent.name, parentField.name, indexed.join(', ')]));
    }
    return { kind: 'relationship', field: ref, parentObject: parent.name, parentField };
  }

  private unknownRelationship(relName: string, parentFieldName: string): string {
    const o = this.object.name;
    // The commonest slip: the lookup field's name (Account__c, AccountId) where its relationship name goes.
    const asField = this.fields.get(relName.toLowerCase());
    if (asField?.relationshipName) {
      return preflightMessages.getMessage('lookupFieldNotRelationship', [asField.name, asField.relationshipName, parentFieldName]);
    }
    const names = [...this.relationships.values()].map((f) => f.relationshipName!);
    const near = closestName(relName, names);
    const hint = near
      ? preflightMessages.getMessage('didYouMeanRelationship', [near, parentFieldName])
      : names.length > 0
      ? preflightMessages.getMessage('relationshipList', [names.join(', ')])
      : preflightMessages.getMessage('noLookupFields');
    return preflightMessages.getMessage('unknownRelationship', [o, quoted(relName), hint]);
  }

  /** upsert: which column matches records, and whether the chosen field can match at all. */
  private upsertKey(columns: PlannedColumn[], idColumn: number): HeaderPlan['key'] {
    const o = this.object;
    const indexed = o.fields.filter(isIndexed).map((f) => f.name);
    const name = this.input.externalId;
    if (!name) {
      this.report('missing-external-id-column', undefined, preflightMessages.getMessage('upsertNeedsExternalId', [indexed.join(', ')]));
      return undefined;
    }
    const field = this.fields.get(name.toLowerCase());
    if (!field) {
      // A header column of that name was reported already: once is enough.
      if (this.problems.some((p) => p.kind === 'unknown-field' && p.field?.toLowerCase() === name.toLowerCase())) return undefined;
      const near = closestName(name, [...indexed, ...o.fields.map((f) => f.name)]);
      const hint = near ? preflightMessages.getMessage('didYouMeanSuffix', [near]) : '';
      this.report('unknown-field', name, preflightMessages.getMessage('externalIdNotField', [name, o.name, hint]));
      return undefined;
    }
    if (!isIndexed(field)) {
      this.report('external-id-not-indexed', field.name, preflightMessages.getMessage('externalIdNotIndexed', [field.name, o.name, indexed.join(', ')]));
      return undefined;
    }
    const column =
      field.type === 'id' ? idColumn : columns.findIndex((c) => c.role.kind === 'field' && c.role.field === field);
    if (column >= 0) return { column, field };
    // Salesforce also matches an upsert on Id when the file has Id but not the external ID (Bulk API Developer Guide: Prepare CSV Files).
    const idField = this.fields.get('id');
    if (idColumn >= 0 && idField) return { column: idColumn, field: idField };
    this.report('missing-external-id-column', field.name, preflightMessages.getMessage('missingExternalIdColumn', [field.name, field.name]));
    return undefined;
  }

  /** Fields the operation may not write fail every row that gives them a value. */
  private checkWritable(c: PlannedColumn, keyColumn: number | undefined): void {
    if (c.role.kind !== 'field' && c.role.kind !== 'relationship') return;
    const f = c.role.field;
    const { operation } = this.input;
    // Worded only for a column with a problem (messages load on first use: lazyMessages.ts).
    const why = (): string =>
      f.calculated
        ? preflightMessages.getMessage('whyFormula')
        : f.autoNumber
        ? preflightMessages.getMessage('whyAutoNumber')
        : preflightMessages.getMessage('whyReadOnly');
    if ((operation === 'insert' || operation === 'upsert') && !f.createable) {
      this.report('not-createable', c.header, preflightMessages.getMessage('notCreateable', [f.name, operation, why()]));
    } else if ((operation === 'update' || operation === 'upsert') && !f.updateable && c.index !== keyColumn) {
      const rows = operation === 'upsert' ? preflightMessages.getMessage('upsertRowsWouldFail') : preflightMessages.getMessage('removeColumn');
      this.report('not-updateable', c.header, preflightMessages.getMessage('notUpdateable', [f.name, operation, why(), rows]));
    }
  }

  /** insert: required fields the header leaves out make every row fail; the others are checked per row. */
  private requiredColumns(columns: PlannedColumn[]): HeaderPlan['required'] {
    const required: HeaderPlan['required'] = [];
    for (const f of this.object.fields) {
      if (!isRequiredOnInsert(f)) continue;
      const cols = columns.filter((c) => (c.role.kind === 'field' || c.role.kind === 'relationship') && c.role.field === f).map((c) => c.index);
      if (cols.length > 0) {
        required.push({ field: f, columns: cols });
      } else if (!this.suggested.has(f)) {
        const detail = f.relationshipName
          ? preflightMessages.getMessage('missingRequiredColumnOrRelationship', [f.name, f.name, f.relationshipName])
          : preflightMessages.getMessage('missingRequiredColumn', [f.name, f.name]);
        this.report('missing-required', f.name, detail);
      }
    }
    return required;
  }
}
