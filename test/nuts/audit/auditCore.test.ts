/*
 * The audit against the emulator's audit seed (six months of a mid-size org: the org lists the
 * last 7 days, the event logs hold the rest) and the inventory its team keeps
 * (test/fixtures/inventory/audit-seed.yaml): exactly the seeded problems are found, with the
 * right first and last seen days and volumes, and nothing for the declared sources.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { readSeedFile, type Seed } from '../../emulator/seed.js';
import type { HistoricalJob } from '../../emulator/audit.js';
import { auditOrg } from '../../../src/core/audit/auditService.js';
import { JobHistory } from '../../../src/core/jobs/history.js';
import { seedInventory } from '../../helpers/auditSeed.js';
import type { OrgHttp } from '../../../src/core/http/orgHttp.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const SEED_FILE = fileURLToPath(new URL('../../emulator/seeds/audit-org.json', import.meta.url));
const DAY = 86_400_000;
const retry: Retrier = (_what, fn) => fn();

describe('audit (audit seed)', function () {
  this.timeout(120_000);
  let seed: Seed;
  let emu: Emulator;
  let http: OrgHttp;
  let dir: string;
  let shift: number;
  let now: number;
  const userId = (username: string): string => seed.users!.find((u) => u.username === username)!.id!;
  const at = (sfDate: string): number => Date.parse(sfDate.replace('+0000', 'Z')) + shift;
  /** the seed's jobs of a user created since `since`, oldest first */
  const jobsOf = (username: string, since: number): HistoricalJob[] =>
    seed.audit!.jobs!.filter((j) => j.createdById === userId(username) && at(j.createdDate) >= since).sort((a, b) => at(a.createdDate) - at(b.createdDate));

  before(async () => {
    seed = readSeedFile(SEED_FILE);
    emu = await startEmulator({ seed });
    http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    dir = mkdtempSync(join(tmpdir(), 'bulkops-audit-'));
    now = emu.clock.now();
    shift = Math.floor(now / DAY) * DAY - Math.floor(Date.parse(seed.audit!.asOf) / DAY) * DAY;
  });

  after(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds exactly the seeded orphans, dormant integration, undeclared hardDelete, failing and long-running integrations and hard-delete holders', async () => {
    const since = now - 90 * DAY;
    const r = await auditOrg(http, retry, { inventory: seedInventory(now), historyDir: dir, since, now });
    const found = r.findings.map((f) => `${f.severity} ${f.kind} ${f.integration ?? f.user}`);
    expect(found).to.deep.equal([
      'critical undeclared-operation case-purge',
      'high orphan j.doe@northwind.example',
      'high orphan svc.reporting@northwind.example',
      // the emulator's own admin (the user these tests log in as) may hard-delete too
      'high hard-delete-permission admin@bulkops.emu',
      'high hard-delete-permission case-purge',
      'high hard-delete-permission sam.admin@northwind.example',
      'high failing billing-invoices',
      'high failing erp-accounts',
      'medium dormant legacy-crm-contacts',
      'medium long-running billing-invoices',
    ]);
    expect(r.counts).to.deep.equal({ critical: 1, high: 7, medium: 2, low: 0, info: 0 });
    expect(r.permissionsRead).to.equal(true);
    expect(r.history.gaps).to.deep.equal([]);

    // Orphans: who, what, first and last seen, volume, exactly as the seed has them.
    for (const [username, object, operation] of [
      ['svc.reporting@northwind.example', 'Contact', 'query'],
      ['j.doe@northwind.example', 'Contact', 'delete'],
    ]) {
      const seeded = jobsOf(username, since);
      const f = r.findings.find((x) => x.kind === 'orphan' && x.user === username)!;
      expect(f, username).to.deep.include({
        objects: [object],
        operations: [operation],
        connectedApps: [],
        clients: [],
        jobs: seeded.length,
        records: seeded.reduce((s, j) => s + j.numberRecordsProcessed, 0),
        firstSeen: new Date(at(seeded[0].createdDate)).toISOString(),
        lastSeen: new Date(at(seeded.at(-1)!.createdDate)).toISOString(),
      });
    }
    expect(jobsOf('j.doe@northwind.example', since)).to.have.length(3);

    // The purge hard-deletes every week, declared as a delete.
    const purge = jobsOf('int.purge@northwind.example', since);
    const hd = r.findings.find((f) => f.kind === 'undeclared-operation')!;
    expect(hd).to.deep.include({ objects: ['Case'], operations: ['hardDelete'], jobs: purge.length, records: purge.reduce((s, j) => s + j.numberRecordsProcessed, 0) });
    expect(hd.message).to.include('its entry does not allow hardDelete on Case');

    // The legacy CRM bridge's last job, 92 days before the seed's day, is older than the period.
    const legacy = jobsOf('int.legacycrm@northwind.example', 0);
    const dormant = r.findings.find((f) => f.kind === 'dormant')!;
    // a V1 job known from the event logs only: its start is its first batch's (seconds after its creation)
    expect(Date.parse(dormant.lastSeen!) - at(legacy.at(-1)!.createdDate)).to.be.within(0, 60_000);
    expect(dormant.days).to.equal(Math.floor((now - Date.parse(dormant.lastSeen!)) / DAY)).and.to.be.greaterThan(90);

    // Failing: the ERP's two jobs broken by a header change, billing's jobs out of retries.
    for (const [name, username] of [
      ['erp-accounts', 'int.erp@northwind.example'],
      ['billing-invoices', 'int.billing@northwind.example'],
    ]) {
      const failed = jobsOf(username, since).filter((j) => j.state === 'Failed');
      const f = r.findings.find((x) => x.kind === 'failing' && x.integration === name)!;
      expect(f.failedJobs, name).to.equal(failed.length).and.to.be.greaterThan(0);
      expect([...f.jobIds!].sort()).to.deep.equal(failed.map((j) => j.id.slice(0, 15)).sort());
    }
    const long = r.findings.find((f) => f.kind === 'long-running')!;
    expect(long.jobIds!.sort()).to.deep.equal(
      jobsOf('int.billing@northwind.example', since)
        .filter((j) => j.state === 'Failed')
        .map((j) => j.id.slice(0, 15))
        .sort()
    );

    // Every job of a declared source is attributed; only the orphans' are not.
    expect(r.unattributedJobs).to.equal(jobsOf('svc.reporting@northwind.example', since).length + 3);
    const erp = r.integrations.find((i) => i.name === 'erp-accounts')!;
    expect(erp.jobs).to.equal(jobsOf('int.erp@northwind.example', since).length);
    expect(erp.asyncApexJobs).to.be.greaterThan(0);
    const billing = r.throughput.find((t) => t.source === 'billing-invoices')!;
    expect(billing).to.include({ object: 'Invoice__c', operation: 'insert' });
    expect(billing.rowsPerMinute).to.be.greaterThan(0);
    // Invoice__c carries 6 ms of automation a row in the seed (reported for the jobs the org still lists)
    expect(billing.automationMsPerRow).to.equal(6);
  });

  it('the audit saved what it read: a second audit reads no event log again and finds the same', async () => {
    const since = now - 90 * DAY;
    const r = await auditOrg(http, retry, { inventory: seedInventory(now), historyDir: dir, since, now });
    expect(r.history).to.include({ added: 0, changed: 0, jobs: seed.audit!.jobs!.length });
    expect(r.history.eventLogs.filesRead).to.equal(0);
    expect(r.findings).to.have.length(10);
  });

  it('a stale inventory, an entry without owner and a retired integration still running are findings', async () => {
    const inv = seedInventory(now, 120);
    inv.integrations[0] = { ...inv.integrations[0], status: 'retired' };
    delete inv.integrations[1].owner;
    const r = await auditOrg(http, retry, { inventory: inv, historyDir: dir, since: now - 30 * DAY, now });
    const kinds = r.findings.map((f) => `${f.kind} ${f.integration ?? ''}`);
    expect(kinds).to.include('retired-active erp-accounts');
    expect(kinds).to.include('no-owner billing-invoices');
    expect(kinds).to.include('stale-inventory ');
    expect(r.findings.find((f) => f.kind === 'stale-inventory')!.days).to.equal(120);
  });

  it('without event logs, the days of the period the history has no data for are coverage gaps', async () => {
    const plain = await startEmulator({ seed, settings: { eventMonitoring: false } });
    const other = mkdtempSync(join(tmpdir(), 'bulkops-audit-'));
    try {
      const h2 = testHttp({ instanceUrl: plain.url, accessToken: plain.accessToken });
      const t = plain.clock.now();
      // A history listed 30 days ago, then nothing until today.
      new JobHistory(other, seed.org?.id ?? '00D5e0000000EmuEAE').append([], [{ kind: 'org', at: new Date(t - 30 * DAY).toISOString() }]);
      const r = await auditOrg(h2, retry, { inventory: seedInventory(t), historyDir: other, since: t - 40 * DAY, now: t });
      const gaps = r.findings.filter((f) => f.kind === 'coverage-gap');
      expect(gaps).to.have.length(2);
      // before the first listing's 7 days, and between it and today's listing's 7 days
      expect(gaps[0].days! + gaps[1].days!).to.be.within(24, 27);
      for (const g of gaps) expect(g).to.include({ severity: 'medium' });
      expect(r.history.eventLogs.available).to.equal(false);
    } finally {
      await plain.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
