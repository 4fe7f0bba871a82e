/*
 * A result page, cut into chunks anywhere (inside a quoted field, between a CR and its LF, inside a
 * multi-byte character): the same bytes out whatever the cut, the header dropped from later pages,
 * records counted with quoted line breaks inside them; for load, empty values as #N/A and +0000 as Z.
 */
import { expect } from 'chai';
import { pageFormat, type FormatSpec } from '../../../../src/core/export/pageFormats.js';

const PAGE = '"Id","Name","Note","When"\n"001A","Quote ""x"", y","line one\nline two","2026-01-02T03:04:05.000+0000"\n"001B","Ünï ✓","",""\n';
const CSV: FormatSpec = { format: 'csv', columnDelimiter: 'COMMA', lineEnding: 'LF' };

function run(spec: FormatSpec, first: boolean, text: string, cut: number): { out: string; records: number; whole: boolean } {
  const f = pageFormat(spec, first);
  const bytes = Buffer.from(text, 'utf8');
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += cut) parts.push(f.push(bytes.subarray(at, at + cut)));
  parts.push(f.end());
  return { out: Buffer.concat(parts).toString('utf8'), records: f.records, whole: f.whole };
}

describe('export page formats', () => {
  for (const cut of [1, 2, 3, 7, 1000]) {
    it(`csv passes the bytes through, drops a later page's header, counts 2 records (chunks of ${cut} bytes)`, () => {
      expect(run(CSV, true, PAGE, cut)).to.deep.equal({ out: PAGE, records: 2, whole: true });
      expect(run(CSV, false, PAGE, cut).out).to.equal(PAGE.slice(PAGE.indexOf('\n') + 1));
    });

    it(`for load: #N/A for empty values, Z for +0000, the header kept (chunks of ${cut} bytes)`, () => {
      const r = run({ ...CSV, forLoad: { operation: 'update' } }, true, PAGE, cut);
      expect(r.out).to.equal('Id,Name,Note,When\n001A,"Quote ""x"", y","line one\nline two",2026-01-02T03:04:05.000Z\n001B,Ünï ✓,#N/A,#N/A\n');
      expect(r.records).to.equal(2);
    });

    it(`jsonl: one object per record, empty as null (chunks of ${cut} bytes)`, () => {
      const r = run({ ...CSV, format: 'jsonl' }, false, PAGE, cut);
      expect(r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown)).to.deep.equal([
        { Id: '001A', Name: 'Quote "x", y', Note: 'line one\nline two', When: '2026-01-02T03:04:05.000+0000' },
        { Id: '001B', Name: 'Ünï ✓', Note: null, When: null },
      ]);
    });
  }

  it('a page that ends inside a quoted field is not whole', () => {
    const cut = PAGE.slice(0, PAGE.indexOf('line two'));
    expect(run(CSV, true, cut, 5).whole).to.equal(false);
    expect(run({ ...CSV, format: 'jsonl' }, true, cut, 5).whole).to.equal(false);
  });

  it('semicolons and CRLF: the delimiter and line ending of the job are kept', () => {
    const page = '"Id";"Name"\r\n"001A";"a;b"\r\n';
    expect(run({ ...CSV, columnDelimiter: 'SEMICOLON', lineEnding: 'CRLF' }, true, page, 3)).to.deep.equal({ out: page, records: 1, whole: true });
    expect(run({ ...CSV, columnDelimiter: 'SEMICOLON', lineEnding: 'CRLF', forLoad: { operation: 'update' } }, true, page, 3).out).to.equal('Id;Name\r\n001A;"a;b"\r\n');
  });
});
