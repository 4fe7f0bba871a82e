/*
 * The inventory drafted from the emulator's audit seed: an entry per real source (every user that
 * ran jobs), matched only by names no other source used, and a draft that validates and leaves
 * nothing of the seed unattributed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testHttp } from '../../helpers/engine.js';
import { readSeedFile, type Seed } from '../../emulator/seed.js';
import { draftInventory } from '../../../src/core/inventoryInit/initService.js';
import { cadenceOf } from '../../../src/core/inventoryInit/draft.js';
import { checkInventoryText } from '../../../src/core/inventory/validate.js';
import { auditOrg } from '../../../src/core/audit/auditService.js';
import type { OrgHttp } from '../../../src/core/http/orgHttp.js';
import type { Retrier } from '../../../src/core/http/retry.js';

const SEED_FILE = fileURLToPath(new URL('../../emulator/seeds/audit-org.json', import.meta.url));
const DAY = 86_400_000;
const retry: Retrier = (_what, fn) => fn();

describe('inventory init (audit seed)', function () {
  this.timeout(120_000);
  let seed: Seed;
  let emu: Emulator;
  let http: OrgHttp;
  let dir: string;

  before(async () => {
    seed = readSeedFile(SEED_FILE);
    emu = await startEmulator({ seed });
    http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    dir = mkdtempSync(join(tmpdir(), 'bulkops-init-'));
  });

  after(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('drafts one entry per source, which validates, with owners left empty', async () => {
    const d = await draftInventory(http, retry, { historyDir: dir, org: 'northwind' });
    const sources = new Set(seed.audit!.jobs!.map((j) => j.createdById));
    const usernames = seed.users!.filter((u) => sources.has(u.id!)).map((u) => u.username);
    expect(d.entries.map((e) => e.username).sort()).to.deep.equal(usernames.sort());
    expect(d.jobs).to.equal(seed.audit!.jobs!.length);
    expect(d.unknownUserJobs).to.equal(0);

    const { inventory, problems } = checkInventoryText(d.yaml);
    expect(problems).to.deep.equal([]);
    expect(inventory!.integrations).to.have.length(usernames.length);
    expect(d.yaml).to.match(/^# Drafted by "sf bulkops inventory init" on \d{4}-\d\d-\d\d from the jobs seen from/);
    expect(d.yaml).to.include('owner: { team: "", contact: "" } # fill in: the team that answers for these jobs, and how to reach it');

    const erp = d.entries.find((e) => e.username === 'int.erp@northwind.example')!;
    expect(erp).to.deep.include({ name: 'int-erp', connectedApps: ['Acme ERP Connector'], clients: ['AcmeERP/4.2'], allowed: [{ object: 'Account', operations: ['upsert'] }], cadence: 'weekly' });
    // Apps two sources share (Data Loader: sam and dataops; Salesforce CLI: olivia and purge) match neither.
    const purge = d.entries.find((e) => e.username === 'int.purge@northwind.example')!;
    expect(purge).to.deep.include({ connectedApps: [], clients: ['sfdx toolbelt:nightly-purge'], allowed: [{ object: 'Case', operations: ['hardDelete'] }] });
    expect(d.entries.find((e) => e.username === 'sam.admin@northwind.example')!.connectedApps).to.deep.equal([]);
    expect(d.entries.find((e) => e.username === 'int.warehouse@northwind.example')!.allowed.map((a) => a.object)).to.deep.equal(['Account', 'Contact', 'Opportunity']);
    expect(d.entries.find((e) => e.username === 'j.doe@northwind.example')!.cadence).to.equal('on-demand');
    expect(d.entries.find((e) => e.username === 'sam.admin@northwind.example')!.cadence).to.equal('monthly');
  });

  it('auditing with the draft: no orphan, nothing undeclared, only the owners to fill in and the review to do', async () => {
    const { yaml } = await draftInventory(http, retry, { historyDir: dir });
    const now = emu.clock.now();
    const r = await auditOrg(http, retry, { inventory: checkInventoryText(yaml).inventory!, historyDir: dir, since: now - 90 * DAY, now });
    const kinds = new Set(r.findings.map((f) => f.kind));
    expect(r.unattributedJobs).to.equal(0);
    for (const k of ['orphan', 'undeclared-operation', 'retired-active'] as const) expect(kinds.has(k), k).to.equal(false);
    expect(r.findings.filter((f) => f.kind === 'no-owner')).to.have.length(14);
    expect(kinds.has('stale-inventory')).to.equal(true);
  });

  it('the cadence: by the usual gap between jobs, widened to cover the longest; too few jobs are on-demand', () => {
    const at = (days: number[]): number[] => days.map((d) => d * DAY);
    expect(cadenceOf(at([0, 1, 2, 3, 4]))).to.equal('daily');
    expect(cadenceOf(at([0, 2, 4, 7, 9, 11, 14]))).to.equal('weekly');
    expect(cadenceOf(at([0, 1, 2, 3, 20]))).to.equal('monthly');
    expect(cadenceOf(at([0, 14, 24]))).to.equal('on-demand');
    expect(cadenceOf(at([0, 400, 800, 1200]))).to.equal('on-demand');
  });
});
