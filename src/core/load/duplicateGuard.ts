/*
 * The duplicate-run guard: a second insert of a file already loaded into the same org and object
 * would create every record again, so it is refused (unless forced); any other operation of such
 * a file goes on, and the earlier run is named.
 */
import { dirname } from 'node:path';
import type { RunSpec } from '../ledger/records.js';
import { findSameLoad } from '../ledger/runIndex.js';
import type { LoadEvent } from '../run/types.js';

/** A second insert of the same file into the same org and object: it would create every record again. */
export class DuplicateRunError extends Error {
  public constructor(public readonly earlierRunId: string, public readonly earlierRunDir: string) {
    super(`run ${earlierRunId} already loaded this file`);
    this.name = 'DuplicateRunError';
  }
}

/**
 * Whether the input's fingerprint is read before the split: for an insert (a second one is refused
 * before anything is written or sent), and for several files: they are opened together, so their
 * first reads would otherwise be hashed before the rest of the first file, and the fingerprint would
 * depend on how the split reads them (the split on threads reads each file whole, in turn).
 */
export function readsPrintAhead(spec: RunSpec): boolean {
  return (spec.operation === 'insert' && !spec.force) || spec.files.length > 1;
}

/** A second insert of a file into the same org and object is refused (unless forced); a load of it otherwise names the earlier run. */
export function refuseSecondInsert(emit: (e: LoadEvent) => void, runDir: string, spec: RunSpec, sha256: string): void {
  const earlier = findSameLoad(dirname(runDir), { orgId: spec.org.orgId, object: spec.object, operation: spec.operation, fileSha256: sha256, runId: spec.runId });
  if (earlier && spec.operation === 'insert' && !spec.force) throw new DuplicateRunError(earlier.runId, earlier.runDir);
  if (earlier) emit({ type: 'loaded-before', runId: earlier.runId, runDir: earlier.runDir });
}
