/*
 * A row of a run as reconcile and the rounds see it: its latest outcome (and each round's), its
 * values and the part it went in. Its own module, so the readers of rows (runRows.ts) and of
 * rounds' line files (roundLines.ts) both use it and neither imports the other's types back.
 */
import type { ChunkState } from '../ledger/records.js';
import type { ResultPaths } from '../results/join.js';

export type RowState = 'succeeded' | 'failed' | 'unprocessed' | 'rejected' | 'pending' | 'never-sent';

export type RunRow = {
  fileIndex: number;
  line: number;
  state: RowState;
  /** succeeded: the record's Id (failed: the Id Salesforce gave, if any) */
  id?: string;
  /** succeeded, operations that can create: whether the record was created (else updated) */
  created?: boolean;
  /** failed: Salesforce's code, message and the fields it names; rejected: the checks' reason in message */
  code?: string;
  message?: string;
  fields?: string[];
  /** the part (1-based) the row was sent in, and its job; absent for rejected rows */
  part?: ChunkState;
  /** a job's row reconciled by its job ID (--job-id): that job, when it is known */
  jobId?: string;
  /** the row's values, in the run's column order */
  values: string[];
  /** the round whose outcome this is (absent: the load's own, round 0) */
  round?: number;
  /** the row's outcome in each round that sent it (reconcile of a run with rounds) */
  history?: RoundOutcome[];
};

/** A row's outcome in one round (reconcile of a run with rounds). */
export type RoundOutcome = { round: number; state: RunRow['state']; code?: string };

/** Rows in input order, one at a time. */
export type Source = AsyncIterator<RunRow>;

/** Which result file a row comes from. */
export type Kind = keyof ResultPaths | 'rejected';
