/*
 * The audit on a job that really ran against the emulator, not on a seed: an integration user
 * loads through a connected app; the same day the org lists the job but nothing says where it came
 * from (Get All Jobs has no client or connected app), so the audit reports an orphan; a day later
 * the org's event log files of that day are out (ApiTotalUsage: CLIENT_NAME, CONNECTED_APP_ID) and
 * the audit attributes the job to the integration that names the connected app and the client.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine, testHttp } from '../../helpers/engine.js';
import { auditOrg } from '../../../src/core/audit/auditService.js';
import { jobsReport } from '../../../src/core/jobs/jobsService.js';
import { INT_USER, SYNC_APP, startEventLogOrg } from '../../helpers/eventLogOrg.js';
import { checkInventoryText } from '../../../src/core/inventory/validate.js';
import { CLIENT_NAME } from '../../../src/core/http/orgHttp.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const retry: Retrier = (_what, fn) => fn();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('audit of a job run against the emulator, through its event logs a day later', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  before(async () => {
    emu = await startEventLogOrg();
    work = mkdtempSync(join(tmpdir(), 'bulkops-audit-live-'));
  });

  after(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('the same day the job is an orphan; a day later it is the integration that names its connected app and client', async () => {
    const { inventory, problems } = checkInventoryText(
      [
        'version: 1',
        `reviewed: ${new Date(emu.clock.now()).toISOString().slice(0, 10)}`,
        'integrations:',
        '  - name: contact-sync',
        '    owner: { team: CRM, contact: crm@bulkops.emu }',
        `    match: { connectedApps: [Sync Connector], clients: [${CLIENT_NAME}] }`,
        '    allowed: [{ object: Contact, operations: [insert] }]',
        '    cadence: daily',
        '',
      ].join('\n')
    );
    expect(problems).to.deep.equal([]);
    const file = join(work, 'contacts.csv');
    writeFileSync(file, ['LastName', ...Array.from({ length: 30 }, (_, i) => `Synced ${i}`)].join('\n') + '\n');
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.tokenFor(INT_USER) });
    const loaded = await engine.start(contactLoad(file, work));
    expect(loaded).to.include({ status: 'Completed', successful: 30 });
    const jobId = loaded.jobs[0].id;

    const http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const historyDir = join(work, 'history');
    const audit = (): ReturnType<typeof auditOrg> => auditOrg(http, retry, { inventory: inventory!, historyDir, since: emu.clock.now() - 7 * DAY, now: emu.clock.now() });

    const sameDay = await audit();
    expect(sameDay.history.eventLogs.filesRead).to.equal(0);
    expect(sameDay.findings.filter((f) => f.kind === 'orphan').map((f) => [f.user, f.jobs])).to.deep.equal([[INT_USER, 1]]);

    // Past the end of the day and the hours Event Monitoring takes to publish its files.
    const nextDay = Math.floor(emu.clock.now() / DAY + 1) * DAY;
    emu.clock.advance(nextDay - emu.clock.now() + 4 * HOUR);
    const dayLater = await audit();
    expect(dayLater.history.eventLogs.filesRead).to.be.greaterThan(0);
    expect(dayLater.findings.filter((f) => f.kind === 'orphan')).to.deep.equal([]);
    expect(dayLater.unattributedJobs).to.equal(0);
    const sync = dayLater.integrations.find((i) => i.name === 'contact-sync')!;
    expect(sync).to.include({ jobs: 1, records: 30 });
    expect(dayLater.jobs).to.equal(1);
    // sf bulkops jobs shows the same job with its client and connected app, and no unknown-source mark.
    const jobs = await jobsReport(http, retry, { historyDir, save: true, inventory: inventory!, now: emu.clock.now() });
    expect(jobs.jobs.map((j) => [j.id, j.client, j.connectedAppId, j.integration, j.signals])).to.deep.equal([[jobId, CLIENT_NAME, SYNC_APP.id.slice(0, 15), 'contact-sync', []]]);
    expect(emu.ingest.jobs.get(jobId)?.createdById).to.equal([...emu.store.all('User')].find((u) => u.Username === INT_USER)!.Id);
  });
});
