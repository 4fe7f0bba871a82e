/*
 * Bulk API (V1) query jobs, as jsforce's `conn.bulk.query` and Data Loader still use them (Bulk API
 * Developer Guide: Use Bulk Query; Get Batch Results; Get a Query Result): a job with operation
 * query or queryAll, a batch whose body is the SOQL, the batch's result list (result ids, 752…),
 * and each result file in the job's content type. One result file a batch (Salesforce cuts files
 * only past 1 GB); PK chunking is not emulated.
 */
import { ApiError } from './http.js';
import type { Org } from './context.js';
import type { ObjectDef } from './schema.js';
import { executeSoql, restRecord, SoqlError, columnValue } from './soql.js';
import type { SObjectRecord } from './store.js';
import { quoteCsv, renderValue } from './csv.js';

export const QUERY_OPERATIONS: ReadonlySet<string> = new Set(['query', 'queryAll']);
const ASYNC_NS = 'http://www.force.com/2009/06/asyncapi/dataload';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** A query batch's one result file. */
export type V1QueryResult = { id: string; object: ObjectDef; columns: string[]; records: SObjectRecord[] };

/**
 * Runs a batch's SOQL for its job: queryAll sees deleted records too. The SOQL must query the
 * job's object. UNVERIFIED wording of both failures (the batch's stateMessage).
 */
export function runQuery(org: Org, job: { object: string; operation: string }, soql: string): { ok: true; result: V1QueryResult } | { ok: false; message: string } {
  let found;
  try {
    found = executeSoql(org.store, soql, { includeDeleted: job.operation === 'queryAll' });
  } catch (e) {
    if (e instanceof SoqlError) return { ok: false, message: `InvalidBatch : Failed to process query: ${e.errorCode}: ${e.message}` };
    throw e;
  }
  if (found.object.name !== job.object) {
    return { ok: false, message: `InvalidBatch : Failed to process query: the query is on ${found.object.name}, the job on ${job.object}` };
  }
  return { ok: true, result: { id: org.store.ids.next('752'), object: found.object, columns: found.columns, records: found.records } };
}

/** GET …/batch/{id}/result of a query batch: the result ids, in XML for CSV and XML jobs. */
export function resultList(contentType: string, results: V1QueryResult[]): { body: string; type: string } {
  if (contentType === 'JSON') return { body: JSON.stringify(results.map((r) => r.id)), type: 'application/json' };
  const inner = results.map((r) => `<result>${r.id}</result>`).join('');
  return { body: `<?xml version="1.0" encoding="UTF-8"?><result-list xmlns="${ASYNC_NS}">${inner}</result-list>`, type: 'application/xml' };
}

/**
 * GET …/batch/{id}/result/{resultId}: the records in the job's content type. A CSV result with no
 * record is the line Salesforce writes instead: "Records not found for this query".
 */
export function resultFile(org: Org, contentType: string, r: V1QueryResult, apiVersion: string): { body: string; type: string } {
  if (contentType === 'CSV') {
    if (r.records.length === 0) return { body: 'Records not found for this query', type: 'text/csv' };
    const lines = [quoteCsv(r.columns), ...r.records.map((rec) => quoteCsv(r.columns.map((c) => renderValue(columnValue(org.store, r.object, rec, c)))))];
    return { body: lines.join('\n') + '\n', type: 'text/csv' };
  }
  const json = r.records.map((rec) => restRecord(org.store, r.object, rec, r.columns, apiVersion));
  if (contentType === 'JSON') return { body: JSON.stringify(json), type: 'application/json' };
  const records = json.map((rec) => `<records xsi:type="sObject">${xmlOfRecord(rec)}</records>`).join('');
  return { body: `<?xml version="1.0" encoding="UTF-8"?><queryResult xmlns="${ASYNC_NS}" xmlns:xsi="${XSI_NS}">${records}</queryResult>`, type: 'application/xml' };
}

/** A query batch's result by its id, or the V1 error for an unknown one (UNVERIFIED wording). */
export function resultById(results: V1QueryResult[] | undefined, id: string): V1QueryResult {
  const r = results?.find((x) => x.id === id || (id.length === 15 && x.id.startsWith(id)));
  if (!r) throw new ApiError(400, 'InvalidBatch', `Unable to find result for id: ${id}`);
  return r;
}

const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A REST-form record as V1 XML: <type>, then each field; a parent is a nested sObject, a null xsi:nil. */
function xmlOfRecord(rec: Record<string, unknown>): string {
  const attributes = rec.attributes as { type: string };
  const fields = Object.entries(rec)
    .filter(([k]) => k !== 'attributes')
    .map(([k, v]) => {
      if (v === null || v === undefined) return `<${k} xsi:nil="true"/>`;
      if (typeof v === 'object') return `<${k} xsi:type="sObject">${xmlOfRecord(v as Record<string, unknown>)}</${k}>`;
      return `<${k}>${escapeXml(String(v))}</${k}>`;
    })
    .join('');
  return `<type>${attributes.type}</type>${fields}`;
}
