/*
 * An export meant to be loaded back (--for-load): the file must hold the column load matches its
 * records on, and only columns load can write with that operation (load's own checks refuse the
 * rest: a formula, an audit field, a read-only field), both checked on the first page's header
 * against the object's describe, before a byte is written. The rows themselves are rewritten as they
 * pass (pageFormats.ts): empty values as #N/A, date-times with Z.
 */
import type { FieldDescribe, ObjectDescribe } from '../preflight/describe.js';
import { ForLoadColumnError, NotWritableColumnsError } from './errors.js';
import type { HeaderCheck } from './pageFormats.js';
import type { ForLoad } from './types.js';

export function forLoadHeaderCheck(forLoad: ForLoad, object: ObjectDescribe): HeaderCheck {
  const key = forLoad.operation === 'upsert' ? forLoad.externalId ?? 'Id' : 'Id';
  const byName = new Map(object.fields.map((f) => [f.name.toLowerCase(), f]));
  const byRelationship = new Map(object.fields.filter((f) => f.relationshipName).map((f) => [f.relationshipName!.toLowerCase(), f]));
  const writable = (f: FieldDescribe | undefined): boolean => f !== undefined && (forLoad.operation === 'update' ? f.updateable : f.createable && f.updateable);
  return (columns) => {
    if (!columns.some((c) => c.toLowerCase() === key.toLowerCase())) throw new ForLoadColumnError(key, forLoad.operation);
    const refused = columns.filter((c) => {
      if (c.toLowerCase() === key.toLowerCase()) return false;
      const dot = c.indexOf('.');
      // A parent's column (Account.External_Id__c) writes the lookup field of that relationship.
      return !writable(dot < 0 ? byName.get(c.toLowerCase()) : byRelationship.get(c.slice(0, dot).toLowerCase()));
    });
    if (refused.length) throw new NotWritableColumnsError(refused, forLoad.operation);
  };
}
