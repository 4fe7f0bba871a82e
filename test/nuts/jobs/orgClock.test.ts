/*
 * Windows are measured on the org's clock (src/core/http/orgClock.ts): a runner whose clock is hours
 * off still looks at the org's last hour, and calls a job long-running by the org's time. The runner's
 * clock is skewed for real: the sf process starts with test/helpers/skewedClock.mjs preloaded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { addFailedJob, addMonitorJobs } from '../../helpers/monitorSeed.js';
import { PROJECT_ROOT, type SfRun } from '../../helpers/sf.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { testHttp } from '../../helpers/engine.js';
import { orgNow } from '../../../src/core/http/orgClock.js';

const HOUR = 3_600_000;
const SKEWED = `--import=${join(PROJECT_ROOT, 'test', 'helpers', 'skewedClock.mjs')}`;

describe('windows on the org\'s clock, with the runner\'s clock hours off', function () {
  this.timeout(240_000);
  let linked: LinkedSf;
  let historyDir: string;

  beforeEach(async () => {
    linked = await sfOnEmulator();
    historyDir = mkdtempSync(join(tmpdir(), 'bulkops-orgclock-'));
  });
  afterEach(async () => {
    await linked.stop();
    rmSync(historyDir, { recursive: true, force: true });
  });

  const sf = (args: string[], skewMs: number): Promise<SfRun> =>
    linked.sf.run([...args, '--target-org', 'emu', '--history-dir', historyDir, '--json'], {
      env: { NODE_OPTIONS: SKEWED, BULKOPS_TEST_CLOCK_SKEW_MS: String(skewMs) },
    });

  it('the org\'s time is read from its answers, within a second and a half', async () => {
    linked.emu.clock.advance(3 * HOUR);
    const http = testHttp({ instanceUrl: linked.emu.url, accessToken: linked.emu.accessToken });
    const time = await orgNow(http, (_what, fn) => fn());
    expect(time.source).to.equal('org');
    expect(Math.abs(time.now - linked.emu.clock.now())).to.be.below(1500);
    expect(time.offsetMs).to.be.within(3 * HOUR - 1500, 3 * HOUR + 1500);
  });

  it('a runner 6 hours ahead: monitor --since 1h and jobs --since 1h still see the job that failed 30 minutes ago', async () => {
    const failed = addFailedJob(linked.emu, 'InvalidBatch : skew', 30);
    const monitor = await sf(['bulkops', 'monitor', '--since', '1h', '--dry-run'], 6 * HOUR);
    const problems = (monitor.json?.result as { problems: Array<{ jobId: string }> }).problems;
    expect(problems.map((p) => p.jobId), monitor.stderr).to.deep.equal([failed]);
    const jobs = await sf(['bulkops', 'jobs', '--since', '1h', '--no-save'], 6 * HOUR);
    expect((jobs.json?.result as { jobs: Array<{ id: string }> }).jobs.map((j) => j.id), jobs.stderr).to.include(failed);
  });

  it('a runner 6 hours behind: a job open for 5 hours (org time) is long-running', async () => {
    const { long } = addMonitorJobs(linked.emu);
    const monitor = await sf(['bulkops', 'monitor', '--since', '24h', '--dry-run', '--long-after', '120'], -6 * HOUR);
    const problems = (monitor.json?.result as { problems: Array<{ jobId: string; kind: string }> }).problems;
    expect(problems.find((p) => p.jobId === long), JSON.stringify(problems)).to.not.equal(undefined);
  });
});
