/*
 * Transient faults on every call of a load (emulator faults on demand): each is survived, no job is
 * created twice for a chunk, every row lands once. Plus a session that expires mid-run and a job
 * that fails half-way (its unprocessed rows, exactly, go to retry.csv).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadEvent, LoadRequest } from '../../../src/core/load/types.js';

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

  const request = (extra: Partial<LoadRequest> = {}): LoadRequest => ({
    object: 'Contact',
    operation: 'insert',
    files: [file],
    runId: `run-${Math.random().toString(36).slice(2, 8)}`,
    ledgerDir: join(work, 'runs'),
    waitMs: 30_000,
    concurrency: 2,
    maxJobBytes: 2 * 1024,
    ...extra,
  });

  const expectEveryRowOnce = (chunks: number): void => {
    const ext = [...emu.store.all('Contact')].map((c) => c.External_Id__c);
    expect(ext).to.have.length(300);
    expect(new Set(ext).size).to.equal(300);
    const jobs = emu.ingest.jobs.list();
    expect(jobs, 'one job per chunk, none left open').to.have.length(chunks);
    expect(jobs.every((j) => j.state === 'JobComplete')).to.equal(true);
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
});
