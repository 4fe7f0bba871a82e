/*
 * `sf bulkops monitor` through the real `sf` binary (plugin linked) against the emulator and a
 * local webhook receiver: two monitors started at once, exit code 68, the JSON shape, the table and
 * --dry-run a user reads, and the webhook URLs in no output, log or state file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { SfRun } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { allFilesText, WebhookReceiver } from '../../helpers/webhookReceiver.js';
import { ADMIN_INVENTORY, addFailedJob, addMonitorJobs } from '../../helpers/monitorSeed.js';
import type { MonitorReport } from '../../../src/core/monitor/monitorService.js';

const SLACK_PATH = '/services/T0E2E/B0E2E/slack-e2e-secret-9f8e7d';
const HOOK_PATH = '/hooks/e2e-secret-7c6b5a';


describe('sf bulkops monitor (through the real sf binary)', function () {
  this.timeout(300_000);
  let linked: LinkedSf;
  let receiver: WebhookReceiver;
  let historyDir: string;
  let inventory: string;
  const runs: SfRun[] = [];

  before(async () => {
    linked = await sfOnEmulator();
    receiver = new WebhookReceiver();
    await receiver.start();
    historyDir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-history-'));
    inventory = join(linked.sf.home, 'inventory.yaml');
    writeFileSync(inventory, ADMIN_INVENTORY);
  });

  after(async () => {
    await receiver.stop();
    await linked.stop();
    rmSync(historyDir, { recursive: true, force: true });
  });

  /**
   * The webhooks from the environment, as a pipeline's secrets, and sf's most verbose log to look
   * for leaks in; with `slackFlag`, the Slack webhook from its flag instead, at sf's usual log level
   * (at debug level sf itself logs every argument it was given: the reason to prefer the environment).
   */
  const monitor = async (extra: string[], slackFlag = false): Promise<SfRun> => {
    const slack = receiver.url(SLACK_PATH);
    const r = await linked.sf.run(['bulkops', 'monitor', '--target-org', 'emu', '--history-dir', historyDir, '--inventory', inventory, ...(slackFlag ? ['--slack-webhook', slack] : []), ...extra], {
      env: { BULKOPS_WEBHOOK: receiver.url(HOOK_PATH), ...(slackFlag ? {} : { BULKOPS_SLACK_WEBHOOK: slack, SF_LOG_LEVEL: 'trace' }) },
    });
    runs.push(r);
    return r;
  };

  it('two monitors started at once: one reports the five problems and exits 68, the other finds them reported and exits 0; each alert is sent once', async () => {
    addMonitorJobs(linked.emu);
    const [a, b] = await Promise.all([monitor(['--json']), monitor(['--json'])]);
    const byCode = [a, b].sort((x, y) => x.code - y.code);
    expect(byCode.map((r) => r.code), `${a.stderr}\n${b.stderr}`).to.deep.equal([0, 68]);
    const quiet = byCode[0].json!.result as MonitorReport;
    const loud = byCode[1].json!.result as MonitorReport;
    expect(byCode[1].json!.status).to.equal(68);
    for (const r of [quiet, loud]) expect(schemaErrors('bulkops-monitor.json', r)).to.deep.equal([]);
    expect(loud.problems.map((p) => p.kind).sort()).to.deep.equal(['apex-failed', 'failed', 'failure-rate', 'long-running', 'unknown-source']);
    expect(quiet.problems).to.deep.equal([]);
    expect(loud.deliveries.map((d) => [d.destination, d.delivered, d.host])).to.deep.equal([
      ['slack', true, `127.0.0.1:${receiver.boundPort}`],
      ['webhook', true, `127.0.0.1:${receiver.boundPort}`],
    ]);
    expect(receiver.requests.map((r) => r.path).sort()).to.deep.equal([HOOK_PATH, SLACK_PATH]);
  });

  it('the table a user reads, and --dry-run: what would be sent, to which host, nothing sent', async () => {
    const failed = addFailedJob(linked.emu, 'InvalidBatch : Field name not found : Emial', 3);
    const dry = await monitor(['--dry-run'], true);
    expect(dry.code, dry.stderr).to.equal(68);
    expect(dry.stdout).to.match(/1 new problems from .* to /);
    expect(dry.stdout).to.match(/Problem.*Job ID.*What.*State.*User.*Integration.*Processed \/ Failed.*First error/s);
    expect(dry.stdout).to.include(failed.slice(0, 15));
    expect(dry.stdout).to.include(`Dry run: would send 1 problems to the Slack webhook at 127.0.0.1:${receiver.boundPort}:`);
    expect(dry.stdout).to.include('InvalidBatch : Field name not found : Emial');
    expect(receiver.requests).to.have.length(2);

    const real = await monitor([], true);
    expect(real.code, real.stderr).to.equal(68);
    expect(real.stdout).to.include(`Sent 1 problems to the JSON webhook at 127.0.0.1:${receiver.boundPort}.`);
    expect(receiver.delivered()).to.have.length(4);
    const quiet = await monitor([]);
    expect(quiet.code, quiet.stderr).to.equal(0);
    expect(quiet.stdout).to.match(/No new problems from /);
  });

  it('a webhook that is not a URL stops the run with an error that does not repeat it', async () => {
    const r = await linked.sf.run(['bulkops', 'monitor', '--target-org', 'emu', '--history-dir', historyDir, '--json'], { env: { BULKOPS_WEBHOOK: 'hooks.example.com/e2e-secret-typo' } });
    runs.push(r);
    expect(r.code).to.equal(1);
    expect(r.json?.message).to.equal('The value of --webhook (BULKOPS_WEBHOOK) is not an http or https URL.');
  });

  it('the webhook URLs appear in no output, log, history or state file', () => {
    expect(runs.length).to.be.at.least(5);
    const outputs = runs.map((r) => r.stdout + r.stderr).join('\n');
    const files = allFilesText(linked.sf.home) + allFilesText(historyDir);
    for (const secret of [SLACK_PATH, HOOK_PATH, 'e2e-secret']) {
      expect(outputs, secret).to.not.include(secret);
      expect(files, secret).to.not.include(secret);
    }
  });
});
