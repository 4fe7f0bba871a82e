/*
 * A load's request as its run records it (the ledger's 'run' record), and back: resume plans a run
 * that stopped before its split from what the run recorded, so both directions live together.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunSpec } from '../ledger/records.js';
import type { Identity } from '../org/identity.js';
import type { LoadRequest } from '../run/types.js';
import { defaultPartBytes } from '../split/planner.js';

/** The run's record of a new load: everything resume and later rounds need to go on the same way. */
export function runSpecOf(req: LoadRequest, identity: Identity, runDir: string): RunSpec {
  return {
    runId: req.runId,
    object: req.object,
    operation: req.operation,
    ...(req.externalId ? { externalId: req.externalId } : {}),
    files: req.files,
    resultsDir: req.resultsDir ?? runDir,
    org: { username: identity.username, orgId: identity.orgId, userId: identity.userId, instanceUrl: identity.instanceUrl },
    concurrency: req.concurrency,
    ...(req.autoConcurrency ? { autoConcurrency: true } : {}),
    ...(req.chunkRows ? { chunkRows: req.chunkRows } : {}),
    backup: req.operation === 'hardDelete' || (req.operation === 'delete' && req.backup !== false),
    ...(req.keepChunks ? { keepChunks: true } : {}),
    // What planning needs, so that resume can plan a run that stopped before its split.
    ...(req.csv ? { csv: req.csv } : {}),
    // Recorded whether given or not: resume and later rounds cut parts the same size.
    maxJobBytes: partBytes(req),
    ...(req.keepInvalidRows ? { keepInvalidRows: true } : {}),
    ...(req.force ? { force: true } : {}),
    ...(req.v1 ? { bulkApi: 'v1' as const, v1: req.v1 } : { bulkApi: 'v2' as const }),
    ...(req.lockRounds ? { lockRounds: req.lockRounds } : {}),
    ...(req.parentFailures?.length ? { parentFailures: req.parentFailures } : {}),
    ...(req.assignmentRuleId ? { assignmentRuleId: req.assignmentRuleId } : {}),
    ...(req.transform ? { transform: req.transform } : {}),
  };
}

/** The request that plans a recorded run again (resume of a run stopped before its split finished). */
export function requestOf(spec: RunSpec, runDir: string, waitMs: number): LoadRequest {
  return {
    object: spec.object,
    operation: spec.operation,
    externalId: spec.externalId,
    files: spec.files,
    runId: spec.runId,
    ledgerDir: dirname(runDir),
    resultsDir: spec.resultsDir,
    waitMs,
    concurrency: spec.concurrency,
    autoConcurrency: spec.autoConcurrency,
    chunkRows: spec.chunkRows,
    maxJobBytes: spec.maxJobBytes,
    csv: spec.csv,
    keepInvalidRows: spec.keepInvalidRows,
    force: spec.force,
    v1: spec.v1,
    parentFailures: spec.parentFailures,
    assignmentRuleId: spec.assignmentRuleId,
    transform: spec.transform,
  };
}

/** The run's largest part: --max-job-size, else the input's size spread over the jobs at once. */
export function partBytes(req: LoadRequest): number {
  return req.maxJobBytes ?? defaultPartBytes(req.files.reduce((n, f) => n + sizeOf(f), 0), req.concurrency);
}

/** A file's size; 0 when it cannot be read (opening it then says why, with its name). */
function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
