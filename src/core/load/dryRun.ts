/*
 * --dry-run: the checks alone, over every row; nothing is sent and no run is recorded (the result
 * has no runId). Every problem goes to problems.csv (in resultsDir, or the current folder); the
 * plan is priced (parts, jobs, time from earlier runs' measurements), and a file this org already
 * loaded is named.
 */
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CHUNK_ROWS } from '../bulk/types.js';
import { readMeasurement } from '../estimate/measurements.js';
import { dryRunPlan } from '../estimate/probe.js';
import { findSameLoad } from '../ledger/runIndex.js';
import { ProblemsFile } from '../preflight/problemsFile.js';
import type { LoadRequest, LoadResult } from '../run/types.js';
import { Fingerprint, fingerprintFiles } from '../split/fingerprint.js';
import type { LoadContext } from './context.js';
import { openInputs } from './inputs.js';
import { partBytes } from './runSpec.js';
import type { Converted } from './transform.js';

export async function dryRun(ctx: LoadContext, req: LoadRequest): Promise<LoadResult> {
  const started = ctx.now();
  // Several files are fingerprinted ahead, as a load does (readsPrintAhead): hashed as they are
  // opened together, they would not give the fingerprint a load of them records.
  const ahead = req.files.length > 1 ? await fingerprintFiles(req.files).catch(() => undefined) : undefined;
  const print = ahead ? undefined : new Fingerprint(req.files.length);
  // Header problems are reported with the rows' problems here, not thrown.
  const inputs = await openInputs(ctx.deps.describe, { ...req, keepInvalidRows: true }, { reportHeaderProblems: true }, print);
  if (!inputs.problems) throw new Error('the checks need the object describe');
  const dir = req.resultsDir ?? process.cwd();
  await mkdir(dir, { recursive: true });
  const problems = new ProblemsFile(join(dir, 'problems.csv'), req.files.map((f) => basename(f)));
  for (const { fileIndex, problem } of inputs.headerProblems) await problems.add(fileIndex, problem);
  // Rows whose only problem is a cell that did not convert: the checks' report does not count them.
  let unconverted = 0;
  for await (const batch of inputs.records) {
    for (const record of batch) {
      const found = inputs.problems(record);
      if (found.length === 1 && (record as Converted).convertError) unconverted++;
      for (const p of found) await problems.add(record.fileIndex ?? 0, p);
    }
  }
  await problems.close();
  const report = inputs.report()!;
  // The same file already loaded into this org: the dry run says so (a load would be refused without --force).
  const identity = await ctx.identity();
  const { sha256, bytes } = ahead ?? print!.digest();
  const earlier = findSameLoad(req.ledgerDir, { orgId: identity.orgId, object: req.object, operation: req.operation, fileSha256: sha256, runId: req.runId });
  const priced = dryRunPlan({
    rows: report.rowsChecked - (req.keepInvalidRows ? unconverted : report.problemRows + unconverted),
    bytes,
    maxJobBytes: partBytes(req),
    jobsAtOnce: req.concurrency,
    chunkRows: req.chunkRows ?? CHUNK_ROWS,
    v1: req.v1,
    measured: readMeasurement(ctx.deps.stateDir, identity.orgId, req.object, req.operation),
  });
  const finished = ctx.now();
  return {
    status: 'Checked',
    object: report.object,
    operation: req.operation,
    ...(req.externalId ? { externalId: req.externalId } : {}),
    file: req.files.join(', '),
    inputFiles: req.files,
    rows: report.rowsChecked,
    rejected: report.problemRows + unconverted,
    processed: 0,
    successful: 0,
    failed: 0,
    unprocessed: 0,
    retryable: 0,
    unmatched: 0,
    errorCodes: [],
    jobs: [],
    runDir: '',
    preflight: report,
    problemsFile: problems.path,
    ...(earlier ? { alreadyLoaded: { runId: earlier.runId, runDir: earlier.runDir } } : {}),
    ...priced,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    elapsedMs: finished - started,
  };
}
