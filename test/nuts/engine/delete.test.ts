/*
 * delete and hardDelete: a full backup of the target records comes first, a short backup stops the
 * run before any delete job, and an unconfirmed hardDelete sends nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadRequest } from '../../../src/core/run/types.js';
import { NotConfirmedError } from '../../../src/core/load/refusals.js';
import { BackupShortError } from '../../../src/core/backup/backup.js';
import { loadErrorToSfError } from '../../../src/ux/loadReport.js';
import { engineForHttp } from '../../../src/core/load/engineFactory.js';
import { StoppedError, StopToken } from '../../../src/core/runtime/stopToken.js';
import { testEngine, testHttp } from '../../helpers/engine.js';
import type { RequestLogEntry } from '../../emulator/server.js';

describe('load engine: delete and hardDelete', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;
  let ids: string[];

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-delete-'));
    ids = emu.insertRecords(
      'Account',
      Array.from({ length: 120 }, (_, i) => ({ Name: `Acct ${i}`, External_Id__c: `D-${i}`, BillingCity: i % 2 ? 'Oslo' : 'Rome' }))
    );
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const request = (file: string, extra: Partial<LoadRequest>): LoadRequest => ({
    object: 'Account',
    operation: 'hardDelete',
    files: [file],
    runId: `run-${Math.random().toString(36).slice(2, 8)}`,
    ledgerDir: join(work, 'runs'),
    waitMs: 30_000,
    concurrency: 2,
    ...extra,
  });

  const idFile = (list: string[]): string => {
    const file = join(work, `ids-${list.length}.csv`);
    writeFileSync(file, `Id\n${list.join('\n')}\n`);
    return file;
  };

  const createJobs = (): number => emu.ingest.jobs.list().length;

  it('hardDelete exports every field of every target record, then removes them for good', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const asked: number[] = [];
    const result = await engine.start(request(idFile(ids.slice(0, 100)), { confirm: ({ rows }) => Promise.resolve(asked.push(rows) > 0) }));
    expect(asked).to.deep.equal([100]);
    expect(result).to.include({ successful: 100, failed: 0 });
    expect(result.backup).to.include({ ids: 100, records: 100 });
    const backup = readCsv(result.backup!.file);
    expect(backup).to.have.length(100);
    expect(Object.keys(backup[0])).to.include.members(['Id', 'Name', 'External_Id__c', 'BillingCity', 'CreatedDate']);
    expect(backup.find((r) => r.Id === ids[3])).to.include({ Name: 'Acct 3', External_Id__c: 'D-3', BillingCity: 'Oslo' });
    expect(emu.store.count('Account', true)).to.equal(20); // gone even from the Recycle Bin
  });

  it('does not delete anything when the backup is short (an Id is not in the org)', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const missing = `${ids[0].slice(0, 3)}5e000000ZZZZ`; // a well-formed Id no record has
    let error: unknown;
    try {
      await engine.start(request(idFile([...ids.slice(0, 10), missing]), { confirm: () => Promise.resolve(true) }));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(BackupShortError);
    expect(error).to.include({ ids: 11, records: 10 });
    // The refusal names the Id no record was found for, and the file listing every such Id.
    const short = error as BackupShortError;
    expect(readCsv(short.missingFile)).to.deep.equal([{ Id: missing.slice(0, 15) }]);
    const shown = loadErrorToSfError(error, { bin: 'sf', ledgerDir: '/l' });
    expect(shown.message).to.contain(`No record was found for 1 Id(s): ${missing.slice(0, 15)}. All of them are listed in ${short.missingFile}.`);
    expect(createJobs()).to.equal(0);
    expect(emu.store.count('Account', true)).to.equal(120);
  });

  it('writes restore.csv beside the backup: loading it brings the deleted records\' data back', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const before = ids.slice(0, 12).map((id) => emu.store.get('Account', id)!);
    const deleted = await engine.start(request(idFile(ids.slice(0, 12)), { confirm: () => Promise.resolve(true) }));
    expect(emu.store.count('Account', true)).to.equal(108);
    const restoreFile = join(dirname(deleted.backup!.file), 'restore.csv');
    const restore = readCsv(restoreFile);
    expect(restore).to.have.length(12);
    // Fields an insert cannot set are not in it (the Id, audit fields).
    expect(Object.keys(restore[0])).to.include.members(['Name', 'External_Id__c', 'BillingCity']).and.not.include.members(['Id', 'CreatedDate', 'IsDeleted']);
    const restored = await engine.start({ ...request(restoreFile, {}), operation: 'insert' });
    expect(restored).to.include({ successful: 12, failed: 0, rejected: 0 });
    const now = [...emu.store.all('Account')];
    for (const old of before) {
      const back = now.find((a) => a.External_Id__c === old.External_Id__c);
      expect(back, String(old.External_Id__c)).to.not.equal(undefined);
      expect(back).to.include({ Name: old.Name, BillingCity: old.BillingCity });
      expect(back!.Id).to.not.equal(old.Id); // a restore gives new Ids
    }
  });

  it('sends nothing when the hardDelete is not confirmed', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    let error: unknown;
    try {
      await engine.start(request(idFile(ids.slice(0, 5)), { confirm: () => Promise.resolve(false) }));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(NotConfirmedError);
    expect(emu.requests.filter((r) => r.path.includes('/jobs/'))).to.have.length(0);
    expect(emu.store.count('Account', true)).to.equal(120);
  });

  it('soft delete backs up too and moves records to the Recycle Bin; --no-backup skips the export', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const withBackup = await engine.start(request(idFile(ids.slice(0, 30)), { operation: 'delete' }));
    expect(withBackup.backup).to.include({ ids: 30, records: 30 });
    expect(emu.store.count('Account')).to.equal(90);
    expect(emu.store.count('Account', true)).to.equal(120);
    const without = await engine.start(request(idFile(ids.slice(30, 40)), { operation: 'delete', backup: false }));
    expect(without.backup).to.equal(undefined);
    expect(emu.store.count('Account')).to.equal(80);
  });

  it('a stop asked while the backup reads a query job\'s results: no further query job and no delete job starts', async () => {
    // More Ids than one backup query takes (3,000), so the backup needs a second query job.
    const more = emu.insertRecords('Account', Array.from({ length: 3_100 }, (_, i) => ({ Name: `Stop ${i}` })));
    const stop = new StopToken();
    const http = testHttp({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const engine = engineForHttp(http, { stop, stateDir: join(work, 'state'), poll: { minMs: 20, maxMs: 200 }, retry: { attempts: 6, baseMs: 10, maxMs: 100 } });
    const isQueryCreate = (e: RequestLogEntry): boolean => e.method === 'POST' && e.path.endsWith('/jobs/query');
    emu.holdRequest = (entry): Promise<void> | undefined => {
      if (entry.method === 'GET' && /\/jobs\/query\/[^/]+\/results/.test(entry.path)) stop.stop('SIGINT');
      return undefined;
    };
    let error: unknown;
    try {
      await engine.start(request(idFile(more), { operation: 'delete', confirm: () => Promise.resolve(true) }));
    } catch (e) {
      error = e;
    } finally {
      emu.holdRequest = undefined;
    }
    expect(error).to.be.instanceOf(StoppedError);
    expect(emu.requests.filter(isQueryCreate), 'one backup query job, none after the stop').to.have.length(1);
    expect(createJobs(), 'no delete job').to.equal(0);
  });
});
