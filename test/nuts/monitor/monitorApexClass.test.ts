/*
 * The monitor names the class of a failed async Apex job (AsyncApexJob's ApexClass.Name, with
 * ApexClass.NamespacePrefix for a managed package's class: namespace__Class) in every place an
 * alert shows it: the alert's sentence, the terminal table, the Slack digest and the webhook
 * payload. The emulator answers the relationship field as Salesforce's REST query does: a nested
 * ApexClass object with its attributes, or null when the job has no class.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { call } from '../../helpers/api.js';
import { schemaErrors } from '../../helpers/schema.js';
import { WebhookReceiver } from '../../helpers/webhookReceiver.js';
import { ADMIN, freshId, monitorOptions, userId } from '../../helpers/monitorSeed.js';
import { runMonitor } from '../../../src/core/monitor/monitorService.js';
import { problemRows } from '../../../src/ux/monitorReport.js';
import type { WebhookPayload } from '../../../src/core/monitor/webhook.js';
import type { SlackMessage } from '../../../src/core/monitor/slack.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const retry: Retrier = (_what, fn) => fn();
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('monitor: the failed async Apex job names its class (namespace__Class)', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let receiver: WebhookReceiver;
  let dir: string;
  const managed = freshId('01p');
  const own = freshId('01p');
  const failedManaged = freshId('707');
  const failedOwn = freshId('707');
  const noClass = freshId('707');

  beforeEach(async () => {
    emu = await startEmulator();
    receiver = new WebhookReceiver();
    await receiver.start();
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-apex-'));
    const now = emu.clock.now();
    const failed = (id: string, apexClassId: string | null, jobType: string, methodName?: string): NonNullable<Parameters<Emulator['addAuditData']>[0]['asyncApexJobs']>[number] => ({
      id,
      jobType,
      status: 'Failed',
      apexClassId,
      ...(methodName ? { methodName } : {}),
      createdById: userId(emu, ADMIN),
      createdDate: iso(now - 50 * MIN),
      completedDate: iso(now - 40 * MIN),
      numberOfErrors: 1,
      jobItemsProcessed: 1,
      totalJobItems: 1,
      extendedStatus: 'First error: Apex CPU time limit exceeded',
    });
    emu.addAuditData({
      asOf: iso(now).slice(0, 10),
      apexClasses: [
        { id: managed, name: 'RollupBatch', namespacePrefix: 'acme' },
        { id: own, name: 'InvoiceSync' },
      ],
      asyncApexJobs: [failed(failedManaged, managed, 'BatchApex', 'execute'), failed(failedOwn, own, 'Queueable'), failed(noClass, null, 'SharingRecalculation')],
    });
  });

  afterEach(async () => {
    await receiver.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('REST query: ApexClass is a nested object with attributes, NamespacePrefix null for the org\'s own class, ApexClass null when there is none', async () => {
    const q = encodeURIComponent('SELECT Id, ApexClassId, ApexClass.Name, ApexClass.NamespacePrefix FROM AsyncApexJob ORDER BY Id');
    const res = await call(emu, 'GET', `/services/data/v62.0/query?q=${q}`);
    expect(res.status).to.equal(200);
    const records = (res.json as { records: Array<Record<string, unknown>> }).records;
    const byId = new Map(records.map((r) => [r.Id as string, r]));
    expect(byId.get(failedManaged)!.ApexClass).to.deep.equal({
      attributes: { type: 'ApexClass', url: `/services/data/v62.0/sobjects/ApexClass/${managed}` },
      Name: 'RollupBatch',
      NamespacePrefix: 'acme',
    });
    expect(byId.get(failedOwn)!.ApexClass).to.deep.include({ Name: 'InvoiceSync', NamespacePrefix: null });
    expect(byId.get(noClass)!.ApexClass).to.equal(null);
    expect(byId.get(noClass)!.ApexClassId).to.equal(null);
  });

  it('the alert sentence, the terminal row, the Slack digest and the webhook payload name acme__RollupBatch and InvoiceSync', async () => {
    const http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const report = await runMonitor(
      http,
      retry,
      monitorOptions(dir, {
        targets: [
          { kind: 'slack', url: receiver.url('/services/T0/B0/slack') },
          { kind: 'webhook', url: receiver.url('/hooks/json') },
        ],
      })
    );
    const apex = report.problems.filter((p) => p.kind === 'apex-failed');
    // SharingRecalculation is not Apex code the monitor watches (Future, Queueable, BatchApex, ScheduledApex).
    expect(apex.map((p) => [p.jobId, p.apexClass])).to.have.deep.members([
      [failedManaged, 'acme__RollupBatch'],
      [failedOwn, 'InvoiceSync'],
    ]);
    const managedAlert = apex.find((p) => p.jobId === failedManaged)!;
    expect(managedAlert.message).to.equal(`BatchApex Apex job ${failedManaged.slice(0, 15)} (acme__RollupBatch.execute) by ${ADMIN} failed: First error: Apex CPU time limit exceeded`);
    expect(apex.find((p) => p.jobId === failedOwn)!.message).to.include('(InvoiceSync) by');
    for (const p of apex) expect(p.message).to.not.include('an Apex class');

    expect(problemRows(apex).map((r) => r.what)).to.have.members(['BatchApex acme__RollupBatch execute', 'Queueable InvoiceSync']);

    const slack = JSON.parse(receiver.requests.find((r) => r.path.includes('slack'))!.body) as SlackMessage;
    const slackText = slack.blocks.map((b) => b.text?.text ?? '').join('\n');
    expect(slackText).to.include(`*Async Apex failed*: BatchApex acme__RollupBatch execute · job ${failedManaged}`);
    expect(slackText).to.include(`*Async Apex failed*: Queueable InvoiceSync · job ${failedOwn}`);

    const payload = JSON.parse(receiver.requests.find((r) => r.path.includes('hooks'))!.body) as WebhookPayload;
    expect(schemaErrors('webhook/bulkops-monitor-alert.schema.json', payload)).to.deep.equal([]);
    expect(payload.problems.filter((p) => p.kind === 'apex-failed').map((p) => p.apexClass)).to.have.members(['acme__RollupBatch', 'InvoiceSync']);
  });
});
