/*
 * The processing model (README: "The org emulator", Processing model): an org-wide queue of 10,000-row chunks
 * (V2) and batches (V1) served by a few workers, per-row cost from a base cost plus the object's
 * automation cost, parent-record locks held for a chunk's processing time with UNABLE_TO_LOCK_ROW
 * past the 10 s lock time-out, chunk retries and unprocessed rows, job info that matches the
 * results, and a clock that runs fast while the org works and can be advanced.
 */
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { DEFAULT_SETTINGS } from '../../emulator/context.js';
import { V1, call, control, ms, readCsv, results, runIngest, runV1, submitIngest, waitForIngest, waitForV1, xmlText } from './support.js';

const LOCK_ERROR = /^UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: (\w{18}):--$/;
const BASE = DEFAULT_SETTINGS.baseRowCostMs;

/** Two custom objects that differ only in their automation cost. */
const COST_OBJECTS = [
  { name: 'Plain__c', automationCostMs: 0, fields: [{ name: 'Code__c', type: 'string' as const, length: 20, externalId: true }] },
  { name: 'Heavy__c', automationCostMs: 8, fields: [{ name: 'Code__c', type: 'string' as const, length: 20, externalId: true }] },
];

const namesCsv = (rows: number, prefix = 'R'): string =>
  'Name,Code__c\n' + Array.from({ length: rows }, (_, i) => `${prefix} ${i},${prefix}-${i}`).join('\n') + '\n';

describe('emulator processing model', function () {
  this.timeout(60_000);
  let emu: Emulator | undefined;

  afterEach(async () => {
    await emu?.stop();
    emu = undefined;
  });

  describe('row locks: 50,000 Contacts over 5 Accounts', () => {
    /** Five Accounts, and 50,000 Contact rows that cycle through them (every chunk touches all five). */
    const setUp = async (): Promise<{ accounts: string[]; rows: string[][] }> => {
      emu = await startEmulator();
      const accounts = emu.insertRecords('Account', [1, 2, 3, 4, 5].map((i) => ({ Name: `Parent ${i}` })));
      const rows = Array.from({ length: 50_000 }, (_, i) => [accounts[i % 5], `Contact ${i}`]);
      return { accounts, rows };
    };
    const csvOf = (rows: string[][]): string => 'AccountId,LastName\n' + rows.map((r) => r.join(',')).join('\n') + '\n';
    let unsortedLocks = 0;

    it('one V2 job with the default workers: some rows fail with UNABLE_TO_LOCK_ROW on their Account, counted in job info', async () => {
      const { accounts, rows } = await setUp();
      const run = await runIngest(emu!, 'Contact', 'insert', csvOf(rows));
      const { info, successful, failed } = run;
      const locked = failed.filter((f) => f.sf__Error.startsWith('UNABLE_TO_LOCK_ROW'));
      unsortedLocks = locked.length;

      expect(info.state).to.equal('JobComplete');
      expect(locked.length, 'some rows lose the race for their parent').to.be.greaterThan(0);
      expect(locked.length, 'most rows still load').to.be.lessThan(25_000);
      for (const f of locked) {
        const m = LOCK_ERROR.exec(f.sf__Error);
        expect(m, f.sf__Error).to.not.equal(null);
        expect(accounts).to.include(m![1]);
        expect(accounts).to.include(f.AccountId);
        expect(f.sf__Id).to.equal('');
      }
      // Job info matches the result files and the org.
      expect(info.numberRecordsProcessed).to.equal(50_000);
      expect(info.numberRecordsFailed).to.equal(failed.length);
      expect(successful.length + failed.length).to.equal(50_000);
      expect(emu!.store.count('Contact')).to.equal(successful.length);
      // Each wait for a lock is a retry; active time counts the rows applied, total time the waits too.
      expect(info.retries).to.be.greaterThan(0);
      expect(info.apiActiveProcessingTime).to.equal((50_000 - locked.length) * BASE);
      expect(info.totalProcessingTime).to.be.greaterThan(info.apiActiveProcessingTime);
      expect(info.apexProcessingTime).to.equal(0);
      console.log(`      V2 unsorted: ${locked.length} UNABLE_TO_LOCK_ROW, retries ${info.retries}, ${(ms(info.systemModstamp) - ms(info.createdDate)) / 1000} s simulated`);
    });

    it('the same rows in one V1 Serial job (five batches, one at a time): no UNABLE_TO_LOCK_ROW', async () => {
      const { rows } = await setUp();
      const batches = [0, 1, 2, 3, 4].map((b) => csvOf(rows.slice(b * 10_000, (b + 1) * 10_000)));
      const { jobId, batchIds } = await runV1(emu!, 'Contact', 'insert', 'Serial', batches);
      const job = await waitForV1(emu!, jobId);

      expect(xmlText(job, 'numberBatchesCompleted')).to.equal('5');
      expect(xmlText(job, 'numberRecordsProcessed')).to.equal('50000');
      expect(xmlText(job, 'numberRecordsFailed')).to.equal('0');
      expect(xmlText(job, 'numberRetries')).to.equal('0');
      let rowsBack = 0;
      for (const id of batchIds) {
        const res = readCsv((await call(emu!, 'GET', `${V1}/job/${jobId}/batch/${id}/result`)).text);
        rowsBack += res.length;
        expect(res.filter((r) => r.Error.startsWith('UNABLE_TO_LOCK_ROW'))).to.have.length(0);
      }
      expect(rowsBack).to.equal(50_000);
      expect(emu!.store.count('Contact')).to.equal(50_000);
      // One batch at a time: each starts after the previous one ended.
      const v1 = emu!.bulkV1.getJob(jobId)!;
      for (let i = 1; i < 5; i++) expect(v1.batches[i].startSeq).to.be.greaterThan(v1.batches[i - 1].endSeq!);
    });

    it('the same rows sorted by AccountId: far fewer UNABLE_TO_LOCK_ROW than unsorted', async () => {
      const { rows } = await setUp();
      const sorted = [...rows].sort((a, b) => a[0].localeCompare(b[0]));
      const { info, failed } = await runIngest(emu!, 'Contact', 'insert', csvOf(sorted));
      const locked = failed.filter((f) => f.sf__Error.startsWith('UNABLE_TO_LOCK_ROW')).length;
      expect(info.state).to.equal('JobComplete');
      expect(unsortedLocks, 'the unsorted run came first').to.be.greaterThan(0);
      expect(locked * 10, `${locked} sorted vs ${unsortedLocks} unsorted`).to.be.lessThan(unsortedLocks);
      expect(info.numberRecordsFailed).to.equal(failed.length);
      console.log(`      V2 sorted: ${locked} UNABLE_TO_LOCK_ROW, retries ${info.retries}, ${(ms(info.systemModstamp) - ms(info.createdDate)) / 1000} s simulated`);
    });
  });

  it('the same 20,000 rows take measurably more simulated time on an object with automation cost', async () => {
    emu = await startEmulator({ seed: { objects: COST_OBJECTS } });
    const plain = (await runIngest(emu, 'Plain__c', 'insert', namesCsv(20_000))).info;
    const heavy = (await runIngest(emu, 'Heavy__c', 'insert', namesCsv(20_000))).info;
    const span = (i: typeof plain): number => ms(i.systemModstamp) - ms(i.createdDate);

    expect([plain.state, heavy.state]).to.deep.equal(['JobComplete', 'JobComplete']);
    expect([plain.numberRecordsProcessed, heavy.numberRecordsProcessed]).to.deep.equal([20_000, 20_000]);
    // rows × (base + automation), and the automation part as Apex time.
    expect(plain.apiActiveProcessingTime).to.equal(20_000 * BASE);
    expect(plain.apexProcessingTime).to.equal(0);
    expect(heavy.apiActiveProcessingTime).to.equal(20_000 * (BASE + 8));
    expect(heavy.apexProcessingTime).to.equal(20_000 * 8);
    expect(heavy.totalProcessingTime).to.be.at.least(4 * plain.totalProcessingTime);
    expect(span(heavy) - span(plain), 'the job takes longer on the org clock').to.be.greaterThan(60_000);
    console.log(`      20,000 rows: ${span(plain) / 1000} s simulated without automation, ${span(heavy) / 1000} s with 8 ms/row`);
  });

  it('a chunk past its time limit is retried with its remaining rows; out of retries, the job fails and the rest is unprocessed', async () => {
    emu = await startEmulator({ seed: { objects: COST_OBJECTS }, settings: { chunkTimeLimitMs: 5000 } });
    // 10,000 rows × 2 ms = 20 s: four runs of at most 5 s each, three retries.
    const retried = await runIngest(emu, 'Plain__c', 'insert', namesCsv(10_000, 'A'));
    expect(retried.info).to.include({ state: 'JobComplete', numberRecordsProcessed: 10_000, numberRecordsFailed: 0, retries: 3 });
    expect(retried.successful).to.have.length(10_000);

    emu.settings.chunkMaxRetries = 1;
    const failed = await runIngest(emu, 'Plain__c', 'insert', namesCsv(10_000, 'B'));
    expect(failed.info.state).to.equal('Failed');
    expect(failed.info.errorMessage).to.equal('InternalServerError : Retried more than 1 times');
    expect(failed.info.retries).to.equal(1);
    const processed = failed.info.numberRecordsProcessed;
    expect(processed).to.be.within(1, 9999);
    expect(failed.successful.length + failed.failed.length).to.equal(processed);
    expect(failed.unprocessed).to.have.length(10_000 - processed);
    // Unprocessed rows are the tail the chunk never reached, in input order.
    expect(failed.unprocessed.map((r) => r.Code__c)).to.deep.equal(Array.from({ length: 10_000 - processed }, (_, i) => `B-${processed + i}`));
    expect([...emu.store.all('Plain__c')].filter((r) => String(r.Code__c).startsWith('B-'))).to.have.length(processed);
  });

  it('runs on a settable clock speed, and the control call that advances the clock finishes what was due', async () => {
    emu = await startEmulator({ seed: { objects: COST_OBJECTS } });
    expect((await control(emu, 'POST', '/clock', { speed: 1 })).json).to.include({ speed: 1 });
    // 1,000 rows × 2 ms = 2 s of simulated work, now at real speed.
    const id = await submitIngest(emu, 'Plain__c', 'insert', namesCsv(1000));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const midway = (await call(emu, 'GET', `/services/data/v66.0/jobs/ingest/${id}`)).json as { state: string; numberRecordsProcessed: number };
    expect(midway.state).to.be.oneOf(['UploadComplete', 'InProgress']);
    expect(midway.numberRecordsProcessed).to.be.lessThan(1000);

    const before = Date.parse(((await control(emu, 'GET', '/clock')).json as { now: string }).now);
    const advanced = (await control(emu, 'POST', '/clock', { advanceMs: 60_000 })).json as { now: string };
    expect(Date.parse(advanced.now) - before).to.be.within(60_000, 61_000);
    const info = (await call(emu, 'GET', `/services/data/v66.0/jobs/ingest/${id}`)).json as { state: string; numberRecordsProcessed: number; totalProcessingTime: number };
    expect(info).to.include({ state: 'JobComplete', numberRecordsProcessed: 1000, totalProcessingTime: 1000 * BASE });
  });

  it('jobs compete for the org-wide workers', async () => {
    const endsOf = async (workers: number): Promise<number[]> => {
      emu = await startEmulator({ seed: { objects: COST_OBJECTS }, settings: { workers, clockSpeed: 1 } });
      // Both jobs reach the queue at (nearly) the same simulated moment, then the clock jumps.
      const ids = [await submitIngest(emu, 'Plain__c', 'insert', namesCsv(10_000, 'X')), await submitIngest(emu, 'Plain__c', 'insert', namesCsv(10_000, 'Y'))];
      await new Promise((resolve) => setTimeout(resolve, 100));
      await control(emu, 'POST', '/clock', { advanceMs: 120_000 });
      const infos = await Promise.all(ids.map((id) => waitForIngest(emu!, id)));
      for (const info of infos) expect(info).to.include({ state: 'JobComplete', numberRecordsProcessed: 10_000, totalProcessingTime: 10_000 * BASE });
      await emu.stop();
      emu = undefined;
      return infos.map((i) => ms(i.systemModstamp));
    };
    const [a1, b1] = await endsOf(1);
    expect(b1 - a1, 'one worker: the second job waits for the first').to.be.within(19_000, 21_000);
    const [a2, b2] = await endsOf(2);
    expect(Math.abs(b2 - a2), 'two workers: side by side').to.be.lessThan(1000);
  });

  it('reports the queue through GET /__emulator/processing', async () => {
    emu = await startEmulator({ seed: { objects: COST_OBJECTS }, settings: { clockSpeed: 1 } });
    const id = await submitIngest(emu, 'Plain__c', 'insert', namesCsv(25_000));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stats = (await control(emu, 'GET', '/processing')).json as { busy: boolean; running: number; chunks: Array<{ jobId: string; rows: number }> };
    expect(stats.busy).to.equal(true);
    expect(stats.running).to.equal(3);
    expect(stats.chunks.map((c) => [c.jobId, c.rows])).to.deep.equal([
      [id, 10_000],
      [id, 10_000],
      [id, 5000],
    ]);
    await control(emu, 'POST', '/clock', { advanceMs: 30_000 });
    expect(((await control(emu, 'GET', '/processing')).json as { busy: boolean }).busy).to.equal(false);
    expect((await results(emu, id)).successful).to.have.length(25_000);
  });
});
