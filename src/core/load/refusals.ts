/*
 * Refusals: the file, the org or the user said no before anything could be sent. A refused run
 * ends (its ledger says why, its parts go), so resume refuses it with that reason; anything else
 * that stops a load (the network, the disk) leaves it for resume.
 */
import { rm } from 'node:fs/promises';
import { CsvInputError } from '../csv/errors.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RunState } from '../ledger/records.js';
import type { Identity } from '../org/identity.js';
import { PreflightError } from '../preflight/errors.js';
import { chunksDir } from '../run/runState.js';
import type { LoadRequest } from '../run/types.js';
import { DuplicateRunError } from './duplicateGuard.js';
import { PreflightFailedError } from './inputs.js';

/**
 * The user did not confirm the hardDelete: nothing was sent. `runId` is set when a run without a
 * confirmation was asked to go on (resume): it never deletes.
 */
export class NotConfirmedError extends Error {
  public constructor(public readonly runId?: string) {
    super(runId ? `run ${runId} has no hardDelete confirmation` : 'not confirmed');
    this.name = 'NotConfirmedError';
  }
}

/** A refusal ends a run that sent nothing; anything else (the network, the disk) leaves it for resume. */
export function isRefusal(e: unknown): boolean {
  return (
    e instanceof DuplicateRunError ||
    e instanceof PreflightFailedError ||
    e instanceof PreflightError ||
    e instanceof NotConfirmedError ||
    e instanceof CsvInputError
  );
}

/** Ends a run that sent nothing: the reason goes in its ledger, its parts go. */
export async function abandon(ledger: Ledger, runDir: string, e: unknown): Promise<void> {
  ledger.append({ t: 'abandoned', reason: e instanceof Error ? e.message : String(e) });
  await rm(chunksDir(runDir), { recursive: true, force: true });
}

/**
 * A hardDelete's confirmation, recorded in the ledger before any row can be sent: a run without it
 * never deletes. Whatever the confirmation throws (a wrong count, no terminal to ask on) refuses it.
 */
export async function confirmHardDelete(ledger: Ledger, state: RunState, req: LoadRequest, identity: Identity): Promise<void> {
  if (!req.confirm || !(await req.confirm({ rows: state.rows, object: req.object, operation: req.operation }))) throw new NotConfirmedError();
  state.confirmed = ledger.append({ t: 'confirmed', rows: state.rows, object: req.object, operation: req.operation, orgId: identity.orgId, username: identity.username }) as RunState['confirmed'];
}

/** A hardDelete run that was never confirmed (killed at the prompt, or before) can never delete: it ends here. */
export async function refuseUnconfirmed(ledger: Ledger, runDir: string, state: RunState): Promise<void> {
  if (state.spec.operation !== 'hardDelete' || state.confirmed?.rows === state.rows) return;
  const refusal = new NotConfirmedError(state.spec.runId);
  await abandon(ledger, runDir, refusal);
  throw refusal;
}
