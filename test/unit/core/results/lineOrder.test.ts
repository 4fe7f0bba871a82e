import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { partPaths } from '../../../../src/core/results/join.js';
import { mergeParts, resultPaths } from '../../../../src/core/results/resultFiles.js';

describe('result files of a grouped load, back in input order', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bulkops-lineorder-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it('sorts every kind by file and line; retry.csv gets the retryable failures and the rows of jobs that did not complete', async () => {
    mkdirSync(join(work, 'parts'));
    const parts = [1, 2].map((i) => partPaths(join(work, 'parts'), i));
    // Part 1 (job completed) and part 2 (job aborted) hold rows of two files, sorted by parent, not by line.
    const lead = (f: string): string => `${f}.csv`;
    writeFileSync(parts[0].success, `${lead('b')},4,003A,true,Bea,P2\n${lead('a')},9,003B,true,Al,P1\n${lead('a')},3,003C,true,"Ann, Jr",P1\n`);
    writeFileSync(parts[0].failed, `${lead('a')},7,,UNABLE_TO_LOCK_ROW,locked,,Lock,P1\n${lead('a')},2,,REQUIRED_FIELD_MISSING,missing,LastName,,P1\n`);
    writeFileSync(parts[0].unprocessed, `${lead('a')},5,Gone,P1\n`);
    writeFileSync(parts[0].retry, 'ignored\n');
    writeFileSync(parts[1].success, `${lead('a')},4,003D,true,Dan,P0\n`);
    writeFileSync(parts[1].failed, `${lead('b')},2,,UNABLE_TO_LOCK_ROW,locked,,Bo,P0\n`);
    writeFileSync(parts[1].unprocessed, `${lead('a')},6,Eve,P0\n${lead('b')},3,Cy,P0\n`);
    writeFileSync(parts[1].retry, 'ignored\n');
    const paths = resultPaths(work);
    const dir = join(work, 'sort-results');
    await mergeParts(paths, ['LastName', 'Parent'], parts, true, true, { dir, fileNames: ['a.csv', 'b.csv'], completed: [true, false] });

    expect(readFileSync(paths.success, 'utf8')).to.equal(
      'sf__File,sf__Line,sf__Id,sf__Created,LastName,Parent\na.csv,3,003C,true,"Ann, Jr",P1\na.csv,4,003D,true,Dan,P0\na.csv,9,003B,true,Al,P1\nb.csv,4,003A,true,Bea,P2\n'
    );
    expect(readFileSync(paths.failed, 'utf8')).to.equal(
      'sf__File,sf__Line,sf__Id,sf__ErrorCode,sf__Error,sf__Fields,LastName,Parent\n' +
        'a.csv,2,,REQUIRED_FIELD_MISSING,missing,LastName,,P1\na.csv,7,,UNABLE_TO_LOCK_ROW,locked,,Lock,P1\nb.csv,2,,UNABLE_TO_LOCK_ROW,locked,,Bo,P0\n'
    );
    expect(readFileSync(paths.unprocessed, 'utf8')).to.equal('sf__File,sf__Line,LastName,Parent\na.csv,5,Gone,P1\na.csv,6,Eve,P0\nb.csv,3,Cy,P0\n');
    // The lock failures, and the unprocessed rows of the aborted job only (line 5's job completed: it may have been saved).
    expect(readFileSync(paths.retry, 'utf8')).to.equal('LastName,Parent\nEve,P0\nLock,P1\nBo,P0\nCy,P0\n');
    expect(existsSync(dir)).to.equal(false);
  });

  // Rows whose fields hold commas, quotes and line breaks, in the file label, the error and the values.
  const names = ['plain.csv', 'say "hi", then.csv'];
  const label = (f: number): string => (f === 0 ? 'plain.csv' : '"say ""hi"", then.csv"');
  const value = (line: number): string => (line % 3 === 0 ? '"Ann ""A"", Jr\nline two"' : line % 3 === 1 ? 'Zoë' : '');
  // 600 rows over two files, in parts of 50 sorted by a parent (not by line), as a grouped load leaves them.
  const rows = Array.from({ length: 600 }, (_, i) => ({ file: i % 2, line: 2 + Math.floor(i / 2) * 3, parent: (i * 7) % 5 }));
  const inParts = [...rows].sort((a, b) => a.file - b.file || a.parent - b.parent || a.line - b.line);
  const kind = (r: { line: number }): 'success' | 'failed' | 'unprocessed' => (r.line % 4 === 0 ? 'failed' : r.line % 5 === 0 ? 'unprocessed' : 'success');
  const code = (r: { line: number }): string => (r.line % 8 === 0 ? 'UNABLE_TO_LOCK_ROW' : 'FIELD_CUSTOM_VALIDATION_EXCEPTION');
  const text: Record<'success' | 'failed' | 'unprocessed', (r: { file: number; line: number; parent: number }) => string> = {
    success: (r) => `${label(r.file)},${r.line},003X${r.line},true,${value(r.line)},P${r.parent}`,
    failed: (r) => `${label(r.file)},${r.line},,${code(r)},"bad, ""very""\nbad",LastName,${value(r.line)},P${r.parent}`,
    unprocessed: (r) => `${label(r.file)},${r.line},${value(r.line)},P${r.parent}`,
  };
  const values = (r: { line: number; parent: number }): string => `${value(r.line)},P${r.parent}`;

  for (const [how, runBytes, fanIn] of [
    ['in memory', undefined, undefined],
    ['through sorted runs on disk and rounds of 2-way merges', 700, 2],
  ] as const) {
    it(`copies each row's bytes as the join wrote them, quotes and line breaks included: ${how}`, async () => {
      mkdirSync(join(work, 'parts'));
      const parts = Array.from({ length: 12 }, (_, p) => partPaths(join(work, 'parts'), p + 1));
      for (const [p, paths] of parts.entries()) {
        const mine = inParts.slice(p * 50, p * 50 + 50);
        for (const k of ['success', 'failed', 'unprocessed'] as const) writeFileSync(paths[k], mine.filter((r) => kind(r) === k).map((r) => text[k](r) + '\n').join(''));
      }
      const paths = resultPaths(work);
      const completed = parts.map((_, p) => p % 3 !== 0);
      await mergeParts(paths, ['LastName', 'Parent'], parts, true, true, { dir: join(work, 'sort-results'), fileNames: names, completed, runBytes, fanIn });

      const inOrder = [...rows].sort((a, b) => a.file - b.file || a.line - b.line);
      const header = (h: string): string => `sf__File,sf__Line,${h},LastName,Parent\n`;
      const want = (k: 'success' | 'failed' | 'unprocessed'): string => inOrder.filter((r) => kind(r) === k).map((r) => text[k](r) + '\n').join('');
      expect(readFileSync(paths.success, 'utf8')).to.equal(header('sf__Id,sf__Created') + want('success'));
      expect(readFileSync(paths.failed, 'utf8')).to.equal(header('sf__Id,sf__ErrorCode,sf__Error,sf__Fields') + want('failed'));
      expect(readFileSync(paths.unprocessed, 'utf8')).to.equal('sf__File,sf__Line,LastName,Parent\n' + want('unprocessed'));
      const partOf = (r: (typeof rows)[number]): number => Math.floor(inParts.indexOf(r) / 50);
      const retried = inOrder.filter((r) => (kind(r) === 'failed' && code(r) === 'UNABLE_TO_LOCK_ROW') || (kind(r) === 'unprocessed' && !completed[partOf(r)]));
      expect(retried.length).to.be.greaterThan(10);
      expect(readFileSync(paths.retry, 'utf8')).to.equal('LastName,Parent\n' + retried.map((r) => values(r) + '\n').join(''));
      expect(existsSync(join(work, 'sort-results'))).to.equal(false);
    });
  }
});
