/*
 * Jobs for the monitor's tests, added to a running emulator as if they had just run: one of each
 * problem the monitor alerts on, a healthy job, and more failures on demand.
 */
import type { AuditSeed, HistoricalJob } from '../emulator/audit.js';
import { to18 } from '../emulator/ids.js';
import type { MonitorOptions } from '../../src/core/monitor/monitorService.js';
import type { Emulator } from './emulator.js';

const MIN = 60_000;

export type MonitorJobs = { failed: string; long: string; overThreshold: string; unknownSource: string; healthy: string; apexFailed: string; apexClass: string };

export const ADMIN = 'admin@bulkops.emu';
export const LOADER = 'loader@bulkops.emu';

export function userId(emu: Emulator, username: string): string {
  return [...emu.store.all('User')].find((u) => u.Username === username)!.Id as string;
}

const iso = (ms: number): string => new Date(ms).toISOString();
let serial = 0;
/** A fresh 18-character Id with this key prefix. */
export const freshId = (prefix: string): string => to18(`${prefix}5e00000M${String(++serial).padStart(4, '0')}`);

function job(emu: Emulator, over: Partial<HistoricalJob> & { startedMinAgo: number; tookMin?: number }): HistoricalJob {
  const now = emu.clock.now();
  const { startedMinAgo, tookMin, ...rest } = over;
  return {
    id: freshId('750'),
    jobType: 'V2Ingest',
    object: 'Account',
    operation: 'insert',
    createdById: userId(emu, ADMIN),
    createdDate: iso(now - startedMinAgo * MIN),
    systemModstamp: iso(now - startedMinAgo * MIN + (tookMin ?? 2) * MIN),
    state: 'JobComplete',
    numberRecordsProcessed: 1000,
    numberRecordsFailed: 0,
    ...rest,
  };
}

const asOf = (emu: Emulator): string => iso(emu.clock.now()).slice(0, 10);

/** A failed Bulk API 2.0 job that started `startedMinAgo` minutes ago and ended 2 minutes later. */
export function addFailedJob(emu: Emulator, errorMessage = 'InvalidBatch : Field name not found : Nmae', startedMinAgo = 30): string {
  const j = job(emu, { startedMinAgo, state: 'Failed', numberRecordsProcessed: 0, errorMessage });
  emu.addAuditData({ asOf: asOf(emu), jobs: [j] });
  return j.id;
}

/** A failed Bulk API (V1) job and an aborted Bulk API 2.0 query job, added now. */
export function addV1AndQueryJobs(emu: Emulator): { v1: string; query: string } {
  const v1 = job(emu, { id: freshId('750'), jobType: 'Classic', startedMinAgo: 20, object: 'Lead', operation: 'update', state: 'Failed', numberRecordsProcessed: 0 });
  const query = job(emu, { id: freshId('750'), jobType: 'V2Query', startedMinAgo: 15, object: 'Account', operation: 'query', state: 'Aborted', numberRecordsProcessed: 0 });
  emu.addAuditData({ asOf: asOf(emu), jobs: [v1, query] });
  return { v1: v1.id, query: query.id };
}

/**
 * Five finished Account upserts by the loader over the last days (2 minutes each), and a sixth
 * running for 40 minutes: under the absolute threshold, long against its source's own history.
 */
export function addLongAgainstHistory(emu: Emulator): string {
  const past = [1, 2, 3, 4, 5].map((d) => job(emu, { startedMinAgo: d * 24 * 60, operation: 'upsert', externalIdFieldName: 'External_Id__c', createdById: userId(emu, LOADER) }));
  const running = job(emu, { startedMinAgo: 40, tookMin: 39, operation: 'upsert', externalIdFieldName: 'External_Id__c', createdById: userId(emu, LOADER), state: 'InProgress' });
  emu.addAuditData({ asOf: asOf(emu), jobs: [...past, running] });
  return running.id;
}

/** One job of each kind the monitor alerts on, a healthy one, and a failed async Apex job. */
export function addMonitorJobs(emu: Emulator): MonitorJobs {
  const now = emu.clock.now();
  const long = job(emu, { startedMinAgo: 300, object: 'Contact', operation: 'upsert', externalIdFieldName: 'Ext__c', state: 'InProgress', numberRecordsProcessed: 40_000, tookMin: 299 });
  const overThreshold = job(emu, { startedMinAgo: 90, object: 'Contact', operation: 'update', numberRecordsProcessed: 1000, numberRecordsFailed: 200 });
  const unknownSource = job(emu, { startedMinAgo: 60, createdById: userId(emu, LOADER) });
  const healthy = job(emu, { startedMinAgo: 45 });
  const apexClass = freshId('01p');
  const apexFailed = freshId('707');
  const seed: AuditSeed = {
    asOf: asOf(emu),
    apexClasses: [{ id: apexClass, name: 'NightlyRollupBatch' }],
    asyncApexJobs: [
      {
        id: apexFailed,
        jobType: 'BatchApex',
        status: 'Failed',
        apexClassId: apexClass,
        methodName: 'execute',
        createdById: userId(emu, ADMIN),
        createdDate: iso(now - 50 * MIN),
        completedDate: iso(now - 40 * MIN),
        numberOfErrors: 3,
        jobItemsProcessed: 10,
        totalJobItems: 10,
        extendedStatus: 'First error: Too many SOQL queries: 101',
      },
      // A healthy one: no alert.
      { id: freshId('707'), jobType: 'Queueable', status: 'Completed', apexClassId: apexClass, createdById: userId(emu, ADMIN), createdDate: iso(now - 50 * MIN), completedDate: iso(now - 49 * MIN), numberOfErrors: 0, jobItemsProcessed: 1, totalJobItems: 1 },
    ],
    jobs: [long, overThreshold, unknownSource, healthy],
  };
  emu.addAuditData(seed);
  return { failed: addFailedJob(emu), long: long.id, overThreshold: overThreshold.id, unknownSource: unknownSource.id, healthy: healthy.id, apexFailed, apexClass };
}

/** An inventory that names the admin only (the loader's jobs are from an unknown source). */
export const ADMIN_INVENTORY = `version: 1\nintegrations:\n  - { name: nightly-sync, match: { users: [${ADMIN}] }, cadence: daily }\n`;

/** A monitor run's options as the command's defaults make them (24 h back, 5%, 120 min), no target, no real waits. */
export function monitorOptions(historyDir: string, over: Partial<MonitorOptions> = {}): MonitorOptions {
  const now = over.now ?? Date.now();
  return {
    historyDir,
    since: now - 24 * 60 * MIN,
    thresholds: { failureRate: 0.05, longAfterMs: 120 * MIN },
    targets: [],
    dryRun: false,
    bin: 'sf',
    sleep: () => Promise.resolve(),
    lockWaitMs: 2000,
    ...over,
  };
}
