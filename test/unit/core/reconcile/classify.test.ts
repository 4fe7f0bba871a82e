/*
 * What reconcile tells users to do about each kind of failure, and the words it uses.
 */
import { expect } from 'chai';
import { actionFor } from '../../../../src/core/reconcile/classify.js';
import { causeFields } from '../../../../src/core/results/errors.js';
import { adviceFor } from '../../../../src/ux/reconcileReport.js';
import type { ReconcileGroup } from '../../../../src/core/reconcile/reconcileRun.js';

const group = (g: Partial<ReconcileGroup>): ReconcileGroup => ({ state: 'failed', code: '', fields: [], action: 'read-message', count: 1, message: '', firstLine: 2, file: 'x.csv', ...g });

describe('reconcile: failure classes', () => {
  it('sorts codes into what to do', () => {
    expect(actionFor('UNABLE_TO_LOCK_ROW', '', 'insert')).to.equal('retry');
    expect(actionFor('REQUEST_LIMIT_EXCEEDED', '', 'insert')).to.equal('retry');
    expect(actionFor('REQUIRED_FIELD_MISSING', '', 'insert')).to.equal('fix-data');
    expect(actionFor('STRING_TOO_LONG', '', 'update')).to.equal('fix-data');
    expect(actionFor('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', '', 'insert')).to.equal('fix-data');
    expect(actionFor('INVALID_CROSS_REFERENCE_KEY', '', 'insert')).to.equal('fix-reference');
    expect(actionFor('INVALID_FIELD', 'Foreign key external ID: ACME-9 not found for field External_Id__c in entity Account', 'insert')).to.equal('fix-reference');
    expect(actionFor('DUPLICATE_VALUE', '', 'insert')).to.equal('use-upsert');
    expect(actionFor('DUPLICATE_VALUE', '', 'upsert')).to.equal('fix-data');
    expect(actionFor('FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Close date must be in the future', 'insert')).to.equal('validation');
    expect(actionFor('INSUFFICIENT_ACCESS_OR_READONLY', '', 'update')).to.equal('permissions');
    expect(actionFor('SOMETHING_NEW', '', 'insert')).to.equal('read-message');
  });

  it('finds the field of a duplicate value in its message', () => {
    expect(causeFields('DUPLICATE_VALUE', 'duplicate value found: External_Id__c duplicates value on record with id: 003000000000001AAA', [])).to.deep.equal(['External_Id__c']);
    expect(causeFields('REQUIRED_FIELD_MISSING', 'Required fields are missing: [LastName]', ['LastName'])).to.deep.equal(['LastName']);
  });

  it('words the advice with the fields, the external ID and the validation rule\'s own message', () => {
    expect(adviceFor(group({ action: 'fix-data', fields: ['LastName'] }))).to.equal('Fix the value of LastName in these rows, then load them again.');
    expect(adviceFor(group({ action: 'use-upsert', fields: ['External_Id__c'] }))).to.contain('--operation upsert --external-id External_Id__c');
    expect(adviceFor(group({ action: 'validation', message: 'Close date must be in the future' }))).to.equal('A validation rule or automation refused the row: Close date must be in the future');
    expect(adviceFor(group({ action: 'fix-reference', fields: ['AccountId'] }))).to.contain('fix the reference in AccountId');
    expect(adviceFor(group({ action: 'retry' }))).to.contain('Send again as it is');
  });
});
