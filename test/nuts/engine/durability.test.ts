/*
 * Durability as the ledger claims it: a ledger whose last line was torn by a crash mid-write is
 * repaired by the next run of it and the load finishes exactly; every file a ledger record names
 * (parts, their line maps, rejected.csv, the backup) is fsynced before that record is written.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import type { LoadRequest } from '../../../src/core/run/types.js';
import { pendingRejectedPath } from '../../../src/core/run/runState.js';
import { Ledger, LEDGER_FILE } from '../../../src/core/ledger/ledger.js';
import { syncWatch } from '../../../src/core/io/durable.js';

describe('load engine: ledger and files survive a crash mid-write', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-durable-'));
  });

  afterEach(async () => {
    syncWatch.onSync = undefined;
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const request = (file: string, extra: Partial<LoadRequest> = {}): LoadRequest => contactLoad(file, work, { concurrency: 1, maxJobBytes: 2 * 1024, ...extra });

  const contacts = (rows: number): string => {
    const file = join(work, 'contacts.csv');
    const lines = ['LastName,External_Id__c'];
    for (let i = 1; i <= rows; i++) lines.push(`Name${i},C-${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
    return file;
  };

  it('a torn last line after kill -9 is cut off (kept aside) and resume loads every row exactly once', async () => {
    const req = request(contacts(300));
    const runDir = join(req.ledgerDir, req.runId);
    const child = await runCrashChild({ target: { instanceUrl: emu.url, accessToken: emu.accessToken }, request: req }, 'after-upload:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    const ledgerPath = join(runDir, LEDGER_FILE);
    const whole = readFileSync(ledgerPath, 'utf8');
    // The power went while the next record was half written.
    const torn = '{"t":"closed","chunk":2,"jobId":"750';
    appendFileSync(ledgerPath, torn);

    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.resume(runDir, 60_000);
    expect(result.status).to.equal('Completed');
    expect(result).to.include({ rows: 300, successful: 300, failed: 0, unprocessed: 0, unmatched: 0 });
    const ext = [...emu.store.all('Contact')].map((c) => c.External_Id__c as string);
    expect(ext).to.have.length(300);
    expect(new Set(ext).size).to.equal(300);
    expect(emu.ingest.jobs.list()).to.have.length(result.jobs.length);

    // Repaired: the records from before the crash, untouched, then the resume's own; the torn bytes aside.
    const after = readFileSync(ledgerPath, 'utf8');
    expect(after.startsWith(whole)).to.equal(true);
    // Each line one whole record: nothing was glued to the torn bytes.
    for (const line of after.trimEnd().split('\n')) expect(() => JSON.parse(line) as unknown, line).to.not.throw();
    expect(Ledger.read(runDir).map((r) => r.t)).to.include.members(['merged', 'done']);
    const kept = readdirSync(runDir).filter((f) => f.startsWith('ledger.torn-'));
    expect(kept).to.have.length(1);
    expect(readFileSync(join(runDir, kept[0]), 'utf8')).to.equal(torn);
  });

  it('fsyncs the parts, their line maps and rejected.csv (and their folders) before the ledger names them', async () => {
    const file = join(work, 'mixed.csv');
    const lines = ['LastName,External_Id__c'];
    for (let i = 1; i <= 200; i++) lines.push(i % 50 === 0 ? `,C-${i}` : `Name${i},C-${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const req = request(file);
    const runDir = join(req.ledgerDir, req.runId);
    const synced = watchSyncs(runDir);
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(req);
    expect(result).to.include({ successful: 196, rejected: 4 });
    const planned = Ledger.read(runDir).find((r) => r.t === 'planned');
    if (planned?.t !== 'planned') throw new Error('no planned record');
    const named = [...planned.chunks.flatMap((c) => [c.file, c.linesFile]), pendingRejectedPath(runDir)];
    for (const path of [...named, ...new Set(named.map((p) => dirname(p)))]) {
      expect(synced.get(path), path).to.not.equal(undefined);
      expect(synced.get(path), path).to.not.include('planned');
    }
    // The run folder (and the ledger folder) were synced once the ledger file was created, before its first record.
    expect(synced.get(runDir)).to.deep.equal([]);
    expect(synced.get(req.ledgerDir)).to.deep.equal([]);
  });

  it('fsyncs each job\'s result parts before its results record, and the result files before merged', async () => {
    const file = join(work, 'contacts.csv');
    const lines = ['LastName,External_Id__c'];
    for (let i = 1; i <= 300; i++) lines.push(`Name${i},R-${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const req = request(file, { keepChunks: true });
    const runDir = join(req.ledgerDir, req.runId);
    const synced = watchSyncs(runDir);
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(req);
    expect(result.jobs.length).to.be.greaterThan(1);
    const records = Ledger.read(runDir);
    const resultsRecords = records.filter((r) => r.t === 'results').length;
    for (const chunk of result.jobs.map((j) => j.chunk)) {
      const part = join(runDir, 'parts', `${String(chunk).padStart(4, '0')}.success.csv.tmp`);
      const before = synced.get(part);
      expect(before, part).to.not.equal(undefined);
      // When this part was synced, the ledger held fewer results records than chunks before it.
      expect(before!.filter((t) => t === 'results').length, part).to.be.lessThan(chunk);
    }
    expect(resultsRecords).to.equal(result.jobs.length);
    for (const name of ['success.csv', 'failed.csv', 'unprocessed.csv', 'retry.csv']) {
      const merged = join(runDir, `${name}.tmp`);
      expect(synced.get(merged), merged).to.not.equal(undefined);
      expect(synced.get(merged), merged).to.not.include('merged');
    }
  });

  it('fsyncs the backup before the ledger records it', async () => {
    const ids = emu.insertRecords('Account', Array.from({ length: 30 }, (_, i) => ({ Name: `Acct ${i}` })));
    const file = join(work, 'ids.csv');
    writeFileSync(file, `Id\n${ids.join('\n')}\n`);
    const req = request(file, { object: 'Account', operation: 'hardDelete', confirm: () => Promise.resolve(true) });
    const synced = watchSyncs(join(req.ledgerDir, req.runId));
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(req);
    expect(result.backup).to.include({ ids: 30, records: 30 });
    const backup = result.backup!.file;
    expect(synced.get(backup)).to.not.equal(undefined);
    expect(synced.get(backup)).to.not.include('backup');
    expect(synced.get(dirname(backup))).to.not.include('backup');
  });
});

/** For each path synced: the types of the records the run's ledger held at that moment (first sync). */
function watchSyncs(runDir: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  syncWatch.onSync = (path): void => {
    if (seen.has(path) || path === join(runDir, LEDGER_FILE)) return;
    seen.set(path, existsSync(join(runDir, LEDGER_FILE)) ? Ledger.read(runDir).map((r) => r.t) : []);
  };
  return seen;
}
