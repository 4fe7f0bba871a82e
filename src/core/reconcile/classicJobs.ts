/*
 * Bulk API V1 ("classic") jobs made by any tool (Data Loader, jsforce, an integration), read for
 * reconcile in Bulk API 2.0's result form, so that the rest of reconcile (the join to a file's line
 * numbers, the classification, the files) treats them as it treats 2.0 jobs.
 *
 * A V1 job has no per-job result sets: each batch has its request (the CSV as the org keeps it,
 * Bulk API Developer Guide: Get a Batch Request) and its result, one row per request row in request
 * order (Get Batch Results). Each request row is paired with the result row at its position:
 * Success true → successful (sf__Id, sf__Created, row), false → failed (sf__Id, sf__Error, row);
 * the rows of a batch that has no result (Not Processed, or Failed before its rows ran) are
 * unprocessed (the row alone). A job's three sets are written once, to files in a work folder,
 * the first time one of them is asked for: each batch is downloaded once.
 *
 * Batches may order their columns differently; rows are put in the first batch's column order.
 * Only CSV batches are read: a job of XML or JSON batches is refused (ClassicFormatError).
 */
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BulkV1, V1BatchInfo } from '../bulk/bulkV1.js';
import { JobInfo, ResultKind } from '../bulk/types.js';
import { parseCsvBatches } from '../csv/fastParser.js';
import { csvLine } from '../csv/writer.js';
import type { Retrier } from '../http/retry.js';
import { ByteWriter } from '../io/byteWriter.js';
import { asJobInfo, batchOutcomes, v1Call } from '../runner/v1Jobs.js';

/** A V1 job whose batches are XML or JSON, not CSV. */
export class ClassicFormatError extends Error {
  public constructor(public readonly jobId: string) {
    super(`job ${jobId} is a Bulk API V1 job of XML or JSON batches`);
    this.name = 'ClassicFormatError';
  }
}

/** A batch whose columns are not the job's first batch's. */
export class ClassicColumnsError extends Error {
  public constructor(public readonly jobId: string, public readonly batchId: string) {
    super(`batch ${batchId} of job ${jobId} has other columns than the job's first batch`);
    this.name = 'ClassicColumnsError';
  }
}

type Sets = Record<ResultKind, string>;

export class ClassicJobs {
  private readonly sets = new Map<string, Promise<Sets>>();

  public constructor(private readonly v1: BulkV1, private readonly retry: Retrier, private readonly dir: string) {}

  /** The job as the runner reads jobs (2.0 states: JobComplete once every batch Completed). */
  public async info(jobId: string): Promise<JobInfo> {
    return asJobInfo(await this.retry('job info', () => v1Call(() => this.v1.info(jobId))));
  }

  /** One of the job's result sets in 2.0's form. */
  public async results(jobId: string, kind: ResultKind): Promise<Readable> {
    let sets = this.sets.get(jobId);
    if (!sets) {
      sets = this.write(jobId);
      this.sets.set(jobId, sets);
    }
    return createReadStream((await sets)[kind]);
  }

  private async write(jobId: string): Promise<Sets> {
    const dir = join(this.dir, jobId);
    await mkdir(dir, { recursive: true });
    const paths: Sets = { successful: join(dir, 'successful.csv'), failed: join(dir, 'failed.csv'), unprocessed: join(dir, 'unprocessed.csv') };
    const out = { successful: new ByteWriter(paths.successful), failed: new ByteWriter(paths.failed), unprocessed: new ByteWriter(paths.unprocessed) };
    const batches = await this.retry('batches', () => v1Call(() => this.v1.batches(jobId)));
    let columns: string[] | undefined;
    try {
      for (const batch of batches) {
        const request = await this.retry('batch request', () => v1Call(() => this.v1.batchRequest(jobId, batch.id)));
        const head = request.subarray(0, 64).toString('utf8').trimStart();
        if (head.startsWith('<') || head.startsWith('[') || head.startsWith('{')) throw new ClassicFormatError(jobId);
        const rows = await requestRows(request);
        const header = rows.shift() ?? [];
        if (!columns) {
          columns = header;
          out.successful.text(csvLine(['sf__Id', 'sf__Created', ...columns]));
          out.failed.text(csvLine(['sf__Id', 'sf__Error', ...columns]));
          out.unprocessed.text(csvLine(columns));
        }
        const order = inOrderOf(columns, header, jobId, batch.id);
        const outcomes = hasResult(batch) ? await this.retry('batch result', () => batchOutcomes(this.v1, jobId, batch)) : [];
        for (const [k, fields] of rows.entries()) {
          const values = order.map((i) => fields[i] ?? '');
          const o = outcomes[k];
          if (!o) out.unprocessed.text(csvLine(values));
          else if (o.success) out.successful.text(csvLine([o.id, o.created ? 'true' : 'false', ...values]));
          else out.failed.text(csvLine([o.id, o.error, ...values]));
        }
        for (const w of Object.values(out)) if (w.due) await w.flush();
      }
    } finally {
      for (const w of Object.values(out)) await w.close();
    }
    return paths;
  }
}

/** Completed and Failed batches may have results; a Failed one without (a bad request) has none. */
function hasResult(batch: V1BatchInfo): boolean {
  return batch.state === 'Completed' || batch.state === 'Failed';
}

/** A batch request's records (at most 10 MB: Bulk API Limits), header first. */
async function requestRows(request: Buffer): Promise<string[][]> {
  const rows: string[][] = [];
  for await (const batch of parseCsvBatches(Readable.from([request]), { delimiter: ',' })) for (const r of batch) rows.push(r.fields);
  return rows;
}

/** Where each of the job's columns is in this batch's header. */
function inOrderOf(columns: string[], header: string[], jobId: string, batchId: string): number[] {
  const at = new Map(header.map((name, i) => [name, i]));
  if (header.length !== columns.length || columns.some((c) => !at.has(c))) throw new ClassicColumnsError(jobId, batchId);
  return columns.map((c) => at.get(c)!);
}
