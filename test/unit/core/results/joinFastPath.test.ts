/*
 * The join's byte fast path with results in the form it expects (here this plugin's own: csvLine's
 * quoting) but CRLF line ends, a quoted sf__Id and sf__Created, and failed rows whose sf__Error has
 * quotes and commas: each result goes to the row it names (no wrong match), nothing unmatched.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { planChunks } from '../../../../src/core/load/planner.js';
import { joinJob, partPaths } from '../../../../src/core/results/join.js';
import { csvLine } from '../../../../src/core/csv/writer.js';
import { mergeParts, resultPaths } from '../../../../src/core/results/resultFiles.js';
import { readCsv } from '../../../helpers/csv.js';

describe('review: join fast path', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-review-join-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('own form with CRLF, quoted Ids, errors with quotes: every result lands on its own row', async () => {
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
});
