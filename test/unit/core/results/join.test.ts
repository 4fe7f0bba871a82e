/*
 * The result join on its own: results in shuffled order, repeated rows, failures with long and
 * non-ASCII messages, across many outcome ranges (a tiny range size makes every range boundary and
 * the per-range files count), written back in input order with the right line numbers.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { expect } from 'chai';
import { parseCsvRecords } from '../../../../src/core/csv/fastParser.js';
import { planChunks } from '../../../../src/core/split/planner.js';
import { joinJob, JoinWorkspace, partPaths } from '../../../../src/core/results/join.js';
import { RowIndex } from '../../../../src/core/results/rowIndex.js';
import { hashBytes } from '../../../../src/core/results/rowHash.js';
import { csvLine } from '../../../../src/core/csv/writer.js';
import { mergeParts, resultPaths } from '../../../../src/core/results/resultFiles.js';
import { readCsv } from '../../../helpers/csv.js';

function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const hashRow = (values: string[]): ReturnType<typeof hashBytes> => {
  const bytes = Buffer.from(csvLine(values));
  return hashBytes(bytes, 0, bytes.length - 1);
};

describe('row index', () => {
  it('hands out each position of repeated rows once, then nothing', () => {
    const index = new RowIndex(5);
    const a = hashRow(['same']);
    const b = hashRow(['other']);
    [a, b, a, a, { hi: 0, lo: 0 }].forEach((h) => index.add(h));
    const taken = [index.take(a), index.take(a), index.take(a)].sort();
    expect(taken).to.deep.equal([0, 2, 3]);
    expect(index.take(a)).to.equal(undefined);
    expect(index.take({ hi: 0, lo: 0 })).to.equal(4);
    expect(index.take(b)).to.equal(1);
    expect(index.size).to.equal(0);
  });

  it('keeps hashes that share a bucket apart', () => {
    // 16 buckets: the same low bits, different high bits, all land in one chain.
    const index = new RowIndex(40);
    const hashes = Array.from({ length: 40 }, (_, i) => ({ hi: i * 0x1_00_00, lo: 0 }));
    hashes.forEach((h) => index.add(h));
    for (const i of [39, 0, 17, 38, 1]) expect(index.take(hashes[i])).to.equal(i);
    expect(index.size).to.equal(35);
  });
});

describe('join workspace', () => {
  it('reuses its index for a job no larger than the last, empty of the last job\'s rows', () => {
    const workspace = new JoinWorkspace();
    const first = workspace.rowIndex(100);
    const left = hashRow(['left over']);
    first.add(left);
    const second = workspace.rowIndex(60);
    expect(second).to.equal(first);
    expect(second.take(left)).to.equal(undefined);
    const h = hashRow(['new']);
    expect(second.add(h)).to.equal(0);
    expect(second.take(h)).to.equal(0);
    expect(workspace.rowIndex(101)).to.not.equal(first);
  });

  it('makes one index for the largest job when told the sizes ahead', () => {
    const workspace = new JoinWorkspace();
    workspace.reserve(300);
    const index = workspace.rowIndex(200);
    expect(workspace.rowIndex(300)).to.equal(index);
    expect(index.capacity).to.equal(300);
  });
});

describe('result join', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bulkops-join-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const quoteAll = (values: string[]): string => values.map((v) => `"${v.replace(/"/g, '""')}"`).join(',') + '\n';
  for (const [form, write] of [['quoted', quoteAll], ['canonical', csvLine]] as const) {
  it(`joins shuffled results to input lines across many outcome ranges (results in the ${form} form, expected so)`, async () => {
    const header = ['Name', 'Note'];
    const rows: string[][] = [];
    for (let i = 0; i < 50; i++) rows.push(i % 6 === 0 ? ['Twin', 'same'] : [`Row ${i}`, i % 5 === 0 ? 'two\nlines' : `n${i}`]);
    const input = join(dir, 'in.csv');
    writeFileSync(input, [header, ...rows].map((r) => csvLine(r)).join(''));
    const records = parseCsvRecords(Readable.from([Buffer.from(rows.map((r) => csvLine(r)).join(''))]), { delimiter: ',' });
    // Input lines start at 2 (the header is line 1); the quoted line break shifts later rows.
    let line = 2;
    const lineOf: number[] = [];
    const withLines = (async function* (): AsyncGenerator<{ line: number; fields: string[] }> {
      for await (const r of records) {
        lineOf.push(line);
        yield { line, fields: r.fields };
        line += r.fields[1].includes('\n') ? 2 : 1;
      }
    })();
    const plan = await planChunks(withLines, { dir, header });
    const chunk = plan.chunks[0];

    // Every 4th row fails with a long, non-ASCII message; the rest succeed.
    const longError = `FIELD_CUSTOM_VALIDATION_EXCEPTION:Le nom « ${'é'.repeat(9000)} » est refusé:Name --`;
    const ok: string[] = [write(['sf__Id', 'sf__Created', ...header])];
    const failed: string[] = [write(['sf__Id', 'sf__Error', ...header])];
    shuffled(rows.map((r, i) => ({ r, i }))).forEach(({ r, i }) => {
      if (i % 4 === 1) failed.push(write(['', longError, ...r]));
      else ok.push(write([`001${String(i).padStart(15, '0')}`, String(i % 2 === 0), ...r]));
    });
    const parts = partPaths(dir, 1);
    const counts = await joinJob(
      chunk,
      'JobComplete',
      (kind) => Promise.resolve(Readable.from([Buffer.from((kind === 'successful' ? ok : kind === 'failed' ? failed : [csvLine(header)]).join(''))])),
      parts,
      { rangeRows: 4, resultForm: form }
    );

    expect(counts).to.include({ successful: 37, failed: 13, unprocessed: 0, unmatched: 0 });
    // created and updated are counted apart, and add up to the successful rows written.
    expect(counts.created + counts.updated).to.equal(37);
    expect(counts.errorCodes).to.deep.equal({ FIELD_CUSTOM_VALIDATION_EXCEPTION: 13 });
    const files = resultPaths(join(dir, 'out'));
    mkdirSync(join(dir, 'out'));
    await mergeParts(files, header, [parts]);
    const success = readCsv(files.success);
    const failures = readCsv(files.failed);
    expect(success.map((r) => Number(r.sf__Line))).to.deep.equal(lineOf.filter((_, i) => i % 4 !== 1));
    expect(failures.map((r) => Number(r.sf__Line))).to.deep.equal(lineOf.filter((_, i) => i % 4 === 1));
    expect(failures[0].sf__Error).to.contain('é'.repeat(9000));
    for (const r of success) {
      const i = lineOf.indexOf(Number(r.sf__Line));
      expect(r.Name).to.equal(rows[i][0]);
      // A twin may get any twin's result, but a whole one: its Id and created flag belong together.
      const resultOf = rows[i][0] === 'Twin' ? Number(r.sf__Id.slice(3)) : i;
      expect(rows[resultOf], r.sf__Id).to.deep.equal(rows[i]);
      expect(r.sf__Id).to.equal(`001${String(resultOf).padStart(15, '0')}`);
      expect(r.sf__Created).to.equal(String(resultOf % 2 === 0));
    }
    // Repeated rows each got one distinct result.
    const twins = success.filter((r) => r.Name === 'Twin').map((r) => r.sf__Id);
    expect(new Set(twins).size).to.equal(twins.length);
    expect(counts.created).to.equal(success.filter((r) => r.sf__Created === 'true').length);
    // The outcome files are gone once the parts are written.
    expect(readdirSync(dir).filter((f) => f.includes('outcomes'))).to.deep.equal([]);
  });
  }

  it('joins results in forms other than the expected one (columns reordered, csvLine quoting, CRLF, a BOM, a blank line) by their values', async () => {
    const header = ['Name', 'Note'];
    const rows = [['Plain', 'a'], ['Comma, inside', 'b'], ['Quote "x"', 'two\nlines'], ['Twin', 'same'], ['Twin', 'same'], ['Ünïcode', 'c']];
    const plan = await planChunks(Readable.from(rows.map((fields, i) => ({ line: i + 2, fields }))), { dir, header });
    const quoteCrlf = (values: string[]): string => quoteAll(values).replace(/\n$/, '\r\n');
    // Neither set is in the form the join expects (every field quoted, the sent column order): the
    // successful set's columns are reordered, the failed set is written as csvLine writes. Every row
    // is parsed and matched by its values.
    const ok = [
      '\uFEFF' + quoteCrlf(['sf__Id', 'sf__Created', 'Note', 'Name']),
      quoteCrlf(['001000000000000000', 'true', 'a', 'Plain']),
      '\r\n',
      quoteCrlf(['001000000000000003', 'false', 'same', 'Twin']),
      quoteCrlf(['001000000000000005', 'true', 'c', 'Ünïcode']),
      quoteCrlf(['001000000000000009', 'true', 'never', 'Sent']),
    ].join('');
    const failed = [csvLine(['sf__Id', 'sf__Error', ...header]), csvLine(['', 'REQUIRED_FIELD_MISSING:Required fields are missing: [X, "Y"]:X --', ...rows[2]]), csvLine(['', 'UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--', 'Comma, inside', 'b'])].join('');
    const parts = partPaths(dir, 1);
    const counts = await joinJob(
      plan.chunks[0],
      'JobComplete',
      (kind) => Promise.resolve(Readable.from([Buffer.from(kind === 'successful' ? ok : kind === 'failed' ? failed : csvLine(header))])),
      parts
    );
    // One twin has no result: a completed job that reports every row but one left that one unmatched.
    expect(counts).to.include({ successful: 3, failed: 2, unmatched: 2 });
    expect(counts.errorCodes).to.deep.equal({ REQUIRED_FIELD_MISSING: 1, UNABLE_TO_LOCK_ROW: 1 });
    const files = resultPaths(join(dir, 'out'));
    mkdirSync(join(dir, 'out'));
    await mergeParts(files, header, [parts]);
    const success = readCsv(files.success).map((r) => [r.sf__Line, r.sf__Id, r.sf__Created, r.Name, r.Note]);
    // Either twin may take the one twin result.
    expect(['5', '6']).to.include(success[1][0]);
    success[1][0] = 'a twin';
    expect(success).to.deep.equal([
      ['2', '001000000000000000', 'true', 'Plain', 'a'],
      ['a twin', '001000000000000003', 'false', 'Twin', 'same'],
      ['7', '001000000000000005', 'true', 'Ünïcode', 'c'],
    ]);
    expect(readCsv(files.failed).map((r) => [r.sf__Line, r.sf__ErrorCode, r.Name, r.Note])).to.deep.equal([
      ['3', 'UNABLE_TO_LOCK_ROW', 'Comma, inside', 'b'],
      ['4', 'REQUIRED_FIELD_MISSING', 'Quote "x"', 'two\nlines'],
    ]);
    // The row the org returned that was never sent is kept, with its values, in the unmatched part.
    expect(parse(readFileSync(parts.unmatched, 'utf8'))).to.deep.equal([['successful', '001000000000000009', 'true', 'Sent', 'never']]);
  });

  it('results in the expected form, with CRLF, quoted Ids and errors with quotes and commas: every result lands on its own row, never a look-alike', async () => {
    const header = ['Name', 'Note'];
    // Rows that differ only in their first field, or share everything after a comma inside a quoted value.
    const rows = [['A', 'x'], ['B', 'x'], ['"A",x', 'y'], ['A', 'x,y'], ['A,x', 'y'], ['Ünï', 'line\nbreak'], ['C', '']];
    const plan = await planChunks(Readable.from(rows.map((fields, i) => ({ line: i + 2, fields }))), { dir, header });
    const crlf = (values: string[]): string => csvLine(values).replace(/\n$/, '\r\n');
    const quotedHead = (a: string, b: string, rest: string[]): string => `"${a}","${b}",${csvLine(rest).replace(/\n$/, '\r\n')}`;
    const ok = [
      crlf(['sf__Id', 'sf__Created', ...header]),
      crlf(['001000000000000001', 'true', ...rows[1]]),
      quotedHead('001000000000000000', 'false', rows[0]),
      crlf(['001000000000000004', 'true', ...rows[4]]),
      quotedHead('001000000000000005', 'true', rows[5]),
      crlf(['001000000000000006', 'false', ...rows[6]]),
    ].join('');
    const failed = [
      crlf(['sf__Id', 'sf__Error', ...header]),
      crlf(['', 'FIELD_CUSTOM_VALIDATION_EXCEPTION:Say "no", twice:--', ...rows[3]]),
      quotedHead('', 'INVALID_FIELD:bad ""x"", y:Name --', rows[2]),
    ].join('');
    const parts = partPaths(dir, 1);
    const counts = await joinJob(plan.chunks[0], 'JobComplete', (kind) => Promise.resolve(Readable.from([Buffer.from(kind === 'successful' ? ok : kind === 'failed' ? failed : csvLine(header))])), parts, { resultForm: 'canonical' });
    expect(counts).to.include({ successful: 5, failed: 2, unmatched: 0 });
    const files = resultPaths(join(dir, 'out'));
    mkdirSync(join(dir, 'out'));
    await mergeParts(files, header, [parts]);
    expect(readCsv(files.success).map((r) => [r.sf__Line, r.sf__Id, r.sf__Created, r.Name, r.Note])).to.deep.equal([
      ['2', '001000000000000000', 'false', 'A', 'x'],
      ['3', '001000000000000001', 'true', 'B', 'x'],
      ['6', '001000000000000004', 'true', 'A,x', 'y'],
      ['7', '001000000000000005', 'true', 'Ünï', 'line\nbreak'],
      ['8', '001000000000000006', 'false', 'C', ''],
    ]);
    expect(readCsv(files.failed).map((r) => [r.sf__Line, r.sf__ErrorCode, r.Name, r.Note])).to.deep.equal([
      ['4', 'INVALID_FIELD', '"A",x', 'y'],
      ['5', 'FIELD_CUSTOM_VALIDATION_EXCEPTION', 'A', 'x,y'],
    ]);
  });

  it('writes no sf__Created for delete (createdColumn false): the rest of the row stays in place', async () => {
    const work = mkdtempSync(join(tmpdir(), 'bulkops-join-delete-'));
    try {
      const header = ['Id'];
      const ids = ['001000000000000001', '001000000000000002'];
      const plan = await planChunks(Readable.from(ids.map((id, i) => ({ line: i + 2, fields: [id] }))), { dir: work, header });
      const ok = [csvLine(['sf__Id', 'sf__Created', 'Id']), ...ids.reverse().map((id) => csvLine([id, 'false', id]))].join('');
      const parts = partPaths(work, 1);
      const counts = await joinJob(
        plan.chunks[0],
        'JobComplete',
        (kind) => Promise.resolve(Readable.from([Buffer.from(kind === 'successful' ? ok : csvLine(kind === 'failed' ? ['sf__Id', 'sf__Error', 'Id'] : ['Id']))])),
        parts,
        { createdColumn: false }
      );
      expect(counts).to.include({ successful: 2, created: 0, updated: 2 });
      const files = resultPaths(join(work, 'out'));
      mkdirSync(join(work, 'out'));
      await mergeParts(files, header, [parts], false, false);
      expect(readCsv(files.success)).to.deep.equal([
        { sf__Line: '2', sf__Id: '001000000000000001', Id: '001000000000000001' },
        { sf__Line: '3', sf__Id: '001000000000000002', Id: '001000000000000002' },
      ]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
