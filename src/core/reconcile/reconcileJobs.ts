/*
 * Reconciles Bulk API 2.0 and V1 ingest jobs made by any tool (`sf data import bulk`, Data Loader, an
 * integration) from the org's per-row results (a V1 job's batches read in 2.0's form: classicJobs.ts), downloaded as streams and classified as a run's are
 * (classify.ts), into the same files (rows.csv, a file per failure group, retry.csv).
 *
 * With the CSV that was loaded (--file), every result row is joined to its input line the way a
 * run's results are (results/join.ts): the file is written once in our CSV form with its line
 * numbers (planner.ts, one part), each of its rows hashed into a row index (RowIndex, ~15 bytes a
 * row), and each result row, in whatever order the org returns it, takes an identical row of the
 * file by the hash of its values in the file's column order (results echo the columns sent, found
 * by name). Rows of the file no result names are unprocessed: worth sending again only when a job
 * that failed or was aborted lists them in its unprocessed records (a row in no result set may be
 * another job's, and loaded; if every job completed, it may have been saved); result rows that match no row of the
 * file are kept in unmatched.csv and counted, never guessed at. Rows identical in every column are
 * interchangeable: which of them got which Id cannot be told from results (they echo only values).
 *
 * Without the file, rows are listed job by job as the results give them, without line numbers.
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { BulkV1 } from '../bulk/bulkV1.js';
import { BulkV2 } from '../bulk/bulkV2.js';
import { IngestOperation, JobInfo, JobState, ResultKind } from '../bulk/types.js';
import { openCsv, CsvReadOptions } from '../csv/reader.js';
import { parseCsvBatches } from '../csv/fastParser.js';
import { OrgApiError, OrgHttp } from '../http/orgHttp.js';
import type { Retrier } from '../http/retry.js';
import { planChunks } from '../split/planner.js';
import { parseRowError } from '../results/errors.js';
import { joinJob, partPaths } from '../results/join.js';
import { hashBytes, RowHash } from '../results/rowHash.js';
import { RowIndex } from '../results/rowIndex.js';
import { csvLine } from '../csv/writer.js';
import { concatFiles, resultHeaders } from '../results/resultFiles.js';
import { causeFields } from '../results/errors.js';
import { empty, inLineOrder, resultRows } from '../run/runRows.js';
import type { RunRow, Source } from '../run/runRow.js';
import { Action, actionFor } from './classify.js';
import { ClassicJobs } from './classicJobs.js';
import { ReconcileFolder, RowsFrame, writeReconcileFolder } from './reconcileRun.js';

export type ReconciledJob = {
  jobId: string;
  /** V2Ingest: a Bulk API 2.0 job; Classic: a V1 job (its batches' results are read by position) */
  jobType: 'V2Ingest' | 'Classic';
  object: string;
  operation: string;
  externalId?: string;
  state: JobState;
  processed: number;
  failed: number;
  createdById: string;
  createdDate: string;
  errorMessage?: string;
};

export type JobsReconcile = Omit<ReconcileFolder, 'files'> & {
  jobs: ReconciledJob[];
  object: string;
  operation: IngestOperation;
  externalId?: string;
  /** the CSV the results were joined to (absent: rows have no line numbers) */
  file?: string;
  /** result rows that matched no row of the file (in unmatched.csv): the file is not what was sent, or was changed since */
  unmatched: number;
  files: ReconcileFolder['files'] & { unmatched?: string };
};

export type JobsReconcileRequest = {
  bulk: BulkV2;
  http: OrgHttp;
  retry: Retrier;
  jobIds: string[];
  file?: string;
  csv?: CsvReadOptions;
  /** the folder the files go to (written anew) */
  outputDir: string;
};

/** The org does not know the job: past its retention (7 days after it ended), deleted, or a wrong ID. */
export class JobNotFoundError extends Error {
  public constructor(public readonly jobId: string) {
    super(`job ${jobId} is not in the org`);
    this.name = 'JobNotFoundError';
  }
}

/** A job has not ended: its results are not complete yet. */
export class JobNotEndedError extends Error {
  public constructor(public readonly jobId: string, public readonly state: string) {
    super(`job ${jobId} is ${state}`);
    this.name = 'JobNotEndedError';
  }
}

/** The jobs are not one load: another object or operation, or other columns. */
export class JobsDifferError extends Error {
  public constructor(public readonly jobId: string, public readonly firstJobId: string, public readonly what: string) {
    super(`job ${jobId} differs from job ${firstJobId}: ${what}`);
    this.name = 'JobsDifferError';
  }
}

const ENDED: ReadonlySet<string> = new Set(['JobComplete', 'Failed', 'Aborted']);

export async function reconcileJobs(req: JobsReconcileRequest): Promise<JobsReconcile> {
  // V1 jobs' result sets are written to this folder (read once per batch); it goes at the end.
  const classicDir = `${req.outputDir}.v1-${process.pid}`;
  try {
    return await reconcileWith(req, new ClassicJobs(new BulkV1(req.http), req.retry, classicDir));
  } finally {
    await rm(classicDir, { recursive: true, force: true });
  }
}

async function reconcileWith(req: JobsReconcileRequest, classic: ClassicJobs): Promise<JobsReconcile> {
  const jobs: ReconciledJob[] = [];
  for (const jobId of req.jobIds) jobs.push(await jobInfo(req, classic, jobId));
  const first = jobs[0];
  for (const j of jobs) {
    if (j.object !== first.object || j.operation !== first.operation) throw new JobsDifferError(j.jobId, first.jobId, `${j.operation} ${j.object}, not ${first.operation} ${first.object}`);
    if (!ENDED.has(j.state)) throw new JobNotEndedError(j.jobId, j.state);
  }
  const operation = first.operation as IngestOperation;
  const creates = operation !== 'delete' && operation !== 'hardDelete';
  const classicIds = new Set(jobs.filter((j) => j.jobType === 'Classic').map((j) => j.jobId));
  const fetch = (jobId: string, kind: ResultKind): Promise<Readable> =>
    (classicIds.has(jobId) ? classic.results(jobId, kind) : req.retry('results', () => req.bulk.results(jobId, kind))).catch((e: unknown) => {
      throw orGone(e, jobId);
    });
  const action = (row: RunRow, unprocessed: Action): Action | undefined => {
    if (row.state === 'failed') return actionFor(row.code ?? '', row.message ?? '', operation);
    return row.state === 'unprocessed' ? unprocessed : undefined;
  };
  const single = jobs.length === 1 ? first.jobId : '';
  const base = { jobs, object: first.object, operation, ...(first.externalId ? { externalId: first.externalId } : {}) };

  if (!req.file) {
    const rows = new JobRows(jobs.map((j) => j.jobId), fetch);
    const header = await rows.header();
    // Rows the org lists as unprocessed were never processed: sending them again is safe.
    const frame: RowsFrame = { header, fileNames: [], creates, action: (row) => action(row, 'retry'), attempt: (row) => ['', row.jobId ?? '', ''] };
    const out = await writeReconcileFolder(req.outputDir, frame, rows.rows());
    return { ...base, ...out, unmatched: 0 };
  }

  const work = `${req.outputDir}.join-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  try {
    // The file once more in our CSV form with its line numbers: one part, joined as a run's part is.
    const source = await openCsv(req.file, req.csv);
    const plan = await planChunks(source.batches, { dir: work, header: source.header, maxBytes: Number.MAX_SAFE_INTEGER });
    const header = source.header;
    const paths = partPaths(work, 1);
    // Completed jobs report every row they held: a row without a result may have been saved (or be
    // a row of another job of the file).
    const allComplete = jobs.every((j) => j.state === 'JobComplete');
    let strays = 0;
    if (plan.chunks.length) {
      const outcome = await joinJob(plan.chunks[0], allComplete ? 'JobComplete' : 'Failed', (kind) => Promise.resolve(concatResults(jobs.map((j) => j.jobId), kind, fetch)), paths, { createdColumn: creates });
      strays = outcome.strays;
    }
    const headers = resultHeaders(header, false, creates);
    const fromPart = (key: 'success' | 'failed' | 'unprocessed'): Source => (existsSync(paths[key]) ? resultRows(paths[key], headers[key], key, () => 0) : empty());
    const rows = async function* (): AsyncGenerator<RunRow> {
      for await (const row of inLineOrder([fromPart('success'), fromPart('failed'), fromPart('unprocessed')])) {
        if (single) row.jobId = single;
        yield row;
      }
    };
    // A job that failed or was aborted lists the rows it never processed (unprocessedrecords): only
    // those are safe to send again. A row of the file in none of the jobs' results (a row of another
    // job of the file, which may have loaded) is the org's to check.
    const listed = allComplete || !plan.chunks.length ? undefined : await listedUnprocessed(header, plan.chunks[0].rows, jobs.map((j) => j.jobId), fetch);
    const unprocessedAction = (row: RunRow): Action => (allComplete || (listed && listed.take(valuesHash(row.values)) === undefined) ? 'check-org' : 'retry');
    const frame: RowsFrame = { header, fileNames: [], creates, action: (row) => action(row, unprocessedAction(row)), attempt: (row) => ['', row.jobId ?? '', ''] };
    const unmatchedFile = `${req.outputDir}/unmatched.csv`;
    const out = await writeReconcileFolder(req.outputDir, frame, rows(), async (dir) => {
      if (existsSync(paths.unmatched) && statSync(paths.unmatched).size > 0) await concatFiles(`${dir}/unmatched.csv`, ['sf__Result', 'sf__Id', 'sf__Detail', ...header], [paths.unmatched]);
    });
    return { ...base, file: req.file, ...out, unmatched: strays, files: { ...out.files, ...(strays ? { unmatched: unmatchedFile } : {}) } };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function jobInfo(req: JobsReconcileRequest, classic: ClassicJobs, jobId: string): Promise<ReconciledJob> {
  let info: JobInfo & { externalIdFieldName?: string };
  try {
    info = await req.retry('job info', () => req.bulk.info(jobId));
  } catch (e) {
    if (!(e instanceof OrgApiError && e.status === 404)) throw e;
    // A V1 job is not an ingest job of Bulk API 2.0: the V1 resource knows it.
    info = await classic.info(jobId).catch((v1: unknown) => {
      throw orGone(v1, jobId);
    });
  }
  if (info.jobType === 'Classic') info = await classic.info(jobId);
  return {
    jobId: info.id,
    jobType: info.jobType === 'Classic' ? 'Classic' : 'V2Ingest',
    object: info.object,
    operation: info.operation,
    ...(info.externalIdFieldName ? { externalId: info.externalIdFieldName } : {}),
    state: info.state,
    processed: info.numberRecordsProcessed ?? 0,
    failed: info.numberRecordsFailed ?? 0,
    createdById: info.createdById,
    createdDate: info.createdDate,
    ...(info.errorMessage ? { errorMessage: info.errorMessage } : {}),
  };
}

/** The hash of a row's values in our CSV form (without the line end), as the join hashes rows. */
function valuesHash(values: string[]): RowHash {
  const bytes = Buffer.from(csvLine(values), 'utf8');
  return hashBytes(bytes, 0, bytes.length - 1);
}

/**
 * The rows the jobs list as never processed, as a multiset of hashes of their values in the file's
 * column order (at most `rows`, the file's row count: a row index of ~15 bytes a row).
 */
async function listedUnprocessed(header: string[], rows: number, jobIds: string[], fetch: (jobId: string, kind: ResultKind) => Promise<Readable>): Promise<RowIndex> {
  const index = new RowIndex(rows);
  for (const jobId of jobIds) {
    let order: number[] | undefined;
    for await (const batch of parseCsvBatches(await fetch(jobId, 'unprocessed'), { delimiter: ',' })) {
      for (const record of batch) {
        if (!order) {
          const at = new Map(record.fields.map((name, i) => [name, i]));
          order = header.map((name) => at.get(name) ?? -1);
          continue;
        }
        if (index.added >= index.capacity) return index;
        index.add(valuesHash(order.map((c) => (c >= 0 ? record.fields[c] ?? '' : ''))));
      }
    }
  }
  return index;
}

/** A 404 means the org no longer has the job (or never had it). */
function orGone(e: unknown, jobId: string): unknown {
  return e instanceof OrgApiError && e.status === 404 ? new JobNotFoundError(jobId) : e;
}

/**
 * One result set of several jobs as one CSV stream: the first job's header, then every job's rows.
 * The jobs must have sent the same columns in the same order (one load split into jobs does).
 */
function concatResults(jobIds: string[], kind: ResultKind, fetch: (jobId: string, kind: ResultKind) => Promise<Readable>): Readable {
  async function* blocks(): AsyncGenerator<Buffer> {
    let header: string | undefined;
    for (const jobId of jobIds) {
      let head: Buffer | undefined = Buffer.alloc(0);
      let last = 0x0a;
      for await (const block of await fetch(jobId, kind)) {
        let b = block as Buffer;
        if (head) {
          // The header line: kept from the first job, checked and left out for the others.
          head = Buffer.concat([head, b]);
          const eol = head.indexOf(0x0a);
          if (eol < 0) continue;
          const text = head.toString('utf8', 0, eol).replace(/\r$/, '');
          b = header === undefined ? head : head.subarray(eol + 1);
          if (header !== undefined && text !== header) throw new JobsDifferError(jobId, jobIds[0], 'other columns');
          header ??= text;
          head = undefined;
        }
        if (b.length) last = b[b.length - 1];
        yield b;
      }
      if (head?.length) {
        // A result set of a header alone, without its line end.
        const text = head.toString('utf8').replace(/\r$/, '');
        if (header !== undefined && text !== header) throw new JobsDifferError(jobId, jobIds[0], 'other columns');
        if (header === undefined) yield Buffer.from(`${text}\n`);
        header ??= text;
        last = 0x0a;
      }
      if (last !== 0x0a) yield Buffer.from('\n');
    }
  }
  return Readable.from(blocks());
}

/** The rows of jobs' results, job by job (successful, failed, unprocessed), without line numbers. */
class JobRows {
  private columns: string[] = [];
  /** the first result set, its header read (the columns), the rest of its first batch waiting */
  private first?: { stream: AsyncIterator<string[][]>; head: string[]; rest: string[][] };

  public constructor(private readonly jobIds: string[], private readonly fetch: (jobId: string, kind: ResultKind) => Promise<Readable>) {}

  /** The columns sent, read from the header of the first job's successful results. */
  public async header(): Promise<string[]> {
    const stream = batches(await this.fetch(this.jobIds[0], 'successful'));
    const next = await stream.next();
    const batch = next.done ? [] : next.value;
    const head = batch[0] ?? [];
    this.first = { stream, head, rest: batch.slice(1) };
    this.columns = head.filter((h) => !h.startsWith('sf__'));
    return this.columns;
  }

  public async *rows(): AsyncGenerator<RunRow> {
    for (const jobId of this.jobIds) {
      for (const kind of ['successful', 'failed', 'unprocessed'] as ResultKind[]) {
        const taken = this.first;
        this.first = undefined;
        const stream = taken ? taken.stream : batches(await this.fetch(jobId, kind));
        let head = taken?.head;
        let at: Record<string, number> = {};
        let map: number[] = [];
        const setHead = (h: string[]): void => {
          at = Object.fromEntries(h.map((name, i) => [name, i]));
          const values = h.filter((x) => !x.startsWith('sf__'));
          if (values.length !== this.columns.length || values.some((v) => !this.columns.includes(v))) throw new JobsDifferError(jobId, this.jobIds[0], 'other columns');
          map = this.columns.map((name) => at[name]);
        };
        if (head) setHead(head);
        for (let batch: string[][] | undefined = taken?.rest ?? []; batch; ) {
          for (const f of batch) {
            if (!head) {
              head = f;
              setHead(f);
            } else {
              yield rowOf(kind, jobId, f, at, map);
            }
          }
          const next = await stream.next();
          batch = next.done ? undefined : next.value;
        }
      }
    }
  }
}

function rowOf(kind: ResultKind, jobId: string, f: string[], at: Record<string, number>, map: number[]): RunRow {
  const values = map.map((i) => f[i] ?? '');
  if (kind === 'successful') {
    // delete and hardDelete results have no sf__Created
    return { fileIndex: 0, line: 0, state: 'succeeded', id: f[at.sf__Id] ?? '', ...(at.sf__Created === undefined ? {} : { created: f[at.sf__Created] === 'true' }), jobId, values };
  }
  if (kind === 'failed') {
    const err = parseRowError(f[at.sf__Error] ?? '');
    return { fileIndex: 0, line: 0, state: 'failed', id: f[at.sf__Id] ?? '', code: err.code, message: err.message, fields: causeFields(err.code, err.message, err.fields), jobId, values };
  }
  return { fileIndex: 0, line: 0, state: 'unprocessed', jobId, values };
}

function batches(stream: Readable): AsyncIterator<string[][]> {
  async function* gen(): AsyncGenerator<string[][]> {
    for await (const batch of parseCsvBatches(stream, { delimiter: ',' })) yield batch.map((r) => r.fields);
  }
  return gen();
}
