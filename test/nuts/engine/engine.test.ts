/*
 * The load engine against the emulator, without the CLI: splitting into several jobs, the exact join
 * of shuffled results to input lines (rows repeat), kill -9 at every dangerous point then resume,
 * and no token in any file a run writes.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadEvent, LoadRequest, LoadResult } from '../../../src/core/run/types.js';
import { AbandonedRunError } from '../../../src/core/run/errors.js';
import { DuplicateRunError } from '../../../src/core/load/duplicateGuard.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';

/** badEvery: rows the org refuses (their external ID is already taken), dupe rows preflight cannot see. */
function contactsCsv(rows: number, opts: { badEvery?: number; repeatEvery?: number } = {}): string {
  const lines = ['LastName,FirstName,External_Id__c,Title'];
  for (let i = 1; i <= rows; i++) {
    const bad = opts.badEvery && i % opts.badEvery === 0;
    if (bad) {
      lines.push(`Name${i},First ${i},TAKEN-${i},"Title, ${i}"`);
      continue;
    }
    // Rows without an external ID can repeat exactly; their results must still find distinct lines.
    const repeat = opts.repeatEvery && i % opts.repeatEvery === 0;
    lines.push(`Name${repeat ? '' : i},First ${repeat ? 'Same' : i},${repeat ? '' : `C-${i}`},"Title, ${repeat ? 'same' : i}"`);
  }
  return lines.join('\n') + '\n';
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

describe('load engine against the emulator', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    // Records that hold the external IDs of the "bad" rows: the org refuses those rows (DUPLICATE_VALUE).
    emu.insertRecords('Contact', Array.from({ length: 12 }, (_, k) => ({ LastName: 'Taken', External_Id__c: `TAKEN-${(k + 1) * 50}` })));
    work = mkdtempSync(join(tmpdir(), 'bulkops-engine-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const request = (file: string, extra: Partial<LoadRequest> = {}): LoadRequest => contactLoad(file, work, { maxJobBytes: 8 * 1024, ...extra });

  it('loads a file over the job size as several jobs, every row once, results joined to the right lines', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(600, { badEvery: 50, repeatEvery: 7 }));
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(request(file));

    expect(result.jobs.length).to.be.greaterThanOrEqual(3);
    expect(result).to.include({ status: 'Completed', rows: 600, successful: 588, failed: 12, unprocessed: 0, unmatched: 0 });
    expect(emu.store.count('Contact')).to.equal(588 + 12);
    // Each uploaded row's line is the line it had in the file (header = line 1).
    const success = readCsv(result.files!.success);
    expect(success.map((r) => Number(r.sf__Line))).to.deep.equal([...success.map((r) => Number(r.sf__Line))].sort((a, b) => a - b));
    for (const row of success) {
      const line = Number(row.sf__Line);
      const i = line - 1;
      const repeat = i % 7 === 0;
      expect(row.FirstName).to.equal(`First ${repeat ? 'Same' : i}`);
      expect(emu.store.get('Contact', row.sf__Id)?.FirstName).to.equal(row.FirstName);
    }
    const repeatedIds = success.filter((r) => r.FirstName === 'First Same').map((r) => r.sf__Id);
    expect(new Set(repeatedIds).size).to.equal(repeatedIds.length);
    const failed = readCsv(result.files!.failed);
    expect(failed.map((r) => Number(r.sf__Line))).to.deep.equal(Array.from({ length: 12 }, (_, k) => (k + 1) * 50 + 1));
    expect(failed.every((r) => r.sf__ErrorCode === 'DUPLICATE_VALUE')).to.equal(true);
  });

  it('refuses to load the same file into the same org twice, unless forced', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(20));
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const first = await engine.start(request(file));
    let error: unknown;
    try {
      await engine.start(request(file));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(DuplicateRunError);
    expect((error as DuplicateRunError).earlierRunId).to.equal(first.runId);
    // The refused run keeps only its ledger, which says why: resume refuses it rather than finishing another run.
    // (claims/ holds the inserts' claims on their files while they are taken: duplicateGuard.ts.)
    const refused = readdirSync(join(work, 'runs')).filter((r) => r !== first.runId && r !== 'claims');
    expect(refused).to.have.length(1);
    expect(readdirSync(join(work, 'runs', refused[0])).sort()).to.deep.equal(['ledger.jsonl']);
    expect(Ledger.read(join(work, 'runs', refused[0])).map((r) => r.t)).to.deep.equal(['run', 'abandoned']);
    let resumed: unknown;
    await engine.resume(join(work, 'runs', refused[0]), 1000).catch((e: unknown) => {
      resumed = e;
    });
    expect(resumed).to.be.instanceOf(AbandonedRunError);
    expect(emu.store.count('Contact')).to.equal(20 + 12);
    const forced = await engine.start(request(file, { force: true }));
    expect(forced.failed).to.equal(20); // External_Id__c is unique: the org refuses the copies
  });

  it('loads an upsert file a second time without --force (a nightly sync), naming the earlier run', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(30));
    const events: LoadEvent[] = [];
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
    const upsert = { operation: 'upsert' as const, externalId: 'External_Id__c' };
    const first = await engine.start(request(file, upsert));
    expect(first).to.include({ status: 'Completed', successful: 30 });
    expect(events.some((e) => e.type === 'loaded-before')).to.equal(false);
    const second = await engine.start(request(file, upsert));
    expect(second).to.include({ status: 'Completed', successful: 30, failed: 0 });
    expect(events.filter((e) => e.type === 'loaded-before').map((e) => e.type === 'loaded-before' && e.runId)).to.deep.equal([first.runId]);
    expect(emu.store.count('Contact')).to.equal(30 + 12);
  });

  it('resume plans and finishes a run killed before its split was recorded', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(300));
    const req = request(file, { concurrency: 2 });
    const child = await runCrashChild({ target: { instanceUrl: emu.url, accessToken: emu.accessToken }, request: req }, 'before-planned');
    expect(child.signal, child.stderr).to.equal('SIGKILL');
    // Its parts went up as they were written, but no job was closed: nothing was processed.
    const before = Ledger.read(join(req.ledgerDir, req.runId));
    expect(before.some((r) => r.t === 'planned' || r.t === 'closed')).to.equal(false);
    const sent = before.filter((r) => r.t === 'uploaded').length;
    expect(sent).to.be.at.least(2);
    expect(emu.store.count('Contact')).to.equal(12);
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.resume(join(req.ledgerDir, req.runId), 60_000);
    expect(result).to.include({ status: 'Completed', rows: 300, successful: 300 });
    expect(emu.store.count('Contact')).to.equal(300 + 12);
    expect(readCsv(result.files!.success)).to.have.length(300);
    // The same jobs: one per part, none left Open.
    expect(emu.ingest.jobs.list().map((j) => j.state)).to.deep.equal(result.jobs.map(() => 'JobComplete'));
  });

  it('writes no access token into the ledger, chunks or result files', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(100, { badEvery: 10 }));
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(request(file, { resultsDir: join(work, 'results'), keepChunks: true }));
    const files = [...allFiles(result.runDir), ...allFiles(join(work, 'results'))];
    expect(files.length).to.be.greaterThan(5);
    const secretPart = emu.accessToken.split('!')[1];
    for (const f of files) expect(readFileSync(f, 'latin1'), f).to.not.include(secretPart);
  });

  it('--wait 0 uploads and closes every part of a parallel run, then returns InProgress', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(600));
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(request(file, { waitMs: 0 }));
    expect(result.status).to.equal('InProgress');
    expect(result.jobs.length).to.be.greaterThanOrEqual(3);
    const jobs = emu.ingest.jobs.list();
    expect(jobs.map((j) => j.id).sort()).to.deep.equal(result.jobs.map((j) => j.id).sort());
    expect(jobs.filter((j) => j.state === 'Open'), 'every job closed').to.have.length(0);
  });

  it('--wait 0 with a serial run closes only the first part\'s job; resume sends the rest', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(600));
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const req = request(file, { waitMs: 0, concurrency: 1 });
    const first = await engine.start(req);
    // Every part's data went up as the file was split; only the first job was closed (processed).
    expect(first.jobs.filter((j) => j.state !== 'Open')).to.have.length(1);
    expect(emu.ingest.jobs.list().filter((j) => j.state !== 'Open')).to.have.length(1);
    const done = await engine.resume(join(req.ledgerDir, req.runId), 60_000);
    expect(done).to.include({ status: 'Completed', successful: 600 });
    expect(emu.ingest.jobs.list()).to.have.length(done.jobs.length);
  });

  it('returns InProgress when the wait runs out, and resume finishes the same jobs later', async () => {
    // Real-time processing: 3,000 rows at 2 ms each take about 6 s, far longer than the wait.
    emu.settings.clockSpeed = 1;
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(3000));
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const req = request(file, { waitMs: 300, maxJobBytes: 1024 * 1024 });
    const first = await engine.start(req);
    expect(first.status).to.equal('InProgress');
    expect(first.files).to.equal(undefined);
    expect(readdirSync(join(first.runDir, 'chunks')).length, 'the parts wait for resume').to.be.greaterThan(0);
    emu.settings.clockSpeed = 1000;
    const done = await engine.resume(join(req.ledgerDir, req.runId), 60_000);
    expect(done).to.include({ status: 'Completed', successful: 3000 });
    expect(done.jobs.map((j) => j.id)).to.deep.equal(first.jobs.map((j) => j.id));
    expect(emu.ingest.jobs.list()).to.have.length(first.jobs.length);
    expect(readdirSync(done.runDir).sort(), 'resume tidied the finished run').to.deep.equal(['failed.csv', 'ledger.jsonl', 'retry.csv', 'success.csv', 'unprocessed.csv']);
  });

  it('removes the uploaded parts and result parts of a finished run, unless asked to keep them', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, contactsCsv(300, { badEvery: 50 }));
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const tidy = await engine.start(request(file));
    // The ledger and the result files stay; chunks/ and parts/ are gone.
    expect(readdirSync(tidy.runDir).sort()).to.deep.equal(['failed.csv', 'ledger.jsonl', 'retry.csv', 'success.csv', 'unprocessed.csv']);
    expect(readCsv(tidy.files!.success)).to.have.length(tidy.successful);

    const kept = await engine.start(request(file, { force: true, keepChunks: true }));
    expect(readdirSync(join(kept.runDir, 'chunks')).filter((f) => f.endsWith('.csv'))).to.have.length(kept.jobs.length);
    expect(readdirSync(join(kept.runDir, 'parts')).filter((f) => f.endsWith('.success.csv'))).to.have.length(kept.jobs.length);
  });

  describe('kill -9 at a dangerous moment, then resume', () => {
    const points = ['before-create:2', 'after-create:1', 'after-claim:2', 'mid-upload:1', 'after-upload:2', 'after-close:1', 'mid-results:1', 'before-merge'];
    for (const point of points) {
      it(`leaves exactly one record per input row after a crash at ${point}`, async () => {
        const file = join(work, 'contacts.csv');
        writeFileSync(file, contactsCsv(500, { badEvery: 100 }));
        const req = request(file, { concurrency: 1 });
        const child = await runCrashChild({ target: { instanceUrl: emu.url, accessToken: emu.accessToken }, request: req }, point);
        expect(child.signal, child.stderr).to.equal('SIGKILL');

        const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
        const result: LoadResult = await engine.resume(join(req.ledgerDir, req.runId), 60_000);
        expect(result.status).to.equal('Completed');
        expect(result).to.include({ rows: 500, successful: 495, failed: 5, unprocessed: 0, unmatched: 0 });
        const ext = [...emu.store.all('Contact')].filter((c) => c.LastName !== 'Taken').map((c) => c.External_Id__c as string);
        expect(ext.length).to.equal(495);
        expect(new Set(ext).size).to.equal(495);
        // No job left open behind, and never two jobs holding the same rows.
        const jobs = emu.ingest.jobs.list();
        expect(jobs.filter((j) => j.state === 'Open' || j.state === 'UploadComplete')).to.have.length(0);
        expect(jobs.filter((j) => j.state === 'JobComplete').length).to.equal(result.jobs.length);
        expect(readCsv(result.files!.success)).to.have.length(495);
        if (point.startsWith('after-create') || point.startsWith('after-claim')) {
          // The job the killed process created was found again (in the org, or in the creation
          // journal that named it before the ledger could) and used, not created twice.
          const adopted = Ledger.read(join(req.ledgerDir, req.runId)).filter((r) => r.t === 'created' && r.adopted);
          expect(adopted).to.have.length(1);
        }
      });
    }
  });
});
