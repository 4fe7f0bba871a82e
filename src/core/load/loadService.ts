/*
 * The load engine: reads and splits the input, runs one Bulk 2.0 job per chunk, waits for them,
 * then joins their results back to input rows. It emits events for the progress display and
 * returns the result the command prints or returns as JSON.
 */
import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { BulkV2 } from '../bulk/bulkV2.js';
import { JobInfo, TERMINAL_STATES } from '../bulk/types.js';
import { openCsv } from '../csv/reader.js';
import { emptyCounts, joinJob, JoinCounts } from '../results/join.js';
import { ResultFiles, resultPaths } from '../results/resultFiles.js';
import { planChunks, PlannedChunk } from './planner.js';
import { JobSummary, LoadEvent, LoadRequest, LoadResult } from './types.js';

export type LoadDeps = {
  bulk: BulkV2;
  onEvent?: (e: LoadEvent) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** first and longest poll interval (ms); polls back off from one to the other */
  poll?: { minMs: number; maxMs: number };
};

type RunningJob = { chunk: PlannedChunk; info: JobInfo };

export class LoadService {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly emit: (e: LoadEvent) => void;

  public constructor(private readonly deps: LoadDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)));
    this.emit = deps.onEvent ?? ((): void => {});
  }

  public async run(req: LoadRequest): Promise<LoadResult> {
    const started = this.now();
    const chunkDir = join(req.runDir, 'chunks');
    await mkdir(chunkDir, { recursive: true });

    this.emit({ type: 'stage', stage: 'read' });
    const source = await openCsv(req.file, req.csv);
    const plan = await planChunks(source.records, { dir: chunkDir, header: source.header, maxBytes: req.maxJobBytes });
    this.emit({ type: 'planned', rows: plan.rows, chunks: plan.chunks.length, bytes: plan.chunks.reduce((n, c) => n + c.bytes, 0) });

    this.emit({ type: 'stage', stage: 'upload' });
    const jobs: RunningJob[] = [];
    for (const chunk of plan.chunks) jobs.push(await this.submit(req, chunk));

    const deadline = started + req.waitMs;
    if (req.waitMs > 0) {
      this.emit({ type: 'stage', stage: 'processing' });
      await this.waitForJobs(jobs, deadline, plan.rows);
    }
    const done = jobs.every((j) => TERMINAL_STATES.has(j.info.state));
    let counts = emptyCounts();
    let files: LoadResult['files'];
    if (done) {
      this.emit({ type: 'stage', stage: 'results' });
      const dir = req.resultsDir ?? req.runDir;
      await mkdir(dir, { recursive: true });
      const out = new ResultFiles(resultPaths(dir), source.header);
      try {
        for (const job of jobs) counts = addCounts(counts, await joinJob(job.chunk, (kind) => this.deps.bulk.results(job.info.id, kind), out));
      } finally {
        await out.close();
      }
      files = out.paths;
      this.emit({ type: 'results-written', successful: counts.successful, failed: counts.failed, unprocessed: counts.unprocessed });
    }
    this.emit({ type: 'stage', stage: 'done' });
    const finished = this.now();
    const summaries = jobs.map((j) => summarize(j));
    return {
      runId: req.runId,
      status: done ? 'Completed' : 'InProgress',
      object: req.object,
      operation: req.operation,
      ...(req.externalId ? { externalId: req.externalId } : {}),
      file: req.file,
      rows: plan.rows,
      processed: done ? counts.successful + counts.failed : summaries.reduce((n, j) => n + j.processed, 0),
      successful: counts.successful,
      failed: done ? counts.failed : summaries.reduce((n, j) => n + j.failed, 0),
      unprocessed: counts.unprocessed,
      retryable: counts.retryable,
      unmatched: counts.unmatched,
      errorCodes: Object.entries(counts.errorCodes)
        .map(([code, count]) => ({ code, count }))
        .sort((a, b) => b.count - a.count),
      jobs: summaries,
      runDir: req.runDir,
      ...(files ? { files } : {}),
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date(finished).toISOString(),
      elapsedMs: finished - started,
    };
  }

  private async submit(req: LoadRequest, chunk: PlannedChunk): Promise<RunningJob> {
    const info = await this.deps.bulk.createIngestJob({
      object: req.object,
      operation: req.operation,
      ...(req.externalId ? { externalIdFieldName: req.externalId } : {}),
      columnDelimiter: 'COMMA',
      lineEnding: 'LF',
    });
    this.emit({ type: 'job-created', jobId: info.id, chunk: chunk.index, rows: chunk.rows });
    await this.deps.bulk.upload(info.id, () => createReadStream(chunk.file));
    const closed = await this.deps.bulk.close(info.id);
    this.emit({ type: 'job-uploaded', jobId: info.id, chunk: chunk.index });
    return { chunk, info: { ...info, ...closed } };
  }

  /** Polls every unfinished job, backing off from minMs to maxMs, until all are done or time runs out. */
  private async waitForJobs(jobs: RunningJob[], deadline: number, total: number): Promise<void> {
    const minMs = this.deps.poll?.minMs ?? 1000;
    const maxMs = this.deps.poll?.maxMs ?? 10_000;
    let interval = minMs;
    const startedAt = this.now();
    for (;;) {
      for (const job of jobs) {
        if (TERMINAL_STATES.has(job.info.state)) continue;
        job.info = await this.deps.bulk.info(job.info.id);
        this.emit({
          type: 'job-progress',
          jobId: job.info.id,
          state: job.info.state,
          processed: job.info.numberRecordsProcessed ?? 0,
          failed: job.info.numberRecordsFailed ?? 0,
        });
      }
      const processed = jobs.reduce((n, j) => n + (j.info.numberRecordsProcessed ?? 0), 0);
      const failed = jobs.reduce((n, j) => n + (j.info.numberRecordsFailed ?? 0), 0);
      const seconds = Math.max(0.001, (this.now() - startedAt) / 1000);
      this.emit({ type: 'progress', processed, failed, total, recordsPerSecond: Math.round(processed / seconds) });
      if (jobs.every((j) => TERMINAL_STATES.has(j.info.state))) return;
      const left = deadline - this.now();
      if (left <= 0) return;
      await this.sleep(Math.min(interval, left));
      interval = Math.min(maxMs, Math.ceil(interval * 1.5));
    }
  }
}

function summarize(job: RunningJob): JobSummary {
  return {
    id: job.info.id,
    chunk: job.chunk.index,
    rows: job.chunk.rows,
    firstLine: job.chunk.firstLine,
    lastLine: job.chunk.lastLine,
    state: job.info.state,
    processed: job.info.numberRecordsProcessed ?? 0,
    failed: job.info.numberRecordsFailed ?? 0,
    ...(job.info.errorMessage ? { errorMessage: job.info.errorMessage } : {}),
  };
}

function addCounts(a: JoinCounts, b: JoinCounts): JoinCounts {
  const errorCodes = { ...a.errorCodes };
  for (const [code, n] of Object.entries(b.errorCodes)) errorCodes[code] = (errorCodes[code] ?? 0) + n;
  return {
    successful: a.successful + b.successful,
    failed: a.failed + b.failed,
    unprocessed: a.unprocessed + b.unprocessed,
    retryable: a.retryable + b.retryable,
    unmatched: a.unmatched + b.unmatched,
    errorCodes,
  };
}
