/*
 * The problems planted in the drill, each on a simulated day scaled to the run's length, and what
 * the product should report it as: a monitor alert (within a day) or an audit finding (at the end).
 */
import type { AuditSeed } from '../emulator/audit.js';
import { freshId } from '../helpers/monitorSeed.js';
import { accountCsv, contactCsv, type Ledger } from './integrations.js';
import { type DrillOrg, rawJob, SOURCES } from './org.js';

export type Detector = { by: 'monitor'; kind: string } | { by: 'audit'; kind: string; integration?: string };

export type Planted = {
  name: string;
  day: number;
  detector: Detector;
  /** the jobs that make the problem (filled in when planted) */
  jobIds: string[];
  /** the audit finding that should name it too, at the end of the period */
  auditKind?: string;
  /** simulated ms it happened */
  at?: number;
};

/** The days of the plan for a run of `days` days (the quarter: week 5 is day 28 of 90). */
export function plannedProblems(days: number): Planted[] {
  const at = (fraction: number): number => Math.max(1, Math.round(days * fraction));
  const p = (name: string, fraction: number, detector: Detector, auditKind?: string): Planted => ({ name, day: at(fraction), detector, jobIds: [], ...(auditKind ? { auditKind } : {}) });
  return [
    p('job fails outright', 0.08, { by: 'monitor', kind: 'failed' }, 'failing'),
    p('high failure rate', 0.18, { by: 'monitor', kind: 'failure-rate' }),
    p('lock storm on a skewed parent', 0.26, { by: 'monitor', kind: 'failure-rate' }),
    p('forgotten integration appears', 28 / 90, { by: 'monitor', kind: 'unknown-source' }),
    p('Batch Apex job fails', 0.4, { by: 'monitor', kind: 'apex-failed' }),
    p('undeclared hardDelete', 0.5, { by: 'monitor', kind: 'undeclared-operation' }, 'undeclared-operation'),
    p('retired integration still runs', 0.55, { by: 'monitor', kind: 'retired-active' }, 'retired-active'),
  ];
}

/** The first day of the week the pipeline saves no history (no monitor, no jobs --save). */
export const gapStart = (days: number): number => Math.round(days * 0.65);

const ITEMS = 12;

/** Plants one problem in the org now (the drill's clock is on its day); returns its job Ids. */
export async function plant(org: DrillOrg, ledger: Ledger, name: string, day: number): Promise<string[]> {
  const { emu } = org;
  switch (name) {
    case 'job fails outright': {
      // The day's erp-feed job fails as a whole (the org's processing stops it before any row).
      emu.addJobFailure({ afterRows: 0 });
      const keys = Array.from({ length: 10 }, (_, i) => `erp-fail-d${day}-${i}`);
      for (const key of keys) ledger.intended.push({ object: 'Account', key });
      const csv = accountCsv(keys);
      const job = await rawJob(emu, SOURCES.erp.username, { object: 'Account', operation: 'insert', csv });
      ledger.fileOfJob.set(job.id, { csv, object: 'Account' });
      return [job.id];
    }
    case 'high failure rate': {
      // A crm batch where 8 of 20 contacts lost their last name upstream: REQUIRED_FIELD_MISSING.
      const keys = Array.from({ length: ITEMS + 8 }, (_, i) => `crm-bad-d${day}-${i}@drill.emu`);
      for (const key of keys) ledger.intended.push({ object: 'Contact', key });
      const csv = contactCsv(keys, (i) => (i % 5 < 2 ? '' : `Drill ${i}`));
      return [(await rawJob(emu, SOURCES.crm.username, { object: 'Contact', operation: 'insert', csv })).id];
    }
    case 'lock storm on a skewed parent': {
      // An erp job of 800 contacts, every one under one Account: the org splits it into chunks that run
      // in parallel, each holding the parent's lock until it ends; the others wait and time out.
      const saved = { lockTimeoutMs: emu.settings.lockTimeoutMs, chunkSize: emu.settings.chunkSize };
      emu.updateSettings({ lockTimeoutMs: 50, chunkSize: 100 });
      const keys = Array.from({ length: 800 }, (_, i) => `lock-d${day}-${i}@drill.emu`);
      for (const key of keys) ledger.intended.push({ object: 'Contact', key });
      try {
        return [(await rawJob(emu, SOURCES.erp.username, { object: 'Contact', operation: 'insert', csv: contactCsv(keys, (i) => `Lock ${i}`, org.skewedParent) })).id];
      } finally {
        emu.updateSettings(saved);
      }
    }
    case 'forgotten integration appears':
      return [(await forgottenDaily(org, ledger, day)).id];
    case 'Batch Apex job fails': {
      const now = emu.clock.now();
      const apexClass = freshId('01p');
      const id = freshId('707');
      const admin = [...emu.store.all('User')].find((u) => u.Username === 'admin@bulkops.emu')!.Id as string;
      const seed: AuditSeed = {
        asOf: new Date(now).toISOString().slice(0, 10),
        apexClasses: [{ id: apexClass, name: 'NightlyRollupBatch' }],
        asyncApexJobs: [
          { id, jobType: 'BatchApex', status: 'Failed', apexClassId: apexClass, methodName: 'execute', createdById: admin, createdDate: new Date(now - 600_000).toISOString(), completedDate: new Date(now).toISOString(), numberOfErrors: 3, jobItemsProcessed: 10, totalJobItems: 10, extendedStatus: 'First error: Too many SOQL queries: 101' },
        ],
      };
      emu.addAuditData(seed);
      return [id];
    }
    case 'undeclared hardDelete': {
      // crm-sync may only insert Contacts; today it hard-deletes five (scratch records, no one's data).
      const ids = emu.insertRecords('Contact', Array.from({ length: 5 }, (_, i) => ({ LastName: `Scratch ${i}` })));
      return [(await rawJob(emu, SOURCES.crm.username, { object: 'Contact', operation: 'hardDelete', csv: ['Id', ...ids].join('\n') + '\n' })).id];
    }
    case 'retired integration still runs': {
      const keys = Array.from({ length: 5 }, (_, i) => `legacy-d${day}-${i}`);
      for (const key of keys) ledger.intended.push({ object: 'Account', key });
      return [(await rawJob(emu, SOURCES.legacy.username, { object: 'Account', operation: 'insert', csv: accountCsv(keys) })).id];
    }
    default:
      throw new Error(`no such planted problem: ${name}`);
  }
}

/** The forgotten integration's daily Contact insert, from the day it appears on. */
export async function forgottenDaily(org: DrillOrg, ledger: Ledger, day: number): Promise<{ id: string; state: string }> {
  const keys = Array.from({ length: 15 }, (_, i) => `mkt-d${day}-${i}@drill.emu`);
  for (const key of keys) ledger.intended.push({ object: 'Contact', key });
  return rawJob(org.emu, SOURCES.marketing.username, { object: 'Contact', operation: 'insert', csv: contactCsv(keys, (i) => `Lead ${i}`) });
}
