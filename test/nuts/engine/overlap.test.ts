/*
 * Splitting and uploading overlap: each part's job is created and its data uploaded while the rest
 * of the input is still read and checked, and no job is closed (so nothing is processed) before the
 * whole input has passed. A refusal found late (a bad last line) aborts the jobs already opened, with
 * nothing loaded; a second insert of a file is refused before anything is split; a crash mid-split is
 * resumed with the same jobs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import type { LedgerRecord } from '../../../src/core/ledger/records.js';
import type { LoadRequest } from '../../../src/core/run/types.js';

describe('load engine: parts are sent while the input is split', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-overlap-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });
  const contacts = (rows: number, name = (i: number): string => `Name${i}`, tail = ''): string => {
    const file = join(work, 'contacts.csv');
    const lines = ['LastName,External_Id__c'];
    for (let i = 1; i <= rows; i++) lines.push(`${name(i)},C-${i}`);
    writeFileSync(file, lines.join('\n') + '\n' + tail);
    return file;
  };
  // Parts of about 1 KB: 300 rows (about 5 KB) make 5 or 6 of them.
  const request = (file: string, extra: Partial<LoadRequest> = {}): LoadRequest => contactLoad(file, work, { maxJobBytes: 1024, ...extra });
  const at = (records: LedgerRecord[], f: (r: LedgerRecord) => boolean): number => records.findIndex(f);
  const jobStates = (): string[] => emu.ingest.jobs.list().map((j) => j.state);
  const lastNames = (): string[] => [...emu.store.all('Contact')].map((c) => c.LastName as string);

  it('creates and uploads the first job before the split ends, and closes none before the run is planned', async () => {
    const result = await testEngine(target()).engine.start(request(contacts(300)));
    expect(result).to.include({ status: 'Completed', successful: 300, failed: 0 });
    expect(result.jobs.length).to.be.at.least(3);
    const records = Ledger.read(result.runDir);
    const planned = at(records, (r) => r.t === 'planned');
    // Part 1's job was created and its data uploaded while later parts were still being written.
    expect(at(records, (r) => r.t === 'uploaded' && r.chunk === 1)).to.be.lessThan(at(records, (r) => r.t === 'part' && r.chunk.index === 3));
    expect(at(records, (r) => r.t === 'uploaded' && r.chunk === result.jobs.length)).to.be.lessThan(planned);
    // No job closed before the whole input had passed.
    expect(at(records, (r) => r.t === 'closed')).to.be.greaterThan(planned);
    // One job per part, every row once.
    expect(jobStates()).to.deep.equal(result.jobs.map(() => 'JobComplete'));
    expect(new Set(lastNames()).size).to.equal(300);
  });

  it('one job at a time still hands the next part to the org once a job ends, while that job\'s results are being joined', async () => {
    // The first results download waits 1.2 s before it is answered: the next part's job is closed meanwhile.
    emu.addFault({ kind: 'slow', method: 'GET', path: '/successfulResults/?$', delayMs: 1200, count: 1 });
    const result = await testEngine(target()).engine.start(request(contacts(300), { concurrency: 1 }));
    expect(result).to.include({ status: 'Completed', successful: 300 });
    const records = Ledger.read(result.runDir);
    const closed2 = at(records, (r) => r.t === 'closed' && r.chunk === 2);
    expect(closed2, 'after the first job ended').to.be.greaterThan(at(records, (r) => r.t === 'terminal' && r.chunk === 1));
    expect(closed2, 'before its results were joined').to.be.lessThan(at(records, (r) => r.t === 'results' && r.chunk === 1));
    // Never two jobs in the org at once: each part's job is closed after the one before it ended.
    for (let k = 2; k <= result.jobs.length; k++) {
      expect(at(records, (r) => r.t === 'closed' && r.chunk === k)).to.be.greaterThan(at(records, (r) => r.t === 'terminal' && r.chunk === k - 1));
    }
  });

  it('a bad last line found after parts were sent: the jobs opened are aborted, nothing is loaded, the run ends', async () => {
    const req = request(contacts(300, undefined, 'Broken,"C-301\n'));
    const error = await testEngine(target()).engine.start(req).then(() => undefined, (e: Error) => e);
    expect(error?.name).to.equal('CsvInputError');
    const records = Ledger.read(join(req.ledgerDir, req.runId));
    expect(records.filter((r) => r.t === 'uploaded').length, 'parts were sent before the bad line was read').to.be.at.least(2);
    expect(records.some((r) => r.t === 'closed')).to.equal(false);
    expect(records.at(-1)?.t).to.equal('abandoned');
    expect(jobStates().length).to.be.at.least(2);
    expect(jobStates().every((s) => s === 'Aborted'), jobStates().join(',')).to.equal(true);
    expect(lastNames()).to.deep.equal([]);
  });

  it('a second insert of the same file is refused before it is split: no part is written, no job created', async () => {
    const file = contacts(300);
    const first = await testEngine(target()).engine.start(request(file));
    const req = request(file);
    const error = await testEngine(target()).engine.start(req).then(() => undefined, (e: Error) => e);
    expect(error?.name).to.equal('DuplicateRunError');
    expect(Ledger.read(join(req.ledgerDir, req.runId)).map((r) => r.t)).to.deep.equal(['run', 'abandoned']);
    expect(emu.ingest.jobs.list()).to.have.length(first.jobs.length);
    expect(lastNames()).to.have.length(300);
  });

  it('after kill -9 mid-split, resume keeps the jobs of the parts already sent, loads every row once and leaves no job Open', async () => {
    const req = request(contacts(300));
    const runDir = join(req.ledgerDir, req.runId);
    const child = await runCrashChild({ target: target(), request: req }, 'after-upload:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    const before = Ledger.read(runDir);
    expect(before.some((r) => r.t === 'planned')).to.equal(false);
    const sent = before.filter((r): r is Extract<LedgerRecord, { t: 'created' }> => r.t === 'created').map((r) => r.jobId);
    expect(sent).to.have.length(2);

    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 300, failed: 0, unprocessed: 0, unmatched: 0 });
    expect(result.jobs.slice(0, 2).map((j) => j.id)).to.deep.equal(sent);
    expect(jobStates()).to.deep.equal(result.jobs.map(() => 'JobComplete'));
    expect(new Set(lastNames()).size).to.equal(300);
    expect(lastNames()).to.have.length(300);
  });

  it('after kill -9 mid-split and a change to the file, resume aborts the jobs of the parts that changed and loads the new rows', async () => {
    const req = request(contacts(300));
    const runDir = join(req.ledgerDir, req.runId);
    const child = await runCrashChild({ target: target(), request: req }, 'after-upload:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    const sent = Ledger.read(runDir).filter((r): r is Extract<LedgerRecord, { t: 'created' }> => r.t === 'created').map((r) => r.jobId);
    // The first rows now have other names: parts 1 and 2 hold other bytes.
    contacts(300, (i) => (i <= 20 ? `Renamed${i}` : `Name${i}`));

    const result = await testEngine(target()).engine.resume(runDir, 60_000);
    expect(result).to.include({ status: 'Completed', successful: 300, failed: 0 });
    expect(result.jobs.map((j) => j.id)).to.not.include(sent[0]);
    expect(emu.ingest.jobs.list().find((j) => j.id === sent[0])?.state).to.equal('Aborted');
    expect(lastNames().filter((n) => n.startsWith('Renamed'))).to.have.length(20);
    expect(lastNames()).to.have.length(300);
  });
});
