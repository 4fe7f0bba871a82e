/*
 * Bulk API (V1) ingest calls, for CSV jobs (Bulk API Developer Guide: Bulk API (V1)). One method per
 * documented call; retries, polling and crash safety live in the runner. A CSV job's answers are
 * XML (JobInfo, BatchInfo), its batch results CSV; requests carry the session in X-SFDC-Session
 * (OrgHttp adds it for /services/async/).
 */
import { Readable } from 'node:stream';
import { OrgHttp } from '../http/orgHttp.js';
import { IngestOperation } from './types.js';

const NS = 'http://www.force.com/2009/06/asyncapi/dataload';

export type V1ConcurrencyMode = 'Serial' | 'Parallel';
export type V1JobState = 'Open' | 'Closed' | 'Aborted' | 'Failed';
export type V1BatchState = 'Queued' | 'InProgress' | 'Completed' | 'Failed' | 'NotProcessed';

export type V1JobSpec = { object: string; operation: IngestOperation; externalIdFieldName?: string; concurrencyMode: V1ConcurrencyMode };

/** Bulk API Developer Guide: JobInfo (the fields the runner reads). */
export type V1JobInfo = {
  id: string;
  operation: string;
  object: string;
  createdById: string;
  createdDate: string;
  /** when the job last changed: once it has ended, when it finished */
  systemModstamp?: string;
  state: V1JobState;
  concurrencyMode: string;
  numberBatchesQueued: number;
  numberBatchesInProgress: number;
  numberBatchesCompleted: number;
  numberBatchesFailed: number;
  numberBatchesTotal: number;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  numberRetries: number;
  totalProcessingTime: number;
  apiActiveProcessingTime: number;
  apexProcessingTime: number;
};

/** Bulk API Developer Guide: BatchInfo. */
export type V1BatchInfo = {
  id: string;
  jobId: string;
  state: V1BatchState;
  stateMessage?: string;
  createdDate: string;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
};

export class BulkV1 {
  public constructor(private readonly http: OrgHttp) {}

  public async createJob(spec: V1JobSpec): Promise<V1JobInfo> {
    // The XSD fixes the element order: operation, object, externalIdFieldName, concurrencyMode, contentType.
    const body = xmlDoc('jobInfo', [
      ['operation', spec.operation],
      ['object', spec.object],
      ['externalIdFieldName', spec.externalIdFieldName],
      ['concurrencyMode', spec.concurrencyMode],
      ['contentType', 'CSV'],
    ]);
    return jobInfo(await this.http.xml({ method: 'POST', path: this.path('job'), headers: xmlHeaders(), body }, 'jobInfo'));
  }

  public async info(jobId: string): Promise<V1JobInfo> {
    return jobInfo(await this.http.xml({ method: 'GET', path: this.path(`job/${jobId}`) }, 'jobInfo'));
  }

  public close(jobId: string): Promise<V1JobInfo> {
    return this.setState(jobId, 'Closed');
  }

  public abort(jobId: string): Promise<V1JobInfo> {
    return this.setState(jobId, 'Aborted');
  }

  /** Adds one batch (a CSV with its header). Not idempotent: each call that reaches the org makes a batch. */
  public async addBatch(jobId: string, csv: Buffer): Promise<V1BatchInfo> {
    const text = await this.http.xml(
      {
        method: 'POST',
        path: this.path(`job/${jobId}/batch`),
        headers: { 'Content-Type': 'text/csv; charset=UTF-8', 'Content-Length': String(csv.length) },
        body: csv,
      },
      'batchInfo'
    );
    return batchInfo(text);
  }

  /** The job's batches, in the order they were added (Bulk API Developer Guide: Get Information for All Batches in a Job). */
  public async batches(jobId: string): Promise<V1BatchInfo[]> {
    const text = await this.http.xml({ method: 'GET', path: this.path(`job/${jobId}/batch`) }, 'batchInfoList');
    return [...text.matchAll(/<batchInfo\b[^>]*>([\s\S]*?)<\/batchInfo>/g)].map((m) => batchInfo(m[1]));
  }

  /** The batch's request as the org keeps it (Bulk API Developer Guide: Get a Batch Request). */
  public async batchRequest(jobId: string, batchId: string): Promise<Buffer> {
    const { body } = await this.http.stream({ method: 'GET', path: this.path(`job/${jobId}/batch/${batchId}/request`) });
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  }

  /** "Id","Success","Created","Error": one row per request row, in request order (Bulk API Developer Guide: Get Batch Results). */
  public async batchResult(jobId: string, batchId: string): Promise<Readable> {
    const { body } = await this.http.stream({ method: 'GET', path: this.path(`job/${jobId}/batch/${batchId}/result`), headers: { Accept: 'text/csv' } });
    return body;
  }

  private async setState(jobId: string, state: 'Closed' | 'Aborted'): Promise<V1JobInfo> {
    const body = xmlDoc('jobInfo', [['state', state]]);
    return jobInfo(await this.http.xml({ method: 'POST', path: this.path(`job/${jobId}`), headers: xmlHeaders(), body }, 'jobInfo'));
  }

  private path(rest: string): string {
    return `/services/async/${this.http.apiVersion}/${rest}`;
  }
}

function xmlHeaders(): Record<string, string> {
  return { 'Content-Type': 'application/xml; charset=UTF-8', Accept: 'application/xml' };
}

function xmlDoc(root: string, fields: Array<[string, string | undefined]>): string {
  const inner = fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${escapeXml(v!)}</${k}>`)
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="${NS}">${inner}</${root}>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }[e] ?? ''));
}

/** The text of each flat element of a JobInfo or BatchInfo (their fields hold no nested elements). */
function fieldsOf(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<(\w+)>([^<]*)<\/\1>/g)) if (!out.has(m[1])) out.set(m[1], unescapeXml(m[2]));
  return out;
}

function jobInfo(xml: string): V1JobInfo {
  const f = fieldsOf(xml);
  const n = (k: string): number => Number(f.get(k) ?? 0);
  return {
    id: f.get('id') ?? '',
    operation: f.get('operation') ?? '',
    object: f.get('object') ?? '',
    createdById: f.get('createdById') ?? '',
    createdDate: f.get('createdDate') ?? '',
    ...(f.get('systemModstamp') ? { systemModstamp: f.get('systemModstamp') } : {}),
    state: (f.get('state') ?? 'Open') as V1JobState,
    concurrencyMode: f.get('concurrencyMode') ?? '',
    numberBatchesQueued: n('numberBatchesQueued'),
    numberBatchesInProgress: n('numberBatchesInProgress'),
    numberBatchesCompleted: n('numberBatchesCompleted'),
    numberBatchesFailed: n('numberBatchesFailed'),
    numberBatchesTotal: n('numberBatchesTotal'),
    numberRecordsProcessed: n('numberRecordsProcessed'),
    numberRecordsFailed: n('numberRecordsFailed'),
    numberRetries: n('numberRetries'),
    totalProcessingTime: n('totalProcessingTime'),
    apiActiveProcessingTime: n('apiActiveProcessingTime'),
    apexProcessingTime: n('apexProcessingTime'),
  };
}

function batchInfo(xml: string): V1BatchInfo {
  const f = fieldsOf(xml);
  const state = f.get('state') ?? 'Queued';
  return {
    id: f.get('id') ?? '',
    jobId: f.get('jobId') ?? '',
    // Current docs write NotProcessed (Interpret Batch State); older versions wrote "Not Processed".
    state: (state === 'Not Processed' ? 'NotProcessed' : state) as V1BatchState,
    ...(f.get('stateMessage') ? { stateMessage: f.get('stateMessage') } : {}),
    createdDate: f.get('createdDate') ?? '',
    numberRecordsProcessed: Number(f.get('numberRecordsProcessed') ?? 0),
    numberRecordsFailed: Number(f.get('numberRecordsFailed') ?? 0),
  };
}
