/* hashQuotedForm of csvLine's bytes equals hashBytes of the every-field-quoted form, for awkward values, and reads nothing past the record. */
import { expect } from 'chai';
import { csvLine } from '../../../../src/core/csv/writer.js';
import { hashBytes, hashQuotedForm } from '../../../../src/core/results/rowHash.js';

const quoted = (values: string[]): string => values.map((v) => `"${v.replace(/"/g, '""')}"`).join(',');

describe('row hash of the quoted form, on awkward values', () => {
  it('matches the quoted form for random rows (empty, quotes only, commas, CR/LF, non-ASCII, one column, trailing empty)', () => {
    const alphabet = ['', 'a', '"', '""', ',', '\n', '\r\n', '\r', 'é', '日本', ' ', 'x"y', '"a"', '🙂'];
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1_103_515_245 + 12_345) & 0x7f_ff_ff_ff) % n);
    for (let k = 0; k < 20_000; k++) {
      const cols = 1 + rnd(4);
      const values = Array.from({ length: cols }, () => Array.from({ length: rnd(3) }, () => alphabet[rnd(alphabet.length)]).join(''));
      const line = Buffer.from(csvLine(values));
      const a = hashQuotedForm(line, 0, line.length - 1);
      const q = Buffer.from(quoted(values));
      const b = hashBytes(q, 0, q.length);
      expect(a, JSON.stringify(values)).to.deep.equal(b);
    }
  });

  it('reads nothing past the record: a last field that is quoted, a quote byte right after the record', () => {
    const line = Buffer.from(csvLine(['a', 'x,y']));
    const padded = Buffer.concat([line.subarray(0, line.length - 1), Buffer.from('"')]);
    const q = Buffer.from(quoted(['a', 'x,y']));
    expect(hashQuotedForm(padded, 0, padded.length - 1)).to.deep.equal(hashBytes(q, 0, q.length));
  });
});
