/*
 * The integrations that load the drill's org every day: crm-sync through the plugin's engine (in
 * this process), erp-feed through raw Bulk API 2.0 calls as another tool would. Every row they mean
 * to land is remembered by its key (Contact.Email, Account.AccountNumber) so the scorecard can tell
 * rows still missing at the end and rows that landed twice.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { contactLoad, testEngine } from '../helpers/engine.js';
import { type DrillOrg, rawJob, SOURCES } from './org.js';

export type Intended = { object: 'Contact' | 'Account'; key: string };

/** What the drill remembers while it runs: rows meant to land, and each job's rows as sent (the integration's own log). */
export type Ledger = { intended: Intended[]; fileOfJob: Map<string, { csv: string; object: string }> };

export const newLedger = (): Ledger => ({ intended: [], fileOfJob: new Map() });

export const contactCsv = (keys: string[], lastName: (i: number) => string = (i): string => `Drill ${i}`, accountId?: string): string =>
  ['LastName,Email' + (accountId ? ',AccountId' : ''), ...keys.map((k, i) => `${lastName(i)},${k}${accountId ? `,${accountId}` : ''}`)].join('\n') + '\n';

export const accountCsv = (keys: string[]): string => ['Name,AccountNumber', ...keys.map((k) => `Account ${k},${k}`)].join('\n') + '\n';

const keys = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

/** crm-sync: a Contact insert of `n` rows through the plugin's load engine, as the crm integration user. */
export async function crmDaily(org: DrillOrg, ledger: Ledger, work: string, day: number, n = 20): Promise<string> {
  const rows = keys(`crm-d${day}`, n).map((k) => `${k}@drill.emu`);
  const file = join(work, `crm-d${day}.csv`);
  writeFileSync(file, contactCsv(rows));
  const { engine } = testEngine({ instanceUrl: org.emu.url, accessToken: org.emu.tokenFor(SOURCES.crm.username) }, undefined, () => org.emu.clock.now());
  const result = await engine.start(contactLoad(file, work, { runId: `crm-d${day}` }));
  for (const key of rows) ledger.intended.push({ object: 'Contact', key });
  for (const j of result.jobs) ledger.fileOfJob.set(j.id, { csv: contactCsv(rows), object: 'Contact' });
  return result.jobs[0]?.id ?? '';
}

/** erp-feed: an Account insert of `n` rows through raw Bulk API 2.0 calls, as the erp integration user. */
export async function erpDaily(org: DrillOrg, ledger: Ledger, work: string, day: number, n = 10): Promise<{ id: string; state: string }> {
  const rows = keys(`erp-d${day}`, n);
  const file = join(work, `erp-d${day}.csv`);
  const csv = accountCsv(rows);
  writeFileSync(file, csv);
  for (const key of rows) ledger.intended.push({ object: 'Account', key });
  const job = await rawJob(org.emu, SOURCES.erp.username, { object: 'Account', operation: 'insert', csv });
  ledger.fileOfJob.set(job.id, { csv, object: 'Account' });
  return job;
}
