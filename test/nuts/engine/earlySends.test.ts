/*
 * Parts sent while the input is split, against what can go wrong around them: a resume refused
 * before its split (a second insert, a header problem), an abort that fails, a lost create answer
 * before the input changed, line numbers after a re-split, a probe cut short by --wait, a grouped
 * load killed mid-split, and faults during the sends (a lost create or upload answer, a job aborted
 * by someone else). Each ends with every row loaded once, or none, and no job left Open.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import { replay, type LedgerRecord } from '../../../src/core/ledger/records.js';
import type { LoadEvent, LoadRequest } from '../../../src/core/run/types.js';
import { runRows } from '../../../src/core/run/runRows.js';
import { readCsv } from '../../helpers/csv.js';
import { scrambledParents } from '../../helpers/skew.js';
import { DuplicateRunError } from '../../../src/core/load/duplicateGuard.js';

describe('load engine: parts sent while the input is split, and what goes wrong around them', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-review-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });
  const contacts = (rows: number, name = (i: number): string => `Name${i}`, tail = '', head = 'LastName,External_Id__c', before = ''): string => {
    const file = join(work, 'contacts.csv');
    const lines = [head];
    if (before) lines.push(before);
    for (let i = 1; i <= rows; i++) lines.push(`${name(i)},C-${i}`);
    writeFileSync(file, lines.join('\n') + '\n' + tail);
    return file;
  };
  const request = (file: string, extra: Partial<LoadRequest> = {}): LoadRequest => contactLoad(file, work, { maxJobBytes: 1024, ...extra });
  const createdJobs = (runDir: string): string[] => Ledger.read(runDir).filter((r): r is Extract<LedgerRecord, { t: 'created' }> => r.t === 'created').map((r) => r.jobId);
  const stateOf = (id: string): string | undefined => emu.ingest.jobs.list().find((j) => j.id === id)?.state;

  it('resume of a run crashed mid-split, refused as a second insert (another run loaded the file meanwhile): the jobs it opened are aborted', async () => {
    const file = contacts(300);
    const a = request(file);
    const runDir = join(a.ledgerDir, a.runId);
    const child = await runCrashChild({ target: target(), request: a }, 'after-upload:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    const sent = createdJobs(runDir);
    expect(sent).to.have.length(2);
    // The user runs the same insert again: refused, run A holds the file (it claimed it before its
    // first part went up). The user forces it, and run A's resume is then the second insert.
    const refused = await testEngine(target()).engine.start(request(file)).then(() => undefined, (e: Error) => e);
    expect(refused, 'a second insert while run A is unfinished').to.be.instanceOf(DuplicateRunError);
    expect((refused as DuplicateRunError).message).to.include(a.runId);
    const b = await testEngine(target()).engine.start(request(file, { force: true }));
    expect(b).to.include({ status: 'Completed', successful: 300 });
    const error = await testEngine(target()).engine.resume(runDir, 60_000).then(() => undefined, (e: Error) => e);
    expect(error?.name).to.equal('DuplicateRunError');
    expect(Ledger.read(runDir).at(-1)?.t).to.equal('abandoned');
    // earlyParts.ts: "A refused run aborts the jobs it opened".
    expect(sent.map(stateOf), 'jobs of the refused run').to.deep.equal(['Aborted', 'Aborted']);
  });

  it('resume of a run crashed mid-split, refused by a header problem: the jobs it opened are aborted', async () => {
    const a = request(contacts(300));
    const runDir = join(a.ledgerDir, a.runId);
    const child = await runCrashChild({ target: target(), request: a }, 'after-upload:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    const sent = createdJobs(runDir);
    expect(sent).to.have.length(2);
    contacts(300, undefined, '', 'LastName,External_Id__c,No_Such_Field__c');
    const error = await testEngine(target()).engine.resume(runDir, 60_000).then(() => undefined, (e: Error) => e);
    expect(error?.name).to.equal('PreflightFailedError');
    expect(Ledger.read(runDir).at(-1)?.t).to.equal('abandoned');
    expect(sent.map(stateOf), 'jobs of the refused run').to.deep.equal(['Aborted', 'Aborted']);
  });

  it('a refusal whose abort fails (the network): the refusal is reported, and a resume aborts every job the run opened, then says the run ended', async () => {
    const req = request(contacts(300, undefined, 'Broken,"C-301\n'));
    const runDir = join(req.ledgerDir, req.runId);
    // Every abort (PATCH of an ingest job; no job is closed before 'planned') fails for a while.
    emu.addFault({ kind: 'status', status: 500, method: 'PATCH', path: '/jobs/ingest/[^/]+$', count: 30 });
    const first = await testEngine(target()).engine.start(req).then(() => undefined, (e: Error) => e);
    emu.clearFaults();
    const sent = createdJobs(runDir);
    expect(sent.length).to.be.at.least(2);
    const firstName = first?.name;
    const again = await testEngine(target()).engine.resume(runDir, 60_000).then(() => undefined, (e: Error) => e);
    const open = emu.ingest.jobs.list().filter((j) => j.state === 'Open').map((j) => j.id);
    expect({ firstName, resumeName: again?.name, open, openWasSentBefore: open.map((id) => sent.includes(id)) }).to.deep.equal({ firstName: 'CsvInputError', resumeName: 'AbandonedRunError', open: [], openWasSentBefore: [] });
  });

  it('kill -9 right after a part\'s job was created (answer not recorded), input changed in that part: resume leaves no job Open', async () => {
    const req = request(contacts(300));
    const runDir = join(req.ledgerDir, req.runId);
    const child = await runCrashChild({ target: target(), request: req }, 'after-create:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    const part2 = Ledger.read(runDir).find((r): r is Extract<LedgerRecord, { t: 'part' }> => r.t === 'part' && r.chunk.index === 2)!;
    // Rows of part 2 only get other names (part 1 keeps its bytes).
    const from = part2.chunk.firstLine - 1;
    contacts(300, (i) => (i >= from && i < from + 5 ? `Renamed${i}` : `Name${i}`));
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 300 });
    expect(emu.store.count('Contact')).to.equal(300);
    const open = emu.ingest.jobs.list().filter((j) => j.state === 'Open').map((j) => j.id);
    expect(open, 'jobs left Open in the org').to.deep.equal([]);
  });

  it('a part kept across a resume keeps the line range of the input it was cut from, not of the input re-split', async () => {
    const req = request(contacts(300));
    const runDir = join(req.ledgerDir, req.runId);
    const child = await runCrashChild({ target: target(), request: req }, 'after-upload:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    // One row the checks reject (no LastName) right after the header: the parts' bytes are the same, every line moves by one.
    contacts(300, undefined, '', undefined, ',C-0');
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 300, rejected: 1 });
    const planned = Ledger.read(runDir).find((r): r is Extract<LedgerRecord, { t: 'planned' }> => r.t === 'planned')!;
    const state = replay(Ledger.read(runDir));
    const ranges = (xs: Array<{ firstLine: number; lastLine: number }>): string[] => xs.map((c) => `${c.firstLine}-${c.lastLine}`);
    // The JSON's jobs say which lines each part holds.
    const jobRanges = ranges(result.jobs);
    // The result files themselves are right (their lines come from the re-written .lines files).
    const success = readCsv(result.files!.success);
    expect(success.find((r) => r.LastName === 'Name1')?.sf__Line).to.equal('3');
    // reconcile (runRows) names the part of each line from the same ranges.
    const lastOfPart1 = planned.chunks[0].lastLine;
    let partOfLast: number | undefined;
    for await (const row of runRows(state, runDir)) if (row.line === lastOfPart1) partOfLast = row.part?.chunk.index;
    expect({ jobRanges, partOfLast }, `part of line ${lastOfPart1}`).to.deep.equal({ jobRanges: ranges(planned.chunks), partOfLast: 1 });
  });
});

describe('load engine: a probe cut short by --wait', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;
  const HEAVY = { name: 'Heavy__c', automationCostMs: 8, fields: [{ name: 'Code__c', type: 'string' as const, length: 20, externalId: true }] };

  beforeEach(async () => {
    // A job waits 1.5 s (real) between its close and the start of its processing.
    emu = await startEmulator({ seed: { objects: [HEAVY] }, settings: { processingDelayMs: 1500 } });
    work = mkdtempSync(join(tmpdir(), 'bulkops-review-probe-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('--wait 0 shorter than the probe: the other parts are closed when the wait runs out, and no estimate is made from a probe that did not run alone', async () => {
    const file = join(work, 'heavy.csv');
    writeFileSync(file, 'Name,Code__c\n' + Array.from({ length: 3000 }, (_, i) => `Heavy ${i},H-${i}`).join('\n') + '\n');
    const req = contactLoad(file, work, { object: 'Heavy__c', maxJobBytes: 6 * 1024, waitMs: 0 });
    // The probe's job state each time another job is closed (PATCH: no abort happens in this run).
    const probeStateAtClose: string[] = [];
    emu.onRequest = (entry): void => {
      const jobs = emu.ingest.jobs.list();
      if (entry.method === 'PATCH' && jobs.length > 1 && !entry.path.endsWith(jobs[0].id)) probeStateAtClose.push(jobs[0].state);
    };
    const events: LoadEvent[] = [];
    const result = await testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e)).engine.start(req);
    emu.onRequest = undefined;
    expect(result.jobs.length).to.be.at.least(4);
    // --wait 0 hands every part to the org (it returns after upload), the probe's job still running.
    expect(probeStateAtClose.length, 'other parts closed in this call').to.be.greaterThan(0);
    expect(probeStateAtClose.some((s) => s !== 'JobComplete'), 'the probe had not ended').to.equal(true);
    const done = await testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e)).engine.resume(join(req.ledgerDir, req.runId), 60_000);
    expect(done).to.include({ status: 'Completed', successful: 3000 });
    expect(done.estimate, 'no estimate from a probe that did not run alone').to.equal(undefined);
    expect(events.some((e) => e.type === 'estimate')).to.equal(false);
    expect(Ledger.read(join(req.ledgerDir, req.runId)).some((r) => r.t === 'estimate')).to.equal(false);
  });
});

describe('load engine: a grouped (auto) load killed mid-split', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let work: string;
  let accounts: string[];
  const SKEW = [2500, 1500, 1000, 500, 300, 200];

  beforeEach(async () => {
    emu = await startEmulator({ settings: { chunkSize: 1000, lockTimeoutMs: 500 } });
    accounts = emu.insertRecords('Account', SKEW.map((_, i) => ({ Name: `Parent ${i}`, External_Id__c: `ACC-${i}` })));
    work = mkdtempSync(join(tmpdir(), 'bulkops-review-grouped-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('kill -9 after part 2 went up during a grouped split: resume keeps the jobs, lands every row once, leaves no job Open', async () => {
    const parents = scrambledParents(SKEW);
    const file = join(work, 'contacts.csv');
    writeFileSync(file, 'LastName,External_Id__c,AccountId\n' + parents.map((a, i) => `Contact ${i},C-${i},${accounts[a]}`).join('\n') + '\n');
    const req = contactLoad(file, work, { waitMs: 240_000, maxJobBytes: 2000 * 42, chunkRows: 1000, autoConcurrency: true });
    const runDir = join(req.ledgerDir, req.runId);
    const child = await runCrashChild({ target: { instanceUrl: emu.url, accessToken: emu.accessToken }, request: req }, 'after-upload:2');
    expect(child.signal, child.stderr).to.equal('SIGKILL');
    const sent = createdJobsOf(runDir);
    expect(sent).to.have.length(2);
    const result = await testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }).engine.resume(runDir, 240_000);
    expect(result).to.include({ status: 'Completed', successful: parents.length, failed: 0, unmatched: 0 });
    expect(result.jobs.slice(0, 2).map((j) => j.id), 'the jobs of the parts sent before the crash are kept').to.deep.equal(sent);
    const contacts = [...emu.store.all('Contact')];
    expect(new Set(contacts.map((c) => c.External_Id__c)).size).to.equal(parents.length);
    expect(contacts).to.have.length(parents.length);
    expect(emu.ingest.jobs.list().filter((j) => j.state === 'Open' || j.state === 'UploadComplete')).to.have.length(0);
  });
});

function createdJobsOf(runDir: string): string[] {
  return Ledger.read(runDir).filter((r): r is Extract<LedgerRecord, { t: 'created' }> => r.t === 'created').map((r) => r.jobId);
}

describe('load engine: faults during the sends made while splitting', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-review-faults-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });
  const file = (): string => {
    const f = join(work, 'contacts.csv');
    writeFileSync(f, 'LastName,External_Id__c\n' + Array.from({ length: 300 }, (_, i) => `Name${i + 1},C-${i + 1}`).join('\n') + '\n');
    return f;
  };
  const request = (f: string): LoadRequest => contactLoad(f, work, { maxJobBytes: 1024 });
  const everyRowOnce = (): void => {
    const ext = [...emu.store.all('Contact')].map((c) => String(c.External_Id__c));
    expect(ext).to.have.length(300);
    expect(new Set(ext).size).to.equal(300);
    expect(emu.ingest.jobs.list().filter((j) => j.state === 'Open' || j.state === 'UploadComplete' || j.state === 'InProgress').map((j) => j.id)).to.deep.equal([]);
  };

  it('a create answer lost (reset after the org made the job) mid-split: the orphan is adopted, every row once', async () => {
    emu.addFault({ kind: 'reset', when: 'after', method: 'POST', path: '/jobs/ingest$', count: 1 });
    const result = await testEngine(target()).engine.start(request(file()));
    expect(result).to.include({ status: 'Completed', successful: 300 });
    const records = Ledger.read(result.runDir);
    // The fault fired (consumed), and the job the lost answer made was taken (no extra job, none Open).
    expect(emu.faults.list()).to.have.length(0);
    expect(emu.ingest.jobs.list()).to.have.length(result.jobs.length);
    expect(records.filter((r) => r.t === 'creating').length).to.equal(result.jobs.length);
    everyRowOnce();
  });

  it('an upload answer lost (reset after the org stored it) mid-split: the job is left and aborted, every row once', async () => {
    emu.addFault({ kind: 'reset', when: 'after', method: 'PUT', path: '/batches$', count: 1 });
    const result = await testEngine(target()).engine.start(request(file()));
    expect(result).to.include({ status: 'Completed', successful: 300 });
    const records = Ledger.read(result.runDir);
    const dropped = records.findIndex((r) => r.t === 'job-dropped' && r.reason === 'holds-data');
    expect(dropped, 'the fault fired and the job holding the data was left').to.be.greaterThan(-1);
    expect(dropped).to.be.lessThan(records.findIndex((r) => r.t === 'planned'));
    everyRowOnce();
  });

  it('a job aborted by someone else while Open (after a crash mid-split): resume sends its rows again, every row once', async () => {
    const req = request(file());
    const runDir = join(req.ledgerDir, req.runId);
    const child = await runCrashChild({ target: target(), request: req }, 'after-upload:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    const sent = createdJobsOf(runDir);
    const { call } = await import('../../helpers/api.js');
    const res = await call(emu, 'PATCH', `/services/data/v66.0/jobs/ingest/${sent[0]}`, { body: JSON.stringify({ state: 'Aborted' }), headers: { 'Content-Type': 'application/json' } });
    expect(res.status).to.equal(200);
    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 300, failed: 0 });
    everyRowOnce();
  });
});
