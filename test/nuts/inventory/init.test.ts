/*
 * `sf bulkops inventory init` through the real `sf` binary against the emulator's audit seed: the
 * table and file a user gets, the JSON against its schema, a draft that validates, and the errors.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';
import { AUDIT_SEED_FILE, type SeededSf, sfOnAuditSeed } from '../../helpers/auditSeed.js';
import { readSeedFile } from '../../emulator/seed.js';

describe('sf bulkops inventory init (through the real sf binary)', function () {
  this.timeout(300_000);
  let seeded: SeededSf;
  let sf: SfHome;
  let historyDir: string;

  before(async () => {
    seeded = await sfOnAuditSeed();
    ({ sf, historyDir } = seeded);
  });

  after(() => seeded.stop());

  it('writes a draft with an entry per source that validates, and says what to do next', async () => {
    const file = join(sf.home, 'bulkops-inventory.yaml');
    const r = await sf.run(['bulkops', 'inventory', 'init', '--target-org', 'emu', '--history-dir', historyDir, '--output-file', file]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/Entry.*User.*Connected Apps.*Clients.*Seen Doing.*Cadence.*Jobs.*Last Job/s);
    expect(r.stdout).to.match(/int-purge.*int\.purge@northwind\.example.*sfdx toolbelt:nightly-purge.*Case: hardDelete.*weekly/);
    expect(r.stdout).to.include(`Drafted 14 entries from ${readSeedFile(AUDIT_SEED_FILE).audit!.jobs!.length} jobs into ${file}.`);
    expect(r.stdout).to.include(`Next: fill in each owner and purpose, check the allowed operations, set "reviewed", then run "sf bulkops inventory validate --file ${file}"`);
    expect(readFileSync(file, 'utf8')).to.include('# fill in: the team that answers for these jobs');

    const check = await sf.run(['bulkops', 'inventory', 'validate', '--file', file]);
    expect(check.code, check.stdout + check.stderr).to.equal(0);
    expect(check.stdout).to.include('is a valid inventory: 14 integrations, 0 exceptions.');
  });

  it('--json against the schema; --since keeps the sources of the period', async () => {
    const file = join(sf.home, 'recent.yaml');
    const r = await sf.run(['bulkops', 'inventory', 'init', '--target-org', 'emu', '--history-dir', historyDir, '--output-file', file, '--since', '30d', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const result = r.json?.result as { entries: Array<{ username: string }>; file: string };
    expect(schemaErrors('bulkops-inventory-init.json', result)).to.deep.equal([]);
    expect(result.file).to.equal(file);
    const users = result.entries.map((e) => e.username);
    // the legacy CRM bridge stopped three months ago
    expect(users).to.not.include('int.legacycrm@northwind.example');
    expect(users).to.include('j.doe@northwind.example');
  });

  it('an existing file is kept unless --force; a bad --since stops with what to do', async () => {
    const file = join(sf.home, 'kept.yaml');
    writeFileSync(file, 'mine\n');
    const r = await sf.run(['bulkops', 'inventory', 'init', '--target-org', 'emu', '--history-dir', historyDir, '--output-file', file, '--json']);
    expect(r.code).to.equal(1);
    expect(r.json?.message).to.equal(`${file} already exists.`);
    expect(readFileSync(file, 'utf8')).to.equal('mine\n');
    const forced = await sf.run(['bulkops', 'inventory', 'init', '--target-org', 'emu', '--history-dir', historyDir, '--output-file', file, '--force', '--json']);
    expect(forced.code, forced.stderr).to.equal(0);
    expect(readFileSync(file, 'utf8')).to.match(/^# Drafted by "sf bulkops inventory init"/);

    const since = await sf.run(['bulkops', 'inventory', 'init', '--target-org', 'emu', '--since', 'ages', '--output-file', join(sf.home, 'x.yaml'), '--json']);
    expect(since.code).to.equal(1);
    expect(since.json?.message).to.equal('--since ages is neither a span back from now nor a day.');
  });
});
