/*
 * Bulk API 2.0 ingest: create (JSON or multipart), one upload, close/abort, info, delete, results,
 * Get All Jobs (bulk-api.md §1). Processing runs after close in 10,000-row chunks through the
 * row engine in dml.ts.
 */
import { ApiError, notFound, readBody, readJson, sendEmpty, sendJson, sendText } from './http.js';
import { Org, RequestContext, Route } from './context.js';
import { JobBase, JobRegistry, isTerminal, jobSummary, pageOf } from './jobs.js';
import { DELIMITERS, parseUpload, quoteCsv, shuffled } from './csv.js';
import { applyChunk, checkHeader, ColumnPlan, JobContext, Operation, RowOutcome } from './dml.js';
import { sfDateTime } from './store.js';

export type IngestJob = JobBase & {
  /** the uploaded CSV, until processing has parsed it */
  data?: Buffer;
  uploaded: boolean;
  header?: string[];
  rows?: string[][];
  outcomes?: Array<RowOutcome | undefined>;
  /** seed for this job's result shuffle */
  shuffleSeed: number;
};

const OPERATIONS: ReadonlySet<string> = new Set(['insert', 'update', 'upsert', 'delete', 'hardDelete']);
const BASE = String.raw`^/services/data/v(\d+\.\d)/jobs/ingest`;

export class Bulk2Ingest {
  public readonly jobs: JobRegistry<IngestJob>;

  public constructor(private readonly org: Org) {
    this.jobs = new JobRegistry<IngestJob>(
      () => org.clock.now(),
      () => org.settings.retentionDays
    );
  }

  public routes(): Route[] {
    const r = (method: string, suffix: string, handler: (ctx: RequestContext) => Promise<void> | void): Route => ({
      method,
      pattern: new RegExp(`${BASE}${suffix}/?$`),
      api: 'rest',
      handler,
    });
    return [
      r('POST', '', (ctx) => this.create(ctx)),
      r('GET', '', (ctx) => this.list(ctx)),
      r('PUT', '/(\\w+)/batches', (ctx) => this.upload(ctx)),
      r('PATCH', '/(\\w+)', (ctx) => this.patch(ctx)),
      r('GET', '/(\\w+)', (ctx) => this.info(ctx)),
      r('DELETE', '/(\\w+)', (ctx) => this.remove(ctx)),
      r('GET', '/(\\w+)/successfulResults', (ctx) => this.results(ctx, 'successful')),
      r('GET', '/(\\w+)/failedResults', (ctx) => this.results(ctx, 'failed')),
      r('GET', '/(\\w+)/unprocessedrecords', (ctx) => this.results(ctx, 'unprocessed')),
    ];
  }

  private job(ctx: RequestContext): IngestJob {
    const job = this.jobs.get(ctx.params[1]);
    if (!job) throw notFound();
    return job;
  }

  private async create(ctx: RequestContext): Promise<void> {
    const contentType = ctx.req.headers['content-type'] ?? '';
    let body: Record<string, unknown>;
    let content: Buffer | undefined;
    if (contentType.startsWith('multipart/form-data')) {
      ({ body, content } = parseMultipart(await readBody(ctx.req), contentType));
      if (content && content.length > 100_000) {
        throw new ApiError(400, 'INVALIDJOB', 'InvalidJob : Multipart upload is limited to 100000 characters; upload larger data with PUT');
      }
    } else {
      body = await readJson(ctx.req);
    }
    const job = this.newJob(ctx, body);
    this.jobs.add(job);
    if (content) {
      // The multipart form uploads and closes in one request (bulk-api.md §1.4).
      this.acceptUpload(job, content);
      this.transition(job, 'UploadComplete');
    }
    sendJson(ctx.res, 200, this.shortInfo(job, ctx.version));
  }

  private newJob(ctx: RequestContext, body: Record<string, unknown>): IngestJob {
    const str = (k: string): string | undefined => (typeof body[k] === 'string' ? (body[k]) : undefined);
    const objectName = str('object');
    const operation = str('operation');
    if (!operation || !OPERATIONS.has(operation)) {
      throw new ApiError(400, 'INVALIDJOB', `InvalidJob : Invalid operation: ${operation ?? ''}`);
    }
    const def = objectName ? this.org.store.describe(objectName) : undefined;
    if (!objectName || !def) {
      throw new ApiError(400, 'INVALIDJOB', `InvalidJob : Unable to find object: ${objectName ?? ''}`);
    }
    if (!def.createable && !def.updateable && !def.deletable) {
      throw new ApiError(400, 'INVALIDENTITY', `Entity '${def.name}' is not supported by the Bulk API.`);
    }
    const externalIdFieldName = str('externalIdFieldName');
    if (operation === 'upsert') {
      if (!externalIdFieldName) {
        throw new ApiError(400, 'INVALIDJOB', `InvalidJob : External ID was blank for ${def.name}. An External ID must be specified for upsert.`);
      }
      const f = this.org.store.field(def, externalIdFieldName);
      if (!f || !(f.externalId || f.idLookup)) {
        throw new ApiError(400, 'INVALIDJOB', `InvalidJob : The field ${externalIdFieldName} is not an External ID or Id field for ${def.name}`);
      }
    }
    if (operation === 'hardDelete') {
      const user = this.org.store.get('User', ctx.session!.userId);
      if (user?.PermissionsBulkApiHardDelete !== true) {
        throw new ApiError(400, 'FEATURENOTENABLED', 'FeatureNotEnabled : Bulk API Hard Delete is not enabled for this user. Grant the "Bulk API Hard Delete" permission.');
      }
    }
    const columnDelimiter = str('columnDelimiter') ?? 'COMMA';
    if (!DELIMITERS[columnDelimiter]) throw new ApiError(400, 'INVALIDJOB', `InvalidJob : Invalid column delimiter: ${columnDelimiter}`);
    const lineEnding = str('lineEnding') ?? 'LF';
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') throw new ApiError(400, 'INVALIDJOB', `InvalidJob : Invalid line ending: ${lineEnding}`);
    const contentTypeValue = str('contentType') ?? 'CSV';
    if (contentTypeValue !== 'CSV') throw new ApiError(400, 'INVALIDJOB', `InvalidJob : Invalid content type: ${contentTypeValue}`);
    const now = this.org.clock.now();
    return {
      id: this.org.store.ids.next('750'),
      jobType: 'V2Ingest',
      operation,
      object: def.name,
      createdById: ctx.session!.userId,
      createdDate: now,
      systemModstamp: now,
      state: 'Open',
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(ctx.version),
      lineEnding,
      columnDelimiter,
      ...(operation === 'upsert' ? { externalIdFieldName: this.org.store.field(def, externalIdFieldName!)!.name } : {}),
      ...(str('assignmentRuleId') ? { assignmentRuleId: str('assignmentRuleId') } : {}),
      numberRecordsProcessed: 0,
      numberRecordsFailed: 0,
      retries: 0,
      totalProcessingTime: 0,
      apiActiveProcessingTime: 0,
      apexProcessingTime: 0,
      uploaded: false,
      shuffleSeed: Math.floor(Math.random() * 2 ** 31),
    };
  }

  private async upload(ctx: RequestContext): Promise<void> {
    const job = this.job(ctx);
    // Read the body first so the client is never cut off mid-request.
    const data = await readBody(ctx.req, Math.ceil((this.org.settings.uploadCapBase64 * 3) / 4) + 4);
    if (job.state !== 'Open') {
      throw new ApiError(400, 'INVALIDJOBSTATE', `Unable to upload data to job ${job.id} since it is in state ${job.state}`);
    }
    if (job.uploaded) {
      throw new ApiError(400, 'INVALIDJOBSTATE', `Found multiple contents for job: <${job.id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`);
    }
    this.acceptUpload(job, data);
    sendEmpty(ctx.res, 201);
  }

  private acceptUpload(job: IngestJob, data: Buffer): void {
    const base64Length = Math.ceil(data.length / 3) * 4;
    if (base64Length > this.org.settings.uploadCapBase64) {
      throw new ApiError(400, 'INVALIDBATCH', `InvalidBatch : Exceeded max size limit of ${this.org.settings.uploadCapBase64} for job data (base64 length ${base64Length})`);
    }
    job.data = data;
    job.uploaded = true;
    job.systemModstamp = this.org.clock.now();
  }

  private async patch(ctx: RequestContext): Promise<void> {
    const job = this.job(ctx);
    const body = await readJson(ctx.req);
    const keys = Object.keys(body);
    const state = body.state;
    if (keys.length !== 1 || (state !== 'UploadComplete' && state !== 'Aborted')) {
      throw new ApiError(400, 'INVALIDJOB', 'InvalidJob : Only the state can be changed, to UploadComplete or Aborted');
    }
    if (state === 'UploadComplete') {
      if (job.state !== 'Open') {
        throw new ApiError(400, 'INVALIDJOBSTATE', `Closing already ${stateWord(job.state)} Job not allowed`);
      }
      this.transition(job, 'UploadComplete');
    } else {
      if (isTerminal(job.state)) {
        throw new ApiError(400, 'INVALIDJOBSTATE', `Aborting already ${stateWord(job.state)} Job not allowed`);
      }
      this.transition(job, 'Aborted');
    }
    sendJson(ctx.res, 200, this.shortInfo(job, ctx.version));
  }

  private info(ctx: RequestContext): void {
    sendJson(ctx.res, 200, this.fullInfo(this.job(ctx), ctx.version));
  }

  private remove(ctx: RequestContext): void {
    const job = this.job(ctx);
    if (job.state === 'Open' || job.state === 'InProgress') {
      throw new ApiError(400, 'API_ERROR', 'Error encountered when deleting the job because the job is not terminated');
    }
    this.jobs.delete(job.id);
    sendEmpty(ctx.res, 204);
  }

  private list(ctx: RequestContext): void {
    const jobType = ctx.url.searchParams.get('jobType');
    const mode = ctx.url.searchParams.get('concurrencyMode');
    const all = this.allIngestJobs()
      .filter((j) => !jobType || j.jobType === jobType)
      .filter((j) => !mode || j.concurrencyMode.toLowerCase() === mode.toLowerCase())
      // PK chunking is a V1 query feature: no ingest job has it on.
      .filter(() => ctx.url.searchParams.get('isPkChunkingEnabled') !== 'true')
      .sort((a, b) => a.createdDate - b.createdDate);
    const { page, next } = pageOf(all, ctx.url.searchParams.get('queryLocator'), this.org.settings.jobsPageSize);
    sendJson(ctx.res, 200, {
      done: next === null,
      records: page.map(jobSummary),
      nextRecordsUrl: next ? `/services/data/v${ctx.version}/jobs/ingest?queryLocator=${next}${jobType ? `&jobType=${jobType}` : ''}` : null,
    });
  }

  /** Other job kinds (V1 Classic) register here so Get All Jobs lists them too. */
  public extraJobs: Array<() => JobBase[]> = [];

  private allIngestJobs(): JobBase[] {
    return [...this.jobs.list(), ...this.extraJobs.flatMap((f) => f())];
  }

  private results(ctx: RequestContext, kind: 'successful' | 'failed' | 'unprocessed'): void {
    const job = this.job(ctx);
    sendText(ctx.res, 200, this.resultCsv(job, kind), 'text/csv');
  }

  /** Builds a result file. Processed rows come in a shuffled order, as Salesforce does not keep input order. */
  public resultCsv(job: IngestJob, kind: 'successful' | 'failed' | 'unprocessed'): string {
    const header = job.header ?? [];
    const rows = job.rows ?? [];
    const outcomes = job.outcomes ?? [];
    const lines: string[] = [];
    if (kind === 'successful') lines.push(quoteCsv(['sf__Id', 'sf__Created', ...header]));
    else if (kind === 'failed') lines.push(quoteCsv(['sf__Id', 'sf__Error', ...header]));
    else lines.push(quoteCsv(header));
    let indexes: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const o = outcomes[i];
      if (kind === 'unprocessed' ? !o : o && o.success === (kind === 'successful')) indexes.push(i);
    }
    if (kind !== 'unprocessed' && this.org.settings.shuffleResults) indexes = shuffled(indexes, job.shuffleSeed + kind.length);
    for (const i of indexes) {
      const o = outcomes[i];
      const cells = padRow(rows[i], header.length);
      if (kind === 'successful') lines.push(quoteCsv([o!.id, String(o!.created), ...cells]));
      else if (kind === 'failed') lines.push(quoteCsv([o!.id, o!.error, ...cells]));
      else lines.push(quoteCsv(cells));
    }
    return lines.join('\n') + '\n';
  }

  private transition(job: IngestJob, state: IngestJob['state']): void {
    job.state = state;
    job.systemModstamp = this.org.clock.now();
    if (isTerminal(state)) job.endedAt = job.systemModstamp;
    if (state === 'UploadComplete') {
      setTimeout(() => void this.process(job), this.org.settings.processingDelayMs).unref();
    }
  }

  /** Runs a closed job: header check, then 10,000-row chunks, yielding between chunks. */
  private async process(job: IngestJob): Promise<void> {
    if (job.state !== 'UploadComplete') return;
    const started = Date.now();
    this.transition(job, 'InProgress');
    const fail = (message: string): void => {
      job.errorMessage = message;
      this.transition(job, 'Failed');
    };
    if (!job.data || job.data.length === 0) {
      // A job closed without data has nothing to process.
      job.header = [];
      job.rows = [];
      job.outcomes = [];
      fail('InvalidBatch : No data was uploaded for this job');
      return;
    }
    const parsed = parseUpload(job.data, job.columnDelimiter, job.lineEnding);
    job.data = undefined;
    if (!parsed.ok) {
      job.header = [];
      job.rows = [];
      fail(parsed.message);
      return;
    }
    job.header = parsed.header;
    job.rows = parsed.rows;
    job.outcomes = new Array<RowOutcome | undefined>(parsed.rows.length);
    const def = this.org.store.describe(job.object)!;
    const ctx: JobContext = {
      object: def,
      operation: job.operation as Operation,
      externalIdFieldName: job.externalIdFieldName,
      userId: job.createdById,
    };
    const check = checkHeader(this.org.store, ctx, parsed.header);
    if (!check.ok) {
      fail(check.message);
      return;
    }
    const size = this.org.settings.chunkSize;
    for (let start = 0; start < parsed.rows.length; start += size) {
      // Yield so the server keeps answering polls while a big job runs.
      await new Promise((resolve) => setImmediate(resolve));
      if ((job.state as string) === 'Aborted') break;
      this.org.usage.bulkBatches++;
      this.runChunk(job, ctx, check.columns, start, Math.min(start + size, parsed.rows.length));
      job.systemModstamp = this.org.clock.now();
    }
    const elapsed = Date.now() - started;
    job.totalProcessingTime = elapsed;
    job.apiActiveProcessingTime = elapsed;
    if ((job.state as string) !== 'Aborted') this.transition(job, 'JobComplete');
  }

  private runChunk(job: IngestJob, ctx: JobContext, columns: ColumnPlan[], from: number, to: number): void {
    const rows = job.rows!;
    const width = job.header!.length;
    // Ragged rows fail on their own; the rest of the chunk goes to the row engine together.
    const good: number[] = [];
    for (let i = from; i < to; i++) {
      if (rows[i].length !== width) {
        job.outcomes![i] = {
          success: false,
          created: false,
          id: '',
          error: `INVALID_FIELD:Number of fields in the row (${rows[i].length}) does not match the header (${width}):--`,
        };
      } else good.push(i);
    }
    const outcomes = applyChunk(this.org.store, ctx, columns, good.map((i) => rows[i]));
    good.forEach((rowIndex, k) => {
      job.outcomes![rowIndex] = outcomes[k];
    });
    for (let i = from; i < to; i++) {
      job.numberRecordsProcessed++;
      if (!job.outcomes![i]!.success) job.numberRecordsFailed++;
    }
  }

  private shortInfo(job: IngestJob, version: string): Record<string, unknown> {
    return {
      ...jobSummary(job),
      ...(job.state === 'Open' ? { contentUrl: `services/data/v${version}/jobs/ingest/${job.id}/batches` } : {}),
    };
  }

  public fullInfo(job: IngestJob, version: string): Record<string, unknown> {
    return {
      ...this.shortInfo(job, version),
      retries: job.retries,
      numberRecordsProcessed: job.numberRecordsProcessed,
      numberRecordsFailed: job.numberRecordsFailed,
      totalProcessingTime: job.totalProcessingTime,
      apiActiveProcessingTime: job.apiActiveProcessingTime,
      apexProcessingTime: job.apexProcessingTime,
      ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
    };
  }

  /** For the control API: a job's state and counters, with the date in Salesforce's form. */
  public describeJob(job: IngestJob): Record<string, unknown> {
    return { ...this.fullInfo(job, job.apiVersion.toFixed(1)), createdDate: sfDateTime(job.createdDate) };
  }
}

function stateWord(state: string): string {
  return state === 'JobComplete' ? 'Completed' : state;
}

function padRow(row: string[], width: number): string[] {
  if (row.length === width) return row;
  return row.length > width ? row.slice(0, width) : [...row, ...new Array<string>(width - row.length).fill('')];
}

/** Minimal multipart/form-data reader for the create-with-data form: a `job` JSON part and a `content` CSV part. */
function parseMultipart(body: Buffer, contentType: string): { body: Record<string, unknown>; content?: Buffer } {
  const m = /boundary="?([^";]+)"?/i.exec(contentType);
  if (!m) throw new ApiError(400, 'INVALIDJOB', 'InvalidJob : Multipart request without a boundary');
  const delimiter = Buffer.from(`--${m[1]}`);
  let job: Record<string, unknown> | undefined;
  let content: Buffer | undefined;
  let pos = body.indexOf(delimiter);
  while (pos >= 0) {
    const start = pos + delimiter.length;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd >= 0) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      let data = part.subarray(headerEnd + 4);
      if (data.subarray(-2).toString() === '\r\n') data = data.subarray(0, -2);
      const name = /name="([^"]+)"/i.exec(headers)?.[1];
      if (name === 'job') job = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      if (name === 'content') content = Buffer.from(data);
    }
    pos = next;
  }
  if (!job) throw new ApiError(400, 'INVALIDJOB', 'InvalidJob : Multipart request without a job part');
  return { body: job, content };
}
