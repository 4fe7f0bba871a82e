/*
 * Stage 2 of a load, plan and split: the inputs are read, checked and fingerprinted, and cut into
 * part files (split/planner.ts, or split/parallelSplit.ts on worker threads); the plan is recorded.
 * Parts go up as they are written (their jobs stay Open until the run is planned: earlyParts.ts); a
 * delete waits for its backup and a V1 job processes batches as they come, so those send after the
 * split. A refusal, wherever it comes from (the file, a second insert, a header a resumed run's file
 * now has), aborts the jobs the run opened, this split's and an earlier one's.
 */
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { DELIMITER_CHARS } from '../bulk/types.js';
import { planAuto } from '../concurrency/auto.js';
import { MAX_RECORD_CHARS } from '../csv/reader.js';
import { Ledger } from '../ledger/ledger.js';
import { replay, type RunSpec, type RunState } from '../ledger/records.js';
import type { PlannedChunk } from '../ledger/shapes.js';
import { chunksDir, jobsOfOtherRuns, pendingRejectedPath } from '../run/runState.js';
import type { LoadRequest } from '../run/types.js';
import { crashIfAsked } from '../runtime/crashPoints.js';
import { Fingerprint, fingerprintFiles } from '../split/fingerprint.js';
import { PARALLEL_SPLIT_MIN_BYTES, splitInParallel, splitWorkers, type ParallelSplitOptions } from '../split/parallelSplit.js';
import { planChunks, type PlanOptions } from '../split/planner.js';
import type { LoadContext } from './context.js';
import { claimInput, readsPrintAhead } from './duplicateGuard.js';
import { EarlyParts } from './earlyParts.js';
import { openInputs, type Inputs } from './inputs.js';
import { parentSkip } from './parentSkip.js';
import { isRefusal } from './refusals.js';

/** Reads, checks and splits the input into part files; records the plan. Returns the run's state once planned. */
export async function planStage(ctx: LoadContext, ledger: Ledger, runDir: string, spec: RunSpec, req: LoadRequest): Promise<RunState> {
  await mkdir(chunksDir(runDir), { recursive: true });
  ctx.emit({ type: 'stage', stage: 'read' });
  const early = sendsWhileSplitting(spec) ? new EarlyParts(ctx.runner, ledger, replay(Ledger.read(runDir)), () => jobsOfOtherRuns(runDir)) : undefined;
  try {
    return await split(ctx, ledger, runDir, spec, req, early);
  } catch (e) {
    // Refused: the jobs opened are aborted (none was closed: nothing was processed). Cut short
    // otherwise (the network, the disk): they stay for resume.
    if (isRefusal(e)) await early?.abort();
    else await early?.settled();
    throw e;
  }
}

/**
 * Before an insert's first job: the org's jobs of this user, object and operation that have not
 * ended and that no run on this machine made are named (a warning): another machine, with its own
 * ledger folder, may be inserting the same rows, which nothing on this machine can see.
 */
async function warnOfForeignJobs(ctx: LoadContext, runDir: string): Promise<void> {
  const state = replay(Ledger.read(runDir));
  if (state.chunks.some((c) => c.jobId)) return;
  const jobs = await ctx.runner.foreignJobs(state, () => jobsOfOtherRuns(runDir));
  if (jobs.length) ctx.emit({ type: 'foreign-jobs', object: state.spec.object, operation: state.spec.operation, jobIds: jobs.map((j) => j.id) });
}

/** Whether the run's parts are sent as they are written (see earlyParts.ts). */
function sendsWhileSplitting(spec: RunSpec): boolean {
  return !spec.v1 && (spec.operation === 'insert' || spec.operation === 'update' || spec.operation === 'upsert');
}

async function split(ctx: LoadContext, ledger: Ledger, runDir: string, spec: RunSpec, req: LoadRequest, early: EarlyParts | undefined): Promise<RunState> {
  // A second insert of the same file would create every record again: it is refused before the
  // file is split or anything sent. Other operations go on (the earlier run is named once split).
  const ahead = readsPrintAhead(spec) ? await fingerprintFiles(spec.files).catch(() => undefined) : undefined;
  if (ahead) await claimInput(ctx, ledger, runDir, spec, ahead);
  const print = ahead ? undefined : new Fingerprint(spec.files.length);
  const inputs = await openInputs(ctx.deps.describe, req, {}, print);
  // After the header's check: a file refused for its header asks nothing of the org's jobs.
  if (spec.operation === 'insert') await warnOfForeignJobs(ctx, runDir);
  await mkdir(spec.resultsDir, { recursive: true });
  const auto = req.autoConcurrency
    ? await planAuto({
        object: req.object,
        operation: req.operation,
        externalId: req.externalId,
        header: inputs.header,
        files: spec.files.length,
        describe: ctx.deps.describe,
        rows: inputs.reread,
        maxInFlight: req.concurrency,
        chunkRows: req.chunkRows,
      })
    : undefined;
  if (auto) ctx.emit({ type: 'concurrency', mode: auto.decision.mode, reason: auto.decision.reason });
  // A plan's step: rows whose parent did not load in an earlier step are never sent (skipped.csv).
  const skipped = await parentSkip(spec.parentFailures, inputs.header, spec.resultsDir);
  const planOptions: PlanOptions = {
    ...auto?.split(runDir),
    dir: chunksDir(runDir),
    header: inputs.header,
    maxBytes: spec.maxJobBytes,
    check: inputs.check,
    ...skipped.options,
    // Kept in the run folder until the run is past every refusal: a shared results folder keeps
    // an earlier run's rejected.csv until this run really loads (publishRejected).
    rejectedFile: pendingRejectedPath(runDir),
    fileNames: spec.files.map((f) => basename(f)),
    ...(early ? { onPart: (chunk: PlannedChunk): Promise<void> => early.part(chunk) } : {}),
  };
  const threads = splitOnThreads(ctx, req, spec, inputs, planOptions);
  ctx.emit({ type: 'split', threads: typeof threads?.workers === 'number' ? threads.workers : threads?.workers.size ?? 0 });
  // The threads read the files themselves (the fingerprint with them): the reads opened are stopped.
  if (threads) await Promise.all(inputs.sources.map((s) => s.close()));
  const threadPrint = threads && print ? new Fingerprint(spec.files.length) : undefined;
  const plan = threads
    ? await splitInParallel({ ...threads, ...(threadPrint ? { print: threadPrint } : {}) }, planOptions)
    : await planChunks(inputs.records, planOptions);
  const report = inputs.report();
  await skipped.close();
  const { sha256, bytes } = ahead ?? (threadPrint ?? print!).digest();
  // Nothing has been processed yet. An upsert or update of a file loaded before sets the same
  // values again, a delete finds the records gone (its backup comes up short and stops it before
  // anything is sent): they go on, and the earlier run is named.
  if (!ahead) await claimInput(ctx, ledger, runDir, spec, { sha256, bytes });
  await early?.finish(plan.chunks.length);
  crashIfAsked('before-planned');
  ledger.append({
    t: 'planned',
    chunks: plan.chunks,
    rows: plan.rows,
    rejected: plan.rejected,
    ...skipped.record(),
    header: inputs.header,
    ...(report ? { preflight: report } : {}),
    fileSha256: sha256,
    fileBytes: bytes,
    ...(auto ? { concurrency: auto.decision } : {}),
  });
  ctx.emit({ type: 'planned', rows: plan.rows, chunks: plan.chunks.length, bytes: plan.chunks.reduce((n, c) => n + c.bytes, 0), rejected: plan.rejected });
  return replay(Ledger.read(runDir));
}

/**
 * Whether the split runs on worker threads, and with what. It does for large UTF-8 inputs whose
 * rows are checked one by one in input order; a conversion from another encoding, a key counted
 * across all rows (upsert's duplicates) or a sort by parent (a grouped load) keep it on one thread.
 */
function splitOnThreads(ctx: LoadContext, req: LoadRequest, spec: RunSpec, inputs: Inputs, plan: PlanOptions): Omit<ParallelSplitOptions, 'print'> | undefined {
  const workers = ctx.deps.splitThreads?.workers ?? splitWorkers();
  const minBytes = ctx.deps.splitThreads?.minBytes ?? PARALLEL_SPLIT_MIN_BYTES;
  if (workers < 1) return undefined;
  if (req.csv?.encoding && !/^utf-?8$/i.test(req.csv.encoding)) return undefined;
  // A plan step's parent skip writes skipped.csv from this thread; a transform runs on it too.
  if (plan.skip ?? req.transform) return undefined;
  if (inputs.preflights.some((p) => p.keyed) || plan.order !== undefined || plan.group?.key !== undefined) return undefined;
  if (spec.files.reduce((n, f) => n + statSync(f).size, 0) < minBytes) return undefined;
  const lower = (h: string[]): string[] => h.map((x) => x.toLowerCase());
  return {
    files: inputs.sources.map((source, i) => {
      const own = lower(source.header);
      const map = lower(inputs.header).map((h) => own.indexOf(h));
      return {
        file: source.file,
        delimiter: DELIMITER_CHARS[source.delimiter],
        ...(map.every((m, c) => m === c) ? {} : { columnMap: map }),
        ...(inputs.preflights[i] ? { preflight: inputs.preflights[i] } : {}),
      };
    }),
    keepInvalid: req.keepInvalidRows === true,
    maxRecordChars: MAX_RECORD_CHARS,
    workers,
    ...(plan.group ? { maxRows: plan.group.rows } : {}),
  };
}
