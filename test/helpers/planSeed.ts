/*
 * What the plan tests add to the emulator's org: an Opportunity object (a child of Account), and
 * writers of a three-step plan's files (Account; Contact and Opportunity by Account.External_Id__c).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorOptions } from '../emulator/server.js';

export const OPPORTUNITY_SEED: EmulatorOptions['seed'] = {
  objects: [
    {
      name: 'Opportunity',
      keyPrefix: '006',
      fields: [
        { name: 'Name', type: 'string', length: 120, nillable: false },
        { name: 'AccountId', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account' },
        { name: 'StageName', type: 'picklist', picklistValues: ['Prospecting', 'Closed Won'], nillable: false },
        { name: 'CloseDate', type: 'date', nillable: false },
        { name: 'Amount', type: 'currency' },
        { name: 'External_Id__c', type: 'string', length: 50, externalId: true, unique: true },
      ],
    },
  ],
};

/**
 * Writes accounts.csv (upsert on External_Id__c), contacts.csv and opportunities.csv (insert, by
 * Account.External_Id__c) into `dir`, and plan.yaml; `badAccounts` are the account numbers whose Name
 * is left blank (rejected by the checks: a planted failed parent).
 */
export function writePlanFiles(dir: string, opts: { accounts: number; contactsPer: number; oppsPer: number; badAccounts?: number[]; extra?: string; prefix?: string }): { plan: string; rows: number } {
  const bad = new Set(opts.badAccounts ?? []);
  /** before every external ID, so that plans in one org do not share records */
  const p = opts.prefix ?? '';
  const a = ['Name,External_Id__c'];
  const c = ['LastName,External_Id__c,Account.External_Id__c'];
  const o = ['Name,StageName,CloseDate,External_Id__c,Account.External_Id__c'];
  for (let i = 1; i <= opts.accounts; i++) {
    a.push(`${bad.has(i) ? '' : `Acct ${i}`},${p}A-${i}`);
    for (let j = 1; j <= opts.contactsPer; j++) c.push(`Contact ${i}-${j},${p}C-${i}-${j},${p}A-${i}`);
    for (let j = 1; j <= opts.oppsPer; j++) o.push(`Opp ${i}-${j},Prospecting,2026-12-31,${p}O-${i}-${j},${p}A-${i}`);
  }
  writeFileSync(join(dir, 'accounts.csv'), a.join('\n') + '\n');
  writeFileSync(join(dir, 'contacts.csv'), c.join('\n') + '\n');
  writeFileSync(join(dir, 'opportunities.csv'), o.join('\n') + '\n');
  const plan = join(dir, 'plan.yaml');
  writeFileSync(
    plan,
    [
      'version: 1',
      ...(opts.extra ? [opts.extra] : []),
      'steps:',
      '  - name: accounts',
      '    object: Account',
      '    operation: upsert',
      '    externalId: External_Id__c',
      '    file: accounts.csv',
      '  - name: contacts',
      '    object: Contact',
      '    operation: insert',
      '    file: contacts.csv',
      '  - name: opportunities',
      '    object: Opportunity',
      '    operation: insert',
      '    file: opportunities.csv',
      '',
    ].join('\n')
  );
  return { plan, rows: opts.accounts * (1 + opts.contactsPer + opts.oppsPer) };
}
