/*
 * The building blocks of preflight that need no describe: suggestions, record IDs, dates and the
 * duplicate-key table.
 */
import { expect } from 'chai';
import { closestName, editDistance } from '../../../../src/core/preflight/closestName.js';
import { caseSafeSuffix, idProblem } from '../../../../src/core/preflight/salesforceId.js';
import { dateProblem, dateTimeProblem } from '../../../../src/core/preflight/calendar.js';
import { KeyCensus } from '../../../../src/core/preflight/keyCensus.js';
import { IdFactory, caseSafeSuffix as emulatorSuffix } from '../../../emulator/ids.js';

describe('preflight checks: closest names', () => {
  it('counts a swap of neighbouring letters as one edit and ignores case', () => {
    expect(editDistance('nmae', 'name')).to.equal(1);
    expect(closestName('Nmae', ['Id', 'Name', 'Phone'])).to.equal('Name');
    expect(closestName('EMAIL', ['Name', 'Email'])).to.equal('Email');
  });

  it('suggests nothing when no candidate looks like a typo', () => {
    expect(closestName('Shoe_Size__c', ['Name', 'Email', 'Phone'])).to.equal(undefined);
    expect(closestName('Zz', ['Id'])).to.equal(undefined);
  });

  it('finds a custom field written without its __c', () => {
    expect(closestName('Invoice_Number', ['Name', 'Invoice_Number__c'])).to.equal('Invoice_Number__c');
  });
});

describe('preflight checks: record IDs', () => {
  it('computes the documented case-safe suffix', () => {
    expect(caseSafeSuffix('001A0000006Vm9r')).to.equal('IAC');
  });

  it('agrees with the emulator on the suffix of many IDs', () => {
    const ids = new IdFactory('aB9');
    for (let i = 0; i < 500; i++) {
      const id = ids.next(i % 2 ? '001' : 'a0Z');
      expect(caseSafeSuffix(id)).to.equal(emulatorSuffix(id.slice(0, 15)));
      expect(idProblem(id)).to.equal(undefined);
      expect(idProblem(id.slice(0, 15))).to.equal(undefined);
    }
  });

  it('says why a value is not an ID', () => {
    expect(idProblem('001A0000006Vm9rIAC')).to.equal(undefined);
    expect(idProblem('001A0000006Vm9')).to.equal('"001A0000006Vm9" is not a Salesforce ID: an ID has 15 or 18 letters and digits, this has 14 characters');
    expect(idProblem('001A0000006Vm9r!AC')).to.equal('"001A0000006Vm9r!AC" is not a Salesforce ID: an ID has only letters and digits');
    expect(idProblem('001a0000006vm9rIAC')).to.equal(
      '"001a0000006vm9rIAC" is not a valid 18-character ID: its last 3 characters should be AAA (was the case of the ID changed, e.g. by a spreadsheet?)'
    );
  });
});

describe('preflight checks: dates', () => {
  it('knows leap years', () => {
    expect(dateProblem('2000-02-29')).to.equal(undefined);
    expect(dateProblem('2024-02-29')).to.equal(undefined);
    expect(dateProblem('1900-02-29')).to.equal('"1900-02-29" is not a real calendar date');
    expect(dateProblem('2024-04-31')).to.equal('"2024-04-31" is not a real calendar date');
    expect(dateProblem('2024-13-01')).to.equal('"2024-13-01" is not a real calendar date');
  });

  it('reads the date-time forms Salesforce accepts', () => {
    for (const ok of ['2024-12-31T23:59:59Z', '2024-12-31T23:59:59.1Z', '2024-12-31T23:59:59.123456-14:00', '0001-01-01T00:00:00+00:00']) {
      expect(dateTimeProblem(ok), ok).to.equal(undefined);
    }
    for (const bad of ['2024-12-31T23:59Z', '2024-12-31T23:59:59.Z', '2024-12-31T23:59:59+15:00', '2024-12-31T23:59:59Zulu', '2024-02-30T00:00:00Z']) {
      expect(dateTimeProblem(bad), bad).to.be.a('string');
    }
  });
});

describe('preflight checks: key census', () => {
  const at = (line: number, fileIndex = 0): { fileIndex: number; line: number } => ({ fileIndex, line });

  it('tells every row of a duplicated key its twins, and which is first and last', () => {
    const census = new KeyCensus(false);
    const keys = ['A-1', 'A-2', 'A-1', 'a-1', undefined, 'A-1'];
    keys.forEach((k, i) => census.add(k, at(i + 2)));
    census.seal();
    const seen = keys.map((k, i) => {
      census.nextRow();
      return k === undefined ? undefined : census.twins(k, at(i + 2));
    });
    expect(seen[1]).to.equal(undefined);
    expect(seen[3]).to.equal(undefined); // case-sensitive here
    expect(seen[0]).to.deep.include({ count: 3, isFirst: true, isLast: false, others: [at(4), at(7)] });
    expect(seen[2]).to.deep.include({ count: 3, isFirst: false, isLast: false, first: at(2), last: at(7) });
    expect(seen[5]).to.deep.include({ isFirst: false, isLast: true, others: [at(2), at(4)] });
    expect(census.size).to.equal(3);
  });

  it('folds case when asked, beyond ASCII too, and counts keys across files', () => {
    const census = new KeyCensus(true);
    census.add('Ärger-1', at(2, 0));
    census.add('ACME', at(3, 0));
    census.add('äRGER-1', at(2, 1));
    census.add('other', at(3, 1));
    census.seal();
    census.nextRow();
    expect(census.twins('Ärger-1', at(2, 0))).to.deep.include({ count: 2, others: [at(2, 1)] });
    census.nextRow();
    census.nextRow();
    expect(census.twins('äRGER-1', at(2, 1))).to.deep.include({ isLast: true, first: at(2, 0) });
    expect(census.twins('acme', at(3, 0))).to.equal(undefined);
  });

  it('keeps every key across growth, in a bounded number of bytes per key', () => {
    const census = new KeyCensus(true);
    const n = 300_000;
    for (let i = 0; i < n; i++) census.add(`KEY-${i}`, at(i + 2));
    for (let i = 0; i < n; i += 997) census.add(`key-${i}`, at(n + i + 2));
    census.seal();
    expect(census.size).to.equal(n);
    expect(census.twins('KEY-997', at(999))).to.deep.include({ count: 2, others: [at(n + 997 + 2)] });
    expect(census.twins('KEY-998', at(1000))).to.equal(undefined);
    // 28 bytes a slot, at least 35% full after growth: at most 80 bytes per key, whatever the key.
    expect(census.bytes / n).to.be.lessThan(80);
  });
});
