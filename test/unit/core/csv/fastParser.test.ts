import { Readable } from 'node:stream';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { CsvSyntaxError, type ParsedRecord, parseCsvRecords } from '../../../../src/core/csv/fastParser.js';
import { csvLine } from '../../../../src/core/csv/writer.js';

async function parseChunks(chunks: string[], delimiter = ',', text = false): Promise<ParsedRecord[]> {
  const out: ParsedRecord[] = [];
  for await (const r of parseCsvRecords(Readable.from(chunks.map((c) => Buffer.from(c))), { delimiter, text })) out.push(r);
  return out;
}

async function parseError(text: string): Promise<CsvSyntaxError> {
  try {
    await parseChunks([text]);
  } catch (e) {
    return e as CsvSyntaxError;
  }
  throw new Error('expected a syntax error');
}

describe('fast CSV parser', () => {
  it('reads quoted fields, doubled quotes, delimiters and line breaks inside quotes, with start lines', async () => {
    const rows = await parseChunks(['a,b,c\n"x, y","say ""hi""","two\nlines"\nplain,,end\n']);
    expect(rows.map(({ line, fields }) => ({ line, fields }))).to.deep.equal([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 4, fields: ['plain', '', 'end'] },
    ]);
  });

  it('accepts LF, CRLF and lone CR line ends, skips blank lines, drops a BOM, reads a last line without a line end', async () => {
    const rows = await parseChunks(['\uFEFFh1;h2\r\n1;2\r\n\r\n3;4\r5;6'], ';');
    expect(rows.map((r) => [r.line, ...r.fields])).to.deep.equal([
      [1, 'h1', 'h2'],
      [2, '1', '2'],
      [4, '3', '4'],
      [5, '5', '6'],
    ]);
  });

  it('gives the same records however the input is cut into chunks (multi-byte characters included)', async () => {
    const text = 'name,note\r\n"Åsa ""Å""","line1\r\nline2 ☃"\r\nZoë,€\r\n';
    const whole = await parseChunks([text], ',');
    const bytes = Buffer.from(text);
    for (let cut = 1; cut < bytes.length; cut++) {
      const out: ParsedRecord[] = [];
      const stream = Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]);
      for await (const r of parseCsvRecords(stream, { delimiter: ',' })) out.push(r);
      expect(out, `cut at byte ${cut}`).to.deep.equal(whole);
    }
    expect(whole[1].fields).to.deep.equal(['Åsa "Å"', 'line1\r\nline2 ☃']);
  });

  it('agrees with csv-parse on random rows written by our CSV writer', async () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', 'b', ',', '"', '\n', '\r\n', ' ', 'é', '0', ';'];
    const rows: string[][] = [];
    for (let i = 0; i < 500; i++) {
      rows.push(Array.from({ length: 4 }, () => Array.from({ length: rand(6) }, () => alphabet[rand(alphabet.length)]).join('')));
    }
    // A row of only empty fields is a blank line for one column; keep the rows recognisable.
    const text = ['c1,c2,c3,c4', ...rows.map((r) => csvLine(['x', ...r.slice(1)]).slice(0, -1))].join('\n') + '\n';
    const expected = parse(text, { relax_column_count: true });
    const pieces: string[] = [];
    for (let at = 0; at < text.length; ) {
      const n = 1 + rand(40);
      pieces.push(text.slice(at, at + n));
      at += n;
    }
    const actual = await parseChunks(pieces);
    expect(actual.map((r) => r.fields)).to.deep.equal(expected);
  });

  it('agrees with csv-parse, line numbers included, on other delimiters, CRLF and lone CR ends, quoted or bare rows', async () => {
    let seed = 11;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (const delimiter of [',', ';', '\t', '|']) {
      for (const eol of ['\n', '\r\n', '\r']) {
        // Most rows need no quotes (the parser's one-split path); some quote a delimiter, a quote or a line break.
        const alphabet = ['a', 'b', ' ', 'é', '0', delimiter, '"', '\n'];
        const rows: string[][] = [];
        for (let i = 0; i < 300; i++) {
          rows.push(['x', ...Array.from({ length: 3 }, () => Array.from({ length: rand(5) }, () => alphabet[rand(i % 4 === 0 ? alphabet.length : 5)]).join(''))]);
        }
        const field = (v: string): string => (/["\r\n]/.test(v) || v.includes(delimiter) ? `"${v.replace(/"/g, '""')}"` : v);
        const text = ['c1', 'c2', 'c3', 'c4', ...rows.map((r) => r.map(field).join(delimiter))].slice(3).join(eol) + eol;
        const expected = parse(text, { delimiter, relax_column_count: true, info: true }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
        const pieces: string[] = [];
        for (let at = 0; at < text.length; ) {
          const n = 1 + rand(60);
          pieces.push(text.slice(at, at + n));
          at += n;
        }
        const actual = await parseChunks(pieces, delimiter);
        const label = `delimiter ${JSON.stringify(delimiter)}, line end ${JSON.stringify(eol)}`;
        expect(actual.map((r) => r.fields), label).to.deep.equal(expected.map((e) => e.record));
        if (eol !== '\r') {
          // csv-parse counts a record's lines at its end; ours is the line it starts on.
          const starts = expected.map((e, i) => (i === 0 ? 1 : expected[i - 1].info.lines + 1));
          expect(actual.map((r) => r.line), label).to.deep.equal(starts);
        }
      }
    }
  });

  it('hands out a row\'s text only when it is exactly what csvLine writes, whatever the source quoting', async () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = ['a', ',', '"', '\n', '\r', ' ', 'é', ';'];
    const lines: string[] = [];
    const rows: string[][] = [];
    for (let i = 0; i < 400; i++) {
      const row = ['x', ...Array.from({ length: 3 }, () => Array.from({ length: rand(4) }, () => alphabet[rand(alphabet.length)]).join(''))];
      rows.push(row);
      // Some rows quote a field that needs no quotes, as spreadsheets often do: not csvLine's form.
      const line = csvLine(row).slice(0, -1);
      lines.push(i % 3 === 0 ? `"x"${line.slice(1)}` : line);
    }
    const parsed = await parseChunks([lines.join('\r\n') + '\r\n'], ',', true);
    expect(parsed.map((r) => r.fields)).to.deep.equal(rows);
    parsed.forEach((r, i) => {
      if (i % 3 === 0) expect(r.text, `row ${i}`).to.equal(undefined);
      else expect(`${r.text ?? 'missing'}\n`, `row ${i}`).to.equal(csvLine(r.fields));
    });
    // Another delimiter is never csvLine's form.
    const semi = await parseChunks(['a;b\n1;2\n'], ';');
    expect(semi.map((r) => r.text)).to.deep.equal([undefined, undefined]);
    // Callers that do not ask for the text never get it.
    expect((await parseChunks(['a,b\n1,2\n'])).map((r) => r.text)).to.deep.equal([undefined, undefined]);
  });

  it('names the line of a quote that is never closed, of text after a closing quote, and of a stray quote', async () => {
    const open = await parseError('a,b\n1,2\n"never closed,3\n4,5\n');
    expect(open).to.include({ code: 'quote', line: 3 });
    expect(open.message).to.match(/never closed/);
    const after = await parseError('a,b\n"x"y,2\n');
    expect(after).to.include({ code: 'quote', line: 2 });
    expect(after.message).to.match(/after a closing quote/);
    const stray = await parseError('a,b\n1,2\nab"c,3\n');
    expect(stray).to.include({ code: 'quote', line: 3 });
  });

  it('stops on a record longer than the limit instead of reading the whole file into it', async () => {
    const text = `a,b\n"open,${'x'.repeat(5000)}\n`;
    try {
      const chunks = text.match(/.{1,100}/gs)!;
      for await (const r of parseCsvRecords(Readable.from(chunks), { delimiter: ',', maxRecordChars: 1000 })) void r;
      expect.fail('should have stopped');
    } catch (e) {
      expect(e).to.be.instanceOf(CsvSyntaxError);
      expect(e).to.include({ code: 'record-too-large', line: 2 });
    }
  });

  it('reads chunks far bigger than its 32 KB pieces, with characters and records cut at piece edges', async () => {
    // 3-byte characters, quoted line breaks and a record longer than a piece: every kind of edge.
    const rows: string[][] = [];
    for (let i = 0; i < 3000; i++) rows.push([`€${i}`, i % 7 === 0 ? 'line\nbreak' : 'x'.repeat(i % 50), i === 1500 ? 'y'.repeat(70_000) : 'z']);
    const text = rows.map((r) => csvLine(r)).join('');
    expect(Buffer.byteLength(text)).to.be.greaterThan(4 * 32 * 1024);
    const one = await parseChunks([text]);
    expect(one.map((r) => r.fields)).to.deep.equal(rows);
    expect(one[1].line).to.equal(3); // row 0 has a line break inside quotes
  });
});
