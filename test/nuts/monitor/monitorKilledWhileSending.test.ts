/*
 * A run killed while it sends (a pipeline's time-out while one webhook is backing off) must not
 * send again, on the next run, the message another destination already got: what is delivered is
 * saved as soon as it is, and what is not yet is saved as pending before anything is sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { WebhookReceiver } from '../../helpers/webhookReceiver.js';
import { addFailedJob, monitorOptions } from '../../helpers/monitorSeed.js';
import { runMonitor, type MonitorOptions } from '../../../src/core/monitor/monitorService.js';
import type { WebhookPayload } from '../../../src/core/monitor/webhook.js';
import type { OrgHttp } from '../../../src/core/http/orgHttp.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const retry: Retrier = (_what, fn) => fn();
const SLACK = '/services/T0KILL/B0KILL/killed-secret';
const HOOK = '/hooks/killed-secret';

describe('monitor: a run killed while sending', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let http: OrgHttp;
  let receiver: WebhookReceiver;
  let dir: string;
  const opts = (sleep: (ms: number) => Promise<void>): MonitorOptions =>
    monitorOptions(dir, {
      targets: [
        { kind: 'slack', url: receiver.url(SLACK) },
        { kind: 'webhook', url: receiver.url(HOOK) },
      ],
      sleep,
    });

  beforeEach(async () => {
    emu = await startEmulator();
    http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    receiver = new WebhookReceiver();
    await receiver.start();
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-killed-'));
  });
  afterEach(async () => {
    await receiver.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('Slack got the alert, the JSON webhook was backing off when the run died: the next run sends it to the JSON webhook only', async () => {
    const failed = addFailedJob(emu);
    // Slack answers 200; the JSON webhook 503, and the run dies during the back-off that follows.
    receiver.failNext({ status: 200 }, { status: 503 });
    const killed = (): Promise<void> => Promise.reject(new Error('killed'));
    let died = false;
    try {
      await runMonitor(http, retry, opts(killed));
    } catch {
      died = true;
    }
    expect(died).to.equal(true);
    expect(receiver.delivered(SLACK)).to.have.length(1);

    const next = await runMonitor(http, retry, opts(() => Promise.resolve()));
    expect(next.problems).to.deep.equal([]);
    expect(receiver.delivered(SLACK), 'Slack got the alert twice').to.have.length(1);
    expect(receiver.delivered(HOOK)).to.have.length(1);
    expect((JSON.parse(receiver.delivered(HOOK)[0].body) as WebhookPayload).problems.map((p) => p.jobId)).to.deep.equal([failed]);
    expect(next.pending).to.deep.equal({ slack: 0, webhook: 0 });
  });
});
