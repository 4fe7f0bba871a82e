/*
 * --bulk-api v1 through the load engine against the emulator: Serial and Parallel jobs of batches
 * land every row once, results joined by position to the right lines, a batch whose answer was lost
 * is found in the job rather than sent again, a batch that fails as a whole leaves its rows to send
 * again, and kill -9 at every V1 point then resume is exact.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine, testHttp } from '../../helpers/engine.js';
import { type InDoubt, isCall, killWhileHeld, landingAsResumed, type Route } from '../../helpers/held.js';
import { BulkV1 } from '../../../src/core/bulk/bulkV1.js';
import { ForeignBatchError } from '../../../src/core/runner/v1Jobs.js';
import { OrgApiError } from '../../../src/core/http/orgHttp.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadRequest, LoadResult } from '../../../src/core/run/types.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import { scrambledParents } from '../../helpers/skew.js';

/** Rows every `badEvery` have an external ID a record already holds: the org fails them (DUPLICATE_VALUE). */
function contactsCsv(rows: number, badEvery = 0): string {
  const lines = ['LastName,External_Id__c,Title'];
  for (let i = 1; i <= rows; i++) lines.push(badEvery && i % badEvery === 0 ? `Name${i},TAKEN-${i},"T, ${i}"` : `Name${i},C-${i},"T, ${i}"`);
  return lines.join('\n') + '\n';
}

describe('load engine: Bulk API V1', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let work: string;

  const start = async (settings = {}): Promise<void> => {
    emu = await startEmulator({ settings });
    emu.insertRecords('Contact', Array.from({ length: 5 }, (_, k) => ({ LastName: 'Taken', External_Id__c: `TAKEN-${(k + 1) * 50}` })));
  };

  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bulkops-v1-'));
  });

  afterEach(async () => {
    await emu?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const file = (rows: number, badEvery = 0): string => {
    const f = join(work, 'contacts.csv');
    writeFileSync(f, contactsCsv(rows, badEvery));
    return f;
  };
  const request = (f: string, extra: Partial<LoadRequest> = {}): LoadRequest =>
    contactLoad(f, work, { concurrency: 1, v1: { concurrencyMode: 'Serial', batchRows: 60 }, ...extra });
  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });
  const loaded = (): string[] => [...emu.store.all('Contact')].filter((c) => c.LastName !== 'Taken').map((c) => c.External_Id__c as string);
  const batchesSent = (): number => emu.bulkV1.listJobs().reduce((n, j) => n + j.batches.length, 0);

  it('Serial: one job of batches of --batch-size rows, run one at a time; failed rows joined to their lines', async () => {
    await start();
    const { engine } = testEngine(target());
    const result = await engine.start(request(file(250, 50)));
    expect(result).to.include({ status: 'Completed', bulkApi: 'v1', rows: 250, successful: 245, failed: 5, unprocessed: 0, unmatched: 0 });
    expect(result.v1).to.deep.equal({ concurrencyMode: 'Serial', batchRows: 60 });
    expect(result.jobs).to.have.length(1);
    expect(result.jobs[0]).to.include({ state: 'JobComplete', batches: 5 });
    const [job] = emu.bulkV1.listJobs();
    expect(job.concurrencyMode).to.equal('Serial');
    expect(job.batches.map((b) => (b.table as { rows: string[][] }).rows.length)).to.deep.equal([60, 60, 60, 60, 10]);
    // Serial: each batch started after the one before it ended.
    const byStart = [...job.batches].sort((a, b) => a.startSeq! - b.startSeq!);
    for (let i = 1; i < byStart.length; i++) expect(byStart[i].startSeq).to.be.greaterThan(byStart[i - 1].endSeq!);
    expect(loaded()).to.have.length(245);
    expect(new Set(loaded()).size).to.equal(245);
    // Line k + 1 of the file holds row k: each result row names the line it came from.
    const success = readCsv(result.files!.success);
    expect(success).to.have.length(245);
    for (const r of success) expect(r.External_Id__c).to.equal(`C-${Number(r.sf__Line) - 1}`);
    for (const r of success) expect(emu.store.get('Contact', r.sf__Id)?.External_Id__c).to.equal(r.External_Id__c);
    const failed = readCsv(result.files!.failed);
    expect(failed.map((r) => r.sf__Line)).to.deep.equal(['51', '101', '151', '201', '251']);
    expect(failed.map((r) => r.External_Id__c)).to.deep.equal(['TAKEN-50', 'TAKEN-100', 'TAKEN-150', 'TAKEN-200', 'TAKEN-250']);
    expect(failed.every((r) => r.sf__ErrorCode === 'DUPLICATE_VALUE')).to.equal(true);
    // Each batch's result was downloaded once, for the successful and the failed rows alike.
    expect(emu.requests.filter((r) => r.method === 'GET' && /\/batch\/\w+\/result$/.test(r.path))).to.have.length(5);
    const run = Ledger.read(result.runDir)[0] as { bulkApi?: string; v1?: unknown };
    expect(run).to.deep.include({ bulkApi: 'v1', v1: { concurrencyMode: 'Serial', batchRows: 60 } });
  });

  it('Parallel: several parts, each its own Parallel job, every row once', async () => {
    await start();
    const { engine } = testEngine(target());
    const result = await engine.start(request(file(600), { concurrency: 5, maxJobBytes: 6 * 1024, v1: { concurrencyMode: 'Parallel', batchRows: 100 } }));
    expect(result).to.include({ status: 'Completed', bulkApi: 'v1', rows: 600, successful: 600, failed: 0, unprocessed: 0, unmatched: 0 });
    expect(result.jobs.length).to.be.greaterThan(1);
    const jobs = emu.bulkV1.listJobs();
    expect(jobs).to.have.length(result.jobs.length);
    expect(jobs.every((j) => j.concurrencyMode === 'Parallel' && j.state === 'Closed')).to.equal(true);
    expect(batchesSent()).to.equal(result.jobs.reduce((n, j) => n + j.batches!, 0));
    expect(loaded()).to.have.length(600);
    expect(new Set(loaded()).size).to.equal(600);
    // No 2.0 job was made.
    expect(emu.ingest.jobs.list()).to.have.length(0);
  });

  it('an add-batch answer lost after the org made the batch: found in the job by its request, not sent again', async () => {
    await start();
    emu.addFault({ kind: 'reset', when: 'after', method: 'POST', path: '/job/\\w+/batch$', count: 1 });
    const { engine } = testEngine(target());
    const result = await engine.start(request(file(200)));
    expect(result).to.include({ status: 'Completed', successful: 200, failed: 0 });
    expect(batchesSent()).to.equal(4);
    expect(loaded()).to.have.length(200);
    expect(new Set(loaded()).size).to.equal(200);
    const adopted = Ledger.read(result.runDir).filter((r) => r.t === 'batch-added' && r.adopted);
    expect(adopted).to.have.length(1);
  });

  it('throttled V1 calls (ExceededQuota) and server errors are retried like 2.0 ones', async () => {
    await start();
    emu.addFault({ kind: 'limit', method: 'POST', path: '/services/async/.*/job/\\w+/batch$', count: 2 });
    emu.addFault({ kind: 'status', status: 503, method: 'GET', path: '/services/async/.*/job/\\w+$', count: 1 });
    const retries: string[] = [];
    const { engine } = testEngine(target(), (e) => {
      if (e.type === 'retry') retries.push(`${e.what}: ${e.code ?? ''}`);
    });
    const result = await engine.start(request(file(100)));
    expect(result).to.include({ status: 'Completed', successful: 100 });
    expect(retries.filter((r) => r === 'add batch: REQUEST_LIMIT_EXCEEDED')).to.have.length(2);
    expect(batchesSent()).to.equal(2);
    expect(loaded()).to.have.length(100);
  });

  it('an expired session on a V1 call (400 InvalidSessionId) is refreshed and the call sent again', async () => {
    await start();
    emu.addFault({ kind: 'expire-session', method: 'POST', path: '/services/async/.*/job/\\w+/batch$' });
    const { engine } = testEngine({ ...target(), refreshToken: emu.refreshTokenFor() });
    const result = await engine.start(request(file(100)));
    expect(result).to.include({ status: 'Completed', successful: 100 });
    expect(emu.requests.some((r) => r.path === '/services/oauth2/token' && r.status === 200)).to.equal(true);
    expect(batchesSent()).to.equal(2);
    expect(loaded()).to.have.length(100);
  });

  it('a batch that fails as a whole: its rows without a result are unprocessed and in retry.csv', async () => {
    // Every batch runs past the time limit, with no retry: it fails after the rows it reached.
    await start({ batchTimeLimitMs: 1, batchMaxRetries: 0, transactionSize: 20 });
    const { engine } = testEngine(target());
    const result = await engine.start(request(file(120), { v1: { concurrencyMode: 'Serial', batchRows: 120 } }));
    expect(result.status).to.equal('Completed');
    expect(result.jobs[0].state).to.equal('Failed');
    expect(result.jobs[0].errorMessage).to.match(/batch 751\w+ Failed/);
    // One transaction of 20 rows ran before the limit: the other 100 rows were never processed.
    expect(result).to.include({ successful: 20, failed: 0, unprocessed: 100, retryable: 100 });
    expect(loaded()).to.have.length(result.successful);
    const retry = readCsv(result.files!.retry);
    expect(retry).to.have.length(100);
    const unprocessed = readCsv(result.files!.unprocessed);
    const saved = new Set(loaded());
    expect(unprocessed.map((r) => Number(r.sf__Line))).to.deep.equal(Array.from({ length: 100 }, (_, k) => k + 22));
    for (const r of unprocessed) expect(saved.has(r.External_Id__c), r.External_Id__c).to.equal(false);
  });

  it('a job aborted by someone else while its batches wait: NotProcessed batches, never processed, go again in a new job', async () => {
    // Batches wait 5 s before they join the org's queue: the abort, sent as the job is closed, finds
    // every one of them Queued (a local request takes milliseconds; 5 s is margin for a busy machine).
    await start({ processingDelayMs: 5000 });
    const aborts: Array<Promise<unknown>> = [];
    const { engine } = testEngine(target(), (e) => {
      if (e.type === 'job-uploaded' && aborts.length === 0) aborts.push(new BulkV1(testHttp(target())).abort(e.jobId));
    });
    const result = await engine.start(request(file(250, 50)));
    await Promise.all(aborts);
    expect(result).to.include({ status: 'Completed', successful: 245, failed: 5, unprocessed: 0, unmatched: 0 });
    const [first, second] = emu.bulkV1.listJobs();
    expect(first.state).to.equal('Aborted');
    expect(first.batches.map((b) => b.state)).to.deep.equal(Array(5).fill('NotProcessed'));
    expect(second.state).to.equal('Closed');
    expect(result.jobs[0].id).to.equal(second.id);
    expect(Ledger.read(result.runDir).filter((r) => r.t === 'job-dropped').map((r) => (r as { reason: string }).reason)).to.deep.equal(['never-held']);
    expect(loaded()).to.have.length(245);
    expect(new Set(loaded()).size).to.equal(245);
  });

  it('a V1 Parallel load of skewed children: its lock failures go again in V1 Serial jobs, to 0', async () => {
    // The org's clock at twice real time: a 500-row batch runs for half a second of real time, so
    // batches of the parallel jobs run side by side on the 4 workers however slowly they are added.
    await start({ lockTimeoutMs: 200, clockSpeed: 2 });
    const skew = [1200, 800, 400, 200, 100, 100, 100, 100];
    const accounts = emu.insertRecords('Account', skew.map((_, i) => ({ Name: `Parent ${i}` })));
    const parents = scrambledParents(skew);
    const f = join(work, 'children.csv');
    writeFileSync(f, 'LastName,External_Id__c,AccountId\n' + parents.map((a, i) => `Child ${i},K-${i},${accounts[a]}`).join('\n') + '\n');
    const result = await testEngine(target()).engine.start(request(f, { concurrency: 5, maxJobBytes: 1000 * 42, lockRounds: 3, v1: { concurrencyMode: 'Parallel', batchRows: 500 } }));
    const rounds = result.rounds ?? [];
    expect(rounds.length, 'V1 Parallel left lock failures to send again').to.be.greaterThan(0);
    expect(rounds.at(-1)!.stillLocked).to.equal(0);
    expect(result).to.include({ status: 'Completed', successful: parents.length, failed: 0, unprocessed: 0 });
    // The load's own jobs (one a part) are Parallel; the rounds' jobs come after them, Serial.
    const jobs = emu.bulkV1.listJobs();
    const loadJobs = new Set(result.jobs.map((j) => j.id));
    expect(jobs.filter((j) => loadJobs.has(j.id)).every((j) => j.concurrencyMode === 'Parallel')).to.equal(true);
    const again = jobs.filter((j) => !loadJobs.has(j.id));
    expect(again.length).to.be.greaterThan(0);
    expect(again.every((j) => j.concurrencyMode === 'Serial')).to.equal(true);
    const ext = [...emu.store.all('Contact')].filter((c) => String(c.External_Id__c).startsWith('K-')).map((c) => c.External_Id__c as string);
    expect(ext).to.have.length(parents.length);
    expect(new Set(ext).size).to.equal(parents.length);
  });

  it('the V1 client reads XML answers and V1 errors (exceptionCode) from the org', async () => {
    await start();
    const v1 = new BulkV1(testHttp(target()));
    const job = await v1.createJob({ object: 'Contact', operation: 'insert', concurrencyMode: 'Serial' });
    expect(job).to.include({ state: 'Open', concurrencyMode: 'Serial', object: 'Contact', numberBatchesTotal: 0 });
    const batch = await v1.addBatch(job.id, Buffer.from('LastName\nXml One\n'));
    expect(batch).to.include({ jobId: job.id, state: 'Queued' });
    expect((await v1.batches(job.id)).map((b) => b.id)).to.deep.equal([batch.id]);
    expect((await v1.batchRequest(job.id, batch.id)).toString()).to.equal('LastName\nXml One\n');
    expect((await v1.close(job.id)).state).to.equal('Closed');
    let error: unknown;
    await v1.addBatch(job.id, Buffer.from('LastName\nToo Late\n')).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(OrgApiError);
    expect(error).to.include({ status: 400, errorCode: 'InvalidJobState' });
    expect((error as Error).message).to.match(/Job is not Open/);
  });

  it('a V1 and a 2.0 load of one object, both killed right after creating their job: each resume finds its own job', async () => {
    await start();
    const other = join(work, 'other.csv');
    writeFileSync(other, 'LastName,External_Id__c\n' + Array.from({ length: 40 }, (_, i) => `Other${i},O-${i}`).join('\n') + '\n');
    const v2 = contactLoad(other, work, { concurrency: 1 });
    const v1 = request(file(100));
    for (const req of [v2, v1]) {
      const child = await runCrashChild({ target: target(), request: req }, 'after-create');
      expect(child.signal, child.stderr).to.equal('SIGKILL');
    }
    const { engine } = testEngine(target());
    const r1 = await engine.resume(join(v1.ledgerDir, v1.runId), 60_000);
    const r2 = await engine.resume(join(v2.ledgerDir, v2.runId), 60_000);
    expect(r1).to.include({ status: 'Completed', bulkApi: 'v1', successful: 100 });
    expect(r2).to.include({ status: 'Completed', bulkApi: 'v2', successful: 40 });
    for (const r of [r1, r2]) expect(Ledger.read(r.runDir).filter((x) => x.t === 'created' && x.adopted)).to.have.length(1);
    expect(emu.bulkV1.listJobs()).to.have.length(1);
    expect(emu.ingest.jobs.list()).to.have.length(1);
    expect(loaded()).to.have.length(140);
  });

  describe('an add in doubt: the org may still be working on it (SF_BULKOPS_MAX_ANSWER_MS)', () => {
    let saved: string | undefined;
    beforeEach(() => {
      saved = process.env.SF_BULKOPS_MAX_ANSWER_MS;
    });
    afterEach(() => {
      if (saved === undefined) delete process.env.SF_BULKOPS_MAX_ANSWER_MS;
      else process.env.SF_BULKOPS_MAX_ANSWER_MS = saved;
      emu.onRequest = undefined;
      emu.onHeld = undefined;
    });
    const ADD: Route = { method: 'POST', path: /\/job\/\w+\/batch$/ };
    const isAdd = (e: { method: string; path: string }): boolean => isCall(ADD, e);
    const addingAt = (runDir: string, batch: number): string => {
      const r = Ledger.read(runDir).find((x) => x.t === 'batch-adding' && x.batch === batch);
      return r!.at;
    };

    it('killed -9 while the org holds the add of batch 2 (a slow answer), resumed at once: the resume waits for it and takes it, every row once', async () => {
      await start();
      process.env.SF_BULKOPS_MAX_ANSWER_MS = '120000';
      const req = request(file(250, 50));
      // The org holds the second add it gets: it has the whole request and works on it as the client dies.
      const exit = await killWhileHeld(emu, { target: target(), request: req }, ADD, 2);
      expect(exit.signal, exit.stderr).to.equal('SIGKILL');
      // The held add lands once the resume has looked: as it says it waits, or (unfixed) as it sends batch 2 itself.
      const runDir = join(req.ledgerDir, req.runId);
      const { result, waits } = await landingAsResumed(emu, ADD, (onEvent) => testEngine(target(), onEvent).engine.resume(runDir, 60_000));
      expect(result).to.include({ status: 'Completed', bulkApi: 'v1', rows: 250, successful: 245, failed: 5, unprocessed: 0, unmatched: 0 });
      expect(loaded()).to.have.length(245);
      expect(new Set(loaded()).size).to.equal(245);
      expect(batchesSent()).to.equal(5);
      const [job] = emu.bulkV1.listJobs();
      expect(waits).to.deep.equal([{ type: 'send-in-doubt', what: 'batch', chunk: 1, jobId: job.id, batch: 2, sentAt: addingAt(runDir, 2), until: new Date(Date.parse(addingAt(runDir, 2)) + 120_000).toISOString() }]);
      const adopted = Ledger.read(runDir).filter((r) => r.t === 'batch-added' && r.adopted);
      expect(adopted.map((r) => (r as { batch: number }).batch)).to.deep.equal([2]);
    });

    it('an add that never reached the org (killed right before it), resumed at once: waits until its start plus the bound, lists again, then sends it', async () => {
      await start();
      process.env.SF_BULKOPS_MAX_ANSWER_MS = '1500';
      const req = request(file(250, 50));
      const child = await runCrashChild({ target: target(), request: req }, 'before-batch:2');
      expect(child.signal, child.stderr).to.equal('SIGKILL');
      const runDir = join(req.ledgerDir, req.runId);
      // The resume's clock starts at the moment the add began: "at once", however long the child took to die.
      const sentAt = Date.parse(addingAt(runDir, 2));
      const offset = Date.now() - sentAt;
      const now = (): number => Date.now() - offset;
      const waits: InDoubt[] = [];
      const lists: number[] = [];
      let addSentAt = 0;
      emu.onRequest = (entry): void => {
        if (entry.method === 'GET' && /\/job\/\w+\/batch$/.test(entry.path)) lists.push(now());
        if (isAdd(entry) && !addSentAt) addSentAt = now();
      };
      const { engine } = testEngine(target(), (e) => e.type === 'send-in-doubt' && void waits.push(e), now);
      const result = await engine.resume(runDir, 60_000);
      expect(result).to.include({ status: 'Completed', successful: 245, failed: 5, unprocessed: 0, unmatched: 0 });
      expect(waits.map((w) => [w.what === 'batch' && w.batch, w.until])).to.deep.equal([[2, new Date(sentAt + 1500).toISOString()]]);
      // Batch 2 went only after a listing made at the end of the wait found nothing.
      expect(addSentAt).to.be.at.least(sentAt + 1500);
      expect(lists.filter((t) => t >= sentAt + 1500 && t <= addSentAt)).to.not.be.empty;
      expect(loaded()).to.have.length(245);
      expect(new Set(loaded()).size).to.equal(245);
      expect(batchesSent()).to.equal(5);
    });

    it('an add retried after a lost answer, its retry held by the org as the process dies, resumed at once: the wait runs from the last attempt, every row once', async () => {
      await start();
      process.env.SF_BULKOPS_MAX_ANSWER_MS = '1500';
      const req = request(file(250, 50));
      // Add 1 (batch 1) goes through; add 2 (batch 2) is reset before the org reads it: the load
      // waits the bound for it, then sends it again (add 3), which the org holds as the process dies.
      emu.addFault({ kind: 'slow', method: 'POST', path: ADD.path.source, delayMs: 0 });
      emu.addFault({ kind: 'reset', method: 'POST', path: ADD.path.source });
      const exit = await killWhileHeld(emu, { target: target(), request: req }, ADD, 3);
      expect(exit.signal, exit.stderr).to.equal('SIGKILL');
      const runDir = join(req.ledgerDir, req.runId);
      const starts = Ledger.read(runDir).filter((r) => r.t === 'batch-adding' && r.batch === 2).map((r) => r.at);
      expect(starts).to.have.length(2);
      // The held retry lands once the resume has looked: as it says it waits, or (unfixed) as it sends batch 2 itself.
      const { result, waits } = await landingAsResumed(emu, ADD, (onEvent) => testEngine(target(), onEvent).engine.resume(runDir, 60_000));
      expect(result).to.include({ status: 'Completed', successful: 245, failed: 5, unprocessed: 0, unmatched: 0 });
      expect(loaded()).to.have.length(245);
      expect(batchesSent()).to.equal(5);
      expect(waits.map((w) => w.sentAt)).to.deep.equal([starts[1]]);
    });

    it('resumed long after the stop (past the bound): no wait, the missing batch is sent at once', async () => {
      await start();
      process.env.SF_BULKOPS_MAX_ANSWER_MS = '60000';
      const req = request(file(250, 50));
      const child = await runCrashChild({ target: target(), request: req }, 'before-batch:2');
      expect(child.signal, child.stderr).to.equal('SIGKILL');
      const runDir = join(req.ledgerDir, req.runId);
      // The resume's clock a minute and a second after the add began.
      const offset = Date.parse(addingAt(runDir, 2)) + 61_000 - Date.now();
      const waits: InDoubt[] = [];
      const { engine } = testEngine(target(), (e) => e.type === 'send-in-doubt' && void waits.push(e), () => Date.now() + offset);
      const result = await engine.resume(runDir, 60_000);
      expect(result).to.include({ status: 'Completed', successful: 245, failed: 5, unprocessed: 0, unmatched: 0 });
      expect(waits).to.deep.equal([]);
      expect(loaded()).to.have.length(245);
      expect(batchesSent()).to.equal(5);
    });
  });

  describe('kill -9 then resume', () => {
    // A crash right before an add leaves it in doubt: the resume waits half a second for it (not the org's 11 minutes).
    let savedBound: string | undefined;
    beforeEach(() => {
      savedBound = process.env.SF_BULKOPS_MAX_ANSWER_MS;
      process.env.SF_BULKOPS_MAX_ANSWER_MS = '500';
    });
    afterEach(() => {
      if (savedBound === undefined) delete process.env.SF_BULKOPS_MAX_ANSWER_MS;
      else process.env.SF_BULKOPS_MAX_ANSWER_MS = savedBound;
    });
    const points = ['before-create', 'after-create', 'after-claim', 'before-batch:1', 'before-batch:3', 'after-batch:1', 'after-batch:3', 'after-batch:5', 'after-upload', 'after-close', 'mid-results', 'before-merge'];
    for (const point of points) {
      it(`every row once, no batch twice, after a crash at ${point}`, async () => {
        await start();
        const req = request(file(250, 50));
        const child = await runCrashChild({ target: target(), request: req }, point);
        expect(child.signal, child.stderr).to.equal('SIGKILL');
        const { engine } = testEngine(target());
        const result: LoadResult = await engine.resume(join(req.ledgerDir, req.runId), 60_000);
        expect(result).to.include({ status: 'Completed', bulkApi: 'v1', rows: 250, successful: 245, failed: 5, unprocessed: 0, unmatched: 0 });
        expect(loaded()).to.have.length(245);
        expect(new Set(loaded()).size).to.equal(245);
        // One job, five batches: nothing sent twice, no job left open.
        const jobs = emu.bulkV1.listJobs();
        expect(jobs.map((j) => j.state)).to.deep.equal(['Closed']);
        expect(batchesSent()).to.equal(5);
        expect(readCsv(result.files!.failed).map((r) => r.sf__Line)).to.deep.equal(['51', '101', '151', '201', '251']);
        if (point === 'after-create' || point === 'after-claim') {
          expect(Ledger.read(result.runDir).filter((r) => r.t === 'created' && r.adopted)).to.have.length(1);
        }
        if (point.startsWith('after-batch')) {
          expect(Ledger.read(result.runDir).filter((r) => r.t === 'batch-added' && r.adopted)).to.have.length(1);
        }
      });
    }

    it('an add in doubt and a batch in the job that is not byte for byte the one sent: the run stops naming it, and sends nothing again', async () => {
      await start();
      const req = request(file(250, 50));
      const child = await runCrashChild({ target: target(), request: req }, 'before-batch:1');
      expect(child.signal, child.stderr).to.equal('SIGKILL');
      const [job] = emu.bulkV1.listJobs();
      // The batch as the org might keep it in another form (CRLF line ends): the same rows, other bytes.
      const v1 = new BulkV1(testHttp(target()));
      const theirs = await v1.addBatch(job.id, Buffer.from('LastName,External_Id__c,Title\r\nC 1,C-1,\r\n'));
      const { engine } = testEngine(target());
      let error: unknown;
      await engine.resume(join(req.ledgerDir, req.runId), 60_000).catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(ForeignBatchError);
      expect(error).to.include({ jobId: job.id });
      expect((error as ForeignBatchError).batchIds).to.deep.equal([theirs.id]);
      // No new job, no batch of the run sent: only the test's own row reached the org.
      expect(emu.bulkV1.listJobs().map((j) => j.id)).to.deep.equal([job.id]);
      expect(batchesSent()).to.equal(1);
    });

    // Parallel: three parts as three Parallel jobs at once (the TAKEN rows past line 251 hold free IDs and load), the crash in whichever reaches the point first.
    for (const point of ['after-create:2', 'before-batch:2', 'after-batch:2', 'after-close:3', 'mid-results:2']) {
      it(`Parallel: every row once, no batch twice, after a crash at ${point}`, async () => {
        await start();
        const req = request(file(600, 50), { concurrency: 5, maxJobBytes: 6 * 1024, v1: { concurrencyMode: 'Parallel', batchRows: 80 } });
        const child = await runCrashChild({ target: target(), request: req }, point);
        expect(child.signal, child.stderr).to.equal('SIGKILL');
        const { engine } = testEngine(target());
        const result: LoadResult = await engine.resume(join(req.ledgerDir, req.runId), 60_000);
        expect(result).to.include({ status: 'Completed', bulkApi: 'v1', rows: 600, successful: 595, failed: 5, unprocessed: 0, unmatched: 0 });
        expect(result.jobs).to.have.length(3);
        expect(loaded()).to.have.length(595);
        expect(new Set(loaded()).size).to.equal(595);
        const jobs = emu.bulkV1.listJobs();
        expect(jobs.map((j) => j.state)).to.deep.equal(['Closed', 'Closed', 'Closed']);
        expect(batchesSent()).to.equal(result.jobs.reduce((n, j) => n + j.batches!, 0));
        expect(readCsv(result.files!.failed).map((r) => Number(r.sf__Line))).to.deep.equal([51, 101, 151, 201, 251]);
      });
    }
  });
});
