/*
 * The job listing and the job history against the emulator's audit seed (six months of an org's
 * bulk activity; the org lists the last 7 days, the event logs hold the rest).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { readSeedFile, type Seed } from '../../emulator/seed.js';
import { jobsReport } from '../../../src/core/jobs/jobsService.js';
import { JobHistory } from '../../../src/core/jobs/history.js';
import { checkInventoryText } from '../../../src/core/inventory/validate.js';
import type { OrgHttp } from '../../../src/core/http/orgHttp.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const SEED_FILE = fileURLToPath(new URL('../../emulator/seeds/audit-org.json', import.meta.url));
const DAY = 86_400_000;
const retry: Retrier = (_what, fn) => fn();

describe('job listing and history (audit seed)', function () {
  this.timeout(120_000);
  let seed: Seed;
  let emu: Emulator;
  let http: OrgHttp;
  let dir: string;
  const userId = (username: string): string => seed.users!.find((u) => u.username === username)!.id!;

  before(async () => {
    seed = readSeedFile(SEED_FILE);
    emu = await startEmulator({ seed, settings: { jobsPageSize: 7 } });
    http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    dir = mkdtempSync(join(tmpdir(), 'bulkops-history-'));
  });

  after(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every page of 2.0 ingest, V1 and query jobs with their counters, users and review signals', async () => {
    const r = await jobsReport(http, retry, { historyDir: dir, save: false });
    const shift = Math.floor(emu.clock.now() / DAY) * DAY - Math.floor(Date.parse(seed.audit!.asOf) / DAY) * DAY;
    const cutoff = emu.clock.now() - 7 * DAY;
    const kept = seed.audit!.jobs!.filter((j) => Date.parse(j.systemModstamp.replace('+0000', 'Z')) + shift >= cutoff);
    expect(r.listed).to.equal(kept.length);
    expect(r.jobs.map((j) => j.id).sort()).to.deep.equal(kept.map((j) => j.id).sort());
    expect(new Set(r.jobs.map((j) => j.api))).to.deep.equal(new Set(['V2Ingest', 'Classic', 'V2Query']));
    for (const j of r.jobs) {
      const s = kept.find((k) => k.id === j.id)!;
      expect(j, j.id).to.include({ numberRecordsProcessed: s.numberRecordsProcessed, state: s.state });
      // query jobs have no failed-record count
      if (j.api !== 'V2Query') expect(j.numberRecordsFailed, j.id).to.equal(s.numberRecordsFailed);
      expect(j.username).to.equal(seed.users!.find((u) => u.id === s.createdById)!.username);
    }
    const failed = r.jobs.filter((j) => j.state === 'Failed');
    for (const j of failed) expect(j.signals).to.include('failed');
    expect(r.history).to.equal(undefined);
  });

  it('--save: the history gets the org jobs and, from the event logs, six months of older jobs; saving again adds nothing', async () => {
    const r = await jobsReport(http, retry, { historyDir: dir, save: true });
    const h = r.history!;
    expect(h.eventLogs.available).to.equal(true);
    expect(h.eventLogs.filesRead).to.equal(seed.audit!.eventLogFiles!.length);
    expect(h.jobs).to.equal(seed.audit!.jobs!.length);
    expect(h.gaps).to.deep.equal([]);
    const lines = readFileSync(join(h.dir, 'jobs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; client?: string; createdById: string; from: string });
    const erp = lines.filter((l) => l.createdById.startsWith(userId('int.erp@northwind.example').slice(0, 15)));
    expect(erp.length).to.be.greaterThan(70);
    // the event logs name each job's client (ApiTotalUsage)
    expect(erp.filter((l) => l.from === 'eventlog').every((l) => l.client === 'AcmeERP/4.2')).to.equal(true);

    const again = await jobsReport(http, retry, { historyDir: dir, save: true });
    expect(again.history).to.include({ added: 0, changed: 0, jobs: seed.audit!.jobs!.length });
    expect(again.history!.eventLogs.filesRead).to.equal(0);
    expect(readFileSync(join(h.dir, 'jobs.jsonl'), 'utf8').trim().split('\n')).to.have.length(lines.length);
    // No session token in anything the history keeps (a pipeline may commit or cache the folder).
    for (const name of readdirSync(h.dir)) expect(readFileSync(join(h.dir, name), 'utf8'), name).to.not.include(emu.accessToken);
  });

  it('filters by state, API, object, operation, user (name or Id) and --since, each alone and together', async () => {
    const all = (await jobsReport(http, retry, { historyDir: dir, save: false })).jobs;
    const shown = async (filters: Parameters<typeof jobsReport>[2]['filters']): Promise<string[]> =>
      (await jobsReport(http, retry, { historyDir: dir, save: false, filters })).jobs.map((j) => j.id).sort();
    const ids = (keep: (j: (typeof all)[number]) => boolean): string[] => all.filter(keep).map((j) => j.id).sort();
    const failed = ids((j) => j.state === 'Failed');
    expect(failed.length).to.be.greaterThan(0);
    expect(await shown({ states: ['failed'] })).to.deep.equal(failed);
    for (const keep of [(j: (typeof all)[number]): boolean => j.api === 'Classic', (j: (typeof all)[number]): boolean => j.operation === 'upsert']) {
      expect(ids(keep).length).to.be.within(1, all.length - 1);
    }
    expect(await shown({ types: ['Classic'] })).to.deep.equal(ids((j) => j.api === 'Classic'));
    const object = all.find((j) => j.state === 'Failed')!.object;
    expect(ids((j) => j.object === object).length).to.be.lessThan(all.length);
    expect(await shown({ objects: [object.toUpperCase()] })).to.deep.equal(ids((j) => j.object === object));
    expect(await shown({ operations: ['upsert'] })).to.deep.equal(ids((j) => j.operation === 'upsert'));
    const user = all[0];
    const byName = await shown({ users: [user.username!] });
    expect(byName).to.deep.equal(ids((j) => j.createdById === user.createdById));
    // the 15- and 18-character Ids name the same user
    expect(await shown({ users: [user.createdById.slice(0, 15)] })).to.deep.equal(byName);
    const since = emu.clock.now() - 2 * DAY;
    const recent = ids((j) => Date.parse(j.createdDate) >= since || !['JobComplete', 'Failed', 'Aborted', 'Closed'].includes(j.state));
    expect(recent.length).to.be.lessThan(all.length);
    expect(await shown({ since })).to.deep.equal(recent);
    expect(await shown({ since, objects: [object], users: [user.username!] })).to.deep.equal(
      ids((j) => recent.includes(j.id) && j.object === object && j.createdById === user.createdById)
    );
  });

  it('with an inventory: jobs from sources it does not name are marked unknown-source', async () => {
    const { inventory } = checkInventoryText(
      ['version: 1', 'integrations:', '  - name: erp', '    match: { clients: [AcmeERP/4.2] }', '    cadence: weekly', '  - name: billing', '    match: { users: [int.billing@northwind.example] }', '    cadence: weekly', ''].join('\n')
    );
    const r = await jobsReport(http, retry, { historyDir: dir, save: false, inventory });
    for (const j of r.jobs) {
      const known = j.username === 'int.billing@northwind.example' || j.username === 'int.erp@northwind.example';
      expect(j.signals.includes('unknown-source'), `${j.username}`).to.equal(!known);
      if (known) expect(j.integration).to.equal(j.username === 'int.erp@northwind.example' ? 'erp' : 'billing');
    }
    expect(r.signals['unknown-source']).to.be.greaterThan(0);
  });

  it('without event logs and with a history older than 7 days, the days nothing covered are gaps', async () => {
    const plain = await startEmulator({ seed, settings: { eventMonitoring: false } });
    const other = mkdtempSync(join(tmpdir(), 'bulkops-history-'));
    try {
      const h2 = testHttp({ instanceUrl: plain.url, accessToken: plain.accessToken });
      const now = plain.clock.now();
      // A history saved 30 days ago (its job from 32 days ago), then nothing until today.
      const old = { id: '7503h00000OLD01AAA', api: 'V2Ingest' as const, object: 'Account', operation: 'insert', state: 'JobComplete', createdById: userId('int.erp@northwind.example'), createdDate: new Date(now - 32 * DAY).toISOString(), systemModstamp: new Date(now - 32 * DAY + 60_000).toISOString(), from: 'org' as const, observedAt: new Date(now - 30 * DAY).toISOString() };
      new JobHistory(other, seed.org?.id ?? '00D5e0000000EmuEAE').append([old], [{ kind: 'org', at: old.observedAt }]);
      const r = await jobsReport(h2, retry, { historyDir: other, save: true, now });
      expect(r.history!.eventLogs).to.deep.equal({ available: false, filesRead: 0, jobs: 0 });
      expect(r.history!.gaps).to.have.length(1);
      const gap = r.history!.gaps[0];
      expect(gap.days).to.be.within(21, 23);
      expect(Date.parse(gap.from)).to.be.within(now - 31 * DAY, now - 29 * DAY);
      expect(Date.parse(gap.to)).to.be.within(now - 9 * DAY, now - 7 * DAY);
    } finally {
      await plain.stop();
      rmSync(other, { recursive: true, force: true });
    }
  });
});
