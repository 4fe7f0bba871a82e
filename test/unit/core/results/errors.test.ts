/*
 * Reading Salesforce's per-row error text: code, message and the fields it names.
 */
import { expect } from 'chai';
import { isRetryable, parseRowError } from '../../../../src/core/results/errors.js';

describe('parseRowError', () => {
  it('splits code, message and the fields named at the end', () => {
    expect(parseRowError('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --')).to.deep.equal({
      code: 'REQUIRED_FIELD_MISSING',
      message: 'Required fields are missing: [LastName]',
      fields: ['LastName'],
    });
    expect(parseRowError('DUPLICATE_VALUE:Duplicate external id specified: X-1:External_Id__c,Email --').fields).to.deep.equal(['External_Id__c', 'Email']);
  });

  it('has no fields when Salesforce names none, and reads text that is not in its form as UNKNOWN', () => {
    expect(parseRowError('INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--')).to.deep.equal({ code: 'INVALID_CROSS_REFERENCE_KEY', message: 'invalid cross reference id', fields: [] });
    expect(parseRowError('something broke')).to.deep.equal({ code: 'UNKNOWN', message: 'something broke', fields: [] });
  });

  it('counts lock, time-out, server and limit failures as worth sending again', () => {
    for (const code of ['UNABLE_TO_LOCK_ROW', 'REQUEST_RUNNING_TOO_LONG', 'UNKNOWN_EXCEPTION', 'REQUEST_LIMIT_EXCEEDED']) expect(isRetryable(code), code).to.equal(true);
    expect(isRetryable('REQUIRED_FIELD_MISSING')).to.equal(false);
  });
});
