/*
 * The numbers a load reports are the rows of the files it wrote: in the result (what --json
 * returns) and in the summary printed, with upsert's created and updated apart.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadEvent } from '../../../src/core/run/types.js';
import { reportLoad } from '../../../src/ux/loadReport.js';
import { LoadProgress } from '../../../src/ux/loadProgress.js';

describe('load engine: the numbers reported are the rows written', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-counts-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('upsert: created and updated apart, every count equal to its file, and the same numbers printed', async () => {
    emu.insertRecords('Contact', [
      { LastName: 'Old 1', External_Id__c: 'K-1' },
      { LastName: 'Old 2', External_Id__c: 'K-2' },
    ]);
    const file = join(work, 'contacts.csv');
    writeFileSync(
      file,
      [
        'LastName,Email,External_Id__c',
        'New 1,a@example.com,K-1', // updates
        'New 2,b@example.com,K-2', // updates
        'New 3,c@example.com,K-3', // creates
        'New 4,not-an-email,K-4', // left out by the checks
        'New 5,also-bad,K-5', // left out too
        'New 6,f@example.com,K-6', // creates
        'New 7,g@example.com,K-7', // creates
        '',
      ].join('\n')
    );
    const events: LoadEvent[] = [];
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
    const result = await engine.start({
        object: 'Contact',
        operation: 'upsert',
        externalId: 'External_Id__c',
        files: [file],
        runId: 'upsert-run',
        ledgerDir: join(work, 'runs'),
        resultsDir: join(work, 'out'),
        waitMs: 30_000,
        concurrency: 2,
      });
    const success = readCsv(result.files!.success);
    const rejected = readCsv(result.files!.rejected!);
    expect(result).to.include({ rows: 7, successful: success.length, rejected: rejected.length, failed: readCsv(result.files!.failed).length });
    expect(result).to.include({ successful: 5, created: 3, updated: 2, rejected: 2, failed: 0, retryable: readCsv(result.files!.retry).length });
    expect(success.filter((r) => r.sf__Created === 'true').map((r) => r.External_Id__c)).to.deep.equal(['K-3', 'K-6', 'K-7']);
    expect(success.filter((r) => r.sf__Created === 'false').map((r) => r.External_Id__c)).to.deep.equal(['K-1', 'K-2']);

    const out: string[] = [];
    reportLoad({ log: (l) => out.push(l), warn: (l) => out.push(l), config: { bin: 'sf' } }, result, { waited: true, ledgerDir: '/l', defaultLedger: true });
    expect(out).to.include('Done: 7 rows, 5 succeeded (3 created, 2 updated), 0 failed, 0 not processed, 2 left out by the checks before upload.');

    // The progress line says how many rows were read, how many were left out and how many go.
    const lines: string[] = [];
    const progress = new LoadProgress((l) => lines.push(l), 'contacts.csv');
    for (const e of events) progress.on(e);
    expect(lines[0]).to.match(/^Read 7 rows from contacts\.csv: 2 left out by the checks \(see rejected\.csv\); 5 to send in 1 job\(s\), 1 KB to upload\.$/);
  });

  it('a file whose every row is left out reads as nothing to send', async () => {
    const file = join(work, 'bad.csv');
    writeFileSync(file, 'LastName,Email\n,a@example.com\n');
    const events: LoadEvent[] = [];
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }, (e) => events.push(e));
    const result = await engine.start({ object: 'Contact', operation: 'insert', files: [file], runId: 'none', ledgerDir: join(work, 'runs'), waitMs: 30_000, concurrency: 2 });
    expect(result).to.include({ rows: 1, rejected: 1, successful: 0 });
    const lines: string[] = [];
    const progress = new LoadProgress((l) => lines.push(l), 'bad.csv');
    for (const e of events) progress.on(e);
    expect(lines[0]).to.equal('Read 1 rows from bad.csv: 1 left out by the checks (see rejected.csv); nothing to send.');
  });
});
