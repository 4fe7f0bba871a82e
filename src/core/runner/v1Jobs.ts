/*
 * A part of a V1 load (--bulk-api v1) as the job runner sees a job: one Bulk API (V1) job per part,
 * the part cut into batches of at most `batchRows` rows and 10 MB, added one after another, each
 * written to the ledger before it is sent (batch-adding) and after the org answered (batch-added).
 *
 * Adding a batch is not idempotent: a request whose answer was lost (a crash, a reset) may or may
 * not have made a batch. Before such a batch is sent again, the job's batches are listed; one the
 * ledger does not know is compared with the batch that was being sent (its request, as the org
 * keeps it, byte for byte) and taken as it when they match, so no row is ever sent twice. The org
 * may still be working on a request it fully received when the answer was lost: while it could be
 * (the add's start plus the longest the org takes to answer, inDoubt.ts) a batch it does not list
 * yet is waited for, not sent again.
 *
 * Job states map onto Bulk API 2.0's, which the runner and the ledger use: an Open job is Open; a
 * Closed or Aborted one with batches still Queued or InProgress is InProgress; once none are, a
 * Closed job whose batches all Completed is JobComplete, one with a Failed or NotProcessed batch
 * Failed (the rows of such a batch that have no result were never processed: they are unprocessed
 * and worth sending again).
 *
 * Results come by position: a batch's result rows are in the order of its request rows (Bulk API
 * Developer Guide: Get Batch Results). Each result row is paired with the part's row at that
 * position and given to the join in Bulk API 2.0's result form (sf__Id, sf__Created or sf__Error,
 * then the row as sent), so a V1 load writes the same result files as a 2.0 load.
 */
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BulkV1, V1BatchInfo, V1JobInfo } from '../bulk/bulkV1.js';
import { BulkV2, JobList } from '../bulk/bulkV2.js';
import { IngestJobSpec, JobInfo, JobState, ResultKind } from '../bulk/types.js';
import { parseCsvBatches } from '../csv/fastParser.js';
import { scanRecords } from '../csv/recordScanner.js';
import { csvField } from '../csv/writer.js';
import { OrgApiError } from '../http/orgHttp.js';
import { ByteWriter } from '../io/byteWriter.js';
import { fileBlocks } from '../io/fileBlocks.js';
import { Ledger } from '../ledger/ledger.js';
import { ChunkState, V1RunSpec } from '../ledger/records.js';
import { crashIfAsked } from '../runtime/crashPoints.js';
import { Retrying } from '../http/retrying.js';
import { LoadEvent } from '../run/types.js';
import { DoubtClock, orgAnswered, settleInDoubt } from './inDoubt.js';

/** Bulk API Developer Guide: Bulk API Limits: a batch holds at most 10,000 records and 10 MB (10,000,000 characters). */
export const V1_MAX_BATCH_ROWS = 10_000;
export const V1_MAX_BATCH_BYTES = 10_000_000;

/** A batch of a part: its rows' bytes in the part file (the header is sent first in each). */
export type BatchRange = { start: number; end: number; rows: number };

/** The part file's header bytes (with its LF) and its rows cut into batches. */
export type PartBatches = { header: Buffer; ranges: BatchRange[] };

/** A batch in the job that this part's ledger does not account for. */
export class ForeignBatchError extends Error {
  public constructor(public readonly jobId: string, public readonly batchIds: string[]) {
    super(`job ${jobId} holds batches this run did not record sending: ${batchIds.join(', ')}`);
    this.name = 'ForeignBatchError';
  }
}

export class V1Jobs {
  private readonly cuts = new Map<string, Promise<PartBatches>>();
  /** failed rows kept by a complete pass over the successful ones, for the join's failed pass */
  private readonly spilled = new Set<string>();

  public constructor(
    private readonly v1: BulkV1,
    private readonly v2: BulkV2,
    private readonly spec: V1RunSpec,
    /** the clock and bound an add in doubt is waited for by, and where the wait is told */
    private readonly doubt: DoubtClock & { emit: (e: LoadEvent) => void }
  ) {}

  public async createIngestJob(spec: IngestJobSpec): Promise<JobInfo> {
    const job = await v1Call(() =>
      this.v1.createJob({ object: spec.object, operation: spec.operation, externalIdFieldName: spec.externalIdFieldName, concurrencyMode: this.spec.concurrencyMode })
    );
    return asJobInfo(job);
  }

  public async info(jobId: string): Promise<JobInfo> {
    const job = asJobInfo(await v1Call(() => this.v1.info(jobId)));
    if (job.state !== 'Failed') return job;
    const failed = (await v1Call(() => this.v1.batches(jobId))).filter((b) => b.state === 'Failed' || b.state === 'NotProcessed');
    return { ...job, errorMessage: failed.map((b) => `batch ${b.id} ${b.state}${b.stateMessage ? `: ${b.stateMessage}` : ''}`).join('; ') };
  }

  public async close(jobId: string): Promise<JobInfo> {
    return asJobInfo(await v1Call(() => this.v1.close(jobId)));
  }

  public async abort(jobId: string): Promise<JobInfo> {
    return asJobInfo(await v1Call(() => this.v1.abort(jobId)));
  }

  /** Get All Jobs lists V1 jobs as jobType Classic (Bulk API Developer Guide: Get Information About All Jobs). */
  public listJobs(next?: string | null): Promise<JobList> {
    return this.v2.listJobs(next, 'Classic');
  }

  /**
   * Adds the part's batches the job does not have yet, in order. 'landed' once every batch is in
   * the job (or the job stopped taking batches after some landed: the rest stay unprocessed, never
   * sent elsewhere); 'foreign' when the job holds batches that are not the part's and none of its
   * own; 'unusable' when the job is gone or past Open before any batch of the part landed.
   * `goOn` is asked before each batch is sent, and throws when the run is to stop.
   */
  public async send(ledger: Ledger, c: ChunkState, retrying: Retrying, goOn: () => void = (): void => {}): Promise<'landed' | 'foreign' | 'unusable'> {
    const jobId = c.jobId!;
    const { header, ranges } = await this.batchesOf(c);
    c.batches ??= [];
    if (!c.uploading) {
      ledger.append({ t: 'uploading', chunk: c.chunk.index, jobId });
      c.uploading = true;
    } else {
      const found = await this.reconcile(ledger, c, retrying, header, ranges);
      if (found !== 'ok') return found;
    }
    for (const [i, range] of ranges.entries()) {
      if (c.batches[i]) continue;
      // A stop asked for (goOn throws) ends the part here, between two batches: the next is not sent.
      goOn();
      const batch = i + 1;
      const body = await batchBody(c.chunk.file, header, range);
      c.batchAddingAt = ledger.append({ t: 'batch-adding', chunk: c.chunk.index, jobId, batch }).at;
      c.batchAdding = batch;
      crashIfAsked('before-batch', batch);
      let info: V1BatchInfo & { adopted?: boolean };
      // When the attempt that failed began: the org may work on it until then plus the bound.
      let began = this.doubt.now();
      // Whether the org answered the last attempt itself (a refusal: nothing of it is in the job).
      let lastRefused = false;
      let attempts = 0;
      const add = async (): Promise<V1BatchInfo> => {
        // Each attempt after the first is written down too: the org may still be working on the last
        // one sent, so a resume waits from its start, not from the first attempt's.
        if (attempts++ > 0) c.batchAddingAt = ledger.append({ t: 'batch-adding', chunk: c.chunk.index, jobId, batch }).at;
        began = this.doubt.now();
        try {
          return await v1Call(() => this.v1.addBatch(jobId, body));
        } catch (e) {
          lastRefused = orgAnswered(e);
          throw e;
        }
      };
      try {
        info = await retrying(
          'add batch',
          add,
          // The failed attempt may have made the batch: look for it before sending it again (and,
          // when no answer came at all, wait while the org may still be making it).
          async (e) => (await this.landedAs(c, body, retrying, orgAnswered(e) ? undefined : began)) ?? add()
        );
      } catch (e) {
        // Refused by the org (a session expired, the allocation used up…): the add is no longer in
        // doubt, so a resume sends it again at once instead of waiting out the bound. Every attempt
        // before the last was settled before it was sent (the retry above looks, and waits when no
        // answer came).
        if (lastRefused) this.refused(ledger, c, batch);
        if (!(e instanceof OrgApiError && (e.status === 404 || e.errorCode === 'INVALIDJOBSTATE'))) throw e;
        // The job takes no more batches. Without one of ours in it, the part may go to a new job; with
        // some, the rest stay unprocessed: a new job would send the landed rows again.
        return c.batches.some(Boolean) ? 'landed' : 'unusable';
      }
      crashIfAsked('after-batch', batch);
      this.recordBatch(ledger, c, batch, info.id, info.adopted);
    }
    return 'landed';
  }

  private refused(ledger: Ledger, c: ChunkState, batch: number): void {
    ledger.append({ t: 'batch-refused', chunk: c.chunk.index, jobId: c.jobId!, batch });
    c.batchAdding = undefined;
    c.batchAddingAt = undefined;
  }

  /**
   * A batch-by-position result stream in Bulk API 2.0's form: successful (sf__Id, sf__Created, row)
   * or failed (sf__Id, sf__Error, row). Rows of a batch with no result (not processed) are in neither.
   * The join reads the successful rows first: their pass keeps the failed rows on disk, so that each
   * batch's result is downloaded once.
   */
  public async results(c: ChunkState, kind: ResultKind): Promise<Readable> {
    const spillPath = `${c.chunk.file}.failed-results`;
    if (kind === 'failed' && this.spilled.delete(spillPath)) return Readable.from(readThenRemove(spillPath));
    const { header, ranges } = await this.batchesOf(c);
    const jobId = c.jobId!;
    const states = new Map((await v1Call(() => this.v1.batches(jobId))).map((b) => [b.id, b]));
    const v1 = this.v1;
    const file = c.chunk.file;
    const spilled = this.spilled;
    const spill = kind === 'successful' ? new ByteWriter(spillPath) : undefined;
    async function* rows(): AsyncGenerator<Buffer> {
      let complete = false;
      try {
        yield Buffer.concat([Buffer.from(kind === 'successful' ? 'sf__Id,sf__Created,' : 'sf__Id,sf__Error,'), header]);
        spill?.text('sf__Id,sf__Error,');
        spill?.bytes(header, 0, header.length);
        for (const [i, range] of ranges.entries()) {
          const batch = states.get(c.batches?.[i] ?? '');
          if (!batch || (batch.state !== 'Completed' && batch.state !== 'Failed')) continue;
          const outcomes = await batchOutcomes(v1, jobId, batch);
          const out: Buffer[] = [];
          let k = 0;
          await scanRecords(Readable.from([await readRange(file, range.start, range.end)]), (buf, start, end) => {
            const o = outcomes[k++];
            if (!o) return;
            if (o.success === (kind === 'successful')) {
              out.push(Buffer.from(outcomeLead(o)), buf.subarray(start, end), LF);
            } else if (spill) {
              spill.text(outcomeLead(o));
              spill.bytes(buf, start, end);
              spill.text('\n');
            }
          });
          if (spill?.due) await spill.flush();
          yield Buffer.concat(out);
        }
        complete = true;
      } finally {
        if (spill && complete) {
          await spill.close();
          spilled.add(spillPath);
        } else {
          await spill?.abort();
        }
      }
    }
    return Readable.from(rows(), { objectMode: false });
  }

  /**
   * The state the part's join is written for: JobComplete only when every batch of the part is in
   * the job and Completed (then every row has a result); else rows without one were never processed.
   */
  public async joinState(c: ChunkState, terminal: JobState): Promise<JobState> {
    if (terminal !== 'JobComplete') return terminal;
    const { ranges } = await this.batchesOf(c);
    return ranges.every((_, i) => c.batches?.[i]) ? 'JobComplete' : 'Failed';
  }

  /** After a crash or a lost answer: the job's batches against the ledger's. */
  private async reconcile(ledger: Ledger, c: ChunkState, retrying: Retrying, header: Buffer, ranges: BatchRange[]): Promise<'ok' | 'foreign' | 'unusable'> {
    const jobId = c.jobId!;
    const known = new Set(c.batches!.filter(Boolean));
    const pending = c.batchAdding;
    const list = async (): Promise<V1BatchInfo[]> => (await retrying('list batches', () => v1Call(() => this.v1.batches(jobId)))).filter((b) => !known.has(b.id));
    let unknown: V1BatchInfo[];
    try {
      // An add begun and never answered: the org may still be making its batch (inDoubt.ts).
      unknown =
        pending !== undefined && c.batchAddingAt
          ? (await this.inDoubt(c, pending, Date.parse(c.batchAddingAt), async () => {
              const u = await list();
              return u.length ? u : undefined;
            })) ?? []
          : await list();
    } catch (e) {
      if (e instanceof OrgApiError && e.status === 404 && !c.batches!.some(Boolean)) return 'unusable';
      throw e;
    }
    if (!unknown.length) return 'ok';
    if (pending !== undefined && unknown.length === 1) {
      const body = await batchBody(c.chunk.file, header, ranges[pending - 1]);
      const theirs = await retrying('batch request', () => v1Call(() => this.v1.batchRequest(jobId, unknown[0].id)));
      if (theirs.equals(body)) {
        this.recordBatch(ledger, c, pending, unknown[0].id, true);
        return 'ok';
      }
    }
    // Batches that are not the part's, before any of its own landed and with no add of ours in doubt:
    // the job is left for a new one. With an add in doubt, a batch that does not match it byte for
    // byte might still be ours (V1 runs batches while the job is Open, and an abort does not undo
    // what a batch already saved): the run stops and names the batches rather than send the rows again.
    if (!known.size && pending === undefined) return 'foreign';
    throw new ForeignBatchError(jobId, unknown.map((b) => b.id));
  }

  /**
   * The batch a failed add made, if it did: a batch of the job the ledger does not know, with this
   * request. `began`: no answer came to the attempt begun then, so the org may still be making it: a
   * batch that does not show yet is waited for (inDoubt.ts).
   */
  private async landedAs(c: ChunkState, body: Buffer, retrying: Retrying, began?: number): Promise<(V1BatchInfo & { adopted: true }) | undefined> {
    const jobId = c.jobId!;
    const known = new Set((c.batches ?? []).filter(Boolean));
    const look = async (): Promise<(V1BatchInfo & { adopted: true }) | undefined> => {
      const unknown = (await retrying('list batches', () => v1Call(() => this.v1.batches(jobId)))).filter((b) => !known.has(b.id));
      for (const b of unknown) {
        const theirs = await retrying('batch request', () => v1Call(() => this.v1.batchRequest(jobId, b.id)));
        if (theirs.equals(body)) return { ...b, adopted: true };
      }
      return undefined;
    };
    return began === undefined ? look() : this.inDoubt(c, c.batchAdding!, began, look);
  }

  /** What `look` finds of the part's add of `batch` begun at `since`, waited for while the org may still be making it. */
  private inDoubt<T>(c: ChunkState, batch: number, since: number, look: () => Promise<T | undefined>): Promise<T | undefined> {
    return settleInDoubt(this.doubt, since, look, (until) =>
      this.doubt.emit({ type: 'send-in-doubt', what: 'batch', chunk: c.chunk.index, jobId: c.jobId!, batch, sentAt: new Date(since).toISOString(), until: new Date(until).toISOString() })
    );
  }

  private recordBatch(ledger: Ledger, c: ChunkState, batch: number, batchId: string, adopted?: boolean): void {
    ledger.append({ t: 'batch-added', chunk: c.chunk.index, jobId: c.jobId!, batch, batchId, ...(adopted ? { adopted: true } : {}) });
    (c.batches ??= [])[batch - 1] = batchId;
    c.batchAdding = undefined;
    c.batchAddingAt = undefined;
  }

  private batchesOf(c: ChunkState): Promise<PartBatches> {
    let cut = this.cuts.get(c.chunk.file);
    if (!cut) {
      cut = cutBatches(c.chunk.file, this.spec.batchRows, V1_MAX_BATCH_BYTES);
      this.cuts.set(c.chunk.file, cut);
    }
    return cut;
  }
}

const LF = Buffer.from('\n');

/**
 * Cuts a part file into batches of at most `maxRows` rows and `maxBytes` bytes with the header, at
 * record boundaries. The same file always gives the same batches: a resume sends what is missing.
 */
export async function cutBatches(file: string, maxRows: number, maxBytes: number): Promise<PartBatches> {
  let header: Buffer | undefined;
  const ranges: BatchRange[] = [];
  let offset = 0;
  let current: BatchRange | undefined;
  await scanRecords(fileBlocks(file), (buf, start, end) => {
    const size = end - start + 1; // with its LF
    if (!header) {
      header = Buffer.concat([buf.subarray(start, end), LF]);
    } else {
      // Not a row Salesforce could hold (an object's long text fields add up to well under 10 MB).
      if (header.length + size > maxBytes) throw new Error(`a row of ${file} is larger than a Bulk API batch may be (${maxBytes} bytes)`);
      if (!current || current.rows >= maxRows || header.length + (current.end - current.start) + size > maxBytes) {
        current = { start: offset, end: offset, rows: 0 };
        ranges.push(current);
      }
      current.end = offset + size;
      current.rows++;
    }
    offset += size;
  });
  return { header: header ?? Buffer.alloc(0), ranges };
}

async function readRange(file: string, start: number, end: number): Promise<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(end - start);
    await fh.read(buf, 0, buf.length, start);
    return buf;
  } finally {
    await fh.close();
  }
}

/** A batch's request: the header, then its rows as the part file has them. */
async function batchBody(file: string, header: Buffer, range: BatchRange): Promise<Buffer> {
  return Buffer.concat([header, await readRange(file, range.start, range.end)]);
}

type Outcome = { id: string; success: boolean; created: boolean; error: string };

/** A result row's sf__ columns in Bulk API 2.0's form: Id and Created, or Id and Error. */
function outcomeLead(o: Outcome): string {
  return o.success ? `${csvField(o.id)},${o.created ? 'true' : 'false'},` : `${csvField(o.id)},${csvField(o.error)},`;
}

async function* readThenRemove(path: string): AsyncGenerator<Buffer> {
  try {
    for await (const block of createReadStream(path)) yield block as Buffer;
  } finally {
    await rm(path, { force: true });
  }
}

/**
 * A Failed batch the org says processed more rows than its result gives: the rows without a result
 * may have loaded, and nothing tells which. They are neither sent again (a duplicate) nor listed as
 * never processed: the run stops and says so.
 */
export class BatchResultMissingError extends Error {
  public constructor(public readonly jobId: string, public readonly batchId: string, public readonly processed: number, public readonly results: number) {
    super(
      `batch ${batchId} of job ${jobId} failed after the org processed ${processed} of its rows, and its result gives ${results}: ` +
        'rows without a result may have loaded, so none of them is sent again or listed as never processed'
    );
    this.name = 'BatchResultMissingError';
  }
}

/** A batch's result rows, in request order (at most a batch's 10,000 rows in memory). */
export async function batchOutcomes(v1: BulkV1, jobId: string, batch: V1BatchInfo): Promise<Outcome[]> {
  const out = await resultRows(v1, jobId, batch);
  // A Failed batch's rows without a result count as never processed only when the org processed no more than it reported.
  if (batch.state === 'Failed' && out.length < batch.numberRecordsProcessed) throw new BatchResultMissingError(jobId, batch.id, batch.numberRecordsProcessed, out.length);
  return out;
}

async function resultRows(v1: BulkV1, jobId: string, batch: V1BatchInfo): Promise<Outcome[]> {
  let body: Readable;
  try {
    body = await v1Call(() => v1.batchResult(jobId, batch.id));
  } catch (e) {
    // A batch that failed before its rows ran (a bad request) has no result.
    if (batch.state === 'Failed' && e instanceof OrgApiError && e.errorCode === 'InvalidBatch') return [];
    throw e;
  }
  const out: Outcome[] = [];
  let first = true;
  for await (const records of parseCsvBatches(body, { delimiter: ',' })) {
    for (const r of records) {
      if (first) {
        first = false;
        continue;
      }
      const [id = '', success = '', created = '', error = ''] = r.fields;
      out.push({ id, success: success === 'true', created: created === 'true', error });
    }
  }
  return out;
}

/** A V1 JobInfo as the runner reads jobs (see the head of this file for the states). */
export function asJobInfo(j: V1JobInfo): JobInfo {
  const pending = j.numberBatchesQueued + j.numberBatchesInProgress;
  let state: JobState;
  if (j.state === 'Open') state = 'Open';
  else if (pending > 0) state = 'InProgress';
  else if (j.state === 'Aborted' || j.state === 'Failed') state = j.state;
  else state = j.numberBatchesCompleted === j.numberBatchesTotal ? 'JobComplete' : 'Failed';
  return {
    id: j.id,
    operation: j.operation,
    object: j.object,
    createdById: j.createdById,
    createdDate: j.createdDate,
    ...(j.systemModstamp ? { systemModstamp: j.systemModstamp } : {}),
    state,
    jobType: 'Classic',
    numberRecordsProcessed: j.numberRecordsProcessed,
    numberRecordsFailed: j.numberRecordsFailed,
    retries: j.numberRetries,
    totalProcessingTime: j.totalProcessingTime,
    apiActiveProcessingTime: j.apiActiveProcessingTime,
    apexProcessingTime: j.apexProcessingTime,
  };
}

/**
 * V1's error codes in the terms the runner and its retries read (2.0's): InvalidJobState as
 * INVALIDJOBSTATE, a job the org does not know (InvalidJob: Invalid job id) as a 404, ExceededQuota
 * as REQUEST_LIMIT_EXCEEDED.
 */
export async function v1Call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof OrgApiError)) throw e;
    if (e.errorCode === 'InvalidJobState') throw new OrgApiError(e.status, 'INVALIDJOBSTATE', e.message, e.method, e.path, e.retryAfterMs);
    if (e.errorCode === 'InvalidJob' && /invalid job id/i.test(e.message)) throw new OrgApiError(404, 'NOT_FOUND', e.message, e.method, e.path, e.retryAfterMs);
    // V1's answer to a throttled call (Bulk API Developer Guide: Bulk API Status Codes): retried like 2.0's.
    if (e.errorCode === 'ExceededQuota') throw new OrgApiError(e.status, 'REQUEST_LIMIT_EXCEEDED', e.message, e.method, e.path, e.retryAfterMs);
    throw e;
  }
}
