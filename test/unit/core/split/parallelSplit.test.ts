/*
 * The split on worker threads against the one-thread split, on the same generated files: quoted
 * fields with commas, quotes and line breaks, LF / CRLF / lone CR line ends, blank lines, BOMs,
 * multi-byte characters, rows preflight rejects, and broken files. Blocks are made tiny so that they
 * end everywhere a line feed can fall, inside quotes included. Both must write the same part files
 * (bytes and line numbers), the same rejected.csv, the same preflight counts, and stop a bad file
 * with the same error at the same line.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { openCsv } from '../../../../src/core/csv/reader.js';
import { describeFromObjects, type ObjectDescribe } from '../../../../src/core/preflight/describe.js';
import { Preflight } from '../../../../src/core/preflight/preflight.js';
import { planChunks, type PlanResult } from '../../../../src/core/split/planner.js';
import { splitInParallel } from '../../../../src/core/split/parallelSplit.js';
import { Fingerprint, fingerprintFiles } from '../../../../src/core/split/fingerprint.js';
import { suitePool } from '../../../helpers/splitThreads.js';
import { describeField } from '../../../helpers/describes.js';

const field = describeField;

const ACCOUNT: ObjectDescribe = {
  name: 'Account',
  createable: true,
  updateable: true,
  deletable: true,
  fields: [
    field('Id', 'id', { createable: false, updateable: false, nillable: false, idLookup: true }),
    field('Name', 'string', { nillable: false, length: 30 }),
    field('NumberOfEmployees', 'int', { digits: 8 }),
    field('Rating', 'picklist', { restrictedPicklist: true, picklistValues: [{ value: 'Hot', active: true }, { value: 'Cold', active: true }] }),
    field('Description', 'textarea', { length: 32_000 }),
  ],
};
const orgDescribe = describeFromObjects([ACCOUNT]);

/** A small seeded generator (mulberry32): a failing case can be run again from its seed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d_2b_79_f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const PIECES = ['a', 'Oslo', 'é', '😀', ',', '"', '\n', '\r\n', ' ', 'Ltd', '日本'];

function cell(rnd: () => number): string {
  let v = '';
  const n = Math.floor(rnd() * 6);
  for (let i = 0; i < n; i++) v += PIECES[Math.floor(rnd() * PIECES.length)];
  return v;
}

function quoteIfNeeded(v: string, rnd: () => number): string {
  return /[",\r\n]/.test(v) || rnd() < 0.2 ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A file of `rows` rows; some rows break a rule preflight checks (too long, not a number, not a value). */
function generate(seed: number, rows: number): Buffer {
  const rnd = random(seed);
  const eol = ['\n', '\r\n', '\r'][Math.floor(rnd() * 3)];
  const lines = ['Name,NumberOfEmployees,Rating,Description'];
  for (let i = 0; i < rows; i++) {
    if (rnd() < 0.05) lines.push(''); // a blank line
    const name = rnd() < 0.05 ? 'x'.repeat(40) : `Company ${i}${cell(rnd)}`;
    const employees = rnd() < 0.05 ? '12a' : String(Math.floor(rnd() * 1000));
    const rating = rnd() < 0.05 ? 'Warm' : rnd() < 0.5 ? 'Hot' : '';
    const cells = [name, employees, rating, cell(rnd)];
    if (rnd() < 0.03) cells.pop(); // a ragged row
    lines.push(cells.map((v) => quoteIfNeeded(v, rnd)).join(','));
  }
  const text = lines.join(eol) + (rnd() < 0.7 ? eol : '');
  return Buffer.from((rnd() < 0.3 ? '\uFEFF' : '') + text);
}

type Outcome = { plan?: Omit<PlanResult, 'chunks'> & { parts: Array<{ rows: number; firstLine: number; lastLine: number; sha256: string }> }; files?: Record<string, string>; report?: unknown; error?: { kind: string; line: number; detail: string } };

async function outcome(dir: string, run: (out: string, preflight: Preflight, header: string[]) => Promise<PlanResult>, file: string): Promise<Outcome> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const source = await openCsv(file);
    const preflight = await Preflight.create({ file, object: 'Account', operation: 'insert', header: source.header, headerLine: source.headerLine, describe: orgDescribe });
    let plan: PlanResult;
    try {
      plan = await run(dir, preflight, source.header);
    } finally {
      await source.close();
    }
    const files: Record<string, string> = {};
    for (const name of readdirSync(dir).sort()) files[name] = readFileSync(join(dir, name)).toString('base64');
    const { chunks, ...counts } = plan;
    return {
      plan: { ...counts, parts: chunks.map((c) => ({ rows: c.rows, firstLine: c.firstLine, lastLine: c.lastLine, sha256: c.sha256 })) },
      files,
      report: preflight.report(),
    };
  } catch (e) {
    const err = e as { kind: string; line: number; detail: string };
    return { error: { kind: err.kind, line: err.line, detail: err.detail } };
  }
}

describe('parallel split', function () {
  this.timeout(120_000);
  const { work, pool } = suitePool('bulkops-psplit-');

  const oneThread = (file: string, maxBytes: number, keepInvalid = false): Promise<Outcome> =>
    outcome(
      join(work, 'one'),
      async (dir, preflight, header) => {
        const source = await openCsv(file);
        return planChunks(source.batches, {
          dir,
          header,
          maxBytes,
          check: keepInvalid ? (r): undefined => void preflight.checkRow(r) : (r): string | undefined => preflight.rowReason(r),
        });
      },
      file
    );
  const threads = (file: string, maxBytes: number, blockBytes: number, keepInvalid = false): Promise<Outcome> =>
    outcome(
      join(work, 'threads'),
      (dir, preflight, header) =>
        splitInParallel({ files: [{ file, delimiter: ',', preflight }], keepInvalid, maxRecordChars: 1_000_000, workers: pool(), blockBytes }, { dir, header, maxBytes }),
      file
    );

  it('writes what the one-thread split writes, on 40 generated files with blocks ending anywhere', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const file = join(work, `in-${seed}.csv`);
      writeFileSync(file, generate(seed, 60 + seed * 7));
      const keep = seed % 5 === 0;
      const expected = await oneThread(file, 900, keep);
      expect(expected.error, `seed ${seed}: the generated file is valid`).to.equal(undefined);
      for (const blockBytes of [7, 64, 1000]) {
        const got = await threads(file, 900, blockBytes, keep);
        expect(got, `seed ${seed}, blocks of ${blockBytes} bytes`).to.deep.equal(expected);
      }
    }
  });

  it('copies rows of ASCII blocks larger than one piece of the parse (32 KB) from the right places', async () => {
    // Rows are copied from the block's bytes at offsets the parse counts over all its 32 KB pieces.
    const rnd = random(99);
    const rows = Array.from({ length: 6000 }, (_, i) => `"Company ${i}, Ltd",${i},${rnd() < 0.5 ? 'Hot' : 'Cold'},"say ""${i}"" ${'x'.repeat(Math.floor(rnd() * 40))}"`);
    const file = join(work, 'ascii.csv');
    writeFileSync(file, ['Name,NumberOfEmployees,Rating,Description', ...rows].join('\n') + '\n');
    const expected = await oneThread(file, 60_000);
    expect(expected.plan!.parts.length).to.be.greaterThan(3);
    for (const blockBytes of [100_000, 300_000]) expect(await threads(file, 60_000, blockBytes), `blocks of ${blockBytes}`).to.deep.equal(expected);
  });

  it('the generated files have what the comparison needs: rejected rows, several parts, quoted line breaks', async () => {
    const file = join(work, 'in-7.csv');
    const text = readFileSync(file, 'utf8');
    expect(text).to.match(/"[^"]*\n[^"]*"/);
    const got = await threads(file, 900, 64);
    expect(got.plan!.rejected).to.be.greaterThan(0);
    expect(got.plan!.parts.length).to.be.greaterThan(1);
  });

  it('stops a broken file with the error and line the one-thread split gives', async () => {
    // Each problem comes after 300 KB of rows (with quoted line breaks): past the first read, which
    // openCsv parses for the header, so it is the splits that meet it.
    const pad = Array.from({ length: 9000 }, (_, i) => `Row ${i},"line\nbreak ${i}"`).join('\n') + '\n';
    const cases: Array<[string, Buffer]> = [
      ['quote left open', Buffer.from('A,ok\nB,"never closed\nC,x\nD,y\n')],
      ['quote inside an unquoted field', Buffer.from('A,ok\nB,x"y\nC,z\n')],
      ['text after a closing quote', Buffer.from('A,"q"x\n')],
      ['bytes that are not UTF-8', Buffer.concat([Buffer.from('Bad,'), Buffer.from([0xe9, 0x0a]), Buffer.from('Z,z\n')])],
      ['a cut-off character at the end', Buffer.concat([Buffer.from('End,'), Buffer.from([0xe6, 0x97])])],
    ];
    for (const [what, tail] of cases) {
      const file = join(work, 'broken.csv');
      writeFileSync(file, Buffer.concat([Buffer.from(`Name,Description\n${pad}`), tail]));
      const expected = await oneThread(file, 100_000);
      expect(expected.error, what).to.not.equal(undefined);
      for (const blockBytes of [4096, 100_000]) expect(await threads(file, 100_000, blockBytes), `${what}, blocks of ${blockBytes}`).to.deep.equal(expected);
    }
  });

  it('cuts parts at most maxRows rows, and hands each part to onPart when it is on disk', async () => {
    const file = join(work, 'rows.csv');
    writeFileSync(file, 'Name\n' + Array.from({ length: 95 }, (_, i) => `N${i}`).join('\n') + '\n');
    const dir = join(work, 'rows');
    mkdirSync(dir, { recursive: true });
    const seen: number[] = [];
    const plan = await splitInParallel(
      { files: [{ file, delimiter: ',' }], keepInvalid: false, maxRecordChars: 1_000_000, workers: pool(), blockBytes: 50, maxRows: 20 },
      { dir, header: ['Name'], onPart: (c) => void seen.push(readFileSync(c.file, 'utf8').split('\n').length - 2) }
    );
    expect(plan.chunks.map((c) => c.rows)).to.deep.equal([20, 20, 20, 20, 15]);
    expect(seen).to.deep.equal([20, 20, 20, 20, 15]);
    expect(plan.rows).to.equal(95);
  });

  it('gives the fingerprint the file read ahead gives', async () => {
    const file = join(work, 'in-3.csv');
    const print = new Fingerprint(1);
    const dir = join(work, 'print');
    mkdirSync(dir, { recursive: true });
    const source = await openCsv(file);
    await source.close();
    await splitInParallel({ files: [{ file, delimiter: ',' }], keepInvalid: true, maxRecordChars: 1_000_000, workers: pool(), blockBytes: 100, print }, { dir, header: source.header });
    expect(print.digest()).to.deep.equal(await fingerprintFiles([file]));
  });
});
