/*
 * Describe fixtures for tests of the checks: a field with the defaults a plain custom field has.
 */
import type { FieldDescribe } from '../../src/core/preflight/describe.js';

/** A field of `type`; text-like types get 255 characters, numbers 18 digits with 2 decimals. */
export function describeField(name: string, type: string, extra: Partial<FieldDescribe> = {}): FieldDescribe {
  const textLike = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist'].includes(type);
  return {
    name,
    type,
    length: textLike ? 255 : type === 'id' || type === 'reference' ? 18 : 0,
    precision: ['double', 'currency', 'percent'].includes(type) ? 18 : 0,
    scale: ['double', 'currency', 'percent'].includes(type) ? 2 : 0,
    createable: true,
    updateable: true,
    nillable: true,
    defaultedOnCreate: false,
    externalId: false,
    idLookup: false,
    unique: false,
    calculated: false,
    autoNumber: false,
    referenceTo: [],
    relationshipName: null,
    picklistValues: [],
    restrictedPicklist: false,
    ...extra,
  };
}
