/*
 * Runs side by side and runs cut short where a job's ownership is in doubt: two loads by one user
 * into one object both killed right after creating a job, two resumes of one run at once, a job that
 * holds data the part never sent, a job whose results hold none of the part's rows, and a hardDelete
 * that was refused. Each ends with every row once in the org (or, for the refusal, none touched).
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { runCrashChild, testEngine, testHttp } from '../../helpers/engine.js';
import { fetchIdentity } from '../../../src/core/org/identity.js';
import { call } from '../../helpers/api.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadEvent, LoadRequest } from '../../../src/core/run/types.js';
import { AbandonedRunError, OtherUserError, RunLockedError } from '../../../src/core/run/errors.js';
import { NotConfirmedError } from '../../../src/core/load/refusals.js';
import { DuplicateRunError } from '../../../src/core/load/duplicateGuard.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import { latestRun } from '../../../src/core/ledger/runIndex.js';
import { reconcileRun } from '../../../src/core/reconcile/reconcileRun.js';

function contacts(prefix: string, rows: number): string {
  const lines = ['LastName,External_Id__c'];
  for (let i = 1; i <= rows; i++) lines.push(`${prefix} ${i},${prefix}-${i}`);
  return lines.join('\n') + '\n';
}

/** Waits for `p` to reject with an error of `kind`. */
async function expectRejected(p: Promise<unknown>, kind: new (...args: never[]) => Error): Promise<Error> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e
  );
  expect(error, 'rejected').to.be.instanceOf(kind);
  return error as Error;
}

describe('load engine: concurrent runs and doubtful jobs', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-concurrency-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });

  const request = (name: string, rows: number, extra: Partial<LoadRequest> = {}): LoadRequest => {
    const file = join(work, `${name}.csv`);
    writeFileSync(file, contacts(name, rows));
    return {
      object: 'Contact',
      operation: 'insert',
      files: [file],
      runId: `run-${name}`,
      ledgerDir: join(work, 'runs'),
      waitMs: 60_000,
      concurrency: 1,
      maxJobBytes: 4 * 1024,
      ...extra,
    };
  };

  /** A Contact insert job of the same user, aborted while Open (someone else's hand, or the org's). */
  const abortedJob = async (): Promise<string> => {
    const created = await call(emu, 'POST', '/services/data/v66.0/jobs/ingest', {
      body: JSON.stringify({ object: 'Contact', operation: 'insert', contentType: 'CSV', lineEnding: 'LF' }),
      contentType: 'application/json',
    });
    const jobId = (created.json as { id: string }).id;
    await call(emu, 'PATCH', `/services/data/v66.0/jobs/ingest/${jobId}`, { body: JSON.stringify({ state: 'Aborted' }), contentType: 'application/json' });
    return jobId;
  };

  /** External IDs in the org with this prefix: each exactly once, all `rows` of them. */
  const expectOnce = (prefix: string, rows: number): void => {
    const ext = [...emu.store.all('Contact')].map((c) => String(c.External_Id__c)).filter((e) => e.startsWith(`${prefix}-`));
    expect(ext, `${prefix}: records in the org`).to.have.length(rows);
    expect(new Set(ext).size, `${prefix}: each once`).to.equal(rows);
  };

  it('two loads by one user into one object, both killed right after creating a job: each resumed run gets its own job', async () => {
    const a = request('alpha', 300);
    const b = request('beta', 300);
    for (const req of [a, b]) {
      const child = await runCrashChild({ target: target(), request: req }, 'after-create:1');
      expect(child.signal, child.stderr).to.equal('SIGKILL');
    }
    // Two Open jobs of the same user, object and operation, neither named in a ledger.
    expect(emu.ingest.jobs.list().filter((j) => j.state === 'Open')).to.have.length(2);
    // The later run resumes first: it must still take its own job, not the older one.
    for (const req of [b, a]) {
      const { engine } = testEngine(target());
      const result = await engine.resume(join(req.ledgerDir, req.runId), 60_000);
      expect(result).to.include({ status: 'Completed', successful: 300, unmatched: 0 });
    }
    expectOnce('alpha', 300);
    expectOnce('beta', 300);
    const adopted = (req: LoadRequest): string[] =>
      Ledger.read(join(req.ledgerDir, req.runId)).flatMap((r) => (r.t === 'created' && r.adopted ? [r.jobId] : []));
    expect(adopted(a)).to.have.length(1);
    expect(adopted(b)).to.have.length(1);
    expect(adopted(a)[0]).to.not.equal(adopted(b)[0]);
    // The job each run adopted holds that run's rows: its first created job is the older one.
    const created = emu.ingest.jobs.list().sort((x, y) => x.id.localeCompare(y.id));
    expect(adopted(a)[0]).to.equal(created[0].id);
    expect(emu.ingest.jobs.list().every((j) => j.state === 'JobComplete')).to.equal(true);
  });

  it('two inserts of one file started at the same moment: one loads, the other is refused naming the run and its process', async () => {
    const first = request('twice', 300);
    const second = { ...first, runId: 'run-twice-2' };
    const settled = await Promise.allSettled([testEngine(target()).engine.start(first), testEngine(target()).engine.start(second)]);
    const loaded = settled.filter((s) => s.status === 'fulfilled');
    const refused = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(loaded, 'one load').to.have.length(1);
    expect(refused, 'one refusal').to.have.length(1);
    const error = refused[0].reason as DuplicateRunError;
    expect(error).to.be.instanceOf(DuplicateRunError);
    const winner = settled[0].status === 'fulfilled' ? first.runId : second.runId;
    expect(error.earlierRunId).to.equal(winner);
    // The two ran in this process: the refusal names it as the one working on the other run.
    expect(error.owner?.pid).to.equal(process.pid);
    expectOnce('twice', 300);
    // The refused run ended: resume refuses it with its reason, and sends nothing.
    const loser = winner === first.runId ? second.runId : first.runId;
    await expectRejected(testEngine(target()).engine.resume(join(work, 'runs', loser), 60_000), AbandonedRunError);
    expectOnce('twice', 300);
  });

  it('an insert whose file another run claimed and stopped before its first job is refused (resume that run instead)', async () => {
    const first = request('claimed', 20);
    // Killed before its first job's creation was even written down: only its claim on the file is in its ledger.
    await runCrashChild({ target: target(), request: first }, 'before-create:1');
    await expectRejected(testEngine(target()).engine.start({ ...first, runId: 'run-claimed-2' }), DuplicateRunError);
    await testEngine(target()).engine.resume(join(work, 'runs', first.runId), 60_000);
    expectOnce('claimed', 20);
  });

  it('warns, before an insert’s first job, of open jobs of the same user and object that no run on this machine made', async () => {
    const created = await call(emu, 'POST', '/services/data/v66.0/jobs/ingest', {
      body: JSON.stringify({ object: 'Contact', operation: 'insert', contentType: 'CSV', lineEnding: 'LF' }),
      contentType: 'application/json',
    });
    const foreign = (created.json as { id: string }).id;
    const events: LoadEvent[] = [];
    const result = await testEngine(target(), (e) => events.push(e)).engine.start(request('foreign', 10));
    expect(result.status).to.equal('Completed');
    const warned = events.filter((e): e is Extract<LoadEvent, { type: 'foreign-jobs' }> => e.type === 'foreign-jobs');
    expect(warned.map((e) => e.jobIds)).to.deep.equal([[foreign]]);
    const firstJob = events.findIndex((e) => e.type === 'job-created');
    expect(events.findIndex((e) => e.type === 'foreign-jobs')).to.be.lessThan(firstJob);
    // A second insert on this machine does not name the first's jobs (they are this machine's runs').
    const later: LoadEvent[] = [];
    await testEngine(target(), (e) => later.push(e)).engine.start(request('foreign-2', 10));
    expect(later.filter((e) => e.type === 'foreign-jobs').flatMap((e) => (e as { jobIds: string[] }).jobIds)).to.deep.equal([foreign]);
  });

  it('refuses a second resume of a run another resume is working on; the org holds each row once', async () => {
    const req = request('gamma', 400);
    const child = await runCrashChild({ target: target(), request: req }, 'after-create:1');
    expect(child.signal, child.stderr).to.equal('SIGKILL');
    const runDir = join(req.ledgerDir, req.runId);
    const first = testEngine(target()).engine.resume(runDir, 60_000);
    const second = testEngine(target()).engine.resume(runDir, 60_000);
    const [one, two] = await Promise.allSettled([first, second]);
    expect(one.status).to.equal('fulfilled');
    expect(two.status).to.equal('rejected');
    expect(two.status === 'rejected' && two.reason).to.be.instanceOf(RunLockedError);
    expectOnce('gamma', 400);
    // The lock goes with the process that held it: the run can be resumed again (nothing left to do).
    const again = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(again).to.include({ status: 'Completed', successful: 400 });
    expectOnce('gamma', 400);
  });

  it('leaves an orphan job that holds data it never sent (aborted), and loads the part into a new job', async () => {
    const req = request('delta', 200, { maxJobBytes: 64 * 1024 });
    const child = await runCrashChild({ target: target(), request: req }, 'after-create:1');
    expect(child.signal, child.stderr).to.equal('SIGKILL');
    const [orphan] = emu.ingest.jobs.list();
    // Someone else's data lands in the job before the run is resumed.
    const put = await call(emu, 'PUT', `/services/data/v66.0/jobs/ingest/${orphan.id}/batches`, { body: 'LastName,External_Id__c\nForeign,FOREIGN-1\n', contentType: 'text/csv' });
    expect(put.status).to.equal(201);
    const result = await testEngine(target()).engine.resume(join(req.ledgerDir, req.runId), 60_000);
    expect(result).to.include({ status: 'Completed', successful: 200, unmatched: 0 });
    expect(emu.ingest.jobs.get(orphan.id)?.state).to.equal('Aborted');
    expectOnce('delta', 200);
    expect([...emu.store.all('Contact')].some((c) => c.External_Id__c === 'FOREIGN-1')).to.equal(false);
    const dropped = Ledger.read(join(req.ledgerDir, req.runId)).filter((r) => r.t === 'job-dropped');
    expect(dropped.map((r) => r.t === 'job-dropped' && r.reason)).to.deep.equal(['holds-data']);
  });

  it('aborts, on resume, a job it left for holding foreign data when a crash came between leaving it and aborting it', async () => {
    const req = request('nu', 200, { maxJobBytes: 64 * 1024 });
    const child = await runCrashChild({ target: target(), request: req }, 'after-create:1');
    expect(child.signal, child.stderr).to.equal('SIGKILL');
    const [orphan] = emu.ingest.jobs.list();
    await call(emu, 'PUT', `/services/data/v66.0/jobs/ingest/${orphan.id}/batches`, { body: 'LastName,External_Id__c\nForeign,FOREIGN-2\n', contentType: 'text/csv' });
    const runDir = join(req.ledgerDir, req.runId);
    // The resume adopts the orphan, is refused (it holds data), leaves it in the ledger and dies.
    const resumed = await runCrashChild({ target: target(), resume: { runDir, waitMs: 60_000 } }, 'after-drop:1');
    expect(resumed.signal, resumed.stderr).to.equal('SIGKILL');
    expect(emu.ingest.jobs.get(orphan.id)?.state).to.equal('Open');
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 200, unmatched: 0 });
    expect(emu.ingest.jobs.get(orphan.id)?.state).to.equal('Aborted');
    expectOnce('nu', 200);
    expect([...emu.store.all('Contact')].some((c) => c.External_Id__c === 'FOREIGN-2')).to.equal(false);
  });

  it('sends a part again whose upload was under way when someone aborted its job (it processed nothing)', async () => {
    const req = request('xi', 600, { waitMs: 0 });
    const started = await testEngine(target()).engine.start(req);
    expect(started.jobs.length).to.be.greaterThan(1);
    const runDir = join(req.ledgerDir, req.runId);
    const jobId = await abortedJob();
    const at = new Date().toISOString();
    for (const t of ['creating', 'created', 'uploading']) {
      appendFileSync(join(runDir, 'ledger.jsonl'), `${JSON.stringify({ t, chunk: 2, ...(t === 'creating' ? {} : { jobId }), at })}\n`);
    }
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 600, unprocessed: 0, unmatched: 0 });
    expectOnce('xi', 600);
    const dropped = Ledger.read(runDir).filter((r) => r.t === 'job-dropped');
    expect(dropped.map((r) => r.t === 'job-dropped' && [r.jobId, r.reason])).to.deep.equal([[jobId, 'never-held']]);
  });

  it('never sends a part again when its completed job’s results are not its rows (a ledger that named the wrong job): reported loudly instead', async () => {
    // A serial run with --wait 0 sends its first part only; then the ledger is made to say (as a
    // run of an earlier version could) that part 2 went into part 1's job.
    const req = request('epsilon', 300, { waitMs: 0 });
    const started = await testEngine(target()).engine.start(req);
    expect(started.jobs.length).to.be.greaterThan(1);
    const runDir = join(req.ledgerDir, req.runId);
    const firstJob = started.jobs[0].id;
    const part2Rows = started.jobs[1].rows;
    const at = new Date().toISOString();
    for (const t of ['creating', 'created', 'uploading', 'uploaded', 'closed']) {
      appendFileSync(join(runDir, 'ledger.jsonl'), `${JSON.stringify({ t, chunk: 2, ...(t === 'creating' ? {} : { jobId: firstJob }), at })}\n`);
    }
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    // Results that match nothing sent are never a reason to send again: the part's rows wait in retry.csv.
    expect(result.status).to.equal('Inconsistent');
    expect(result.unmatchedJobs?.map((j) => j.chunk)).to.include(2);
    expect(readCsv(result.files!.unmatched!).length).to.equal(started.jobs[0].rows);
    expect(readCsv(result.files!.retry).length).to.be.at.least(part2Rows);
    expect(Ledger.read(runDir).filter((r) => r.t === 'job-dropped')).to.deep.equal([]);
    // Part 2's rows were never sent: none of them is in the org.
    const ext = [...emu.store.all('Contact')].map((c) => String(c.External_Id__c)).filter((e) => e.startsWith('epsilon-'));
    expect(ext.length).to.equal(300 - part2Rows);
    expect(new Set(ext).size).to.equal(300 - part2Rows);
  });

  it('sends a part again when its job was aborted before it processed a row', async () => {
    // Part 2's job is aborted by someone after its upload, before it was processed (a slow org).
    const req = request('theta', 300, { waitMs: 0 });
    const started = await testEngine(target()).engine.start(req);
    const runDir = join(req.ledgerDir, req.runId);
    const jobId = await abortedJob();
    const at = new Date().toISOString();
    for (const t of ['creating', 'created', 'uploading', 'uploaded', 'closed']) {
      appendFileSync(join(runDir, 'ledger.jsonl'), `${JSON.stringify({ t, chunk: 2, ...(t === 'creating' ? {} : { jobId }), at })}\n`);
    }
    expect(started.jobs.length).to.be.greaterThan(1);
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 300, unprocessed: 0, unmatched: 0 });
    expectOnce('theta', 300);
    const dropped = Ledger.read(runDir).filter((r) => r.t === 'job-dropped');
    expect(dropped.map((r) => r.t === 'job-dropped' && [r.jobId, r.reason])).to.deep.equal([[jobId, 'never-held']]);
  });

  it('gives a part a new job when its job was aborted before the part sent it anything', async () => {
    // A serial run with --wait 0 sends its first part only; part 2 is then given a job (as a crash
    // right after its creation would leave it) that someone aborts before the resume uploads to it.
    const req = request('zeta', 300, { waitMs: 0 });
    const started = await testEngine(target()).engine.start(req);
    expect(started.jobs.length).to.be.greaterThan(1);
    const runDir = join(req.ledgerDir, req.runId);
    const jobId = await abortedJob();
    const at = new Date().toISOString();
    appendFileSync(join(runDir, 'ledger.jsonl'), `${JSON.stringify({ t: 'creating', chunk: 2, at })}\n${JSON.stringify({ t: 'created', chunk: 2, jobId, at })}\n`);
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 300, unprocessed: 0, unmatched: 0 });
    expectOnce('zeta', 300);
    const dropped = Ledger.read(runDir).filter((r) => r.t === 'job-dropped');
    expect(dropped.map((r) => r.t === 'job-dropped' && [r.jobId, r.reason])).to.deep.equal([[jobId, 'unusable']]);
  });

  it('refuses to resume a run as another user than the one that loaded it', async () => {
    const req = request('eta', 100, { waitMs: 0 });
    await testEngine(target()).engine.start(req);
    const runDir = join(req.ledgerDir, req.runId);
    const lines = readFileSync(join(runDir, 'ledger.jsonl'), 'utf8').split('\n');
    const run = JSON.parse(lines[0]) as { org: { userId: string; username: string } };
    run.org = { ...run.org, userId: '005000000000999AAA', username: 'someone.else@example.com' };
    writeFileSync(join(runDir, 'ledger.jsonl'), [JSON.stringify(run), ...lines.slice(1)].join('\n'));
    let error: unknown;
    await testEngine(target()).engine.resume(runDir, 60_000).catch((e: unknown) => {
      error = e;
    });
    expect(error).to.be.instanceOf(OtherUserError);
    expect((error as OtherUserError).runUser).to.equal('someone.else@example.com');
  });

  it('gives a part up when job after job refuses its data: its rows wait in retry.csv, the other parts load', async () => {
    // Every upload of the first part lands and loses its answer; the repeat is refused ("already has
    // data"), so each job is left (aborted while Open) for a new one, until the part is given up.
    const req = request('iota', 200);
    // The emulator hands out job Ids in sequence: the part's first nine jobs are …001AAA to …009AAA.
    for (let n = 1; n <= 9; n++) emu.addFault({ kind: 'reset', when: 'after', method: 'PUT', path: `00000000${n}AAA/batches$`, count: 1 });
    const events: LoadEvent[] = [];
    const result = await testEngine(target(), (e) => events.push(e)).engine.start(req);
    const first = result.jobs[0];
    expect(events.filter((e) => e.type === 'part-given-up').map((e) => e.type === 'part-given-up' && e.chunk)).to.deep.equal([1]);
    expect(result).to.include({ status: 'Completed', unprocessed: first.rows, retryable: first.rows, unmatched: 0 });
    expect(result.successful).to.equal(200 - first.rows);
    const retry = readCsv(result.files!.retry);
    expect(retry.map((r) => r.External_Id__c)).to.deep.equal(Array.from({ length: first.rows }, (_, i) => `iota-${i + 1}`));
    // None of the part's rows reached the org, none of the others twice; every job it tried was aborted.
    const ext = [...emu.store.all('Contact')].map((c) => String(c.External_Id__c)).filter((e) => e.startsWith('iota-'));
    expect(ext.some((e) => retry.some((r) => r.External_Id__c === e))).to.equal(false);
    expect(new Set(ext).size).to.equal(200 - first.rows);
    expect(emu.ingest.jobs.list().filter((j) => j.state === 'Aborted')).to.have.length(9);
    expect(emu.ingest.jobs.list().filter((j) => j.state === 'Open')).to.have.length(0);
  });

  it('keeps a start cut short by the network resumable (only refusals end a run before it sends)', async () => {
    const req = request('kappa', 100);
    // The describe fails past the retries of the start, then answers again.
    emu.addFault({ kind: 'status', status: 500, method: 'GET', path: '/sobjects/Contact/describe', count: 8 });
    let error: unknown;
    await testEngine(target()).engine.start(req).catch((e: unknown) => {
      error = e;
    });
    expect(error).to.be.instanceOf(Error);
    const runDir = join(req.ledgerDir, req.runId);
    // Not ended: only the run and its claim on the file (an insert) are in its ledger, no 'abandoned'.
    expect(Ledger.read(runDir).map((r) => r.t)).to.deep.equal(['run', 'fingerprint']);
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 100 });
    expectOnce('kappa', 100);
  });

  it('leaves the rejected.csv of an earlier run in a shared results folder alone when a later run is refused', async () => {
    const out = join(work, 'out');
    const bad = join(work, 'bad.csv');
    writeFileSync(bad, 'LastName,External_Id__c\nOk 1,LAM-1\n,LAM-2\n');
    const first = await testEngine(target()).engine.start({ ...request('lambda', 1), files: [bad], resultsDir: out });
    expect(first.rejected).to.equal(1);
    const typo = join(work, 'typo.csv');
    writeFileSync(typo, 'LastNmae,External_Id__c\nX,LAM-3\n');
    await testEngine(target())
      .engine.start({ ...request('mu', 1), files: [typo], runId: 'run-typo', resultsDir: out })
      .catch(() => undefined);
    expect(readCsv(join(out, 'rejected.csv')).map((r) => r.External_Id__c)).to.deep.equal(['LAM-2']);
    // A clean file inserted before, refused as a duplicate after its split: the folder's file stays too.
    const clean = join(work, 'clean.csv');
    writeFileSync(clean, 'LastName,External_Id__c\nC 1,LAM-9\n');
    await testEngine(target()).engine.start({ ...request('omicron', 1), files: [clean], runId: 'run-clean-1', resultsDir: join(work, 'elsewhere') });
    let refused: unknown;
    await testEngine(target())
      .engine.start({ ...request('omicron', 1), files: [clean], runId: 'run-clean-2', resultsDir: out })
      .catch((e: unknown) => {
        refused = e;
      });
    expect(refused).to.be.instanceOf(DuplicateRunError);
    expect(readCsv(join(out, 'rejected.csv')).map((r) => r.External_Id__c)).to.deep.equal(['LAM-2']);
  });

  describe('a refused hardDelete stays refused', () => {
    let ids: string[];
    beforeEach(() => {
      ids = emu.insertRecords('Account', Array.from({ length: 20 }, (_, i) => ({ Name: `Keep ${i}` })));
    });

    const hardDelete = (extra: Partial<LoadRequest> = {}): LoadRequest => {
      const file = join(work, 'ids.csv');
      writeFileSync(file, ['Id', ...ids].join('\n') + '\n');
      return {
        object: 'Account',
        operation: 'hardDelete',
        files: [file],
        runId: `run-hd-${Math.random().toString(36).slice(2, 8)}`,
        ledgerDir: join(work, 'runs'),
        waitMs: 60_000,
        concurrency: 1,
        ...extra,
      };
    };

    it('ends a refused hardDelete run with its reason: resume --latest and reconcile refuse it, never an earlier run', async () => {
      const req = hardDelete({ confirm: () => Promise.resolve(false) });
      let error: unknown;
      await testEngine(target()).engine.start(req).catch((e: unknown) => {
        error = e;
      });
      expect(error).to.be.instanceOf(NotConfirmedError);
      // The run ends there, and says so: resume --latest refuses it (it never picks an earlier run instead).
      const latest = latestRun(req.ledgerDir);
      expect(latest?.runId).to.equal(req.runId);
      expect(latest?.state.abandoned?.reason).to.match(/not confirmed/);
      expect(existsSync(join(req.ledgerDir, req.runId, 'chunks'))).to.equal(false);
      let resumed: unknown;
      await testEngine(target()).engine.resume(latest!.runDir, 60_000).catch((e: unknown) => {
        resumed = e;
      });
      expect(resumed).to.be.instanceOf(AbandonedRunError);
      // reconcile says the same: nothing of it was sent.
      let reconciled: unknown;
      await reconcileRun(latest!.runDir).catch((e: unknown) => {
        reconciled = e;
      });
      expect(reconciled).to.be.instanceOf(AbandonedRunError);
      expect(emu.store.count('Account')).to.equal(20);
    });

    it('never deletes from a run whose ledger has no confirmation (resume refuses it)', async () => {
      // A hardDelete killed after its split, before it was confirmed.
      const req = hardDelete({ confirm: () => Promise.resolve(true) });
      const child = await runCrashChild({ target: target(), request: { ...req, confirm: undefined } }, '');
      expect(child.stderr).to.match(/NotConfirmedError/);
      // The child had no way to confirm: its start was refused, and its run ended there.
      expect(Ledger.read(join(req.ledgerDir, req.runId)).map((r) => r.t)).to.deep.equal(['run', 'planned', 'abandoned']);
      // A run whose ledger holds no confirmation (a crash before the split leaves one like it).
      const runDir = join(req.ledgerDir, 'run-hd-unconfirmed');
      mkdirSync(runDir, { recursive: true });
      const identity = await fetchIdentity(testHttp(target()));
      appendFileSync(
        join(runDir, 'ledger.jsonl'),
        `${JSON.stringify({ t: 'run', runId: 'run-hd-unconfirmed', object: 'Account', operation: 'hardDelete', files: req.files, resultsDir: runDir, org: identity, concurrency: 1, backup: true, at: new Date().toISOString() })}\n`
      );
      let error: unknown;
      await testEngine(target()).engine.resume(runDir, 60_000).catch((e: unknown) => {
        error = e;
      });
      expect(error).to.be.instanceOf(NotConfirmedError);
      expect((error as NotConfirmedError).runId).to.equal('run-hd-unconfirmed');
      expect(emu.requests.filter((r) => r.path.includes('/jobs/ingest'))).to.have.length(0);
      expect(emu.store.count('Account')).to.equal(20);
    });
  });
});
