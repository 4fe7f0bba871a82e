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
});
