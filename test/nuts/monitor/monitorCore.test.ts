/*
 * The monitor against the emulator with a local webhook receiver: one alert per problem, once;
 * retries, pending alerts, two monitors at once, --dry-run; the URL kept out of the state.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { schemaErrors } from '../../helpers/schema.js';
import { allFilesText, WebhookReceiver } from '../../helpers/webhookReceiver.js';
import { ADMIN, ADMIN_INVENTORY, LOADER, addFailedJob, addMonitorJobs, addLongAgainstHistory, addV1AndQueryJobs, type MonitorJobs } from '../../helpers/monitorSeed.js';
import { runMonitor, type MonitorOptions, type MonitorReport } from '../../../src/core/monitor/monitorService.js';
import type { WebhookPayload } from '../../../src/core/monitor/webhook.js';
import type { SlackMessage } from '../../../src/core/monitor/slack.js';
import { checkInventoryText } from '../../../src/core/inventory/validate.js';
import type { OrgHttp } from '../../../src/core/http/orgHttp.js';
import { BulkV2 } from '../../../src/core/bulk/bulkV2.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const retry: Retrier = (_what, fn) => fn();
const SLACK_PATH = '/services/T000/B000/slack-secret-0123456789';
const HOOK_PATH = '/hooks/generic-secret-abcdef';


describe('monitor (core, emulator, local webhook receiver)', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let http: OrgHttp;
  let receiver: WebhookReceiver;
  let dir: string;
  const waits: number[] = [];
  const inventory = checkInventoryText(ADMIN_INVENTORY).inventory!;

  const opts = (over: Partial<MonitorOptions> = {}): MonitorOptions => ({
    historyDir: dir,
    since: Date.now() - 24 * 3_600_000,
    thresholds: { failureRate: 0.05, longAfterMs: 120 * 60_000 },
    inventory,
    targets: [
      { kind: 'slack', url: receiver.url(SLACK_PATH) },
      { kind: 'webhook', url: receiver.url(HOOK_PATH) },
    ],
    dryRun: false,
    bin: 'sf',
    // Waits are recorded, not slept (what matters is that they are asked for); the event loop still turns.
    sleep: (ms): Promise<void> => {
      waits.push(ms);
      return new Promise((resolve) => setTimeout(resolve, 0));
    },
    lockWaitMs: 60_000,
    ...over,
  });
  const monitor = (over?: Partial<MonitorOptions>): Promise<MonitorReport> => runMonitor(http, retry, opts(over));

  beforeEach(async () => {
    emu = await startEmulator();
    http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    receiver = new WebhookReceiver();
    await receiver.start();
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-'));
    waits.length = 0;
  });

  afterEach(async () => {
    await receiver.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a failed, a long-running, an over-threshold, an unknown-source bulk job and a failed async Apex job: one alert each, once; a new failure: one more', async () => {
    const jobs: MonitorJobs = addMonitorJobs(emu);
    const first = await monitor();

    const byKind = new Map(first.problems.map((p) => [p.kind, p]));
    expect(first.problems.map((p) => p.key).sort()).to.deep.equal(
      [`failed:${jobs.failed.slice(0, 15)}`, `long-running:${jobs.long.slice(0, 15)}`, `failure-rate:${jobs.overThreshold.slice(0, 15)}`, `unknown-source:${jobs.unknownSource.slice(0, 15)}`, `apex-failed:${jobs.apexFailed.slice(0, 15)}`].sort()
    );
    expect(byKind.get('failed')).to.include({ jobId: jobs.failed, object: 'Account', operation: 'insert', state: 'Failed', user: ADMIN, integration: 'nightly-sync', firstError: 'InvalidBatch : Field name not found : Nmae' });
    expect(byKind.get('long-running')).to.include({ jobId: jobs.long, object: 'Contact', operation: 'upsert', state: 'InProgress' });
    expect(byKind.get('long-running')!.message).to.match(/has run 30\d min \(the threshold is 120 min\)/);
    expect(byKind.get('failure-rate')).to.include({ processed: 1000, failed: 200, failureRate: 0.2 });
    expect(byKind.get('failure-rate')!.action).to.equal(`Reconcile it: sf bulkops reconcile --job-id ${jobs.overThreshold} --target-org ${ADMIN}`);
    expect(byKind.get('unknown-source')).to.include({ user: LOADER });
    expect(byKind.get('unknown-source')!.integration).to.equal(undefined);
    expect(byKind.get('apex-failed')).to.include({ apexClass: 'NightlyRollupBatch', method: 'execute', jobType: 'BatchApex', state: 'Failed', errors: 3, firstError: 'First error: Too many SOQL queries: 101', integration: 'nightly-sync' });

    // One digest to Slack, one payload to the generic webhook: never one message per problem.
    expect(receiver.requests.map((r) => r.path)).to.deep.equal([SLACK_PATH, HOOK_PATH]);
    const slack = JSON.parse(receiver.requests[0].body) as SlackMessage;
    const slackText = slack.blocks.map((b) => b.text?.text ?? '').join('\n');
    for (const id of [jobs.failed, jobs.long, jobs.overThreshold, jobs.unknownSource, jobs.apexFailed]) expect(slackText).to.include(id);
    expect(slackText).to.not.include(jobs.healthy);
    expect(slackText).to.include('First error: InvalidBatch : Field name not found : Nmae');
    expect(slackText).to.include(`sf bulkops reconcile --job-id ${jobs.overThreshold}`);
    expect(slack.text).to.match(/^bulkops monitor: 5 problems in org admin@bulkops\.emu/);
    const payload = JSON.parse(receiver.requests[1].body) as WebhookPayload;
    expect(schemaErrors('webhook/bulkops-monitor-alert.schema.json', payload)).to.deep.equal([]);
    expect(payload.problems).to.deep.equal(first.problems);
    expect(first.deliveries.map((d) => ({ destination: d.destination, delivered: d.delivered, problems: d.problems }))).to.deep.equal([
      { destination: 'slack', delivered: true, problems: 5 },
      { destination: 'webhook', delivered: true, problems: 5 },
    ]);
    expect(first.pending).to.deep.equal({ slack: 0, webhook: 0 });
    expect(first.firstRun).to.equal(true);

    const second = await monitor();
    expect(second.problems).to.deep.equal([]);
    expect(second.firstRun).to.equal(false);
    expect(receiver.requests).to.have.length(2);

    const another = addFailedJob(emu, 'ClientInputError : LineEnding is invalid on user data', 3);
    const third = await monitor();
    expect(third.problems.map((p) => p.key)).to.deep.equal([`failed:${another.slice(0, 15)}`]);
    expect(receiver.requests).to.have.length(4);
    expect((JSON.parse(receiver.requests[3].body) as WebhookPayload).problems.map((p) => p.jobId)).to.deep.equal([another]);

    // The history got every job (a daily monitor keeps the audit complete); no URL in any file kept.
    expect(third.history.jobs).to.equal(6);
    const kept = allFilesText(dir);
    for (const secret of [SLACK_PATH, HOOK_PATH, 'secret', String(receiver.boundPort)]) expect(kept).to.not.include(secret);
  });

  it('a failed Bulk API (V1) job and an aborted query job: one alert each, pointing at the job listing', async () => {
    const { v1, query } = addV1AndQueryJobs(emu);
    const r = await monitor({ targets: [{ kind: 'webhook', url: receiver.url(HOOK_PATH) }] });
    expect(r.problems.map((p) => [p.key, p.api, p.state])).to.deep.equal([
      [`failed:${v1.slice(0, 15)}`, 'Classic', 'Failed'],
      [`aborted:${query.slice(0, 15)}`, 'V2Query', 'Aborted'],
    ]);
    expect(r.problems[0]).to.include({ object: 'Lead', operation: 'update', action: `Look at it: sf bulkops jobs --target-org ${ADMIN} --state Failed --object Lead` });
    expect(receiver.delivered()).to.have.length(1);
  });

  it('a job under the absolute threshold but far longer than its source usually takes is long-running', async () => {
    const running = addLongAgainstHistory(emu);
    const r = await monitor({ inventory: undefined, targets: [] });
    expect(r.problems.map((p) => p.key)).to.deep.equal([`long-running:${running.slice(0, 15)}`]);
    expect(r.problems[0]).to.include({ user: LOADER, typicalMs: 120_000 });
    expect(r.problems[0].message).to.match(/has run 4\d min; its source's jobs usually take 2 min/);
  });

  it('a real Bulk API 2.0 job over the threshold: the alert names its first failed record\'s error', async () => {
    const bulk = new BulkV2(http);
    const job = await bulk.createIngestJob({ object: 'Contact', operation: 'insert', columnDelimiter: 'COMMA', lineEnding: 'LF' });
    const csv = Buffer.from('LastName,Email\nSmith,smith@example.com\n,nolastname@example.com\n');
    await bulk.upload(job.id, () => Readable.from([csv]), csv.length);
    await bulk.close(job.id);
    // eslint-disable-next-line no-await-in-loop -- polls the job until it ends, as a client does
    while (!['JobComplete', 'Failed'].includes((await bulk.info(job.id)).state)) await new Promise((r) => setTimeout(r, 50));
    const r = await monitor({ targets: [{ kind: 'webhook', url: receiver.url(HOOK_PATH) }] });
    expect(r.problems.map((p) => p.key)).to.deep.equal([`failure-rate:${job.id.slice(0, 15)}`]);
    expect(r.problems[0]).to.include({ processed: 2, failed: 1, failureRate: 0.5 });
    expect(r.problems[0].firstError).to.match(/^REQUIRED_FIELD_MISSING:.*LastName/);
  });

  it('a receiver that fails twice (503, then 429 with Retry-After) and then succeeds gets the alert once', async () => {
    addFailedJob(emu);
    receiver.failNext({ status: 503 }, { status: 429, headers: { 'Retry-After': '7' }, body: 'rate_limited' });
    const r = await monitor({ targets: [{ kind: 'slack', url: receiver.url(SLACK_PATH) }] });
    expect(receiver.requests.map((q) => q.status)).to.deep.equal([503, 429, 200]);
    expect(receiver.delivered()).to.have.length(1);
    expect(r.deliveries[0]).to.include({ delivered: true, attempts: 3 });
    // The second wait honours Retry-After in full.
    expect(waits).to.have.length(2);
    expect(waits[1]).to.be.at.least(7000);
    expect(r.pending.slack).to.equal(0);
    const again = await monitor({ targets: [{ kind: 'slack', url: receiver.url(SLACK_PATH) }] });
    expect(again.deliveries).to.deep.equal([]);
    expect(receiver.delivered()).to.have.length(1);
  });

  it('a receiver that is down keeps the alert pending until the next run, which sends it once', async () => {
    const failed = addFailedJob(emu);
    const port = receiver.boundPort;
    const url = receiver.url(HOOK_PATH);
    await receiver.stop();
    const down = await monitor({ targets: [{ kind: 'webhook', url }] });
    expect(down.problems.map((p) => p.jobId)).to.deep.equal([failed]);
    expect(down.deliveries[0]).to.include({ delivered: false, attempts: 5 });
    expect(down.deliveries[0].reason).to.equal('network error ECONNREFUSED');
    expect(down.pending).to.deep.equal({ slack: 0, webhook: 1 });
    const state = readFileSync(join(dir, emu.orgId.slice(0, 15), 'monitor-state.json'), 'utf8');
    expect(state).to.include(failed);
    expect(state).to.not.include(HOOK_PATH);
    expect(state).to.not.include(String(port));

    await receiver.start(port);
    const back = await monitor({ targets: [{ kind: 'webhook', url }] });
    expect(back.problems).to.deep.equal([]);
    expect(back.deliveries[0]).to.include({ delivered: true, problems: 1 });
    expect(back.pending.webhook).to.equal(0);
    expect((JSON.parse(receiver.delivered()[0].body) as WebhookPayload).problems.map((p) => p.jobId)).to.deep.equal([failed]);
    await monitor({ targets: [{ kind: 'webhook', url }] });
    expect(receiver.delivered()).to.have.length(1);
  });

  it('a receiver that answers 404 (the webhook is gone) is not retried, and says to set it up again', async () => {
    addFailedJob(emu);
    receiver.failNext({ status: 404, body: 'no_service' });
    const r = await monitor({ targets: [{ kind: 'slack', url: receiver.url(SLACK_PATH) }] });
    expect(receiver.requests).to.have.length(1);
    expect(r.deliveries[0]).to.include({ delivered: false, attempts: 1, status: 404, reason: 'HTTP 404 no_service', reconfigure: true });
    expect(r.pending.slack).to.equal(1);
  });

  it('two monitors started at once send each alert once', async () => {
    addMonitorJobs(emu);
    const [a, b] = await Promise.all([monitor(), monitor()]);
    expect(a.problems.length + b.problems.length).to.equal(5);
    expect(Math.min(a.problems.length, b.problems.length)).to.equal(0);
    expect(receiver.requests.map((r) => r.path).sort()).to.deep.equal([HOOK_PATH, SLACK_PATH]);
  });

  it('--dry-run shows the bodies and the host, sends nothing and remembers nothing', async () => {
    addFailedJob(emu);
    const dry = await monitor({ dryRun: true });
    expect(receiver.requests).to.deep.equal([]);
    expect(dry.deliveries.map((d) => ({ host: d.host, delivered: d.delivered, problems: d.problems }))).to.deep.equal([
      { host: `127.0.0.1:${receiver.boundPort}`, delivered: false, problems: 1 },
      { host: `127.0.0.1:${receiver.boundPort}`, delivered: false, problems: 1 },
    ]);
    expect(JSON.stringify(dry)).to.not.include(SLACK_PATH);
    expect((dry.deliveries[1].body as WebhookPayload).problems).to.have.length(1);
    const real = await monitor();
    expect(real.problems).to.have.length(1);
    expect(receiver.delivered()).to.have.length(2);
  });
});
