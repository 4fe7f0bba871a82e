/*
 * `sf bulkops jobs` through the real `sf` binary (plugin linked) against the emulator's audit seed:
 * the table a user reads, the JSON shape, the history written, and the errors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';
import { AUDIT_SEED_FILE, type SeededSf, sfOnAuditSeed } from '../../helpers/auditSeed.js';
import { readSeedFile } from '../../emulator/seed.js';

type JobsJson = {
  listed: number;
  jobs: Array<{ id: string; state: string; username: string; signals: string[]; api: string; object: string }>;
  signals: Record<string, number>;
  history?: { dir: string; added: number; jobs: number; gaps: unknown[]; eventLogs: { available: boolean; filesRead: number } };
};

describe('sf bulkops jobs (through the real sf binary)', function () {
  this.timeout(300_000);
  let seeded: SeededSf;
  let sf: SfHome;
  let historyDir: string;
  let seedJobs: number;

  before(async () => {
    seeded = await sfOnAuditSeed();
    ({ sf, historyDir } = seeded);
    seedJobs = readSeedFile(AUDIT_SEED_FILE).audit!.jobs!.length;
  });

  after(() => seeded.stop());

  it('lists the org jobs with users and review marks, and saves them with six months of event logs to the history', async () => {
    const r = await sf.run(['bulkops', 'jobs', '--target-org', 'emu', '--history-dir', historyDir, '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const result = r.json?.result as JobsJson;
    expect(schemaErrors('bulkops-jobs.json', result)).to.deep.equal([]);
    expect(result.listed).to.equal(result.jobs.length);
    expect(result.jobs.some((j) => j.username === 'int.billing@northwind.example')).to.equal(true);
    expect(result.history!.eventLogs.available).to.equal(true);
    expect(result.history!.jobs).to.equal(seedJobs);
    expect(result.history!.gaps).to.deep.equal([]);
    expect(readFileSync(join(result.history!.dir, 'jobs.jsonl'), 'utf8').trim().split('\n').length).to.be.at.least(seedJobs);

    const table = await sf.run(['bulkops', 'jobs', '--target-org', 'emu', '--history-dir', historyDir, '--type', 'Classic']);
    expect(table.code, table.stderr).to.equal(0);
    expect(table.stdout).to.match(/Job ID.*Type.*Object.*Operation.*State.*Submitted By.*Duration.*Processed.*Failed.*Failure Rate.*Review/s);
    expect(table.stdout).to.include('int.marketing@northwind.example');
    expect(table.stdout).to.include('Bulk V1');
    expect(table.stdout).to.not.include('Bulk V2 Query');
    expect(table.stdout).to.match(/Job history .*: 0 new jobs, 0 changed/);
  });

  it('--inventory marks unknown sources; --review-only keeps only the marked jobs', async () => {
    const inv = join(sf.home, 'inv.yaml');
    writeFileSync(inv, 'version: 1\nintegrations:\n  - { name: billing, match: { users: [int.billing@northwind.example] }, cadence: weekly }\n');
    const r = await sf.run(['bulkops', 'jobs', '--target-org', 'emu', '--history-dir', historyDir, '--inventory', inv, '--review-only', '--no-save', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const result = r.json?.result as JobsJson;
    expect(result.history).to.equal(undefined);
    expect(result.jobs.length).to.be.greaterThan(0);
    for (const j of result.jobs) {
      expect(j.signals.length).to.be.greaterThan(0);
      if (j.username !== 'int.billing@northwind.example') expect(j.signals).to.include('unknown-source');
    }
  });

  it('a bad --since and a broken inventory stop with what to do', async () => {
    const since = await sf.run(['bulkops', 'jobs', '--target-org', 'emu', '--since', 'yesterday', '--json']);
    expect(since.code).to.equal(1);
    expect(since.json?.message).to.equal('--since yesterday is neither a span back from now nor a day.');
    const inv = join(sf.home, 'bad.yaml');
    writeFileSync(inv, 'version: 1\nintegrations:\n  - { name: x, match: { users: [a] }, cadence: nightly }\n');
    const bad = await sf.run(['bulkops', 'jobs', '--target-org', 'emu', '--inventory', inv, '--no-save']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('has 1 problems; the first, at line 3: integrations[0].cadence: must be one of');
    expect(bad.stderr).to.include('sf bulkops inventory validate --file');
  });
});
