/*
 * The monitor against the inventory's entries, not only its names: a job on an operation its
 * integration's `allowed` does not list, and any job of a `retired` integration, are alerted the day
 * they run (the audit's undeclared-operation and retired-active, weeks earlier); an allowed job is not.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { schemaErrors } from '../../helpers/schema.js';
import { ADMIN, LOADER, freshId, monitorOptions, userId } from '../../helpers/monitorSeed.js';
import { runMonitor } from '../../../src/core/monitor/monitorService.js';
import { checkInventoryText } from '../../../src/core/inventory/validate.js';
import type { HistoricalJob } from '../../emulator/audit.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const retry: Retrier = (_what, fn) => fn();
const INVENTORY = [
  'version: 1',
  'integrations:',
  `  - { name: account-sync, match: { users: [${ADMIN}] }, allowed: [{ object: Account, operations: [insert] }], cadence: daily }`,
  `  - { name: old-etl, match: { users: [${LOADER}] }, cadence: weekly, status: retired }`,
  '',
].join('\n');

describe('monitor: jobs their inventory entry does not allow', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let dir: string;

  before(async () => {
    emu = await startEmulator();
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-entry-'));
  });

  after(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an undeclared hardDelete and a retired integration\'s job: one alert each, naming the integration; an allowed insert: none', async () => {
    const now = emu.clock.now();
    const job = (operation: string, user: string): HistoricalJob => ({
      id: freshId('750'),
      jobType: 'V2Ingest',
      object: 'Account',
      operation,
      createdById: userId(emu, user),
      createdDate: new Date(now - 30 * 60_000).toISOString(),
      systemModstamp: new Date(now - 28 * 60_000).toISOString(),
      state: 'JobComplete',
      numberRecordsProcessed: 5,
      numberRecordsFailed: 0,
    });
    const [hardDelete, allowed, retired] = [job('hardDelete', ADMIN), job('insert', ADMIN), job('insert', LOADER)];
    emu.addAuditData({ asOf: new Date(now).toISOString().slice(0, 10), jobs: [hardDelete, allowed, retired] });
    const inventory = checkInventoryText(INVENTORY).inventory!;
    const http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const r = await runMonitor(http, retry, monitorOptions(dir, { inventory, now, since: now - 24 * 3_600_000 }));
    expect(schemaErrors('bulkops-monitor.json', r)).to.deep.equal([]);
    expect(r.problems.map((p) => [p.key, p.integration])).to.deep.equal([
      [`undeclared-operation:${hardDelete.id.slice(0, 15)}`, 'account-sync'],
      [`retired-active:${retired.id.slice(0, 15)}`, 'old-etl'],
    ]);
    expect(r.problems[0].message).to.include('hardDelete on Account').and.include('account-sync');
    expect(r.problems[1].action).to.equal(`Ask its owner, then stop the source or update its inventory entry: sf bulkops jobs --target-org ${ADMIN} --user ${LOADER} --inventory <file>`);
    const again = await runMonitor(http, retry, monitorOptions(dir, { inventory, now: emu.clock.now() }));
    expect(again.problems).to.deep.equal([]);
  });
});
