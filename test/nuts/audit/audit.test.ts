/*
 * `sf bulkops audit` through the real `sf` binary (plugin linked) against the emulator's audit
 * seed and the inventory its team keeps: what a user reads in each format, the exit code, the
 * JSON against its schema, and the errors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';
import { type SeededSf, seedInventoryText, sfOnAuditSeed } from '../../helpers/auditSeed.js';

type AuditJson = {
  findings: Array<{ kind: string; severity: string; integration?: string; user?: string }>;
  counts: Record<string, number>;
  output?: string;
};

describe('sf bulkops audit (through the real sf binary)', function () {
  this.timeout(300_000);
  let seeded: SeededSf;
  let sf: SfHome;
  let historyDir: string;
  let inventory: string;

  before(async () => {
    seeded = await sfOnAuditSeed();
    ({ sf, historyDir } = seeded);
    inventory = join(sf.home, 'bulkops-inventory.yaml');
    writeFileSync(inventory, seedInventoryText(seeded.emu.clock.now()));
  });

  after(() => seeded.stop());

  const audit = (...args: string[]): ReturnType<SfHome['run']> => sf.run(['bulkops', 'audit', '--target-org', 'emu', '--inventory', inventory, '--history-dir', historyDir, ...args]);

  it('--json: the findings against the schema, exit 68 for findings at or above high', async () => {
    const r = await audit('--json');
    expect(r.code, r.stderr).to.equal(68);
    expect(r.json?.status).to.equal(68);
    const result = r.json?.result as AuditJson;
    expect(schemaErrors('bulkops-audit.json', result)).to.deep.equal([]);
    expect(result.findings.map((f) => `${f.kind} ${f.integration ?? f.user}`)).to.include.members([
      'orphan svc.reporting@northwind.example',
      'orphan j.doe@northwind.example',
      'dormant legacy-crm-contacts',
      'undeclared-operation case-purge',
      'failing erp-accounts',
      'failing billing-invoices',
    ]);
    expect(result.counts.critical).to.equal(1);
  });

  it('the table: findings with what to do, integrations, throughput, the period', async () => {
    const r = await audit();
    expect(r.code, r.stderr).to.equal(68);
    expect(r.stdout).to.match(/Severity.*Kind.*Integration or Source.*Finding.*What To Do/s);
    expect(r.stdout).to.match(/critical.*undeclared-operation.*case-purge/);
    expect(r.stdout).to.include('its entry does not allow hardDelete on Case');
    expect(r.stdout).to.match(/svc\.reporting@northwind\.example ran \d+ jobs \(query on Contact; \d+ records\) from \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d, and no inventory entry names it/);
    expect(r.stdout).to.include('Throughput per integration, object and operation');
    expect(r.stdout).to.match(/Records\/min.*Automation ms\/record/s);
    expect(r.stdout).to.match(/Period \d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d: \d+ jobs, \d+ of them from sources the inventory does not name/);
    expect(r.stdout).to.match(/10 findings: 1 critical, 7 high, 2 medium, 0 low, 0 info\./);
  });

  it('--format markdown and csv, to stdout and to --output; --fail-on critical still fails on the hardDelete', async () => {
    const md = await audit('--format', 'markdown');
    expect(md.code, md.stderr).to.equal(68);
    expect(md.stdout).to.match(/^# Bulk API audit of org 00D/);
    expect(md.stdout).to.include('## Findings');
    expect(md.stdout).to.include('| Severity | Kind | Integration or Source | Finding | What To Do |');
    expect(md.stdout).to.include('| critical | undeclared-operation | case-purge |');

    const file = join(sf.home, 'findings.csv');
    const csv = await audit('--format', 'csv', '--output', file, '--fail-on', 'critical');
    expect(csv.code, csv.stderr).to.equal(68);
    expect(csv.stdout).to.include(`Report (csv) written to ${file}.`);
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).to.match(/^severity,kind,integration,user,connectedApps,clients,objects,operations,firstSeen,lastSeen,jobs,records,/);
    expect(lines).to.have.length(11);
    expect(lines[1]).to.match(/^critical,undeclared-operation,case-purge,,,,Case,hardDelete,/);
  });

  it('--format json prints the report; the table format writes Markdown to --output', async () => {
    const json = await audit('--format', 'json', '--fail-on', 'critical');
    expect(json.code, json.stderr).to.equal(68);
    const report = JSON.parse(json.stdout) as AuditJson;
    expect(schemaErrors('bulkops-audit.json', report)).to.deep.equal([]);
    expect(report.counts).to.include({ critical: 1, high: 7 });

    const file = join(sf.home, 'audit.md');
    const md = await audit('--output', file);
    expect(md.code, md.stderr).to.equal(68);
    expect(md.stdout).to.include(`Report (markdown) written to ${file}.`);
    expect(md.stdout).to.not.include('What To Do');
    expect(readFileSync(file, 'utf8')).to.match(/^# Bulk API audit of org 00D/);
  });

  it('a bad --since, a broken inventory and an unwritable --output stop with what to do', async () => {
    const since = await audit('--since', 'last quarter', '--json');
    expect(since.code).to.equal(1);
    expect(since.json?.message).to.equal('--since last quarter is neither a span back from now nor a day.');

    const bad = join(sf.home, 'bad.yaml');
    writeFileSync(bad, 'version: 1\nintegrations:\n  - { name: x, match: { users: [a] }, cadence: nightly }\n');
    const inv = await sf.run(['bulkops', 'audit', '--target-org', 'emu', '--inventory', bad]);
    expect(inv.code).to.equal(1);
    expect(inv.stderr).to.include('has 1 problems; the first, at line 3: integrations[0].cadence: must be one of');
    expect(inv.stderr).to.include('sf bulkops inventory validate --file');

    const out = await audit('--format', 'markdown', '--output', join(sf.home, 'no-such-folder', 'audit.md'), '--json');
    expect(out.code).to.equal(1);
    expect(out.json?.message).to.match(/^Could not write the report to .*no-such-folder\/audit\.md: ENOENT/);
  });
});
