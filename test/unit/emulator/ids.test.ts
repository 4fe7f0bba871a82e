import { expect } from 'chai';
import { IdFactory, caseSafeSuffix, isValidId, to18 } from '../../emulator/ids.js';

describe('emulator ids', () => {
  it('computes the documented case-safe suffix', () => {
    // Known pair from Salesforce documentation examples: 001A0000006Vm9r -> 001A0000006Vm9rIAC
    expect(caseSafeSuffix('001A0000006Vm9r')).to.equal('IAC');
    expect(to18('001A0000006Vm9r')).to.equal('001A0000006Vm9rIAC');
  });

  it('makes valid 18-char ids with the key prefix', () => {
    const f = new IdFactory();
    const a = f.next('001');
    const b = f.next('001');
    expect(a).to.have.length(18).and.match(/^001/);
    expect(a).to.not.equal(b);
    expect(isValidId(a)).to.equal(true);
    expect(isValidId(a.slice(0, 15))).to.equal(true);
    expect(isValidId(a.slice(0, 17) + (a.endsWith('A') ? 'B' : 'A'))).to.equal(false);
    expect(isValidId('123')).to.equal(false);
  });
});
