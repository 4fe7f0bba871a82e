/*
 * Raw client calls for the emulator's own tests: Bulk 2.0 over REST with a bearer token, Bulk V1
 * with X-SFDC-Session, the control API, and strict CSV reading of result files.
 */
import { parse } from 'csv-parse/sync';
import type { Emulator } from '../../helpers/emulator.js';
import { call, type RawResponse } from '../../helpers/api.js';

export const V = '/services/data/v66.0';
export const V1 = '/services/async/66.0';
export const NS = 'http://www.force.com/2009/06/asyncapi/dataload';

export type Raw = RawResponse;
export { call };

export async function control(emu: Emulator, method: string, path: string, body?: unknown): Promise<Raw> {
  return call(emu, method, `/__emulator${path}`, body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' });
}

export type JobInfo = {
  id: string;
  state: string;
  createdDate: string;
  systemModstamp: string;
  errorMessage?: string;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  retries: number;
  totalProcessingTime: number;
  apiActiveProcessingTime: number;
  apexProcessingTime: number;
};

export type CsvRows = Array<Record<string, string>>;

export function readCsv(text: string): CsvRows {
  return parse(text, { columns: true, bom: false }) as CsvRows;
}

/** Whose calls they are: another user's token, extra headers (Sforce-Call-Options). */
export type CallAs = { token?: string; headers?: Record<string, string> };

/** Creates, uploads and closes a Bulk 2.0 ingest job; returns its id. */
export async function submitIngest(emu: Emulator, object: string, operation: string, csv: string, extra: Record<string, unknown> = {}, as: CallAs = {}): Promise<string> {
  const created = await call(emu, 'POST', `${V}/jobs/ingest`, {
    body: JSON.stringify({ object, operation, contentType: 'CSV', lineEnding: 'LF', ...extra }),
    contentType: 'application/json',
    ...as,
  });
  if (created.status !== 200) throw new Error(`create: ${created.status} ${created.text}`);
  const id = (created.json as { id: string }).id;
  const put = await call(emu, 'PUT', `${V}/jobs/ingest/${id}/batches`, { body: csv, contentType: 'text/csv', ...as });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${put.text}`);
  const closed = await call(emu, 'PATCH', `${V}/jobs/ingest/${id}`, { body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json', ...as });
  if (closed.status !== 200) throw new Error(`close: ${closed.status} ${closed.text}`);
  return id;
}

export async function waitForIngest(emu: Emulator, id: string, timeoutMs = 30_000): Promise<JobInfo> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await call(emu, 'GET', `${V}/jobs/ingest/${id}`);
    const info = r.json as JobInfo;
    if (['JobComplete', 'Failed', 'Aborted'].includes(info.state)) return info;
    if (Date.now() > end) throw new Error(`job ${id} still ${info.state}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

export type IngestRun = { info: JobInfo; successful: CsvRows; failed: CsvRows; unprocessed: CsvRows };

/** A whole Bulk 2.0 load as a client runs it: create, upload, close, poll, read the three result files. */
export async function runIngest(emu: Emulator, object: string, operation: string, csv: string, extra: Record<string, unknown> = {}): Promise<IngestRun> {
  const id = await submitIngest(emu, object, operation, csv, extra);
  const info = await waitForIngest(emu, id);
  return { info, ...(await results(emu, id)) };
}

export async function results(emu: Emulator, id: string): Promise<Omit<IngestRun, 'info'>> {
  const file = async (name: string): Promise<CsvRows> => readCsv((await call(emu, 'GET', `${V}/jobs/ingest/${id}/${name}`)).text);
  return { successful: await file('successfulResults'), failed: await file('failedResults'), unprocessed: await file('unprocessedrecords') };
}

/** Salesforce dates (`…+0000`) as epoch ms. */
export const ms = (sfDate: string): number => Date.parse(sfDate.replace(/\+0000$/, 'Z'));

/** Text of the first element with this name in a flat V1 XML body. */
export function xmlText(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
}

/** Bulk V1 CSV job: create (XML), one batch per CSV, close; returns the job id and batch ids. */
export async function runV1(emu: Emulator, object: string, operation: string, mode: 'Parallel' | 'Serial', batches: string[], as: CallAs = {}): Promise<{ jobId: string; batchIds: string[] }> {
  const created = await call(emu, 'POST', `${V1}/job`, {
    body: `<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="${NS}"><operation>${operation}</operation><object>${object}</object><concurrencyMode>${mode}</concurrencyMode><contentType>CSV</contentType></jobInfo>`,
    contentType: 'application/xml; charset=UTF-8',
    ...as,
  });
  if (created.status !== 201) throw new Error(`V1 create: ${created.status} ${created.text}`);
  const jobId = xmlText(created.text, 'id')!;
  const batchIds: string[] = [];
  for (const csv of batches) {
    const b = await call(emu, 'POST', `${V1}/job/${jobId}/batch`, { body: csv, contentType: 'text/csv; charset=UTF-8', ...as });
    if (b.status !== 201) throw new Error(`V1 batch: ${b.status} ${b.text}`);
    batchIds.push(xmlText(b.text, 'id')!);
  }
  await call(emu, 'POST', `${V1}/job/${jobId}`, { body: `<jobInfo xmlns="${NS}"><state>Closed</state></jobInfo>`, contentType: 'application/xml', ...as });
  return { jobId, batchIds };
}

/** Polls a V1 job until every batch has ended; returns its jobInfo XML. */
export async function waitForV1(emu: Emulator, jobId: string, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const xml = (await call(emu, 'GET', `${V1}/job/${jobId}`)).text;
    const total = Number(xmlText(xml, 'numberBatchesTotal'));
    const done = Number(xmlText(xml, 'numberBatchesCompleted')) + Number(xmlText(xml, 'numberBatchesFailed'));
    if (done === total) return xml;
    if (Date.now() > end) throw new Error(`V1 job ${jobId}: ${done}/${total} batches ended`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}
