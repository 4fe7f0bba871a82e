/*
 * What to do about a failed row, from its error code and the operation ("Bulk API 2.0 and Bulk API
 * Developer Guide: Errors", "SOAP API Developer Guide: StatusCode"). The retry set is the one that
 * fills retry.csv (results/errors.ts isRetryable), so reconcile and load never disagree about it.
 */
import { isRetryable } from '../results/errors.js';

export type Action =
  /** send the row again as it is: the org's state at the time (locks, time-outs, limits, server errors) or a row never processed */
  | 'retry'
  /** the row's values are wrong: required field, bad value, too long, picklist */
  | 'fix-data'
  /** the row points to a record that does not exist (yet): load the parent first or fix the reference */
  | 'fix-reference'
  /** an insert met a record that already holds the unique value: upsert on the external ID instead */
  | 'use-upsert'
  /** a validation rule refused the row: its own message says what to change */
  | 'validation'
  /** the user may not do this: sharing, field-level security, object permissions */
  | 'permissions'
  /** the job completed without a result for this row: it may have been saved; look in the org first */
  | 'check-org'
  /** anything else: read the message */
  | 'read-message';

const FIX_DATA = new Set([
  'REQUIRED_FIELD_MISSING',
  'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
  'STRING_TOO_LONG',
  'INVALID_FIELD',
  'INVALID_TYPE_ON_FIELD_IN_RECORD',
  'NUMBER_OUTSIDE_VALID_RANGE',
  'INVALID_EMAIL_ADDRESS',
  'MALFORMED_ID',
  'INVALID_ID_FIELD',
  'FIELD_INTEGRITY_EXCEPTION',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
  'INVALID_TYPE_FOR_OPERATION',
  'MISSING_ARGUMENT',
  'DUPLICATE_EXTERNAL_ID',
  'INVALID_DATE_FORMAT',
  'JSON_PARSER_ERROR',
  'ENTITY_IS_DELETED',
]);

const FIX_REFERENCE = new Set(['INVALID_CROSS_REFERENCE_KEY', 'INVALID_ID_FOR_LOOKUP', 'ENTITY_FAILED_IFLASTMODIFIED_ON_UPDATE']);

const VALIDATION = new Set(['FIELD_CUSTOM_VALIDATION_EXCEPTION', 'FIELD_FILTER_VALIDATION_EXCEPTION', 'CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY']);

const PERMISSIONS = new Set([
  'INSUFFICIENT_ACCESS_OR_READONLY',
  'INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY',
  'INSUFFICIENT_ACCESS',
  'CANNOT_EXECUTE_FLOW_TRIGGER',
  'INVALID_ACCESS_LEVEL',
  'NO_ACCESS',
  'API_DISABLED_FOR_ORG',
  'ENTITY_IS_LOCKED',
]);

/** A missing parent by external ID comes as INVALID_FIELD "Foreign key external ID: … not found". */
const FOREIGN_KEY_MISSING = /^Foreign key external ID: .* not found/i;

export function actionFor(code: string, message: string, operation: string): Action {
  if (isRetryable(code)) return 'retry';
  if (code === 'DUPLICATE_VALUE') return operation === 'insert' ? 'use-upsert' : 'fix-data';
  if (FIX_REFERENCE.has(code) || (code === 'INVALID_FIELD' && FOREIGN_KEY_MISSING.test(message))) return 'fix-reference';
  if (VALIDATION.has(code)) return 'validation';
  if (PERMISSIONS.has(code)) return 'permissions';
  if (FIX_DATA.has(code)) return 'fix-data';
  return 'read-message';
}

