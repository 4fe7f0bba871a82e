/*
 * --decimal-separator: a value is converted only when it reads one way (grouping marks between
 * groups of three digits, before the decimal separator); anything else is refused, never guessed.
 */
import { expect } from 'chai';
import { convertDecimal, FormatError, parseFormat } from '../../../../src/core/csv/formats.js';

describe('convertDecimal', () => {
  const value = (sep: string, v: string): string | undefined => {
    const r = convertDecimal(sep, v);
    return 'value' in r ? r.value : undefined;
  };

  it('with ",": decimal commas and dots, spaces or apostrophes grouping thousands', () => {
    expect(value(',', '1,5')).to.equal('1.5');
    expect(value(',', '-1.234.567,25')).to.equal('-1234567.25');
    expect(value(',', '1 234,5')).to.equal('1234.5');
    expect(value(',', "1'234")).to.equal('1234');
    expect(value(',', '42')).to.equal('42');
    expect(value(',', ',5')).to.equal('.5');
  });

  it('with ",": a dot that cannot group thousands is refused (1.5 is not 15)', () => {
    for (const v of ['1.5', '1.50', '12.34.5', '1.234,5,6', '1.234 567', '', ',', 'abc', '1,2.5']) expect(value(',', v), v).to.equal(undefined);
  });

  it('with ".": the same, mirrored', () => {
    expect(value('.', '1,234.5')).to.equal('1234.5');
    expect(value('.', '1.5')).to.equal('1.5');
    for (const v of ['1,5', '1,50', '1.2.3']) expect(value('.', v), v).to.equal(undefined);
  });
});

describe('parseFormat', () => {
  it('refuses a two-digit year (its century would be a guess)', () => {
    expect(() => parseFormat('dd/MM/yy')).to.throw(FormatError, /two-digit year/);
    expect(parseFormat('dd/MM/yyyy').parts.map((p) => ('token' in p ? p.token : p.text))).to.deep.equal(['dd', '/', 'MM', '/', 'yyyy']);
  });
});
