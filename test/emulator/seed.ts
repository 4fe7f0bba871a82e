/*
 * Seed files: users, objects, records and settings an emulated org starts with (JSON or YAML).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ObjectSeed } from './schema.js';
import { UserSeed, SObjectRecord } from './store.js';
import { Settings } from './context.js';
import type { AuditSeed } from './audit.js';

export type SeedUser = UserSeed & {
  /** a fixed access token for this user (must look like 00D…!…) */
  accessToken?: string;
  /** a refresh token this user can exchange at /services/oauth2/token */
  refreshToken?: string;
  /** the connected app (its Id) this user's sessions come through: CONNECTED_APP_ID in the event logs */
  connectedAppId?: string;
};

export type Seed = {
  org?: { id?: string; name?: string };
  /** the first user is the default one: its token is the one printed at start */
  users?: SeedUser[];
  objects?: ObjectSeed[];
  /** records per object, values as stored (field API names) */
  records?: Record<string, SObjectRecord[]>;
  settings?: Partial<Settings>;
  /** audit history: connected apps, async Apex jobs, historical bulk jobs, event log files (audit.ts) */
  audit?: AuditSeed;
};

export const DEFAULT_ORG_ID = '00D5e0000000EmuEAE';

/** The org every test and the quick start get unless a seed file says otherwise. */
export function defaultSeed(): Seed {
  return {
    org: { id: DEFAULT_ORG_ID, name: 'Bulkops Emulator Org' },
    users: [
      { username: 'admin@bulkops.emu', firstName: 'Ada', lastName: 'Admin', hardDelete: true, manageDataIntegrations: true },
      { username: 'loader@bulkops.emu', firstName: 'Lou', lastName: 'Loader', hardDelete: false },
    ],
    objects: [
      {
        name: 'Account',
        keyPrefix: '001',
        fields: [
          { name: 'Name', type: 'string', length: 255, nillable: false },
          { name: 'AccountNumber', type: 'string', length: 40 },
          { name: 'External_Id__c', type: 'string', length: 50, externalId: true, unique: true, label: 'External Id' },
          { name: 'Type', type: 'picklist', picklistValues: ['Prospect', 'Customer - Direct', 'Customer - Channel', 'Partner', 'Other'] },
          { name: 'Industry', type: 'picklist', picklistValues: ['Agriculture', 'Banking', 'Energy', 'Retail', 'Technology', 'Other'] },
          { name: 'AnnualRevenue', type: 'currency' },
          { name: 'NumberOfEmployees', type: 'int', precision: 8 },
          { name: 'Phone', type: 'phone', length: 40 },
          { name: 'Website', type: 'url', length: 255 },
          { name: 'BillingCity', type: 'string', length: 40 },
          { name: 'BillingCountry', type: 'string', length: 80 },
          { name: 'Description', type: 'textarea', length: 32_000 },
          { name: 'ParentId', type: 'reference', referenceTo: ['Account'], relationshipName: 'Parent' },
        ],
      },
      {
        name: 'Contact',
        keyPrefix: '003',
        fields: [
          { name: 'AccountId', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account' },
          { name: 'FirstName', type: 'string', length: 40 },
          { name: 'LastName', type: 'string', length: 80, nillable: false },
          { name: 'Email', type: 'email', length: 80, idLookup: true },
          { name: 'Phone', type: 'phone', length: 40 },
          { name: 'Title', type: 'string', length: 128 },
          { name: 'Birthdate', type: 'date' },
          { name: 'HasOptedOutOfEmail', type: 'boolean', nillable: false, defaultedOnCreate: true },
          { name: 'External_Id__c', type: 'string', length: 50, externalId: true, unique: true, label: 'External Id' },
        ],
      },
      {
        name: 'Invoice__c',
        label: 'Invoice',
        automationCostMs: 2,
        fields: [
          { name: 'Account__c', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account__r', masterDetail: true, nillable: false },
          { name: 'Invoice_Number__c', type: 'string', length: 30, externalId: true, unique: true },
          { name: 'Amount__c', type: 'currency' },
          { name: 'Issued_On__c', type: 'date' },
          { name: 'Status__c', type: 'picklist', restrictedPicklist: true, picklistValues: ['Draft', 'Sent', 'Paid'] },
        ],
      },
    ],
  };
}

export function readSeedFile(path: string): Seed {
  const text = readFileSync(path, 'utf8');
  const data = (path.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as unknown;
  if (!data || typeof data !== 'object') throw new Error(`Seed file ${path} is not an object`);
  return data as Seed;
}

/** A seed file adds to the default org: its users, objects and records come after the defaults. */
export function mergeSeeds(base: Seed, extra: Seed): Seed {
  const objects = new Map((base.objects ?? []).map((o) => [o.name.toLowerCase(), o]));
  for (const o of extra.objects ?? []) objects.set(o.name.toLowerCase(), o);
  return {
    org: { ...base.org, ...extra.org },
    users: [...(base.users ?? []), ...(extra.users ?? [])],
    objects: [...objects.values()],
    records: { ...base.records, ...extra.records },
    settings: { ...base.settings, ...extra.settings },
    ...(extra.audit ?? base.audit ? { audit: extra.audit ?? base.audit } : {}),
  };
}
