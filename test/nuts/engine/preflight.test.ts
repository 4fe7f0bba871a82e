/*
 * The checks before upload, through the engine against the emulator's describe: a header problem
 * stops the load with nothing sent; bad rows are left out into rejected.csv with their line and
 * reason (or sent anyway when asked); --dry-run reports every problem and sends nothing.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadRequest } from '../../../src/core/run/types.js';
import { PreflightFailedError } from '../../../src/core/load/inputs.js';

describe('load engine: checks before upload', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-preflight-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const request = (name: string, content: string, extra: Partial<LoadRequest> = {}): LoadRequest => {
    const file = join(work, name);
    writeFileSync(file, content);
    return { object: 'Contact', operation: 'insert', files: [file], runId: name, ledgerDir: join(work, 'runs'), waitMs: 30_000, concurrency: 2, ...extra };
  };

  const BAD_ROWS = 'LastName,Email,Birthdate\nGood,g@example.com,1990-01-31\n,nolast@example.com,1990-01-01\nBad,not-an-email,1990-02-30\nAlso Good,,\n';

  it('stops on a misspelt header field, suggesting the right name, before anything is sent', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    let error: unknown;
    try {
      await engine.start(request('typo.csv', 'LastNmae,Email\nA,a@example.com\n'));
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(PreflightFailedError);
    const report = (error as PreflightFailedError).report;
    expect(report.kinds[0]).to.include({ kind: 'unknown-field', scope: 'job', count: 1 });
    expect(report.kinds[0].examples[0].message).to.match(/typo\.csv:1 \(LastNmae\).*did you mean LastName\?/);
    expect(emu.requests.filter((r) => r.path.includes('/jobs/'))).to.have.length(0);
  });

  it('leaves bad rows out into rejected.csv with line and reason, and loads the rest', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(request('rows.csv', BAD_ROWS, { resultsDir: join(work, 'out') }));
    expect(result).to.include({ rows: 4, rejected: 2, successful: 2, failed: 0 });
    expect([...emu.store.all('Contact')].map((c) => c.LastName).sort()).to.deep.equal(['Also Good', 'Good']);
    const rejected = readCsv(result.files!.rejected!);
    expect(rejected.map((r) => r.sf__Line)).to.deep.equal(['3', '4']);
    expect(rejected[0].sf__Reason).to.match(/LastName/);
    expect(rejected[1].sf__Reason).to.match(/Email.*Birthdate|Birthdate.*Email/s);
    expect(result.preflight?.kinds.map((k) => k.kind).sort()).to.deep.equal(['bad-date', 'bad-email', 'missing-required']);
  });

  it('sends the bad rows anyway with keepInvalidRows, and the org fails them', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(request('keep.csv', BAD_ROWS, { keepInvalidRows: true }));
    expect(result).to.include({ rows: 4, rejected: 0, successful: 2, failed: 2 });
    expect(result.preflight?.problemRows).to.equal(2);
    expect(readCsv(result.files!.failed).map((r) => [r.sf__Line, r.sf__ErrorCode])).to.deep.equal([
      ['3', 'REQUIRED_FIELD_MISSING'],
      ['4', 'INVALID_FIELD'], // the org reports the bad date (cell format) first
    ]);
  });

  it('--dry-run checks every row, reports grouped problems with lines, and sends nothing', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.check(request('dry.csv', BAD_ROWS, { resultsDir: join(work, 'out') }));
    expect(result.status).to.equal('Checked');
    expect(result.preflight).to.include({ ok: false, rowsChecked: 4, problemRows: 2 });
    const byKind = Object.fromEntries(result.preflight!.kinds.map((k) => [k.kind, k.examples.map((e) => e.line)]));
    expect(byKind).to.deep.equal({ 'missing-required': [3], 'bad-email': [4], 'bad-date': [4] });
    expect(emu.requests.filter((r) => r.path.includes('/jobs/'))).to.have.length(0);
    expect(emu.store.count('Contact')).to.equal(0);
  });
});

describe('load engine: rows sharing an external ID', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-dupes-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const upsert = (files: Record<string, string>, extra: Partial<LoadRequest> = {}): LoadRequest => {
    const paths = Object.entries(files).map(([name, content]) => {
      const file = join(work, name);
      writeFileSync(file, content);
      return file;
    });
    return {
      object: 'Contact',
      operation: 'upsert',
      externalId: 'External_Id__c',
      files: paths,
      runId: `dupes-${Math.random().toString(36).slice(2, 8)}`,
      ledgerDir: join(work, 'runs'),
      resultsDir: join(work, `out-${Math.random().toString(36).slice(2, 8)}`),
      waitMs: 30_000,
      concurrency: 2,
      ...extra,
    };
  };

  const inOrg = (): string[] => [...emu.store.all('Contact')].map((c) => `${String(c.External_Id__c)} ${String(c.LastName)}`).sort();

  it('leaves every row of a duplicated external ID out, in one file and across files, with its twins\' lines', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(
      upsert({
        'a.csv': 'LastName,External_Id__c\nFirst,K-1\nUnique,K-2\nSecond,k-1\nSpread,K-3\n',
        'b.csv': 'External_Id__c,LastName\nK-3,Spread again\nK-4,Alone\nK-1,Third\n',
      })
    );
    expect(inOrg()).to.deep.equal(['K-2 Unique', 'K-4 Alone']);
    const rejected = readCsv(result.files!.rejected!);
    expect(rejected.map((r) => [r.sf__File, r.sf__Line, r.LastName])).to.deep.equal([
      ['a.csv', '2', 'First'],
      ['a.csv', '4', 'Second'],
      ['a.csv', '5', 'Spread'],
      ['b.csv', '2', 'Spread again'],
      ['b.csv', '4', 'Third'],
    ]);
    expect(rejected[0].sf__Reason).to.equal(
      'External_Id__c: External_Id__c "K-1" is also on lines a.csv:4, b.csv:4: Salesforce would fail all 3 rows that share it, so none of them is sent; keep one row per value, or send one with --duplicates first or --duplicates last'
    );
    expect(rejected[3].sf__Reason).to.contain('is also on line a.csv:5');
    expect(result).to.include({ rows: 7, rejected: 5, successful: 2 });
  });

  it('--duplicates last sends the last row of each external ID, and says so in the report', async () => {
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(upsert({ 'c.csv': 'LastName,External_Id__c\nOld,K-1\nOther,K-2\nNew,K-1\n' }, { duplicates: 'last' }));
    expect(inOrg()).to.deep.equal(['K-1 New', 'K-2 Other']);
    expect(readCsv(result.files!.rejected!).map((r) => [r.sf__Line, r.sf__Reason])).to.deep.equal([
      ['2', 'External_Id__c: External_Id__c "K-1" is also on line 4, which is sent instead (--duplicates last)'],
    ]);
    expect(result.preflight?.duplicates).to.equal('last');
  });
});

describe('load engine: --dry-run', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-dry-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('writes every one of 50 problems to problems.csv, header ones first, and returns no run ID', async () => {
    const file = join(work, 'fifty.csv');
    const rows = Array.from({ length: 49 }, (_, i) => `Name ${i},bad-${i},x`);
    writeFileSync(file, `LastName,Email,Nmae\n${rows.join('\n')}\n`);
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.check({ object: 'Contact', operation: 'insert', files: [file], runId: 'dry', ledgerDir: join(work, 'runs'), resultsDir: join(work, 'out'), waitMs: 0, concurrency: 1 });
    expect(result.problemsFile).to.equal(join(work, 'out', 'problems.csv'));
    const problems = readCsv(result.problemsFile!);
    expect(problems).to.have.length(50);
    expect(result.preflight?.problems).to.equal(50);
    expect(problems[0]).to.include({ sf__Line: '1', sf__Kind: 'unknown-field', sf__Field: 'Nmae' });
    expect(problems.slice(1).map((p) => p.sf__Line)).to.deep.equal(rows.map((_, i) => String(i + 2)));
    expect(problems[49]).to.include({ sf__Kind: 'bad-email', sf__Field: 'Email', sf__Value: 'bad-48' });
    expect(result).to.not.have.property('runId');
    expect(existsSync(join(work, 'runs'))).to.equal(false);
  });

  it('warns when two files were already loaded together into this org (the dry run fingerprints them as the load does)', async () => {
    const a = join(work, 'two-a.csv');
    const b = join(work, 'two-b.csv');
    // Larger than one read (256 KB) each: opened together, their first reads would hash out of order.
    writeFileSync(a, 'LastName\n' + Array.from({ length: 40_000 }, (_, i) => `A ${i}`).join('\n') + '\n');
    writeFileSync(b, 'LastName\n' + Array.from({ length: 40_000 }, (_, i) => `B ${i}`).join('\n') + '\n');
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const req: LoadRequest = { object: 'Contact', operation: 'insert', files: [a, b], runId: 'pair', ledgerDir: join(work, 'runs'), resultsDir: join(work, 'out'), waitMs: 60_000, concurrency: 2 };
    await engine.start(req);
    expect((await engine.check({ ...req, runId: 'dry-pair' })).alreadyLoaded).to.deep.equal({ runId: 'pair', runDir: join(work, 'runs', 'pair') });
  });

  it('warns when the file was already loaded into this org', async () => {
    const file = join(work, 'once.csv');
    writeFileSync(file, 'LastName\nOnce\n');
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const req: LoadRequest = { object: 'Contact', operation: 'insert', files: [file], runId: 'first', ledgerDir: join(work, 'runs'), resultsDir: join(work, 'out'), waitMs: 30_000, concurrency: 1 };
    expect((await engine.check({ ...req, runId: 'dry-1' })).alreadyLoaded).to.equal(undefined);
    await engine.start(req);
    expect((await engine.check({ ...req, runId: 'dry-2' })).alreadyLoaded).to.deep.equal({ runId: 'first', runDir: join(work, 'runs', 'first') });
  });
});
