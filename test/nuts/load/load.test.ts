/*
 * `sf bulkops load` run through the real `sf` binary (plugin linked) against the emulator org:
 * what lands in the org, the files written, the exit code and the JSON shape; with Bulk API 2.0 and
 * with --bulk-api v1.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';
import { readCsv } from '../../helpers/csv.js';
import { startTlsFront, write as writeFile } from '../conformance/support.js';

type LoadJson = {
  status: string;
  runDir: string;
  rows: number;
  processed: number;
  successful: number;
  failed: number;
  unprocessed: number;
  jobs: Array<{ id: string; state: string }>;
  files: { success: string; failed: string; unprocessed: string; retry: string };
  errorCodes: Array<{ code: string; count: number }>;
};

type V1Json = LoadJson & { bulkApi: string; v1?: { concurrencyMode: string; batchRows: number }; jobs: Array<{ id: string; state: string; batches?: number }> };

describe('sf bulkops load (through the real sf binary)', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let sf: SfHome;

  let linked: LinkedSf;

  before(async () => {
    linked = await sfOnEmulator();
    ({ emu, sf } = linked);
  });

  after(() => linked.stop());

  const write = (name: string, text: string): string => {
    const path = join(sf.home, name);
    writeFileSync(path, text);
    return path;
  };

  it('inserts rows, exits 68 on a failed row, and joins every result to its input line', async () => {
    const file = write('accounts.csv', 'Name,External_Id__c,NumberOfEmployees\nAcme,ACC-1,10\nGlobex,ACC-2,20\n,ACC-3,30\nInitech,ACC-4,not-a-number\nUmbrella,ACC-5,50\n');
    // --keep-invalid-rows: send the rows the checks would leave out, so the org's own failures are joined back.
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--results-dir', 'insert-results', '--keep-invalid-rows', '--json']);
    expect(r.code, r.stderr).to.equal(68);
    const result = r.json?.result as LoadJson;
    expect(schemaErrors('bulkops-load.json', result)).to.deep.equal([]);
    expect(result, JSON.stringify(result, null, 1)).to.include({ status: 'Completed', rows: 5, processed: 5, successful: 3, failed: 2, unprocessed: 0 });
    expect(result.jobs).to.have.length(1);
    expect(result.jobs[0].state).to.equal('JobComplete');

    const inOrg = [...emu.store.all('Account')].map((a) => a.External_Id__c).sort();
    expect(inOrg).to.deep.equal(['ACC-1', 'ACC-2', 'ACC-5']);

    const success = readCsv(result.files.success);
    expect(success.map((s) => [s.sf__Line, s.External_Id__c]).sort()).to.deep.equal([
      ['2', 'ACC-1'],
      ['3', 'ACC-2'],
      ['6', 'ACC-5'],
    ]);
    for (const s of success) {
      expect(emu.store.get('Account', s.sf__Id)?.External_Id__c).to.equal(s.External_Id__c);
      expect(s.sf__Created).to.equal('true');
    }
    const failed = readCsv(result.files.failed);
    expect(failed.map((f) => [f.sf__Line, f.sf__ErrorCode]).sort()).to.deep.equal([
      ['4', 'REQUIRED_FIELD_MISSING'],
      ['5', 'INVALID_FIELD'],
    ]);
    expect(readCsv(result.files.retry)).to.have.length(0);
  });

  it('two inserts of one file started together: one loads, the other exits 1 naming that run and its process', async () => {
    const lines = ['Name,External_Id__c'];
    for (let i = 1; i <= 20_000; i++) lines.push(`Twin ${i},TWIN-${i}`);
    const file = write('twins.csv', lines.join('\n') + '\n');
    const args = ['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--json'];
    const runs = await Promise.all([sf.run([...args, '--results-dir', 'twins-1']), sf.run([...args, '--results-dir', 'twins-2'])]);
    const codes = runs.map((r) => r.code).sort();
    expect(codes, runs.map((r) => r.stdout + r.stderr).join('\n')).to.deep.equal([0, 1]);
    const refused = runs.find((r) => r.code === 1)!;
    const loaded = runs.find((r) => r.code === 0)!;
    const runId = (loaded.json?.result as { runId: string }).runId;
    expect(refused.json?.name).to.equal('DuplicateRunError');
    expect(refused.json?.message).to.include(runId);
    // Which one it was depends on when the second looked: still loading (its process named) or done.
    expect(refused.json?.message).to.match(/right now \(process \d+, since|already inserted this file/);
    const names = [...emu.store.all('Account')].map((a) => String(a.External_Id__c)).filter((e) => e.startsWith('TWIN-'));
    expect(names).to.have.length(20_000);
    expect(new Set(names).size).to.equal(20_000);
  });

  it('warns under --json of open insert jobs of the same user and object that no run on this machine made', async () => {
    const created = await fetch(`${emu.url}/services/data/v66.0/jobs/ingest`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ object: 'Account', operation: 'insert', contentType: 'CSV', lineEnding: 'LF' }),
    });
    const foreign = ((await created.json()) as { id: string }).id;
    const file = write('beside.csv', 'Name\nBeside 1\n');
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--results-dir', 'beside', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.json?.warnings?.join('\n')).to.include(foreign).and.include('sf bulkops jobs');
    await fetch(`${emu.url}/services/data/v66.0/jobs/ingest/${foreign}`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ state: 'Aborted' }),
    });
  });

  it('upserts on an external ID, updating existing records and creating new ones', async () => {
    const file = write('upsert.csv', 'External_Id__c,Name,BillingCity\nACC-1,Acme Corp,Paris\nACC-9,Hooli,Palo Alto\n');
    const r = await sf.run([
      'bulkops', 'load', '--sobject', 'Account', '--operation', 'upsert', '--external-id', 'External_Id__c',
      '--file', file, '--target-org', 'emu', '--json',
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const result = r.json?.result as LoadJson;
    expect(result, JSON.stringify(result)).to.include({ successful: 2, failed: 0 });
    const byExt = new Map([...emu.store.all('Account')].map((a) => [a.External_Id__c, a]));
    expect(byExt.get('ACC-1')).to.include({ Name: 'Acme Corp', BillingCity: 'Paris' });
    expect(byExt.get('ACC-9')).to.include({ Name: 'Hooli', BillingCity: 'Palo Alto' });
    const created = Object.fromEntries(readCsv(result.files.success).map((s) => [s.External_Id__c, s.sf__Created]));
    expect(created).to.deep.equal({ 'ACC-1': 'false', 'ACC-9': 'true' });
    expect(existsSync(join(result.runDir, 'chunks')), 'the finished run\'s parts are removed').to.equal(false);

    const again = await sf.run([
      'bulkops', 'load', '--sobject', 'Account', '--operation', 'upsert', '--external-id', 'External_Id__c',
      '--file', file, '--target-org', 'emu', '--json', '--force', '--keep-chunks',
    ]);
    expect(again.code, again.stdout + again.stderr).to.equal(0);
    expect(readdirSync(join((again.json?.result as LoadJson).runDir, 'chunks'))).to.include('chunk-0001.csv');
  });

  it('updates by Id and deletes by Id, printing a human summary without --json', async () => {
    const acme = [...emu.store.all('Account')].find((a) => a.External_Id__c === 'ACC-2')!;
    const update = write('update.csv', `Id,Industry\n${acme.Id as string},Energy\n`);
    const u = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--operation', 'update', '--file', update, '--target-org', 'emu']);
    expect(u.code, u.stderr).to.equal(0);
    expect(u.stdout).to.match(/Done: 1 rows, 1 succeeded, 0 failed/);
    expect(emu.store.get('Account', acme.Id as string)?.Industry).to.equal('Energy');

    const del = write('delete.csv', `Id\n${acme.Id as string}\n`);
    const d = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--operation', 'delete', '--file', del, '--target-org', 'emu', '--json']);
    expect(d.code, d.stderr).to.equal(0);
    expect(emu.store.get('Account', acme.Id as string)?.IsDeleted).to.equal(true);
  });

  it('refuses upsert without --external-id with a clear error and exit 1', async () => {
    const file = write('noext.csv', 'Name\nX\n');
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--operation', 'upsert', '--file', file, '--target-org', 'emu', '--json']);
    expect(r.code).to.equal(1);
    expect(r.json?.name).to.equal('ExternalIdRequiredError');
    expect(r.json?.message).to.match(/--external-id is required/);
  });

  it('gates hardDelete: refuses without --confirm-hard-delete under --json, and on a wrong count; deletes with the right one after a backup', async () => {
    const ids = emu.insertRecords('Account', [{ Name: 'Doomed 1' }, { Name: 'Doomed 2' }, { Name: 'Doomed 3' }]);
    const file = write('hard.csv', `Id\n${ids.join('\n')}\n`);
    const base = ['bulkops', 'load', '--sobject', 'Account', '--operation', 'hardDelete', '--file', file, '--target-org', 'emu', '--json'];

    const unconfirmed = await sf.run(base);
    expect(unconfirmed.code).to.equal(1);
    expect(unconfirmed.json?.name).to.equal('HardDeleteNotConfirmedError');
    expect(unconfirmed.json?.message).to.match(/3 Account records/);

    const wrong = await sf.run([...base, '--confirm-hard-delete', '5']);
    expect(wrong.code).to.equal(1);
    expect(wrong.json?.name).to.equal('HardDeleteCountMismatchError');
    for (const id of ids) expect(emu.store.get('Account', id), 'not deleted yet').to.not.equal(undefined);

    const done = await sf.run([...base, '--confirm-hard-delete', '3']);
    expect(done.code, done.stdout + done.stderr).to.equal(0);
    const result = done.json?.result as LoadJson & { backup: { file: string; records: number } };
    expect(result.backup.records).to.equal(3);
    expect(readCsv(result.backup.file).map((r) => r.Name).sort()).to.deep.equal(['Doomed 1', 'Doomed 2', 'Doomed 3']);
    for (const id of ids) expect(emu.store.get('Account', id), 'gone for good').to.equal(undefined);
    expect(done.json?.warnings?.join(' ')).to.match(/hardDelete removes 3 Account records for good/);
  });

  it('warns harder before a hardDelete in a production org than in a sandbox (Organization.IsSandbox)', async () => {
    const hardDelete = async (kind: 'production' | 'sandbox'): Promise<string[]> => {
      // As a user of the emulator would: its control API, not the test's own handle.
      const set = await fetch(`${emu.url}/__emulator/settings`, { method: 'PATCH', body: JSON.stringify({ isSandbox: kind === 'sandbox' }) });
      expect(set.status).to.equal(200);
      const ids = emu.insertRecords('Account', [{ Name: `${kind} 1` }, { Name: `${kind} 2` }]);
      const file = write(`hard-${kind}.csv`, `Id\n${ids.join('\n')}\n`);
      const r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--operation', 'hardDelete', '--file', file, '--confirm-hard-delete', '2', '--target-org', 'emu', '--json']);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      for (const id of ids) expect(emu.store.get('Account', id)).to.equal(undefined);
      return r.json?.warnings ?? [];
    };
    try {
      const production = await hardDelete('production');
      const sandbox = await hardDelete('sandbox');
      expect(production).to.include(
        'THIS IS A PRODUCTION ORG. hardDelete removes 2 Account records for good: they skip the Recycle Bin and cannot be restored from Salesforce. A backup of every record is exported first; keep it.'
      );
      expect(sandbox).to.include('hardDelete removes 2 Account records for good: they skip the Recycle Bin. A backup of every record is exported first.');
      expect(sandbox.join('\n')).to.not.include('PRODUCTION');
    } finally {
      emu.updateSettings({ isSandbox: false });
    }
  });

  it('refuses --confirm-hard-delete with another operation than hardDelete, before anything is sent', async () => {
    const file = write('confirm-insert.csv', 'Name\nNever Inserted\n');
    const jobsBefore = emu.ingest.jobs.list().length;
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--confirm-hard-delete', '1', '--target-org', 'emu', '--json']);
    expect(r.code).to.equal(1);
    expect(r.json?.name).to.equal('ConfirmHardDeleteNotAllowedError');
    expect(r.json?.message).to.equal('--confirm-hard-delete confirms a hardDelete only; this load is --operation insert, so nothing was sent.');
    expect(emu.ingest.jobs.list().length, 'nothing sent').to.equal(jobsBefore);
  });

  it('--dry-run reports every problem with its line, exits 68 and sends nothing; a header problem stops the load', async () => {
    const file = write('dry.csv', 'Name,NumberOfEmployees,Website\nOk,10,https://ok.test\nBad,1.000,https://bad.test\n,5,\n');
    const jobsBefore = emu.ingest.jobs.list().length;
    const dry = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--dry-run', '--json']);
    expect(dry.code).to.equal(68);
    expect(schemaErrors('bulkops-load.json', dry.json?.result)).to.deep.equal([]);
    const report = (dry.json?.result as { preflight: { problemRows: number; kinds: Array<{ kind: string; examples: Array<{ line: number }> }> } }).preflight;
    expect(report.problemRows).to.equal(2);
    expect(report.kinds.map((k) => [k.kind, k.examples.map((e) => e.line)])).to.deep.include.members([
      ['bad-number', [3]],
      ['missing-required', [4]],
    ]);
    expect(dry.json?.result).to.not.have.property('runId');
    const human = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--dry-run']);
    expect(human.code).to.equal(68);
    expect(human.stdout).to.match(/2 problem\(s\) in 2 of 3 rows/);
    expect(human.stdout).to.match(/dry\.csv:3 \(NumberOfEmployees\)/);
    // Every problem is in problems.csv, in the current folder when no --results-dir is given.
    expect(human.stdout).to.contain(`All 2 problem(s), one a row (line, kind, field, value, problem): ${join(sf.home, 'problems.csv')}`);
    expect(readCsv(join(sf.home, 'problems.csv')).map((p) => [p.sf__Line, p.sf__Kind])).to.deep.equal([
      ['3', 'bad-number'],
      ['4', 'missing-required'],
    ]);

    const typo = write('typo.csv', 'Nmae\nX\n');
    const stopped = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', typo, '--target-org', 'emu', '--json']);
    expect(stopped.code).to.equal(1);
    expect(stopped.json?.name).to.equal('PreflightFailedError');
    expect(stopped.json?.message).to.match(/did you mean Name\?/);
    expect(emu.ingest.jobs.list().length, 'nothing sent').to.equal(jobsBefore);
  });

  it('exits 2 on a usage error (a file or an org alias that does not exist), as --help says', async () => {
    const file = write('usage.csv', 'Name\nX\n');
    const noFile = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', join(sf.home, 'nope.csv'), '--target-org', 'emu', '--json']);
    expect(noFile.code, noFile.stdout).to.equal(2);
    const noOrg = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'no-such-alias', '--json']);
    expect(noOrg.code, noOrg.stdout).to.equal(2);
    const help = await sf.run(['bulkops', 'load', '--help']);
    expect(help.stdout).to.match(/UsageError \(2\)/).and.match(/rejected\.csv/).and.match(/restore\.csv/);
  });

  it('refreshes an expired session through the org login (sfdx-url, refresh token) and finishes the load', async function () {
    const front = await startTlsFront(emu, sf.home);
    if (!front) this.skip();
    try {
      const env = { NODE_EXTRA_CA_CERTS: front.caFile };
      const authFile = writeFile(sf.home, 'auth-url.txt', `force://PlatformCLI::${emu.refreshTokenFor()}@${front.host}`);
      const login = await sf.run(['org', 'login', 'sfdx-url', '--sfdx-url-file', authFile, '--alias', 'refreshing', '--json'], { env });
      expect(login.code, login.stdout + login.stderr).to.equal(0);
      // Every session the org has issued so far expires: the load must refresh before it can do anything.
      for (const s of emu.sessions.list()) if (s.accessToken !== emu.accessToken) s.expired = true;
      const mark = emu.requests.length;
      const file = write('refresh.csv', 'LastName,External_Id__c\nRefreshed,RF-1\n');
      const r = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'refreshing', '--json'], { env });
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const calls = emu.requests.slice(mark);
      expect(calls.some((c) => c.status === 401)).to.equal(true);
      expect(calls.filter((c) => c.path === '/services/oauth2/token' && c.status === 200).length).to.be.greaterThan(0);
      expect([...emu.store.all('Contact')].find((c) => c.External_Id__c === 'RF-1')?.LastName).to.equal('Refreshed');
    } finally {
      await front.close();
    }
  });

  it('--wait 0 returns after upload (exit 0, InProgress); sf bulkops resume --latest finishes the run', async () => {
    const ledger = join(sf.home, 'ledger-resume');
    const file = write('later.csv', 'LastName,External_Id__c\nLater One,LT-1\nLater Two,LT-2\n');
    const started = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--wait', '0', '--ledger-dir', ledger, '--json']);
    expect(started.code, started.stdout + started.stderr).to.equal(0);
    const first = started.json?.result as LoadJson & { runId: string };
    expect(first.status).to.equal('InProgress');
    expect(first.jobs[0].id).to.match(/^750/);

    const human = await sf.run(['bulkops', 'resume', '--latest', '--ledger-dir', ledger, '--json']);
    expect(human.code, human.stdout + human.stderr).to.equal(0);
    const done = human.json?.result as LoadJson & { runId: string };
    expect(schemaErrors('bulkops-resume.json', done)).to.deep.equal([]);
    expect(done).to.include({ runId: first.runId, status: 'Completed', successful: 2, failed: 0 });
    expect(done.jobs.map((j) => j.id)).to.deep.equal(first.jobs.map((j) => j.id));
    expect([...emu.store.all('Contact')].filter((c) => String(c.External_Id__c).startsWith('LT-'))).to.have.length(2);
  });

  it('loads with a Serial V1 job of batches; --json says which API and mode, failed rows keep their lines (exit 68)', async () => {
    emu.insertRecords('Account', [{ Name: 'Held', External_Id__c: 'V1-7' }]);
    const lines = ['Name,External_Id__c'];
    for (let i = 1; i <= 25; i++) lines.push(`V1 Account ${i},V1-${i}`);
    const file = write('v1-accounts.csv', lines.join('\n') + '\n');
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--bulk-api', 'v1', '--concurrency', 'serial', '--batch-size', '10', '--results-dir', 'v1-results', '--json']);
    expect(r.code, r.stderr).to.equal(68);
    const result = r.json?.result as V1Json;
    expect(schemaErrors('bulkops-load.json', result)).to.deep.equal([]);
    expect(result).to.include({ status: 'Completed', bulkApi: 'v1', rows: 25, successful: 24, failed: 1 });
    expect(result.v1).to.deep.equal({ concurrencyMode: 'Serial', batchRows: 10 });
    expect(result.jobs).to.have.length(1);
    expect(result.jobs[0]).to.include({ state: 'JobComplete', batches: 3 });
    const job = emu.bulkV1.listJobs().find((j) => j.id === result.jobs[0].id)!;
    expect(job.concurrencyMode).to.equal('Serial');
    expect(job.batches).to.have.length(3);
    const inOrg = [...emu.store.all('Account')].filter((a) => String(a.Name).startsWith('V1 Account')).map((a) => a.External_Id__c as string);
    expect(inOrg).to.have.length(24);
    expect(new Set(inOrg).size).to.equal(24);
    const failed = readCsv(result.files.failed);
    expect(failed.map((f) => [f.sf__Line, f.External_Id__c, f.sf__ErrorCode])).to.deep.equal([['8', 'V1-7', 'DUPLICATE_VALUE']]);
  });

  it('refuses --batch-size over 10,000, --concurrency auto with v1, and --batch-size without v1 (exit 2, nothing sent)', async () => {
    const file = write('few.csv', 'Name\nX\n');
    const base = ['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--json'];
    const before = { v1: emu.bulkV1.listJobs().length, v2: emu.ingest.jobs.list().length };

    const big = await sf.run([...base, '--bulk-api', 'v1', '--concurrency', 'parallel', '--batch-size', '20000']);
    expect(big.code).to.equal(2);
    expect(big.json?.name).to.equal('BatchSizeOverLimitError');
    expect(big.json?.message).to.match(/--batch-size 20000 is over the limit of 10000 rows per Bulk API V1 batch/);

    const auto = await sf.run([...base, '--bulk-api', 'v1']);
    expect(auto.code).to.equal(2);
    expect(auto.json?.name).to.equal('V1NeedsConcurrencyError');
    expect(auto.json?.message).to.match(/--concurrency serial .* or --concurrency parallel/);

    const v2 = await sf.run([...base, '--batch-size', '500']);
    expect(v2.code).to.equal(2);
    expect(v2.json?.name).to.equal('BatchSizeNeedsV1Error');

    expect({ v1: emu.bulkV1.listJobs().length, v2: emu.ingest.jobs.list().length }).to.deep.equal(before);
  });
  it('--bulk-api v1 --wait 0 returns after its batches are in and the job closed; sf bulkops resume --latest joins the results', async () => {
    const ledger = join(sf.home, 'ledger-v1-resume');
    const file = write('v1-later.csv', 'LastName,External_Id__c\nV1 Later One,V1L-1\nV1 Later Two,V1L-2\nV1 Later Three,V1L-3\n');
    const base = ['--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--bulk-api', 'v1', '--concurrency', 'parallel', '--batch-size', '2'];
    const started = await sf.run(['bulkops', 'load', ...base, '--wait', '0', '--ledger-dir', ledger, '--json']);
    expect(started.code, started.stdout + started.stderr).to.equal(0);
    const first = started.json?.result as V1Json & { runId: string };
    expect(first).to.include({ status: 'InProgress', bulkApi: 'v1' });
    expect(first.jobs[0]).to.include({ batches: 2 });

    const resumed = await sf.run(['bulkops', 'resume', '--latest', '--ledger-dir', ledger, '--json']);
    expect(resumed.code, resumed.stdout + resumed.stderr).to.equal(0);
    const done = resumed.json?.result as V1Json & { runId: string };
    expect(schemaErrors('bulkops-resume.json', done)).to.deep.equal([]);
    expect(done).to.include({ runId: first.runId, status: 'Completed', bulkApi: 'v1', successful: 3, failed: 0 });
    expect(done.jobs.map((j) => j.id)).to.deep.equal(first.jobs.map((j) => j.id));
    expect(emu.bulkV1.listJobs().find((j) => j.id === first.jobs[0].id)?.batches).to.have.length(2);
    expect([...emu.store.all('Contact')].filter((c) => String(c.External_Id__c).startsWith('V1L-'))).to.have.length(3);
  });
});

