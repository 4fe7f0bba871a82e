/*
 * reconcile --job-id --file with a job that failed half-way, given without the other job of the same
 * file: only the rows the failed job lists as never processed are worth sending again; the rows of
 * the file in none of its results (the other job's, which loaded) are not: loading retry.csv would
 * make them twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine, testHttp } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import { BulkV2 } from '../../../src/core/bulk/bulkV2.js';
import { retrier, retrySettings } from '../../../src/core/org/connection.js';
import { reconcileJobs } from '../../../src/core/reconcile/reconcileJobs.js';

describe('reconcile --job-id --file: a failed job given without the rest of the file\'s jobs', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-jobs-subset-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('puts only the rows the job never processed in retry.csv; the others are for the org to check', async () => {
    const target = { instanceUrl: emu.url, accessToken: emu.accessToken };
    const file = join(work, 'contacts.csv');
    writeFileSync(file, 'LastName,External_Id__c\n' + Array.from({ length: 40 }, (_, i) => `Row ${i},R-${i}`).join('\n') + '\n');
    const { engine } = testEngine(target);
    emu.addJobFailure({ afterRows: 5 });
    const load = await engine.start(contactLoad(file, work, { maxJobBytes: 400, concurrency: 1 }));
    const failed = load.jobs.find((j) => j.state === 'Failed')!;
    const other = load.jobs.filter((j) => j !== failed);
    expect(other.length).to.be.greaterThan(0);
    expect(other.every((j) => j.state === 'JobComplete')).to.equal(true);

    const http = testHttp(target);
    const r = await reconcileJobs({ bulk: new BulkV2(http), http, retry: retrier(retrySettings()), jobIds: [failed.id], file, outputDir: join(work, 'out') });
    const neverProcessed = failed.rows - 5;
    const elsewhere = other.reduce((n, j) => n + j.rows, 0);
    expect(r.counts).to.include({ rows: 40, succeeded: 5, unprocessed: neverProcessed + elsewhere, retryable: neverProcessed });
    const inFailed = (line: number): boolean => line >= failed.firstLine && line <= failed.lastLine;
    const rows = readCsv(r.files.rows).filter((x) => x.sf__State === 'unprocessed');
    for (const x of rows) expect(x.sf__Action, `line ${x.sf__Line}`).to.equal(inFailed(Number(x.sf__Line)) ? 'retry' : 'check-org');
    const loaded = new Set(readCsv(load.files!.success).map((x) => x.External_Id__c));
    const retry = readCsv(r.files.retry);
    expect(retry).to.have.length(neverProcessed);
    expect(retry.filter((x) => loaded.has(x.External_Id__c))).to.have.length(0);
  });
});
