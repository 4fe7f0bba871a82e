/*
 * The duplicate-run guard: a second insert of a file already loaded into the same org and object
 * would create every record again, so it is refused (unless forced); any other operation of such
 * a file goes on, and the earlier run is named.
 *
 * On one machine (one ledger folder) the check and the claim are one step: an insert takes an
 * exclusive lock on its org, object and fingerprint (claims/ in the ledger folder), looks for an
 * earlier run of the file, writes its own 'fingerprint' record and only then lets the lock go. Two
 * inserts of one file started at the same moment: the second finds the first's record and is
 * refused, naming that run and the process working on it. Across machines, each with its own
 * ledger folder, nothing here can see the other's run: the insert's look at the org's open jobs
 * (foreignJobs.ts) is what warns of it.
 */
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { FileLock, LockHeldError, lockHolder, type LockOwner } from '../io/fileLock.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RunSpec } from '../ledger/records.js';
import { findSameLoad } from '../ledger/runIndex.js';
import { RUN_LOCK_FILE } from '../run/runState.js';
import type { LoadEvent } from '../run/types.js';
import type { LoadContext } from './context.js';

/**
 * A second insert of the same file into the same org and object: it would create every record
 * again. `owner`: the live process working on that run, when one is (the two started together).
 */
export class DuplicateRunError extends Error {
  public constructor(public readonly earlierRunId: string, public readonly earlierRunDir: string, public readonly owner?: LockOwner) {
    super(owner ? `run ${earlierRunId} (process ${owner.pid}) is loading this file` : `run ${earlierRunId} already loaded this file`);
    this.name = 'DuplicateRunError';
  }
}

/** How long an insert waits for another one's claim on the same file (it is held for a record's write). */
const CLAIM_WAIT_MS = 30_000;

/**
 * Whether the input's fingerprint is read before the split: for an insert (a second one is refused
 * before anything is written or sent), and for several files: they are opened together, so their
 * first reads would otherwise be hashed before the rest of the first file, and the fingerprint would
 * depend on how the split reads them (the split on threads reads each file whole, in turn).
 */
export function readsPrintAhead(spec: RunSpec): boolean {
  return claimsInput(spec) || spec.files.length > 1;
}

/** Whether the run claims its input before the split: an insert that a second one of the file must not repeat. */
function claimsInput(spec: RunSpec): boolean {
  return spec.operation === 'insert' && !spec.force;
}

/**
 * The check and the claim of an input read ahead, as one step (see the top of the file): refuses a
 * second insert, else records this run's fingerprint before the claim is let go. Other operations
 * and forced inserts only check (the earlier run is named).
 */
export async function claimInput(ctx: LoadContext, ledger: Ledger, runDir: string, spec: RunSpec, print: { sha256: string; bytes: number }): Promise<void> {
  if (!claimsInput(spec)) return refuseSecondInsert(ctx.emit, runDir, spec, print.sha256);
  const key = createHash('sha256').update(`${spec.org.orgId}\n${spec.object.toLowerCase()}\n${print.sha256}`).digest('hex').slice(0, 32);
  const claim = new FileLock(join(dirname(runDir), 'claims', `${key}.lock`), `claim ${spec.runId}`);
  try {
    await claim.acquireWaiting({ sleep: ctx.sleep, now: ctx.now, pollMs: 25, maxWaitMs: CLAIM_WAIT_MS });
  } catch (e) {
    // Held all that time (a process stopped while it held it, not yet dead): refused, naming it.
    if (e instanceof LockHeldError) {
      const other = e.owner.purpose?.replace(/^claim /, '') ?? '?';
      throw new DuplicateRunError(other, join(dirname(runDir), other), e.owner);
    }
    throw e;
  }
  try {
    refuseSecondInsert(ctx.emit, runDir, spec, print.sha256);
    ledger.append({ t: 'fingerprint', fileSha256: print.sha256, fileBytes: print.bytes });
  } finally {
    claim.release();
  }
}

/** A second insert of a file into the same org and object is refused (unless forced); a load of it otherwise names the earlier run. */
export function refuseSecondInsert(emit: (e: LoadEvent) => void, runDir: string, spec: RunSpec, sha256: string): void {
  const earlier = findSameLoad(dirname(runDir), { orgId: spec.org.orgId, object: spec.object, operation: spec.operation, fileSha256: sha256, runId: spec.runId });
  if (earlier && spec.operation === 'insert' && !spec.force) throw new DuplicateRunError(earlier.runId, earlier.runDir, lockHolder(join(earlier.runDir, RUN_LOCK_FILE)));
  if (earlier) emit({ type: 'loaded-before', runId: earlier.runId, runDir: earlier.runDir });
}
