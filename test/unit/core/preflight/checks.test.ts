/*
 * The building blocks of preflight that need no describe: suggestions, record IDs, dates and the
 * duplicate-key table.
 */
import { expect } from 'chai';
import { closestName, editDistance } from '../../../../src/core/preflight/closestName.js';
import { caseSafeSuffix, idProblem } from '../../../../src/core/preflight/salesforceId.js';
import { dateProblem, dateTimeProblem } from '../../../../src/core/preflight/calendar.js';
import { SeenKeys } from '../../../../src/core/preflight/seenKeys.js';
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

describe('preflight checks: seen keys', () => {
  it('returns the first line of a key seen before, and 0 for a new one', () => {
    const seen = new SeenKeys(false);
    expect(seen.firstLine('A-1', 2)).to.equal(0);
    expect(seen.firstLine('A-2', 3)).to.equal(0);
    expect(seen.firstLine('A-1', 4)).to.equal(2);
    expect(seen.firstLine('a-1', 5)).to.equal(0);
    expect(seen.firstLine('A-1', 6)).to.equal(2);
    expect(seen.size).to.equal(3);
  });

  it('folds case when asked, beyond ASCII too', () => {
    const seen = new SeenKeys(true);
    expect(seen.firstLine('Ärger-1', 2)).to.equal(0);
    expect(seen.firstLine('äRGER-1', 3)).to.equal(2);
    expect(seen.firstLine('ACME', 4)).to.equal(0);
    expect(seen.firstLine('acme', 5)).to.equal(4);
  });

  it('keeps every key across growth, in a few bytes per key', () => {
    const seen = new SeenKeys(true);
    const n = 300_000;
    for (let i = 0; i < n; i++) expect(seen.firstLine(`KEY-${i}`, i + 1)).to.equal(0);
    for (let i = 0; i < n; i += 997) expect(seen.firstLine(`key-${i}`, n + i + 1)).to.equal(i + 1);
    expect(seen.size).to.equal(n);
    // 12 bytes a slot, at most 70% full after growth: at most 35 bytes per key, whatever the key.
    expect(seen.bytes / n).to.be.lessThan(35);
  });
});
