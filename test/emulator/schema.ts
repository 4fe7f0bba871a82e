/*
 * Describe metadata the emulator serves and enforces. Field properties follow the REST describe
 * (REST API Developer Guide: sObject Describe): the same flags drive both what `describe` returns and how rows are checked.
 */

export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'reference'
  | 'picklist'
  | 'multipicklist'
  | 'email'
  | 'phone'
  | 'url';

export type FieldDef = {
  name: string;
  label: string;
  type: FieldType;
  /** text length for string-like types */
  length: number;
  precision: number;
  scale: number;
  createable: boolean;
  updateable: boolean;
  nillable: boolean;
  defaultedOnCreate: boolean;
  externalId: boolean;
  idLookup: boolean;
  unique: boolean;
  caseSensitive: boolean;
  calculated: boolean;
  autoNumber: boolean;
  referenceTo: string[];
  relationshipName: string | null;
  /** true for master-detail (cascade delete, required parent) */
  masterDetail: boolean;
  picklistValues: string[];
  restrictedPicklist: boolean;
  custom: boolean;
};

export type ObjectDef = {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  createable: boolean;
  updateable: boolean;
  deletable: boolean;
  queryable: boolean;
  /** simulated per-row automation cost in ms (triggers, flows, validation); used by the processing model */
  automationCostMs: number;
  fields: FieldDef[];
};

/** A field as written in a seed file: everything but name and type is optional. */
export type FieldSeed = Partial<FieldDef> & { name: string; type: FieldType };
export type ObjectSeed = Partial<Omit<ObjectDef, 'fields'>> & { name: string; fields?: FieldSeed[] };

export function field(seed: FieldSeed): FieldDef {
  const system = seed.type === 'id';
  const textLike = ['string', 'textarea', 'email', 'phone', 'url', 'picklist', 'multipicklist'].includes(seed.type);
  return {
    label: seed.label ?? seed.name.replace(/__c$/, '').replace(/_/g, ' '),
    length: textLike ? seed.length ?? (seed.type === 'textarea' ? 32_000 : 255) : seed.type === 'id' || seed.type === 'reference' ? 18 : 0,
    precision: seed.precision ?? (['double', 'currency', 'percent'].includes(seed.type) ? 18 : seed.type === 'int' ? 9 : 0),
    scale: seed.scale ?? (['double', 'currency', 'percent'].includes(seed.type) ? 2 : 0),
    createable: !system,
    updateable: !system,
    nillable: !system,
    defaultedOnCreate: system,
    externalId: false,
    idLookup: system,
    unique: false,
    caseSensitive: false,
    calculated: false,
    autoNumber: false,
    referenceTo: [],
    relationshipName: null,
    masterDetail: false,
    picklistValues: [],
    restrictedPicklist: false,
    custom: seed.name.endsWith('__c'),
    ...seed,
  };
}

/** Fields every object has. OwnerId is added for objects that have an owner. */
function systemFields(withOwner: boolean, withName: boolean): FieldDef[] {
  const ro = { createable: false, updateable: false, nillable: false, defaultedOnCreate: true };
  const fields = [
    field({ name: 'Id', type: 'id', label: 'Record ID' }),
    field({ name: 'IsDeleted', type: 'boolean', label: 'Deleted', ...ro }),
    field({ name: 'CreatedDate', type: 'datetime', ...ro }),
    field({ name: 'CreatedById', type: 'reference', referenceTo: ['User'], relationshipName: 'CreatedBy', ...ro }),
    field({ name: 'LastModifiedDate', type: 'datetime', ...ro }),
    field({ name: 'LastModifiedById', type: 'reference', referenceTo: ['User'], relationshipName: 'LastModifiedBy', ...ro }),
    field({ name: 'SystemModstamp', type: 'datetime', ...ro }),
  ];
  if (withOwner) {
    fields.push(
      field({
        name: 'OwnerId',
        type: 'reference',
        referenceTo: ['User'],
        relationshipName: 'Owner',
        nillable: false,
        defaultedOnCreate: true,
      })
    );
  }
  if (withName) fields.push(field({ name: 'Name', type: 'string', length: 80, nillable: false, idLookup: true }));
  return fields;
}

export function objectDef(seed: ObjectSeed, keyPrefix: string): ObjectDef {
  const custom = seed.name.endsWith('__c');
  const own = (seed.fields ?? []).map(field);
  const names = new Set(own.map((f) => f.name.toLowerCase()));
  const hasMasterDetail = own.some((f) => f.masterDetail);
  const base = systemFields(!hasMasterDetail, custom && !names.has('name')).filter((f) => !names.has(f.name.toLowerCase()));
  return {
    label: seed.label ?? seed.name.replace(/__c$/, '').replace(/_/g, ' '),
    labelPlural: seed.labelPlural ?? `${seed.label ?? seed.name.replace(/__c$/, '').replace(/_/g, ' ')}s`,
    keyPrefix: seed.keyPrefix ?? keyPrefix,
    custom,
    createable: true,
    updateable: true,
    deletable: true,
    queryable: true,
    automationCostMs: 0,
    ...seed,
    fields: [...base, ...own],
  };
}

const text = (name: string, length: number, extra: Partial<FieldSeed> = {}): FieldSeed => ({ name, type: 'string', length, ...extra });
const ref = (name: string, to: string, relationshipName: string, extra: Partial<FieldSeed> = {}): FieldSeed => ({
  name,
  type: 'reference',
  referenceTo: [to],
  relationshipName,
  ...extra,
});

/** The standard objects users load most, with a realistic subset of their fields. */
export const STANDARD_OBJECTS: ObjectSeed[] = [
  {
    name: 'Account',
    keyPrefix: '001',
    fields: [
      text('Name', 255, { nillable: false, idLookup: false }),
      text('AccountNumber', 40),
      { name: 'Type', type: 'picklist', picklistValues: ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other'] },
      { name: 'Industry', type: 'picklist', picklistValues: ['Agriculture', 'Banking', 'Energy', 'Retail', 'Technology', 'Other'] },
      { name: 'AnnualRevenue', type: 'currency' },
      { name: 'NumberOfEmployees', type: 'int', precision: 8 },
      { name: 'Phone', type: 'phone', length: 40 },
      { name: 'Website', type: 'url', length: 255 },
      text('BillingCity', 40),
      text('BillingCountry', 80),
      { name: 'Description', type: 'textarea', length: 32_000 },
      ref('ParentId', 'Account', 'Parent'),
    ],
  },
  {
    name: 'Contact',
    keyPrefix: '003',
    fields: [
      ref('AccountId', 'Account', 'Account'),
      text('FirstName', 40),
      text('LastName', 80, { nillable: false }),
      { name: 'Name', type: 'string', length: 121, createable: false, updateable: false, calculated: true, idLookup: false },
      { name: 'Email', type: 'email', length: 80, idLookup: true },
      { name: 'Phone', type: 'phone', length: 40 },
      text('Title', 128),
      { name: 'Birthdate', type: 'date' },
      { name: 'HasOptedOutOfEmail', type: 'boolean', nillable: false, defaultedOnCreate: true },
      { name: 'LeadSource', type: 'picklist', picklistValues: ['Web', 'Phone Inquiry', 'Partner Referral', 'Other'] },
    ],
  },
  {
    name: 'Opportunity',
    keyPrefix: '006',
    fields: [
      ref('AccountId', 'Account', 'Account'),
      text('Name', 120, { nillable: false, idLookup: false }),
      {
        name: 'StageName',
        type: 'picklist',
        nillable: false,
        restrictedPicklist: true,
        picklistValues: ['Prospecting', 'Qualification', 'Proposal/Price Quote', 'Negotiation/Review', 'Closed Won', 'Closed Lost'],
      },
      { name: 'CloseDate', type: 'date', nillable: false },
      { name: 'Amount', type: 'currency' },
      { name: 'Probability', type: 'percent', precision: 3, scale: 0 },
      { name: 'IsWon', type: 'boolean', createable: false, updateable: false, calculated: true },
    ],
  },
  {
    name: 'Case',
    keyPrefix: '500',
    fields: [
      ref('AccountId', 'Account', 'Account'),
      ref('ContactId', 'Contact', 'Contact'),
      { name: 'CaseNumber', type: 'string', length: 30, createable: false, updateable: false, autoNumber: true, idLookup: true },
      text('Subject', 255),
      { name: 'Status', type: 'picklist', defaultedOnCreate: true, picklistValues: ['New', 'Working', 'Escalated', 'Closed'] },
      { name: 'Priority', type: 'picklist', picklistValues: ['High', 'Medium', 'Low'] },
      { name: 'Origin', type: 'picklist', picklistValues: ['Phone', 'Email', 'Web'] },
      { name: 'Description', type: 'textarea', length: 32_000 },
    ],
  },
  {
    name: 'Lead',
    keyPrefix: '00Q',
    fields: [
      text('FirstName', 40),
      text('LastName', 80, { nillable: false }),
      text('Company', 255, { nillable: false }),
      { name: 'Email', type: 'email', length: 80, idLookup: true },
      { name: 'Status', type: 'picklist', nillable: false, defaultedOnCreate: true, picklistValues: ['Open - Not Contacted', 'Working - Contacted', 'Closed - Converted', 'Closed - Not Converted'] },
      text('City', 40),
    ],
  },
  {
    name: 'User',
    keyPrefix: '005',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      text('Username', 80, { idLookup: true, unique: true, createable: false, updateable: false }),
      text('FirstName', 40, { createable: false, updateable: false }),
      text('LastName', 80, { createable: false, updateable: false }),
      { name: 'Name', type: 'string', length: 121, createable: false, updateable: false },
      { name: 'Email', type: 'email', length: 128, createable: false, updateable: false },
      { name: 'IsActive', type: 'boolean', createable: false, updateable: false },
      { name: 'UserType', type: 'picklist', createable: false, updateable: false, picklistValues: ['Standard', 'AutomatedProcess'] },
      text('ProfileName', 80, { createable: false, updateable: false }),
      { name: 'LastLoginDate', type: 'datetime', createable: false, updateable: false },
      { name: 'PermissionsBulkApiHardDelete', type: 'boolean', createable: false, updateable: false },
      { name: 'PermissionsManageDataIntegrations', type: 'boolean', createable: false, updateable: false },
    ],
  },
  {
    // Who may do what: a user's permissions come from permission sets (profiles own one each); the
    // emulator makes one set per permission it grants and assigns it to the users that hold it.
    name: 'PermissionSet',
    keyPrefix: '0PS',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      text('Name', 80, { idLookup: true, createable: false, updateable: false }),
      text('Label', 80, { createable: false, updateable: false }),
      { name: 'IsOwnedByProfile', type: 'boolean', createable: false, updateable: false },
      { name: 'PermissionsBulkApiHardDelete', type: 'boolean', createable: false, updateable: false },
      { name: 'PermissionsManageDataIntegrations', type: 'boolean', createable: false, updateable: false },
    ],
  },
  {
    name: 'PermissionSetAssignment',
    keyPrefix: '0Pa',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [ref('AssigneeId', 'User', 'Assignee', { createable: false, updateable: false }), ref('PermissionSetId', 'PermissionSet', 'PermissionSet', { createable: false, updateable: false })],
  },
  {
    name: 'Organization',
    keyPrefix: '00D',
    createable: false,
    updateable: false,
    deletable: false,
    fields: [
      text('Name', 80, { createable: false, updateable: false }),
      text('InstanceName', 5, { createable: false, updateable: false }),
      { name: 'IsSandbox', type: 'boolean', createable: false, updateable: false },
      { name: 'TrialExpirationDate', type: 'datetime', createable: false, updateable: false },
      text('NamespacePrefix', 15, { createable: false, updateable: false }),
      text('OrganizationType', 40, { createable: false, updateable: false }),
    ],
  },
];
