/*
 * Transient faults on every call of a load (emulator faults on demand): each is survived, no job is
 * created twice for a chunk, every row lands once. Plus a session that expires mid-run and a job
 * that fails half-way (its unprocessed rows, exactly, go to retry.csv). And answers that break off
 * or hang, and an org that asks for a wait (faults cut, stall and retryAfter): every wait is bounded
 * by the HTTP time-outs (small in tests), a broken body is read again from its start, Retry-After is
 * waited out, and the load still ends exact: every row once in the org, the result files and the
 * backup one line per row.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadEvent, LoadRequest, LoadResult } from '../../../src/core/run/types.js';

type FaultSpec = Parameters<Emulator['addFault']>[0];

describe('load engine: transient faults', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;
  let file: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-faults-'));
    file = join(work, 'contacts.csv');
    const lines = ['LastName,External_Id__c'];
    for (let i = 1; i <= 300; i++) lines.push(`Name ${i},F-${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const request = (extra: Partial<LoadRequest> = {}): LoadRequest => contactLoad(file, work, { waitMs: 30_000, concurrency: 2, maxJobBytes: 2 * 1024, ...extra });

  const expectEveryRowOnce = (chunks: number): void => {
    const ext = [...emu.store.all('Contact')].map((c) => c.External_Id__c);
    expect(ext).to.have.length(300);
    expect(new Set(ext).size).to.equal(300);
    // One completed job per chunk; any other was left Aborted before it processed a row (a job that
    // refused a repeated upload: whose data it held cannot be proven).
    const jobs = emu.ingest.jobs.list();
    expect(jobs.filter((j) => j.state === 'JobComplete'), 'one completed job per chunk').to.have.length(chunks);
    expect(jobs.filter((j) => j.state !== 'JobComplete').every((j) => j.state === 'Aborted' && j.data !== undefined), 'none left open').to.equal(true);
  };

  const cases: Array<[string, FaultSpec]> = [
    ['HTTP 500 on job creation', { kind: 'status', status: 500, method: 'POST', path: '/jobs/ingest$', count: 2 }],
    ['a reset after the org created the job (response lost)', { kind: 'reset', when: 'after', method: 'POST', path: '/jobs/ingest$', count: 1 }],
    ['HTTP 503 on upload', { kind: 'status', status: 503, method: 'PUT', path: '/batches$', count: 2 }],
    ['a reset after the org stored the upload', { kind: 'reset', when: 'after', method: 'PUT', path: '/batches$', count: 1 }],
    ['HTTP 502 after the org closed the job', { kind: 'status', status: 502, when: 'after', method: 'PATCH', path: '/jobs/ingest/\\w+$', count: 1 }],
    ['REQUEST_LIMIT_EXCEEDED while polling', { kind: 'limit', method: 'GET', path: '/jobs/ingest/\\w+$', count: 3 }],
    ['HTTP 500 on result download', { kind: 'status', status: 500, method: 'GET', path: 'Results$', count: 2 }],
    ['a reset on Get All Jobs and job creation together', { kind: 'reset', when: 'before', path: '/jobs/ingest$', count: 2 }],
  ];

  for (const [name, fault] of cases) {
    it(`survives ${name}`, async () => {
      emu.addFault(fault);
      const events: LoadEvent[] = [];
      const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
      const result = await engine.start(request());
      expect(result).to.include({ status: 'Completed', rows: 300, successful: 300, failed: 0, unmatched: 0 });
      expectEveryRowOnce(result.jobs.length);
      expect(events.filter((e) => e.type === 'retry').length, 'the fault was hit and retried').to.be.greaterThan(0);
    });
  }

  it('refreshes an expired session through the refresh-token grant and goes on', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken, refreshToken: emu.refreshTokenFor() });
    emu.addFault({ kind: 'expire-session', method: 'PUT', path: '/batches$', count: 1 });
    const result = await engine.start(request());
    expect(result).to.include({ successful: 300, failed: 0 });
    expect(emu.requests.filter((r) => r.path === '/services/oauth2/token'), 'one refresh').to.have.length(1);
    expectEveryRowOnce(result.jobs.length);
  });

  it('puts exactly the unprocessed rows of a job that failed half-way into retry.csv', async () => {
    emu.addJobFailure({ afterRows: 40 });
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(request({ maxJobBytes: 1024 * 1024 }));
    expect(result.jobs).to.have.length(1);
    expect(result.jobs[0].state).to.equal('Failed');
    expect(result).to.include({ successful: 40, unprocessed: 260, retryable: 260 });
    const retry = readCsv(result.files!.retry);
    expect(retry.map((r) => r.External_Id__c)).to.deep.equal(Array.from({ length: 260 }, (_, i) => `F-${i + 41}`));
    expect(readCsv(result.files!.unprocessed).map((r) => Number(r.sf__Line))).to.deep.equal(Array.from({ length: 260 }, (_, i) => i + 42));
    expect(emu.store.count('Contact')).to.equal(40);
  });

  describe('broken and stalled transfers, Retry-After', () => {
    type RetryEvent = Extract<LoadEvent, { type: 'retry' }>;

    const load = async (faults: FaultSpec[], extra: Partial<LoadRequest> = {}): Promise<{ result: LoadResult; retries: RetryEvent[] }> => {
      for (const f of faults) emu.addFault(f);
      const events: LoadEvent[] = [];
      const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
      // two jobs (200 and 100 rows): each successful results file is over 4 KB
      const result = await engine.start(request({ maxJobBytes: 3 * 1024, ...extra }));
      return { result, retries: events.filter((e): e is RetryEvent => e.type === 'retry') };
    };

    /** Every row once in the org, and success.csv one line per input row, in order, with the org's Id. */
    const expectExact = (result: LoadResult): void => {
      expect(result).to.include({ status: 'Completed', rows: 300, successful: 300, failed: 0, unprocessed: 0, unmatched: 0 });
      expectEveryRowOnce(result.jobs.length);
      const inOrg = new Map([...emu.store.all('Contact')].map((c) => [c.External_Id__c as string, c.Id as string]));
      const success = readCsv(result.files!.success);
      expect(success.map((r) => r.External_Id__c)).to.deep.equal(Array.from({ length: 300 }, (_, i) => `F-${i + 1}`));
      expect(success.map((r) => Number(r.sf__Line))).to.deep.equal(Array.from({ length: 300 }, (_, i) => i + 2));
      for (const r of success) expect(r.sf__Id).to.equal(inOrg.get(r.External_Id__c));
      expect(success.every((r) => r.sf__Created === 'true')).to.equal(true);
      expect(readCsv(result.files!.failed)).to.have.length(0);
      expect(readCsv(result.files!.unprocessed)).to.have.length(0);
    };

    const hit = (kind: string): number => emu.requests.filter((r) => r.fault === kind).length;

    it('a results download cut half-way is downloaded again whole', async () => {
      const { result, retries } = await load([{ kind: 'cut', method: 'GET', path: '/successfulResults$', afterBytes: 3000 }]);
      expectExact(result);
      expect(hit('cut')).to.equal(1);
      expect(retries.map((r) => [r.what, r.reason])).to.deep.include(['results', 'the answer broke off: aborted']);
    });

    it('a results download that stalls mid-body is given up at the idle time-out and downloaded again', async () => {
      const { result, retries } = await load([{ kind: 'stall', method: 'GET', path: '/successfulResults$', afterBytes: 3000 }]);
      expectExact(result);
      expect(hit('stall')).to.equal(1);
      expect(retries.map((r) => [r.what, r.reason])).to.deep.include(['results', 'nothing from the org for 2 s']);
    });

    it('a job info answer that stalls after its headers is given up and asked again', async () => {
      const { result, retries } = await load([{ kind: 'stall', method: 'GET', path: '/jobs/ingest/\\w+$' }]);
      expectExact(result);
      expect(hit('stall')).to.equal(1);
      expect(retries.map((r) => [r.what, r.reason])).to.deep.include(['job info', 'nothing from the org for 2 s']);
    });

    it('a job creation whose answer stalls: the job the org made is found and used, not made twice', async () => {
      const { result, retries } = await load([{ kind: 'stall', method: 'POST', path: '/jobs/ingest$' }]);
      expectExact(result);
      expect(emu.ingest.jobs.list()).to.have.length(result.jobs.length);
      expect(retries.map((r) => [r.what, r.reason])).to.deep.include(['create job', 'nothing from the org for 2 s']);
    });

    it('503 with Retry-After on job creation: the retry waits what the org asked for', async () => {
      const { result, retries } = await load([{ kind: 'status', status: 503, retryAfter: 1, method: 'POST', path: '/jobs/ingest$' }]);
      expectExact(result);
      expect(retries.map((r) => [r.what, r.delayMs])).to.deep.include(['create job', 1000]);
    });

    it('REQUEST_LIMIT_EXCEEDED with Retry-After while polling: the retry waits what the org asked for', async () => {
      const { result, retries } = await load([{ kind: 'limit', retryAfter: 1, method: 'GET', path: '/jobs/ingest/\\w+$' }]);
      expectExact(result);
      expect(retries.map((r) => [r.what, r.delayMs])).to.deep.include(['job info', 1000]);
    });

    it('the calls before the first job (identity, describe) are retried too', async () => {
      const { result, retries } = await load([
        { kind: 'status', status: 503, method: 'GET', path: '/oauth2/userinfo$' },
        { kind: 'reset', method: 'GET', path: '/sobjects/Contact/describe$' },
      ]);
      expectExact(result);
      expect(retries.map((r) => r.what)).to.include.members(['describe', 'identity']);
    });

    it('a backup query page cut half-way is read again from its start: backup.csv holds each record once', async () => {
      const ids = emu.insertRecords(
        'Account',
        Array.from({ length: 3000 }, (_, i) => ({ Name: `Account number ${i}`, External_Id__c: `K-${i}`, BillingCity: 'Lisbon', Description: 'x'.repeat(100) }))
      );
      const idFile = join(work, 'ids.csv');
      writeFileSync(idFile, `Id\n${ids.join('\n')}\n`);
      // The page is over 500 KB: the cut comes after the backup has written part of it to the file.
      const { result } = await load([{ kind: 'cut', method: 'GET', path: '/jobs/query/\\w+/results$', afterBytes: 400_000 }], {
        object: 'Account',
        operation: 'delete',
        files: [idFile],
        maxJobBytes: undefined,
      });
      expect(hit('cut')).to.equal(1);
      expect(statSync(result.backup!.file).size).to.be.greaterThan(500_000);
      // The page was asked for again from the same query job: the backup did not start over.
      const cut = emu.requests.find((r) => r.fault === 'cut')!;
      expect(emu.requests.filter((r) => r.method === 'GET' && r.path === cut.path)).to.have.length(2);
      expect(result.backup).to.include({ ids: 3000, records: 3000 });
      const backup = readCsv(result.backup!.file);
      expect(backup.map((r) => r.Id).sort()).to.deep.equal([...ids].sort());
      expect(result).to.include({ successful: 3000, failed: 0, unmatched: 0 });
      expect(emu.store.count('Account')).to.equal(0);
      expect(readCsv(result.files!.success).map((r) => r.Id)).to.deep.equal(ids);
    });
  });
});
