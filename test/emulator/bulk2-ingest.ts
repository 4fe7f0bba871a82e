/*
 * Bulk API 2.0 ingest: create (JSON or multipart), one upload, close/abort, info, delete, results,
 * Get All Jobs (Bulk API Developer Guide: Bulk API 2.0 Ingest). Processing runs after close in 10,000-row chunks, queued and timed
 * by the processing model (processing.ts), through the row engine in dml.ts.
 */
import { ApiError, notFound, readBody, readJson, sendEmpty, sendJson, sendText } from './http.js';
import { Org, RequestContext, Route } from './context.js';
import { JobBase, JobRegistry, OPEN_JOB_LIFETIME_MS, isTerminal, jobSummary, pageOf } from './jobs.js';
import { DELIMITERS, parseUpload, quoteCsv, shuffled } from './csv.js';
import { applyChunk, checkHeader, ColumnPlan, JobContext, Operation, RowOutcome } from './dml.js';
import { sfDateTime } from './store.js';
import { canonicalId, isValidId } from './ids.js';
import { LockPlanner } from './locks.js';
import { BATCH_QUOTA_MESSAGE, ChunkSpec, lockError, retriedMessage } from './processing.js';

export type IngestJob = JobBase & {
  /** the uploaded CSV, until processing has parsed it */
  data?: Buffer;
  uploaded: boolean;
  header?: string[];
  rows?: string[][];
  outcomes?: Array<RowOutcome | undefined>;
  /** a finished job's rows and outcomes in compact form, for its result files (see compact()) */
  compact?: CompactResults;
  /** seed for this job's result shuffle */
  shuffleSeed: number;
  /** processing model: chunks not ended yet */
  chunksPending?: number;
  /** an injected failure (control API): rows from this index on are never processed */
  failAfterRows?: number;
  /** why the job will end Failed once its running chunks end */
  failure?: string;
  deleted?: boolean;
};


/** Per row: the quoted CSV cells, 0 = not processed, 1 = created, 2 = updated/deleted, 3 = failed. */
type CompactResults = { lines: string[]; kinds: Uint8Array; ids: string[]; errors: Map<number, string> };

/** UNVERIFIED: Salesforce documents the 24 hours an Open job has, not the message it then fails with. */
export const OPEN_JOB_EXPIRED = 'Job expired: it was not closed (UploadComplete) within 24 hours of its creation';

const OPERATIONS: ReadonlySet<string> = new Set(['insert', 'update', 'upsert', 'delete', 'hardDelete']);
const BASE = String.raw`^/services/data/v(\d+\.\d)/jobs/ingest`;

export class Bulk2Ingest {
  public readonly jobs: JobRegistry<IngestJob>;

  public constructor(private readonly org: Org) {
    this.jobs = new JobRegistry<IngestJob>(
      () => org.clock.now(),
      () => org.settings.retentionDays,
      (job, now) => this.expire(job, now)
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
    ctx.job = job;
    // A multipart create writes no "created" event, only its UploadComplete (EventLogFile: Bulk API 2.0 Event Type).
    if (!content) this.org.events.jobStep(job, 'Open');
    if (content) {
      // The multipart form uploads and closes in one request (Bulk API Developer Guide: Create a Job (multipart)).
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
    const cap = this.org.settings.uploadCapBase64;
    const data = await readBody(ctx.req, Math.ceil((cap * 3) / 4) + 4).catch((e: unknown) => {
      // Over the cap: the same refusal as acceptUpload gives, not a generic body-size error.
      if (e instanceof ApiError && e.status === 413) throw overCap(cap);
      throw e;
    });
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
    // Salesforce base64-encodes the upload on arrival and measures that (Bulk API 2.0 Limits).
    const base64Length = Math.ceil(data.length / 3) * 4;
    if (base64Length > this.org.settings.uploadCapBase64) throw overCap(this.org.settings.uploadCapBase64);
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
    // A deleted job that was still waiting in the queue is not processed.
    job.deleted = true;
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
    if (job.compact) return this.compactResultCsv(job, job.compact, kind);
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

  /** The same files from the compact form: one string per row instead of an array and an object. */
  private compactResultCsv(job: IngestJob, c: CompactResults, kind: 'successful' | 'failed' | 'unprocessed'): string {
    const header = job.header ?? [];
    const lines: string[] = [];
    if (kind === 'successful') lines.push(quoteCsv(['sf__Id', 'sf__Created', ...header]));
    else if (kind === 'failed') lines.push(quoteCsv(['sf__Id', 'sf__Error', ...header]));
    else lines.push(quoteCsv(header));
    let indexes: number[] = [];
    for (let i = 0; i < c.kinds.length; i++) {
      const k = c.kinds[i];
      if (kind === 'unprocessed' ? k === 0 : kind === 'failed' ? k === 3 : k === 1 || k === 2) indexes.push(i);
    }
    if (kind !== 'unprocessed' && this.org.settings.shuffleResults) indexes = shuffled(indexes, job.shuffleSeed + kind.length);
    for (const i of indexes) {
      if (kind === 'successful') lines.push(`${quoteCsv([c.ids[i], String(c.kinds[i] === 1)])},${c.lines[i]}`);
      else if (kind === 'failed') lines.push(`${quoteCsv([c.ids[i], c.errors.get(i) ?? ''])},${c.lines[i]}`);
      else lines.push(c.lines[i]);
    }
    return lines.join('\n') + '\n';
  }

  /**
   * A finished job keeps its rows only for its result files: folding them into one CSV string per
   * row (and outcomes into typed arrays) cuts the emulator's memory several times for big loads.
   */
  private compact(job: IngestJob): void {
    const rows = job.rows;
    const outcomes = job.outcomes;
    if (!rows || !outcomes || rows.length === 0) return;
    const width = job.header?.length ?? 0;
    const c: CompactResults = { lines: new Array<string>(rows.length), kinds: new Uint8Array(rows.length), ids: new Array<string>(rows.length), errors: new Map() };
    for (let i = 0; i < rows.length; i++) {
      c.lines[i] = width ? quoteCsv(padRow(rows[i], width)) : '';
      const o = outcomes[i];
      if (!o) continue;
      c.kinds[i] = o.success ? (o.created ? 1 : 2) : 3;
      c.ids[i] = o.id;
      if (!o.success) c.errors.set(i, o.error);
    }
    job.compact = c;
    job.rows = undefined;
    job.outcomes = undefined;
  }

  private transition(job: IngestJob, state: IngestJob['state']): void {
    job.state = state;
    job.systemModstamp = this.org.clock.now();
    if (isTerminal(state)) job.endedAt = job.systemModstamp;
    this.org.events.jobStep(job, state);
    if (state === 'UploadComplete') {
      setTimeout(() => this.start(job), this.org.settings.processingDelayMs).unref();
    }
  }

  /**
   * An Open job nobody closed within 24 hours of its creation ends Failed at that moment (the
   * limits guide gives Open jobs 24 hours); rows it was given are in unprocessedrecords, and
   * retention removes it 7 days later like any terminal job.
   */
  private expire(job: IngestJob, now: number): void {
    const end = job.createdDate + OPEN_JOB_LIFETIME_MS;
    if (job.state !== 'Open' || now < end) return;
    const parsed = job.data && job.data.length > 0 ? parseUpload(job.data, job.columnDelimiter, job.lineEnding) : undefined;
    job.data = undefined;
    job.header = parsed?.ok ? parsed.header : [];
    job.rows = parsed?.ok ? parsed.rows : [];
    job.outcomes = new Array<RowOutcome | undefined>(job.rows.length);
    job.errorMessage = OPEN_JOB_EXPIRED;
    job.state = 'Failed';
    job.systemModstamp = end;
    job.endedAt = end;
    this.org.events.jobStep(job, 'Failed', end);
  }

  /**
   * A closed job enters processing: the upload is parsed and its header checked (a bad one fails
   * the whole job), then its 10,000-row chunks join the org-wide queue of the processing model
   * (processing.ts). The job turns InProgress when its first chunk starts, and ends when its last
   * chunk does.
   */
  private start(job: IngestJob): void {
    if (job.state !== 'UploadComplete') return;
    const fail = (message: string): void => {
      this.transition(job, 'InProgress');
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
    const total = parsed.rows.length;
    const injected = this.org.faults.takeJobFailure(job.id);
    if (injected) job.failAfterRows = Math.min(injected.afterRows, total);
    const size = Math.max(1, this.org.settings.chunkSize);
    const chunks: ChunkSpec[] = [];
    for (let from = 0; from < total; from += size) {
      if (job.failAfterRows !== undefined && from >= job.failAfterRows) break;
      chunks.push(this.chunk(job, ctx, check.columns, from, Math.min(from + size, total)));
    }
    job.chunksPending = chunks.length;
    if (chunks.length === 0) {
      this.finish(job);
      return;
    }
    this.org.processing.submit(...chunks);
  }

  /** One 10,000-row chunk of a job, as the processing model runs it. */
  private chunk(job: IngestJob, ctx: JobContext, columns: ColumnPlan[], from: number, to: number): ChunkSpec {
    const org = this.org;
    const rows = job.rows!;
    const width = job.header!.length;
    const idCol = columns.findIndex((c) => c.kind === 'id');
    const count = to - from;
    let planner: LockPlanner | undefined;
    let chunkRows: string[][] = [];
    const record = (i: number, outcome: RowOutcome): void => {
      job.outcomes![i] = outcome;
      job.numberRecordsProcessed++;
      if (!outcome.success) job.numberRecordsFailed++;
    };
    return {
      label: `${job.id} rows ${from + 1}-${to}`,
      jobId: job.id,
      rowCount: () => (job.failAfterRows === undefined ? count : Math.max(0, Math.min(count, job.failAfterRows - from))),
      automationCostMs: ctx.object.automationCostMs,
      timeLimitMs: org.settings.chunkTimeLimitMs,
      maxRetries: org.settings.chunkMaxRetries,
      onStart: (first): boolean => {
        if (first) {
          if (job.state === 'Aborted' || job.deleted === true || job.failure !== undefined) return false;
          // Each chunk uses one batch of the daily allocation shared with V1 (Bulk API Developer Guide: How Requests Are Processed; Salesforce Developer Limits and Allocations Quick Reference: Bulk API and Bulk API 2.0 Limits).
          if (org.batches.used() >= org.settings.dailyBulkApiBatches) {
            job.failure = BATCH_QUOTA_MESSAGE;
            return false;
          }
          org.batches.use();
          chunkRows = rows.slice(from, to).filter((r) => r.length === width);
        }
        if (job.state === 'UploadComplete') this.transition(job, 'InProgress');
        planner = new LockPlanner(org.store, ctx, columns, (r) => rows[from + r]);
        return true;
      },
      lockKeys: (r) => (rows[from + r].length === width ? planner!.keys(r) : []),
      apply: (local): void => {
        // Ragged rows fail on their own; the rest of the transaction goes to the row engine together.
        const good: number[] = [];
        for (const r of local) {
          const i = from + r;
          if (rows[i].length !== width) {
            record(i, {
              success: false,
              created: false,
              id: '',
              error: `INVALID_FIELD:Number of fields in the row (${rows[i].length}) does not match the header (${width}):--`,
            });
          } else good.push(i);
        }
        if (good.length > 0) {
          const outcomes = applyChunk(org.store, ctx, columns, good.map((i) => rows[i]), chunkRows);
          good.forEach((i, k) => record(i, outcomes[k]));
        }
        job.systemModstamp = org.clock.now();
      },
      failLocked: (list): void => {
        for (const [r, lockedId] of list) {
          const i = from + r;
          const raw = idCol >= 0 && ctx.operation !== 'insert' ? rows[i][idCol] ?? '' : '';
          record(i, { success: false, created: false, id: raw && isValidId(raw) ? canonicalId(raw) : '', error: lockError(lockedId) });
        }
        job.systemModstamp = org.clock.now();
      },
      // A job that is going to fail starts no more chunks, but the ones running finish (an abort stops them).
      stopped: () => job.state === 'Aborted' || job.deleted === true,
      onEnd: (result): void => {
        job.totalProcessingTime += result.totalMs;
        job.apiActiveProcessingTime += result.activeMs;
        job.apexProcessingTime += result.apexMs;
        job.retries += result.retries;
        if (result.status === 'exhausted' && job.failure === undefined) job.failure = retriedMessage(org.settings.chunkMaxRetries);
        job.systemModstamp = org.clock.now();
        job.chunksPending = (job.chunksPending ?? 1) - 1;
        if (job.chunksPending === 0) this.finish(job);
      },
    };
  }

  /** The last chunk ended: JobComplete, or Failed when a chunk ran out of retries or the batch allocation ran out. */
  private finish(job: IngestJob): void {
    if (job.state === 'Aborted') return;
    if (job.state === 'UploadComplete') this.transition(job, 'InProgress');
    const total = job.rows?.length ?? 0;
    if (job.failure === undefined && job.failAfterRows !== undefined && job.failAfterRows < total) {
      // An injected mid-way failure: the chunk holding row afterRows + 1 used up its retries.
      job.failure = retriedMessage(this.org.settings.chunkMaxRetries);
      job.retries += this.org.settings.chunkMaxRetries;
    }
    if (job.failure !== undefined) {
      job.errorMessage = job.failure;
      this.transition(job, 'Failed');
    } else {
      this.transition(job, 'JobComplete');
    }
    this.compact(job);
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

/**
 * An upload over the cap, in the words the org uses (as `sf data import bulk` shows them: "InvalidJob :
 * Error encountered while processing job: Uploaded batch file size greater than max size. Org max
 * upload file size is 150000000 bytes"). UNVERIFIED: the HTTP status and errorCode of the raw answer
 * are not documented; 400 and the message's own INVALIDJOB are what the REST envelope gives a bad job.
 */
function overCap(cap: number): ApiError {
  return new ApiError(400, 'INVALIDJOB', `InvalidJob : Error encountered while processing job: Uploaded batch file size greater than max size. Org max upload file size is ${cap} bytes`);
}
