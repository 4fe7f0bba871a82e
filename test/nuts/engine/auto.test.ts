/*
 * --concurrency auto against the emulator: the decision from the data shape (grouped for Contacts
 * over a few Accounts, by AccountId and by Account.External_Id__c; parallel for rows without a
 * parent), fewer UNABLE_TO_LOCK_ROW than plain parallel on the same rows, every row once, results
 * joined to the original lines after the sort, and an exact resume after kill -9 mid-load.
 *
 * The emulator's chunks are made 1,000 rows (and the engine told so) and its lock time-out 500 ms,
 * so that a few thousand rows show what 10,000-row chunks show at scale.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import { scrambledParents } from '../../helpers/skew.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadEvent, LoadRequest, LoadResult } from '../../../src/core/run/types.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import { reconcileRun } from '../../../src/core/reconcile/reconcileRun.js';

const CHUNK = 1000;
/** Children per Account: skewed, one Account holds more than a chunk. */
const SKEW = [2500, 1500, 1000, 500, 300, 200];

describe('--concurrency auto against the emulator', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let work: string;
  let accounts: string[];

  beforeEach(async () => {
    emu = await startEmulator({ settings: { chunkSize: CHUNK, lockTimeoutMs: 500 } });
    accounts = emu.insertRecords('Account', SKEW.map((_, i) => ({ Name: `Parent ${i}`, External_Id__c: `ACC-${i}` })));
    work = mkdtempSync(join(tmpdir(), 'bulkops-auto-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Contacts over the Accounts in a scrambled (deterministic) order; line i + 2 holds contact i. */
  const childRows = (): number[] => scrambledParents(SKEW);
  const writeContacts = (by: 'AccountId' | 'Account.External_Id__c'): { file: string; parents: number[] } => {
    const parents = childRows();
    const file = join(work, `contacts-${by === 'AccountId' ? 'id' : 'ext'}.csv`);
    const cell = (a: number): string => (by === 'AccountId' ? accounts[a] : `acc-${a}`); // external IDs match ignoring case
    writeFileSync(file, `LastName,External_Id__c,${by}\n` + parents.map((a, i) => `Contact ${i},C-${i},${cell(a)}`).join('\n') + '\n');
    return { file, parents };
  };

  // Plain parallel: parts of about 2,000 rows, two chunks each.
  const request = (file: string, extra: Partial<LoadRequest> = {}): LoadRequest =>
    contactLoad(file, work, { waitMs: 240_000, maxJobBytes: 2000 * 42, chunkRows: CHUNK, ...extra });
  const locks = (r: LoadResult): number => r.errorCodes.find((c) => c.code === 'UNABLE_TO_LOCK_ROW')?.count ?? 0;

  /** Every contact in the org once, with the parent its line names; success.csv joined to the right lines. */
  const expectEveryRowOnce = (result: LoadResult, parents: number[]): void => {
    const contacts = [...emu.store.all('Contact')];
    expect(contacts).to.have.length(parents.length);
    expect(new Set(contacts.map((c) => c.External_Id__c)).size).to.equal(parents.length);
    const success = readCsv(result.files!.success);
    expect(success.map((r) => Number(r.sf__Line))).to.deep.equal(parents.map((_, i) => i + 2));
    for (const row of success) {
      const i = Number(row.sf__Line) - 2;
      expect(row.LastName).to.equal(`Contact ${i}`);
      const rec = emu.store.get('Contact', row.sf__Id)!;
      expect(rec.External_Id__c).to.equal(`C-${i}`);
      expect(rec.AccountId).to.equal(accounts[parents[i]]);
    }
  };

  for (const by of ['AccountId', 'Account.External_Id__c'] as const) {
    it(`groups skewed Contacts by ${by}: fewer lock failures than plain parallel, every row once, lines joined`, async () => {
      const { file, parents } = writeContacts(by);
      const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
      const plain = await engine.start(request(file));
      expect(plain.concurrency).to.equal(undefined);
      const plainLocks = locks(plain);
      expect(plainLocks, 'plain parallel loses rows to locks').to.be.greaterThan(0);
      // The same rows again, into an empty org: auto.
      const contact = emu.store.describe('Contact')!;
      for (const c of [...emu.store.all('Contact')]) emu.store.hardDelete(contact, c);
      expect(emu.store.count('Contact')).to.equal(0);

      const events: LoadEvent[] = [];
      const { engine: autoEngine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
      const auto = await autoEngine.start(request(file, { autoConcurrency: true, force: true }));
      const decision = auto.concurrency!.decision;
      expect(decision).to.include({ mode: 'grouped', partRows: CHUNK, maxInFlight: 5 });
      expect(decision.groupBy).to.deep.equal({ index: 2, header: by });
      expect(decision.reason).to.equal(
        `grouped by ${by}: 6,000 rows share 6 Account records (up to 2,500 on one); 2 of them have more than a 1,000-row chunk holds: the parts of each load one at a time`
      );
      expect(events.find((e) => e.type === 'concurrency')).to.deep.equal({ type: 'concurrency', mode: 'grouped', reason: decision.reason });
      const planned = Ledger.read(auto.runDir).find((r) => r.t === 'planned');
      expect(planned && planned.t === 'planned' && planned.concurrency).to.deep.equal(decision);
      // Parts of one chunk, each parent's children in as few parts as possible: 2,500 in 3 parts, 1,500
      // in 2 (sharing one with the first parent's last 500), 1,000 in one of its own, the last three together.
      expect(auto.jobs.map((j) => j.rows)).to.deep.equal([1000, 1000, 1000, 1000, 1000, 1000]);
      const parts = planned && planned.t === 'planned' ? planned.chunks.map((c) => c.parentKeys) : [];
      const key = (a: number): string => (by === 'AccountId' ? accounts[a].slice(0, 15) : `acc-${a}`);
      expect(parts).to.deep.equal([
        { first: key(0), last: key(0) },
        { first: key(0), last: key(0) },
        { first: key(0), last: key(1) },
        { first: key(1), last: key(1) },
        { first: key(2), last: key(2) },
        { first: key(3), last: key(5) },
      ]);

      const autoLocks = locks(auto);
      console.log(`      ${by}: UNABLE_TO_LOCK_ROW plain parallel ${plainLocks} of 6,000, auto (grouped) ${autoLocks}; jobs ${plain.jobs.length} vs ${auto.jobs.length}`);
      expect(autoLocks).to.equal(0);
      expect(auto).to.include({ status: 'Completed', rows: 6000, successful: 6000, failed: 0 });
      expectEveryRowOnce(auto, parents);

      // Reconcile finds each line's part, though the parts' line ranges overlap: only the .lines files stay.
      expect(readdirSync(join(auto.runDir, 'chunks')).every((f) => f.endsWith('.lines'))).to.equal(true);
      const rec = await reconcileRun(auto.runDir);
      expect(rec.counts).to.include({ rows: 6000, succeeded: 6000, failed: 0, pending: 0, neverSent: 0 });
      const seen = SKEW.map(() => 0);
      const partOf = parents.map((a) => {
        // Parent a's children, in line order, fill the parts after those of the parents before it.
        const start = a === 0 ? 0 : [2500, 4000, 5000, 5000, 5000][a - 1];
        const at = a >= 3 ? 5000 : start + seen[a]++;
        return Math.floor(at / CHUNK) + 1;
      });
      const jobOf = new Map(auto.jobs.map((j) => [j.chunk, j.id]));
      for (const row of readCsv(rec.files.rows)) {
        const i = Number(row.sf__Line) - 2;
        expect([row.sf__State, row.sf__Part, row.sf__JobId], `line ${row.sf__Line}`).to.deep.equal(['succeeded', String(partOf[i]), jobOf.get(partOf[i])]);
      }
    });
  }

  it('sends Cases whose Account and Contact columns both share parents serially, one chunk at a time', async () => {
    const contacts = emu.insertRecords('Contact', [0, 1, 2, 3, 4].map((i) => ({ LastName: `Parent ${i}` })));
    const file = join(work, 'cases.csv');
    writeFileSync(file, 'Subject,AccountId,ContactId\n' + childRows().slice(0, 3000).map((a, i) => `Case ${i},${accounts[a]},${contacts[(i * 7) % 5]}`).join('\n') + '\n');
    const events: LoadEvent[] = [];
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
    const result = await engine.start(request(file, { object: 'Case', autoConcurrency: true }));
    expect(result.concurrency!.decision).to.deep.equal({
      mode: 'serial',
      reason: 'serial: AccountId and ContactId both share parents, and rows sorted for one scatter the other; one 1,000-row part at a time',
      partRows: CHUNK,
      maxInFlight: 1,
    });
    expect(result.jobs.map((j) => j.rows)).to.deep.equal([1000, 1000, 1000]);
    // One job at a time: each is closed (handed to the org to process) after the one before it ended;
    // their data went up as the file was split.
    const order = events.filter((e) => e.type === 'job-uploaded' || e.type === 'job-done').map((e) => e.type);
    expect(order).to.deep.equal(['job-uploaded', 'job-done', 'job-uploaded', 'job-done', 'job-uploaded', 'job-done']);
    expect(result).to.include({ status: 'Completed', successful: 3000, failed: 0 });
    const success = readCsv(result.files!.success);
    expect(success.map((r) => Number(r.sf__Line))).to.deep.equal(Array.from({ length: 3000 }, (_, i) => i + 2));
  });

  it('sends rows without a parent column parallel as they are', async () => {
    const file = join(work, 'accounts.csv');
    writeFileSync(file, 'Name,External_Id__c\n' + Array.from({ length: 3000 }, (_, i) => `Account ${i},A-${i}`).join('\n') + '\n');
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(request(file, { object: 'Account', autoConcurrency: true }));
    expect(result.concurrency!.decision).to.deep.equal({ mode: 'parallel', reason: 'parallel: no lookup or master-detail column, so no row locks a parent', maxInFlight: 5 });
    expect(result).to.include({ status: 'Completed', successful: 3000 });
    // Parts as plain parallel cuts them (by size), not one chunk each.
    expect(result.jobs.some((j) => j.rows > CHUNK)).to.equal(true);
  });

  it('lowers the jobs in flight when lock failures rise where the file shows no parent (an update of master-detail children)', async () => {
    // Invoices of one Account: an update by Id locks each invoice's master-detail Account, which no column shows.
    const ids = emu.insertRecords('Invoice__c', Array.from({ length: 8000 }, (_, i) => ({ Account__c: accounts[0], Invoice_Number__c: `INV-${i}` })));
    const file = join(work, 'invoices.csv');
    writeFileSync(file, 'Id,Amount__c\n' + ids.map((id, i) => `${id},${i}`).join('\n') + '\n');
    const events: LoadEvent[] = [];
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
    // Parts of about 2,000 rows: two chunks each, which the org runs side by side.
    const result = await engine.start(request(file, { object: 'Invoice__c', operation: 'update', autoConcurrency: true, maxJobBytes: 48 * 1024 }));
    expect(result.concurrency!.decision.mode).to.equal('parallel');
    const lowered = events.filter((e): e is Extract<LoadEvent, { type: 'in-flight' }> => e.type === 'in-flight');
    console.log(`      ${locks(result)} UNABLE_TO_LOCK_ROW of 8,000 in ${result.jobs.length} jobs; jobs in flight: ${lowered.map((e) => `${e.limit} (${e.reason})`).join(', ')}`);
    expect(lowered.length).to.be.greaterThan(0);
    expect(lowered[0].limit).to.be.lessThan(5);
    expect(lowered[0].reason).to.match(/^UNABLE_TO_LOCK_ROW on \d+\.\d% of the last [\d,]+ rows$/);
    expect(result.concurrency!.changes.map((c) => c.limit)).to.deep.equal(lowered.map((e) => e.limit));
  });

  it('lowers the jobs in flight when the org throttles, and says so in an event and the JSON', async () => {
    const file = join(work, 'accounts.csv');
    writeFileSync(file, 'Name\n' + Array.from({ length: 3000 }, (_, i) => `Account ${i}`).join('\n') + '\n');
    // The first job's first two polls are refused as over the API limit (then retried).
    emu.addFault({ kind: 'limit', method: 'GET', path: '/jobs/ingest/750', count: 2 });
    const events: LoadEvent[] = [];
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
    const result = await engine.start(request(file, { object: 'Account', autoConcurrency: true }));
    expect(result).to.include({ status: 'Completed', successful: 3000 });
    const reason = 'the org throttles requests (REQUEST_LIMIT_EXCEEDED)';
    // Two throttled calls in a row: lowered once (a cool-down of 10 s between changes).
    expect(events.filter((e) => e.type === 'in-flight')).to.deep.equal([{ type: 'in-flight', limit: 4, reason }]);
    expect(result.concurrency!.changes.map((c) => [c.limit, c.reason])).to.deep.equal([[4, reason]]);
  });

  it('--wait 0 sends no part that shares a parent with a job still running; resume sends the rest, with no lock failure', async () => {
    const { file, parents } = writeContacts('AccountId');
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const req = request(file, { autoConcurrency: true, waitMs: 0 });
    const first = await engine.start(req);
    expect(first.status).to.equal('InProgress');
    // Parts 2 and 3 hold children of the first Account, as part 1 does (3 also of the second, as 4
    // does): their jobs were uploaded as the file was split, but are not closed (nothing processed).
    expect(first.jobs.filter((j) => j.state !== 'Open').map((j) => j.chunk)).to.deep.equal([1, 4, 5, 6]);
    expect(first.jobs.filter((j) => j.state === 'Open').map((j) => j.chunk)).to.deep.equal([2, 3]);
    const done = await engine.resume(join(req.ledgerDir, req.runId), 240_000);
    expect(done).to.include({ status: 'Completed', rows: 6000, successful: 6000, failed: 0 });
    expectEveryRowOnce(done, parents);
  });

  it('resumes a grouped load killed mid-way exactly: every row once, lines joined', async () => {
    const { file, parents } = writeContacts('AccountId');
    const req = request(file, { autoConcurrency: true });
    const child = await runCrashChild({ target: { instanceUrl: emu.url, accessToken: emu.accessToken }, request: req }, 'after-close:4');
    expect(child.signal, child.stderr).to.equal('SIGKILL');
    const before = Ledger.read(join(req.ledgerDir, req.runId));
    expect(before.some((r) => r.t === 'planned' && r.concurrency?.mode === 'grouped')).to.equal(true);
    expect(readFileSync(join(req.ledgerDir, req.runId, 'ledger.jsonl'), 'utf8')).to.include('"parentKeys"');

    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.resume(join(req.ledgerDir, req.runId), 240_000);
    expect(result).to.include({ status: 'Completed', rows: 6000, successful: 6000, failed: 0, unmatched: 0 });
    expect(result.concurrency!.decision.mode).to.equal('grouped');
    expectEveryRowOnce(result, parents);
    const jobs = emu.ingest.jobs.list();
    expect(jobs.filter((j) => j.state === 'Open' || j.state === 'UploadComplete')).to.have.length(0);
  });
});
