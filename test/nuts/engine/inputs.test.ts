/*
 * Input files as users have them (Excel exports, Windows line ends, European delimiters, Latin-1):
 * each loads right, or stops before anything is sent with the file, line and what to do.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import type { LoadRequest } from '../../../src/core/run/types.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import { CsvInputError } from '../../../src/core/csv/errors.js';

describe('load engine: input formats', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-inputs-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const load = async (name: string, content: string | Buffer, extra: Partial<LoadRequest> = {}): Promise<ReturnType<typeof readCsv>> => {
    const file = join(work, name);
    writeFileSync(file, content);
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start({
      object: 'Contact',
      operation: 'insert',
      files: [file],
      runId: name,
      ledgerDir: join(work, 'runs'),
      waitMs: 30_000,
      concurrency: 2,
      ...extra,
    });
    expect(result.failed, JSON.stringify(result.errorCodes)).to.equal(0);
    return readCsv(result.files!.success);
  };

  const lastNames = (): string[] => [...emu.store.all('Contact')].map((c) => c.LastName as string).sort();

  it('strips a UTF-8 BOM (Salesforce would fail the job on "\\uFEFFLastName")', async () => {
    const rows = await load('bom.csv', '\uFEFFLastName,Email\nÅström,a@example.com\nBrandt,b@example.com\n');
    expect(rows).to.have.length(2);
    expect(lastNames()).to.deep.equal(['Brandt', 'Åström']);
  });

  it('loads CRLF files (the job is declared LF; rows are re-serialised)', async () => {
    const rows = await load('crlf.csv', 'LastName,Title\r\nOne,CEO\r\nTwo,CTO\r\n');
    expect(rows.map((r) => [r.sf__Line, r.LastName, r.Title])).to.deep.equal([
      ['2', 'One', 'CEO'],
      ['3', 'Two', 'CTO'],
    ]);
    expect([...emu.store.all('Contact')].map((c) => c.Title).sort()).to.deep.equal(['CEO', 'CTO']);
  });

  it('reads LF, CRLF and lone CR line ends, even mixed in one file, with the right line numbers (no --line-ending flag)', async () => {
    const rows = await load('mixed-ends.csv', 'LastName,Title\r\nOne,CEO\rTwo,CTO\nThree,"Head,\r\nof sales"\r\nFour,COO\r');
    expect(rows.map((r) => [r.sf__Line, r.LastName])).to.deep.equal([
      ['2', 'One'],
      ['3', 'Two'],
      ['4', 'Three'],
      ['6', 'Four'],
    ]);
    expect(lastNames()).to.deep.equal(['Four', 'One', 'Three', 'Two']);
  });

  it('detects a semicolon delimiter', async () => {
    await load('semi.csv', 'LastName;Title\nDupont;"Directeur; ventes"\nMartin;Chef\n');
    expect([...emu.store.all('Contact')].map((c) => c.Title).sort()).to.deep.equal(['Chef', 'Directeur; ventes']);
  });

  it('keeps newlines inside quoted fields and reports the line where each record starts', async () => {
    const rows = await load('multiline.csv', 'LastName,Title\n"Line","first\nsecond"\nNext,Plain\n');
    expect(rows.map((r) => [r.sf__Line, r.LastName])).to.deep.equal([
      ['2', 'Line'],
      ['4', 'Next'],
    ]);
    expect([...emu.store.all('Contact')].find((c) => c.LastName === 'Line')?.Title).to.equal('first\nsecond');
  });

  it('refuses Latin-1 bytes with the line, and loads them right with --encoding', async () => {
    const latin1 = Buffer.from('LastName,Title\nOk,Fine\nM\xfcller,Gesch\xe4ftsf\xfchrer\n', 'latin1');
    let error: unknown;
    try {
      await load('latin1.csv', latin1);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CsvInputError);
    expect((error as CsvInputError).line).to.equal(3);
    expect((error as CsvInputError).message).to.match(/latin1\.csv:3: the file is not UTF-8.*--encoding/);
    expect(emu.ingest.jobs.list(), 'nothing was sent').to.have.length(0);

    await load('latin1-converted.csv', latin1, { csv: { encoding: 'latin1' } });
    expect(lastNames()).to.deep.equal(['Müller', 'Ok']);
  });

  it('refuses an encoding Node does not know, and a record larger than a job, as input errors that end the run', async () => {
    for (const [name, content, extra, kind] of [
      ['unknown-encoding.csv', 'LastName\nA\n', { csv: { encoding: 'klingon-8' } }, 'encoding'],
      ['huge-record.csv', `LastName,Title\nA,${'x'.repeat(3000)}\n`, { maxJobBytes: 1024, preflight: false }, 'record-too-large'],
    ] as const) {
      let error: unknown;
      await load(name, content, extra).catch((e: unknown) => {
        error = e;
      });
      expect(error, name).to.be.instanceOf(CsvInputError);
      expect((error as CsvInputError).kind).to.equal(kind);
      // A refusal: the run ends with the reason, so resume --latest says it instead of retrying forever.
      expect(Ledger.read(join(work, 'runs', name)).map((r) => r.t).pop()).to.equal('abandoned');
    }
    expect(emu.ingest.jobs.list(), 'nothing was sent').to.have.length(0);
  });

  it('stops on a quote that is never closed, naming the line', async () => {
    let error: unknown;
    try {
      await load('quote.csv', 'LastName,Title\nA,B\n"Broken,C\nD,E\n');
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CsvInputError);
    expect((error as CsvInputError).message).to.match(/quote\.csv:\d+/);
    expect(emu.ingest.jobs.list()).to.have.length(0);
  });

  it('loads several files with the same columns (in any order) as one run, results naming each file and line', async () => {
    const a = join(work, 'a.csv');
    const b = join(work, 'b.csv');
    writeFileSync(a, 'LastName,Title\nAlpha,CEO\n,Nobody\n');
    writeFileSync(b, 'Title,LastName\nCTO,Beta\nCFO,Gamma\n');
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start({
      object: 'Contact', operation: 'insert', files: [a, b], runId: 'multi', ledgerDir: join(work, 'runs'), waitMs: 30_000, concurrency: 2,
    });
    expect(result).to.include({ rows: 4, successful: 3, rejected: 1 });
    expect(result.jobs).to.have.length(2);
    expect(readCsv(result.files!.success).map((r) => [r.sf__File, r.sf__Line, r.LastName, r.Title])).to.deep.equal([
      ['a.csv', '2', 'Alpha', 'CEO'],
      ['b.csv', '2', 'Beta', 'CTO'],
      ['b.csv', '3', 'Gamma', 'CFO'],
    ]);
    expect(readCsv(result.files!.rejected!).map((r) => [r.sf__File, r.sf__Line])).to.deep.equal([['a.csv', '3']]);
    expect([...emu.store.all('Contact')].map((c) => `${c.LastName as string}:${c.Title as string}`).sort()).to.deep.equal(['Alpha:CEO', 'Beta:CTO', 'Gamma:CFO']);
  });

  it('refuses files whose columns differ, naming the file and the columns', async () => {
    const a = join(work, 'a.csv');
    const b = join(work, 'b.csv');
    writeFileSync(a, 'LastName,Title\nAlpha,CEO\n');
    writeFileSync(b, 'LastName,Email\nBeta,b@example.com\n');
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    let error: unknown;
    try {
      await engine.start({ object: 'Contact', operation: 'insert', files: [a, b], runId: 'mismatch', ledgerDir: join(work, 'runs'), waitMs: 30_000, concurrency: 2 });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CsvInputError);
    expect((error as Error).message).to.match(/b\.csv:1: .*missing: Title; extra: Email/);
    expect(emu.ingest.jobs.list()).to.have.length(0);
  });
});

