/*
 * A job the history last saw running but the org no longer lists (it ended while nothing watched:
 * Bulk API 2.0 jobs are deleted 7 days after they end) is not "still running": the monitor must not
 * call it long-running, on its first run (whatever --since) or after the key of an earlier alert expired.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { ADMIN, freshId, monitorOptions, userId } from '../../helpers/monitorSeed.js';
import { runMonitor, type MonitorOptions } from '../../../src/core/monitor/monitorService.js';
import { JobHistory } from '../../../src/core/jobs/history.js';
import type { OrgHttp } from '../../../src/core/http/orgHttp.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const retry: Retrier = (_what, fn) => fn();
const DAY = 86_400_000;

describe('monitor: jobs the history saw running that the org no longer lists', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let http: OrgHttp;
  let dir: string;
  const opts = (now: number): MonitorOptions => monitorOptions(dir, { now, sleep: () => new Promise((r) => setTimeout(r, 0)) });

  beforeEach(async () => {
    emu = await startEmulator();
    http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-stale-'));
  });
  afterEach(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const seenRunning = (createdMsAgo: number): string => {
    const now = emu.clock.now();
    const id = freshId('750');
    const at = new Date(now - createdMsAgo + 60_000).toISOString();
    new JobHistory(dir, emu.orgId).append(
      [{ id, api: 'V2Ingest', object: 'Account', operation: 'insert', state: 'InProgress', createdById: userId(emu, ADMIN), createdDate: new Date(now - createdMsAgo).toISOString(), systemModstamp: at, from: 'org', observedAt: at }],
      []
    );
    return id;
  };

  it('a job seen running 20 days ago is no problem on the first run', async () => {
    seenRunning(20 * DAY);
    const r = await runMonitor(http, retry, opts(emu.clock.now()));
    expect(r.problems).to.deep.equal([]);
  });

  it('runs over more than the 60 days a reported key is kept alert nothing for it', async () => {
    seenRunning(3 * 3_600_000);
    const now = emu.clock.now();
    const keys: string[] = [];
    // eslint-disable-next-line no-await-in-loop -- runs one after the other, as a scheduler does
    for (const d of [0, 30, 61, 62]) keys.push(...(await runMonitor(http, retry, opts(now + d * DAY))).problems.map((p) => p.key));
    expect(keys).to.deep.equal([]);
  });
});
