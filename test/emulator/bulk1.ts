/*
 * Bulk API V1 ("classic"): jobs and batches under /services/async/XX.X/ (Bulk API Developer Guide: Bulk API (V1)).
 *
 * A job takes any number of batches while it is Open; each batch is validated and processed on its
 * own, asynchronously (a bad header still returns Queued, then the batch turns Failed), through the
 * row engine in dml.ts: checkHeader once per batch, applyChunk with the batch's rows. Results come
 * back one row per input row, in input order (documented for V1, unlike 2.0).
 *
 * When and how batches run is decided by the org-wide processing model (processing.ts): an accepted
 * batch joins its queue after `processingDelayMs` (wall clock), waits for a worker (a Serial job's
 * batches one at a time), and its rows run in transactions that take row locks in simulated time.
 *
 * Bodies and answers are XML for CSV and XML jobs, JSON for JSON jobs; before a job is known (create,
 * unknown job) they follow the request's Content-Type. Wording marked "unverified" is not taken from
 * a capture of a real org.
 */
/* eslint-disable no-param-reassign -- jobs and batches are mutable records this module exists to update */
import { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, readBody, sendText } from './http.js';
import { Org, RequestContext, Route } from './context.js';
import { JobBase, OPEN_JOB_LIFETIME_MS } from './jobs.js';
import { parseUpload, quoteCsv } from './csv.js';
import { applyChunk, checkExternalIdField, checkHeader, ColumnPlan, JobContext, Operation, RowOutcome } from './dml.js';
import { canonicalId, isValidId } from './ids.js';
import { LockPlanner } from './locks.js';
import { ChunkSpec, lockError, retriedMessage } from './processing.js';
import { MIN_VERSION } from './rest.js';
import { sfDateTime } from './store.js';
import { QUERY_OPERATIONS, resultById, resultFile, resultList, runQuery, V1QueryResult } from './bulk1-query.js';

export const ASYNC_NS = 'http://www.force.com/2009/06/asyncapi/dataload';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** Bulk API Developer Guide: Bulk API Limits */
export const V1_LIMITS = { recordsPerBatch: 10_000, bytesPerBatch: 10 * 1024 * 1024, charactersPerBatch: 10_000_000 };

const OPERATIONS: ReadonlySet<string> = new Set(['insert', 'update', 'upsert', 'delete', 'hardDelete']);
const CONTENT_TYPES: ReadonlySet<string> = new Set(['CSV', 'XML', 'JSON']);

export type V1Format = 'XML' | 'JSON';
export type BatchState = 'Queued' | 'InProgress' | 'Completed' | 'Failed' | 'NotProcessed';

export type V1Batch = {
  id: string;
  jobId: string;
  state: BatchState;
  stateMessage?: string;
  createdDate: number;
  systemModstamp: number;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  totalProcessingTime: number;
  apiActiveProcessingTime: number;
  apexProcessingTime: number;
  /** the payload as uploaded, for GET …/request */
  request: Buffer;
  /** the payload as a table, or why it could not be read (the batch then fails when it runs) */
  table: Table | { message: string };
  /** one per input row, in input order, once the batch has run */
  outcomes?: RowOutcome[];
  /** a query job's batch: its result files, once it has run */
  results?: V1QueryResult[];
  /** order of start and end among all batches of this emulator (lets tests see overlap) */
  startSeq?: number;
  endSeq?: number;
};

export type V1Job = JobBase & {
  jobType: 'Classic';
  batches: V1Batch[];
  /** created with `Sforce-Disable-Batch-Retry: TRUE`: a batch past the time limit fails at once */
  disableBatchRetry?: boolean;
};

type Table = { header: string[]; rows: string[][] };


// ---------------------------------------------------------------------------------------------
// Errors in the V1 envelope
// ---------------------------------------------------------------------------------------------

/** The answer format each request's errors use, once a route knows the job. */
const errorFormats = new WeakMap<IncomingMessage, V1Format>();

/** REST-style codes the server raises for any route, in V1 terms. */
const V1_CODES: Record<string, { status: number; code: string; message?: string }> = {
  NOT_FOUND: { status: 400, code: 'InvalidUrl', message: 'The requested URL is not valid' }, // unverified wording
  METHOD_NOT_ALLOWED: { status: 405, code: 'MethodNotAllowed' },
  UNKNOWN_EXCEPTION: { status: 500, code: 'Unknown' },
  REQUEST_ENTITY_TOO_LARGE: { status: 400, code: 'InvalidBatch' },
};

/** Renders an error as V1 does: `<error><exceptionCode/><exceptionMessage/></error>`, or JSON for JSON jobs. */
export function sendBulkV1Error(req: IncomingMessage, res: ServerResponse, err: ApiError): void {
  const mapped = V1_CODES[err.errorCode];
  const status = mapped?.status ?? err.status;
  const code = mapped?.code ?? err.errorCode;
  const message = mapped?.message ?? err.message;
  const format = errorFormats.get(req) ?? requestFormat(req);
  if (format === 'JSON') {
    // Bulk API Developer Guide: Bulk API Status Codes: the JSON shape is unverified.
    sendText(res, status, JSON.stringify({ exceptionCode: code, exceptionMessage: message }), 'application/json', err.headers);
  } else {
    const body = xmlDocument('error', [
      ['exceptionCode', code],
      ['exceptionMessage', message],
    ]);
    sendText(res, status, body, 'application/xml', err.headers);
  }
}

const v1Error = (code: string, message: string, status = 400): ApiError => new ApiError(status, code, message);

function requestFormat(req: IncomingMessage): V1Format {
  return /json/i.test(req.headers['content-type'] ?? '') ? 'JSON' : 'XML';
}

function jobFormat(job: V1Job): V1Format {
  return job.contentType === 'JSON' ? 'JSON' : 'XML';
}

// ---------------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------------

export class BulkV1 {
  private readonly jobs = new Map<string, V1Job>();
  private seq = 0;

  public constructor(private readonly org: Org) {}

  public routes(): Route[] {
    const r = (method: string, suffix: string, handler: (ctx: RequestContext) => Promise<void> | void): Route => ({
      method,
      pattern: new RegExp(String.raw`^/services/async/(\d+\.\d)/job${suffix}/?$`),
      api: 'bulkv1',
      handler: (ctx): Promise<void> | void => {
        this.checkVersion(ctx.params[0]);
        return handler(ctx);
      },
    });
    return [
      r('POST', '', (ctx) => this.create(ctx)),
      r('GET', '/(\\w+)', (ctx) => this.info(ctx)),
      r('POST', '/(\\w+)', (ctx) => this.changeState(ctx)),
      r('POST', '/(\\w+)/batch', (ctx) => this.addBatch(ctx)),
      r('GET', '/(\\w+)/batch', (ctx) => this.listBatches(ctx)),
      r('GET', '/(\\w+)/batch/(\\w+)', (ctx) => this.batchInfo(ctx)),
      r('GET', '/(\\w+)/batch/(\\w+)/request', (ctx) => this.batchRequest(ctx)),
      r('GET', '/(\\w+)/batch/(\\w+)/result', (ctx) => this.batchResult(ctx)),
      r('GET', '/(\\w+)/batch/(\\w+)/result/(\\w+)', (ctx) => this.queryResult(ctx)),
    ];
  }

  /** Every V1 job still kept (for Get All Jobs, which lists them as jobType Classic). */
  public listJobs(): V1Job[] {
    this.purge();
    return [...this.jobs.values()];
  }

  /** Takes a job as it is (historical jobs from a seed). */
  public adopt(job: V1Job): void {
    this.jobs.set(job.id, job);
  }

  public getJob(id: string): V1Job | undefined {
    this.purge();
    return this.jobs.get(id) ?? (id.length === 15 ? [...this.jobs.values()].find((j) => j.id.startsWith(id)) : undefined);
  }

  private checkVersion(version: string): void {
    const v = Number(version);
    // Unverified codes: the retirement page gives only the HTTP status (410).
    if (v < MIN_VERSION) throw v1Error('InvalidUrl', `API version ${version} has been retired`, 410);
    if (v > 66) throw v1Error('InvalidUrl', `Invalid API version: ${version}`);
  }

  // ---- jobs ---------------------------------------------------------------------------------

  private job(ctx: RequestContext): V1Job {
    const id = ctx.params[1];
    const job = this.getJob(id);
    // Unverified wording.
    if (!job) throw v1Error('InvalidJob', `Invalid job id: ${id}`);
    errorFormats.set(ctx.req, jobFormat(job));
    ctx.job = job;
    return job;
  }

  private async create(ctx: RequestContext): Promise<void> {
    const format = requestFormat(ctx.req);
    const body = await readJobInfo(ctx.req, format);
    const str = (k: string): string | undefined => body[k];
    const store = this.org.store;

    const operation = str('operation');
    const query = operation !== undefined && QUERY_OPERATIONS.has(operation);
    // Exact case only: INSERT or Insert are refused (Bulk API Developer Guide: JobInfo). Unverified wording.
    if (!operation || !(OPERATIONS.has(operation) || query)) throw v1Error('InvalidJob', `Invalid operation: ${operation ?? ''}`);
    const objectName = str('object');
    const def = objectName ? store.describe(objectName) : undefined;
    if (!objectName || !def) throw v1Error('InvalidJob', `Unable to find object: ${objectName ?? ''}`);
    if (query ? !def.queryable : !def.createable && !def.updateable && !def.deletable) {
      throw v1Error('InvalidJob', `Entity '${def.name}' is not supported by the Bulk API.`);
    }
    const contentType = str('contentType') ?? 'XML';
    if (!CONTENT_TYPES.has(contentType)) {
      throw v1Error('InvalidJob', `Unsupported content type: ${contentType}`); // ZIP_* are not emulated; unverified wording
    }
    const concurrencyMode = str('concurrencyMode') ?? 'Parallel';
    if (concurrencyMode !== 'Parallel' && concurrencyMode !== 'Serial') {
      throw v1Error('InvalidJob', `Invalid concurrency mode: ${concurrencyMode}`); // unverified wording
    }
    let externalIdFieldName: string | undefined;
    if (operation === 'upsert') {
      const key = checkExternalIdField(store, def, str('externalIdFieldName'));
      if (!key.ok) throw v1Error('InvalidJob', key.message);
      externalIdFieldName = key.field.name;
    }
    if (operation === 'hardDelete') {
      const user = store.get('User', ctx.session!.userId);
      if (user?.PermissionsBulkApiHardDelete !== true) {
        throw v1Error('FeatureNotEnabled', 'Bulk API Hard Delete is not enabled for this user. Grant the "Bulk API Hard Delete" permission.');
      }
    }
    const now = this.org.clock.now();
    const job: V1Job = {
      id: store.ids.next('750'),
      jobType: 'Classic',
      operation,
      object: def.name,
      createdById: ctx.session!.userId,
      createdDate: now,
      systemModstamp: now,
      state: 'Open',
      concurrencyMode,
      contentType,
      apiVersion: Number(ctx.params[0]),
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
      ...(externalIdFieldName ? { externalIdFieldName } : {}),
      ...(str('assignmentRuleId') ? { assignmentRuleId: str('assignmentRuleId') } : {}),
      numberRecordsProcessed: 0,
      numberRecordsFailed: 0,
      retries: 0,
      totalProcessingTime: 0,
      apiActiveProcessingTime: 0,
      apexProcessingTime: 0,
      batches: [],
      ...(/^true$/i.test(String(ctx.req.headers['sforce-disable-batch-retry'] ?? '')) ? { disableBatchRetry: true } : {}),
    };
    this.jobs.set(job.id, job);
    ctx.job = job;
    this.send(ctx, 201, format, 'jobInfo', this.jobFields(job, format));
  }

  private info(ctx: RequestContext): void {
    const job = this.job(ctx);
    this.send(ctx, 200, jobFormat(job), 'jobInfo', this.jobFields(job, jobFormat(job)));
  }

  /** POST /job/{id}: Closed or Aborted; the body may hold nothing but `state` (Bulk API Developer Guide: JobInfo). */
  private async changeState(ctx: RequestContext): Promise<void> {
    const job = this.job(ctx);
    const body = await readJobInfo(ctx.req, requestFormat(ctx.req));
    const extra = Object.keys(body).find((k) => k !== 'state');
    // The observed text is "CreatedById cannot be specified" (Bulk API Developer Guide: JobInfo).
    if (extra) throw v1Error('InvalidJob', `${extra.charAt(0).toUpperCase()}${extra.slice(1)} cannot be specified`);
    const state = body.state;
    const userId = ctx.session!.userId;
    const user = this.org.store.get('User', userId);
    if (state === 'Closed') {
      // Only the creator can close (Bulk API Developer Guide: JobInfo). Unverified wording.
      if (userId !== job.createdById) throw v1Error('InvalidUser', 'Only the user who created the job can close it');
      if (job.state !== 'Open') throw v1Error('InvalidJobState', `Job already ${job.state.toLowerCase()}`); // unverified wording
      this.setJobState(job, 'Closed');
    } else if (state === 'Aborted') {
      if (userId !== job.createdById && user?.PermissionsManageDataIntegrations !== true) {
        throw v1Error('InvalidUser', 'Only the user who created the job, or a user with Manage Data Integrations, can abort it');
      }
      if (job.state === 'Aborted' || job.state === 'Failed') {
        throw v1Error('InvalidJobState', `Job already ${job.state.toLowerCase()}`); // unverified wording
      }
      this.setJobState(job, 'Aborted');
      // Batches not started are never processed; one already running finishes (Bulk API Developer Guide: BatchInfo).
      for (const b of job.batches) {
        if (b.state === 'Queued') this.setBatchState(b, 'NotProcessed');
      }
    } else {
      throw v1Error('InvalidJobState', `Invalid job state: ${state ?? ''}`); // unverified wording
    }
    this.send(ctx, 200, jobFormat(job), 'jobInfo', this.jobFields(job, jobFormat(job)));
  }

  private setJobState(job: V1Job, state: V1Job['state']): void {
    job.state = state;
    job.systemModstamp = this.org.clock.now();
    if (state === 'Aborted' || state === 'Failed') job.endedAt = job.systemModstamp;
  }

  // ---- batches ------------------------------------------------------------------------------

  private batch(ctx: RequestContext, job: V1Job): V1Batch {
    const id = ctx.params[2];
    const batch = job.batches.find((b) => b.id === id || (id.length === 15 && b.id.startsWith(id)));
    // Wording as a mock of the real service replies (confluex mock-salesforce).
    if (!batch) throw v1Error('InvalidBatch', `Unable to find batch for id: ${id}`);
    return batch;
  }

  private async addBatch(ctx: RequestContext): Promise<void> {
    const job = this.job(ctx);
    // Read it all first so the client always gets our answer; keep at most one byte past the cap.
    let data: Buffer;
    try {
      data = await readBody(ctx.req, V1_LIMITS.bytesPerBatch + 1);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      // Unverified wording.
      throw v1Error('InvalidBatch', `Exceeded max size limit of ${V1_LIMITS.bytesPerBatch} bytes for batch data`);
    }
    if (this.org.batches.used() >= this.org.settings.dailyBulkApiBatches) {
      throw v1Error('ExceededQuota', 'ApiBatchItems Limit exceeded.');
    }
    // The daily allocation counts a batch even when the job refuses it (Bulk API Developer Guide: Bulk API Limits).
    this.org.batches.use();
    if (job.state !== 'Open') {
      throw v1Error('InvalidJobState', `Failed to create batch, since the Job is not Open. Current job state is '${job.state}'`);
    }
    // A job stays Open, but takes no batch once it is 24 hours old (Bulk API Limits: Batch Allocation). UNVERIFIED wording.
    if (this.org.clock.now() - job.createdDate > OPEN_JOB_LIFETIME_MS) {
      throw v1Error('InvalidJobState', 'Failed to create batch, since the Job is more than 24 hours old');
    }
    if (data.length > V1_LIMITS.bytesPerBatch) {
      throw v1Error('InvalidBatch', `Exceeded max size limit of ${V1_LIMITS.bytesPerBatch} bytes for batch data`);
    }
    const text = data.toString('utf8');
    if (text.length > V1_LIMITS.charactersPerBatch) {
      throw v1Error('InvalidBatch', `Exceeded max number of characters: ${text.length}. Should be less than or equal to ${V1_LIMITS.charactersPerBatch}`);
    }
    const query = QUERY_OPERATIONS.has(job.operation);
    // A query batch's body is the SOQL (Bulk API Developer Guide: Use Bulk Query).
    const table = query ? { header: [], rows: [] } : readTable(job.contentType, data);
    if ('rows' in table && table.rows.length > V1_LIMITS.recordsPerBatch) {
      // Wording as quoted on salesforce.stackexchange.com (question 332337), with our limit.
      throw v1Error(
        'InvalidBatch',
        `Exceeded number of records: ${table.rows.length}. Number of records should be less than or equal to ${V1_LIMITS.recordsPerBatch}`
      );
    }
    const now = this.org.clock.now();
    const batch: V1Batch = {
      id: this.org.store.ids.next('751'),
      jobId: job.id,
      state: 'Queued',
      createdDate: now,
      systemModstamp: now,
      numberRecordsProcessed: 0,
      numberRecordsFailed: 0,
      totalProcessingTime: 0,
      apiActiveProcessingTime: 0,
      apexProcessingTime: 0,
      request: data,
      table,
    };
    job.batches.push(batch);
    job.systemModstamp = now;
    if (query) this.runQueryBatch(job, batch);
    else setTimeout(() => this.org.processing.submit(this.batchChunk(job, batch)), this.org.settings.processingDelayMs).unref();
    const format = jobFormat(job);
    this.send(ctx, 201, format, 'batchInfo', this.batchFields(batch, format));
  }

  private listBatches(ctx: RequestContext): void {
    const job = this.job(ctx);
    const format = jobFormat(job);
    if (format === 'JSON') {
      this.sendJsonText(ctx, 200, JSON.stringify({ batchInfo: job.batches.map((b) => Object.fromEntries(this.batchFields(b, format))) }));
      return;
    }
    const inner = job.batches.map((b) => xmlElement('batchInfo', this.batchFields(b, format), false)).join('');
    sendText(ctx.res, 200, `<?xml version="1.0" encoding="UTF-8"?><batchInfoList xmlns="${ASYNC_NS}">${inner}</batchInfoList>`, 'application/xml');
  }

  private batchInfo(ctx: RequestContext): void {
    const job = this.job(ctx);
    const format = jobFormat(job);
    this.send(ctx, 200, format, 'batchInfo', this.batchFields(this.batch(ctx, job), format));
  }

  private batchRequest(ctx: RequestContext): void {
    const job = this.job(ctx);
    const batch = this.batch(ctx, job);
    ctx.res.writeHead(200, { 'Content-Type': payloadContentType(job.contentType) });
    ctx.res.end(batch.request);
  }

  /**
   * A query batch runs by itself (no rows to lock): Queued, InProgress, then Completed with one
   * result file, or Failed when its SOQL cannot run.
   */
  private runQueryBatch(job: V1Job, batch: V1Batch): void {
    const delay = this.org.settings.processingDelayMs;
    setTimeout(() => {
      if (batch.state !== 'Queued') return;
      this.setBatchState(batch, 'InProgress');
      setTimeout(() => {
        if (batch.state !== 'InProgress') return;
        const ran = runQuery(this.org, job, batch.request.toString('utf8'));
        if (ran.ok) {
          batch.results = [ran.result];
          batch.numberRecordsProcessed = ran.result.records.length;
          job.numberRecordsProcessed += ran.result.records.length;
        } else batch.stateMessage = ran.message;
        this.setBatchState(batch, ran.ok ? 'Completed' : 'Failed');
        job.systemModstamp = batch.systemModstamp;
      }, delay).unref();
    }, delay).unref();
  }

  /** GET …/batch/{id}/result/{resultId}: one result file of a query batch. */
  private queryResult(ctx: RequestContext): void {
    const job = this.job(ctx);
    const batch = this.batch(ctx, job);
    const file = resultFile(this.org, job.contentType, resultById(batch.results, ctx.params[3]), ctx.version);
    sendText(ctx.res, 200, file.body, file.type);
  }

  /** Per-row results, one per input row, in input order (Bulk API Developer Guide: Get Batch Results); a query batch's result ids. */
  private batchResult(ctx: RequestContext): void {
    const job = this.job(ctx);
    const batch = this.batch(ctx, job);
    // Wording as a mock of the real service replies (confluex mock-salesforce).
    if (batch.state !== 'Completed' && batch.state !== 'Failed') throw v1Error('InvalidBatch', 'Batch not completed');
    if (QUERY_OPERATIONS.has(job.operation)) {
      const list = resultList(job.contentType, batch.results ?? []);
      sendText(ctx.res, 200, list.body, list.type);
      return;
    }
    // A batch that failed part-way has results for the rows it reached only.
    const outcomes = (batch.outcomes ?? []).filter((o): o is RowOutcome => o !== undefined);
    if (job.contentType === 'CSV') {
      const lines = [quoteCsv(['Id', 'Success', 'Created', 'Error'])];
      for (const o of outcomes) lines.push(quoteCsv([o.id, String(o.success), String(o.created), o.error]));
      sendText(ctx.res, 200, lines.join('\n') + '\n', 'text/csv');
    } else if (job.contentType === 'JSON') {
      const results = outcomes.map((o) => ({
        success: o.success,
        created: o.created,
        id: o.id || null,
        errors: o.success ? [] : [splitRowError(o.error)],
      }));
      this.sendJsonText(ctx, 200, JSON.stringify(results));
    } else {
      const inner = outcomes
        .map((o) => {
          const err = o.success ? '' : xmlElement('errors', rowErrorFields(splitRowError(o.error)), false);
          const id = o.id ? `<id>${escapeXml(o.id)}</id>` : '<id xsi:nil="true"/>';
          return `<result>${err}${id}<success>${String(o.success)}</success><created>${String(o.created)}</created></result>`;
        })
        .join('');
      sendText(ctx.res, 200, `<?xml version="1.0" encoding="UTF-8"?><results xmlns="${ASYNC_NS}" xmlns:xsi="${XSI_NS}">${inner}</results>`, 'application/xml');
    }
  }

  // ---- processing ---------------------------------------------------------------------------

  /**
   * One batch as the processing model runs it: header check when it starts (a bad one fails the
   * batch), then its rows in transactions with row locks; results stay in input order.
   */
  private batchChunk(job: V1Job, batch: V1Batch): ChunkSpec {
    const org = this.org;
    const table = batch.table;
    const rows = 'rows' in table ? table.rows : [];
    const ctx: JobContext = {
      object: org.store.describe(job.object)!,
      operation: job.operation as Operation,
      externalIdFieldName: job.externalIdFieldName,
      userId: job.createdById,
    };
    let columns: ColumnPlan[] = [];
    let planner: LockPlanner | undefined;
    const record = (i: number, outcome: RowOutcome): void => {
      batch.outcomes![i] = outcome;
      batch.numberRecordsProcessed++;
      job.numberRecordsProcessed++;
      if (!outcome.success) {
        batch.numberRecordsFailed++;
        job.numberRecordsFailed++;
      }
    };
    const finish = (state: 'Completed' | 'Failed', message?: string): void => {
      if (message) batch.stateMessage = message;
      batch.endSeq = ++this.seq;
      this.setBatchState(batch, state);
      job.systemModstamp = batch.systemModstamp;
    };
    return {
      label: `${job.id} batch ${batch.id}`,
      jobId: job.id,
      serialKey: job.concurrencyMode === 'Serial' ? job.id : undefined,
      rowCount: () => rows.length,
      automationCostMs: ctx.object.automationCostMs,
      timeLimitMs: org.settings.batchTimeLimitMs,
      maxRetries: job.disableBatchRetry ? 0 : org.settings.batchMaxRetries,
      onStart: (first): boolean => {
        if (first) {
          // An abort turned it NotProcessed while it waited.
          if (batch.state !== 'Queued') return false;
          batch.startSeq = ++this.seq;
          this.setBatchState(batch, 'InProgress');
          batch.outcomes = new Array<RowOutcome>(rows.length);
          if (!('rows' in table)) {
            batch.outcomes = [];
            finish('Failed', table.message);
            return false;
          }
          const check = checkHeader(org.store, ctx, table.header);
          if (!check.ok) {
            batch.outcomes = [];
            finish('Failed', check.message);
            return false;
          }
          columns = check.columns;
        }
        planner = new LockPlanner(org.store, ctx, columns, (r) => rows[r]);
        return true;
      },
      lockKeys: (r) => planner!.keys(r),
      apply: (local): void => {
        const outcomes = applyChunk(org.store, ctx, columns, local.map((r) => rows[r]), rows);
        local.forEach((r, k) => record(r, outcomes[k]));
      },
      failLocked: (list): void => {
        const idCol = columns.findIndex((c) => c.kind === 'id');
        for (const [r, lockedId] of list) {
          const raw = idCol >= 0 && ctx.operation !== 'insert' ? rows[r][idCol] ?? '' : '';
          record(r, { success: false, created: false, id: raw && isValidId(raw) ? canonicalId(raw) : '', error: lockError(lockedId) });
        }
      },
      // An abort does not stop a batch already running (Bulk API Developer Guide: BatchInfo).
      stopped: () => false,
      onEnd: (result): void => {
        batch.totalProcessingTime += result.totalMs;
        batch.apiActiveProcessingTime += result.activeMs;
        batch.apexProcessingTime += result.apexMs;
        job.totalProcessingTime += result.totalMs;
        job.apiActiveProcessingTime += result.activeMs;
        job.apexProcessingTime += result.apexMs;
        job.retries += result.retries;
        if (result.status === 'done') finish('Completed');
        // Rows never reached have no result; the ones processed keep theirs (Bulk API Developer Guide: BatchInfo).
        else if (result.status === 'exhausted') finish('Failed', retriedMessage(org.settings.batchMaxRetries));
      },
    };
  }

  private setBatchState(batch: V1Batch, state: BatchState): void {
    batch.state = state;
    batch.systemModstamp = this.org.clock.now();
    const job = this.jobs.get(batch.jobId);
    if (job && (state === 'Completed' || state === 'Failed')) this.org.events.batchEnd(job, batch);
  }

  /** Jobs and their batches go 7 days after the youngest batch, or after creation when there is none. */
  private purge(): void {
    const cutoff = this.org.clock.now() - this.org.settings.retentionDays * 86_400_000;
    for (const [id, job] of this.jobs) {
      const youngest = Math.max(job.createdDate, ...job.batches.map((b) => b.createdDate));
      if (youngest < cutoff) this.jobs.delete(id);
    }
  }

  // ---- representations ----------------------------------------------------------------------

  /** JobInfo in the XSD's element order (Bulk API Developer Guide: JobInfo). */
  private jobFields(job: V1Job, format: V1Format): Field[] {
    const count = (s: BatchState): number => job.batches.filter((b) => b.state === s).length;
    const date = dateFormatter(format);
    return [
      ['id', job.id],
      ['operation', job.operation],
      ['object', job.object],
      ['createdById', job.createdById],
      ['createdDate', date(job.createdDate)],
      ['systemModstamp', date(job.systemModstamp)],
      ['state', job.state],
      ['externalIdFieldName', job.externalIdFieldName],
      ['concurrencyMode', job.concurrencyMode],
      ['contentType', job.contentType],
      ['numberBatchesQueued', count('Queued')],
      ['numberBatchesInProgress', count('InProgress')],
      ['numberBatchesCompleted', count('Completed')],
      ['numberBatchesFailed', count('Failed')],
      ['numberBatchesTotal', job.batches.length],
      ['numberRecordsProcessed', job.numberRecordsProcessed],
      ['numberRetries', job.retries],
      ['apiVersion', new ApiVersion(job.apiVersion)],
      ['assignmentRuleId', job.assignmentRuleId],
      ['numberRecordsFailed', job.numberRecordsFailed],
      ['totalProcessingTime', job.totalProcessingTime],
      ['apiActiveProcessingTime', job.apiActiveProcessingTime],
      ['apexProcessingTime', job.apexProcessingTime],
    ];
  }

  private batchFields(batch: V1Batch, format: V1Format): Field[] {
    const date = dateFormatter(format);
    return [
      ['id', batch.id],
      ['jobId', batch.jobId],
      ['state', batch.state],
      ['stateMessage', batch.stateMessage],
      ['createdDate', date(batch.createdDate)],
      ['systemModstamp', date(batch.systemModstamp)],
      ['numberRecordsProcessed', batch.numberRecordsProcessed],
      ['numberRecordsFailed', batch.numberRecordsFailed],
      ['totalProcessingTime', batch.totalProcessingTime],
      ['apiActiveProcessingTime', batch.apiActiveProcessingTime],
      ['apexProcessingTime', batch.apexProcessingTime],
    ];
  }

  private send(ctx: RequestContext, status: number, format: V1Format, root: string, fields: Field[]): void {
    if (format === 'JSON') {
      const obj = Object.fromEntries(fields.filter(([, v]) => v !== undefined));
      this.sendJsonText(ctx, status, JSON.stringify(obj));
    } else {
      sendText(ctx.res, status, xmlDocument(root, fields), 'application/xml');
    }
  }

  private sendJsonText(ctx: RequestContext, status: number, text: string): void {
    sendText(ctx.res, status, text, 'application/json');
  }
}

// ---------------------------------------------------------------------------------------------
// Representation helpers
// ---------------------------------------------------------------------------------------------

type Field = [string, string | number | ApiVersion | undefined];

/** apiVersion is a decimal in V1 (36.0, not 36), in XML and JSON alike. */
class ApiVersion {
  public constructor(private readonly value: number) {}
  public toString(): string {
    return this.value.toFixed(1);
  }
  public toJSON(): number {
    return this.value;
  }
}

/**
 * Job and batch dates are kept to the second, so the milliseconds always read .000: XML writes
 * `2009-04-14T18:15:59.000Z`, JSON `2015-12-15T21:56:43.000+0000` (Bulk API Developer Guide: JobInfo).
 */
function dateFormatter(format: V1Format): (ms: number) => string {
  return (ms) => {
    const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString();
    return format === 'XML' ? iso : sfDateTime(Date.parse(iso));
  };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function xmlElement(name: string, fields: Field[], withNs: boolean): string {
  const inner = fields
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
    .join('');
  return `<${name}${withNs ? ` xmlns="${ASYNC_NS}"` : ''}>${inner}</${name}>`;
}

function xmlDocument(root: string, fields: Field[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>${xmlElement(root, fields, true)}`;
}

function payloadContentType(contentType: string): string {
  if (contentType === 'CSV') return 'text/csv';
  return contentType === 'JSON' ? 'application/json' : 'application/xml';
}

type SplitError = { statusCode: string; message: string; fields: string[] };

/** `CODE:message:F1,F2 --` (or `CODE:message:--`) back into its parts, for XML and JSON results. */
function splitRowError(text: string): SplitError {
  const m = /^([A-Z_]+):([\s\S]*):([^:]*?)\s?--$/.exec(text);
  if (!m) return { statusCode: 'UNKNOWN_EXCEPTION', message: text, fields: [] };
  return { statusCode: m[1], message: m[2], fields: m[3] ? m[3].split(',') : [] };
}

function rowErrorFields(e: SplitError): Field[] {
  return [...e.fields.map((f): Field => ['fields', f]), ['message', e.message], ['statusCode', e.statusCode]];
}

// ---------------------------------------------------------------------------------------------
// Reading request bodies
// ---------------------------------------------------------------------------------------------

/** A jobInfo body (XML in the dataload namespace, or JSON) as flat name → text. */
async function readJobInfo(req: IncomingMessage, format: V1Format): Promise<Record<string, string>> {
  const text = (await readBody(req)).toString('utf8');
  if (format === 'JSON') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw v1Error('InvalidJob', `Unable to parse JSON: ${(e as Error).message}`); // unverified wording
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw v1Error('InvalidJob', 'Expected a JSON object');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (v !== null && typeof v === 'object') throw v1Error('InvalidJob', `Field ${k} must be a simple value`);
      if (v !== null && v !== undefined) out[k] = String(v as string | number | boolean);
    }
    return out;
  }
  let root: XmlElement;
  try {
    root = parseXml(text);
  } catch (e) {
    throw v1Error('InvalidXML', (e as Error).message);
  }
  if (root.name !== 'jobInfo' || root.ns !== ASYNC_NS) {
    // Unverified wording.
    throw v1Error('InvalidXML', `Expected element {${ASYNC_NS}}jobInfo but found {${root.ns}}${root.name}`);
  }
  const out: Record<string, string> = {};
  for (const child of root.children) {
    if (child.children.length > 0) throw v1Error('InvalidXML', `Element ${child.name} must hold text only`);
    out[child.name] = child.text.trim();
  }
  return out;
}

/**
 * A batch payload as header + rows for the row engine. CSV as uploaded (either line ending, no BOM
 * stripping); XML `<sObjects><sObject>` and JSON `[{…}]` records become columns in first-seen order,
 * a missing field an empty cell (left unchanged), a null/nil one `#N/A`, and a nested parent
 * (`<Account><Ext__c>` or `"Account": {"Ext__c": …}`) the `Account.Ext__c` column.
 */
function readTable(contentType: string, data: Buffer): Table | { message: string } {
  if (contentType === 'CSV') {
    const text = data.toString('utf8');
    const nl = text.indexOf('\n');
    const lineEnding = nl > 0 && text.charAt(nl - 1) === '\r' ? 'CRLF' : 'LF';
    const parsed = parseUpload(data, 'COMMA', lineEnding);
    return parsed.ok ? { header: parsed.header, rows: parsed.rows } : { message: parsed.message };
  }
  let records: Array<Map<string, string>>;
  try {
    records = contentType === 'JSON' ? jsonRecords(data.toString('utf8')) : xmlRecords(data.toString('utf8'));
  } catch (e) {
    // Unverified wording.
    return { message: `InvalidBatch : Failed to parse ${contentType}: ${(e as Error).message}` };
  }
  const header: string[] = [];
  const seen = new Set<string>();
  for (const rec of records) {
    for (const k of rec.keys()) {
      if (!seen.has(k)) {
        seen.add(k);
        header.push(k);
      }
    }
  }
  return { header, rows: records.map((rec) => header.map((h) => rec.get(h) ?? '')) };
}

function jsonRecords(text: string): Array<Map<string, string>> {
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed)) throw new Error('expected an array of records');
  const cell = (v: unknown): string => (v === null ? '#N/A' : String(v as string | number | boolean));
  return parsed.map((rec, i) => {
    if (!rec || typeof rec !== 'object' || Array.isArray(rec)) throw new Error(`record ${i} is not an object`);
    const out = new Map<string, string>();
    for (const [k, v] of Object.entries(rec as Record<string, unknown>)) {
      if (k === 'attributes') continue;
      if (v !== null && typeof v === 'object') {
        const parent = v as Record<string, unknown>;
        const type = typeof parent.type === 'string' ? `${parent.type}:` : '';
        for (const [pk, pv] of Object.entries(parent)) {
          if (pk !== 'type' && pk !== 'attributes') out.set(`${type}${k}.${pk}`, cell(pv));
        }
      } else out.set(k, cell(v));
    }
    return out;
  });
}

function xmlRecords(text: string): Array<Map<string, string>> {
  const root = parseXml(text);
  if (root.name !== 'sObjects' || root.ns !== ASYNC_NS) throw new Error(`expected {${ASYNC_NS}}sObjects`);
  const isNil = (el: XmlElement): boolean => [...el.attrs].some(([k, v]) => (k === 'nil' || k.endsWith(':nil')) && v === 'true');
  return root.children.map((obj) => {
    if (obj.name !== 'sObject') throw new Error(`unexpected element ${obj.name}`);
    const out = new Map<string, string>();
    for (const f of obj.children) {
      if (f.children.length > 0) {
        const typeEl = f.children.find((c) => c.name === 'type');
        const type = typeEl ? `${typeEl.text.trim()}:` : '';
        for (const p of f.children) if (p !== typeEl) out.set(`${type}${f.name}.${p.name}`, isNil(p) ? '#N/A' : p.text);
      } else out.set(f.name, isNil(f) ? '#N/A' : f.text);
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// A small XML reader: elements, attributes, text, CDATA, comments; enough for V1 bodies
// ---------------------------------------------------------------------------------------------

type XmlElement = {
  qname: string;
  /** local name, without prefix */
  name: string;
  ns: string;
  attrs: Map<string, string>;
  children: XmlElement[];
  text: string;
  parent?: XmlElement;
};

const XML_TOKEN =
  /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|(<!)|<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>|([^<]+)/y;
const XML_ATTR = /([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/g;

function decodeEntities(s: string): string {
  return s.replace(/&([^;\s&]*);?/g, (all, ref: string) => {
    if (!all.endsWith(';')) throw new Error(`Bad entity reference: ${all}`);
    switch (ref) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = /^#x([0-9a-fA-F]+)$/.exec(ref)?.[1] ?? /^#(\d+)$/.exec(ref)?.[1];
        if (code === undefined) throw new Error(`Unknown entity &${ref};`);
        return String.fromCodePoint(parseInt(code, ref.startsWith('#x') ? 16 : 10));
      }
    }
  });
}

function namespaceOf(qname: string, el: XmlElement): string {
  const colon = qname.indexOf(':');
  const attr = colon >= 0 ? `xmlns:${qname.slice(0, colon)}` : 'xmlns';
  for (let e: XmlElement | undefined = el; e; e = e.parent) {
    const ns = e.attrs.get(attr);
    if (ns !== undefined) return ns;
  }
  return '';
}

export function parseXml(input: string): XmlElement {
  const text = input.replace(/^\uFEFF/, '');
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let pos = 0;
  while (pos < text.length) {
    XML_TOKEN.lastIndex = pos;
    const m = XML_TOKEN.exec(text);
    if (!m) throw new Error(`Malformed XML at offset ${pos}`);
    pos = XML_TOKEN.lastIndex;
    const [all, cdata, bang, close, open, attrText, selfClose, chars] = m;
    const top = stack[stack.length - 1] as XmlElement | undefined;
    if (bang) throw new Error('DOCTYPE and other declarations are not allowed');
    if (cdata !== undefined || chars !== undefined) {
      const t = cdata ?? decodeEntities(chars);
      if (top) top.text += t;
      else if (t.trim()) throw new Error('Text outside the root element');
    } else if (close) {
      const el = stack.pop();
      if (!el || el.qname !== close) throw new Error(`Unexpected closing tag </${close}>`);
    } else if (open) {
      if (root && !top) throw new Error('More than one root element');
      const attrs = new Map<string, string>();
      for (const a of (attrText ?? '').matchAll(XML_ATTR)) attrs.set(a[1], decodeEntities(a[2] ?? a[3] ?? ''));
      const colon = open.indexOf(':');
      const el: XmlElement = { qname: open, name: colon >= 0 ? open.slice(colon + 1) : open, ns: '', attrs, children: [], text: '', parent: top };
      el.ns = namespaceOf(open, el);
      if (top) top.children.push(el);
      else root = el;
      if (!selfClose) stack.push(el);
    } else if (!all.startsWith('<!--') && !all.startsWith('<?')) {
      throw new Error(`Malformed XML at offset ${pos}`);
    }
  }
  if (!root || stack.length > 0) throw new Error('Premature end of XML');
  return root;
}
