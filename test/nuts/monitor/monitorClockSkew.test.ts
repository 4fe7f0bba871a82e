/*
 * The last check is the monitor's machine time; the jobs' dates are the org's. A machine whose clock
 * is ahead of the org's by some minutes must not miss a job that ended just after a check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { addFailedJob, monitorOptions } from '../../helpers/monitorSeed.js';
import { runMonitor, type MonitorOptions } from '../../../src/core/monitor/monitorService.js';
import type { OrgHttp } from '../../../src/core/http/orgHttp.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const retry: Retrier = (_what, fn) => fn();
const MIN = 60_000;

describe('monitor: a machine clock ahead of the org', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let http: OrgHttp;
  let dir: string;
  const opts = (now: number): MonitorOptions => monitorOptions(dir, { now });

  beforeEach(async () => {
    emu = await startEmulator();
    http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-skew-'));
  });
  afterEach(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('10 minutes ahead: a job that ends 1 minute after a check (org time) is found by the next run', async () => {
    const skew = 10 * MIN;
    await runMonitor(http, retry, opts(emu.clock.now() + skew));
    emu.clock.advance(2 * MIN);
    // Started 3 minutes ago, ended 2 minutes later: 1 minute after the first check, in the org's time.
    const late = addFailedJob(emu, 'InvalidBatch : late', 3);
    const next = await runMonitor(http, retry, opts(emu.clock.now() + skew + 24 * 60 * MIN));
    expect(next.problems.map((p) => p.jobId)).to.deep.equal([late]);
  });
});
