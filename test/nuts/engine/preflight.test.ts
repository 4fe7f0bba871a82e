/*
 * The checks before upload, through the engine against the emulator's describe: a header problem
 * stops the load with nothing sent; bad rows are left out into rejected.csv with their line and
 * reason (or sent anyway when asked); --dry-run reports every problem and sends nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadRequest } from '../../../src/core/load/types.js';
import { PreflightFailedError } from '../../../src/core/load/engine.js';

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
    const result = await engine.check(request('dry.csv', BAD_ROWS));
    expect(result.status).to.equal('Checked');
    expect(result.preflight).to.include({ ok: false, rowsChecked: 4, problemRows: 2 });
    const byKind = Object.fromEntries(result.preflight!.kinds.map((k) => [k.kind, k.examples.map((e) => e.line)]));
    expect(byKind).to.deep.equal({ 'missing-required': [3], 'bad-email': [4], 'bad-date': [4] });
    expect(emu.requests.filter((r) => r.path.includes('/jobs/'))).to.have.length(0);
    expect(emu.store.count('Contact')).to.equal(0);
  });
});
