/*
 * `--concurrency auto` wired together: before the split, the data shape (a census pass over the rows
 * when a column locks a parent) and the decision; for the split, the sort by parent and the part
 * cuts of a grouped or serial load; while the jobs run, the gate that keeps conflicting parts apart
 * and lowers the jobs in flight when lock failures or throttling rise.
 */
import { join } from 'node:path';
import type { IngestOperation } from '../bulk/types.js';
import type { CsvRecord } from '../csv/reader.js';
import type { ChunkState, RunState } from '../ledger/records.js';
import type { PlanOptions } from '../split/planner.js';
import type { LoadEvent } from '../run/types.js';
import type { DescribeSource } from '../preflight/describe.js';
import { planHeader } from '../preflight/headerPlan.js';
import { InFlight } from '../runner/inFlight.js';
import type { InFlightChange } from '../ledger/shapes.js';
import type { ConcurrencyDecision } from '../ledger/shapes.js';
import { CHUNK_ROWS } from '../bulk/types.js';
import { decideConcurrency } from './decide.js';
import { sortedByKey, type KeyedRecord } from './externalSort.js';
import { ParentCensus, parentColumns, parentKey } from './parents.js';


export type AutoInput = {
  object: string;
  operation: IngestOperation;
  externalId?: string;
  header: string[];
  files: number;
  /** the object's describe: without it no column is known to lock a parent */
  describe?: DescribeSource;
  /** a fresh read of every row (the census pass) */
  rows: () => AsyncIterable<CsvRecord[]>;
  maxInFlight: number;
  chunkRows?: number;
};

export type AutoPlan = {
  decision: ConcurrencyDecision;
  /** what the split does for this decision: the sort by parent, the part cuts */
  split: (runDir: string) => Pick<PlanOptions, 'order' | 'group'>;
};

export async function planAuto(input: AutoInput): Promise<AutoPlan> {
  const chunkRows = input.chunkRows ?? CHUNK_ROWS;
  const object = input.describe ? await input.describe(input.object) : undefined;
  const columns = object ? parentColumns(await planHeader({ object, operation: input.operation, externalId: input.externalId, header: input.header, describe: input.describe! })) : [];
  const census = new ParentCensus(columns);
  // Only a load whose rows point to parents is read an extra time.
  if (columns.length) for await (const batch of input.rows()) for (const r of batch) census.add(r);
  const decision = decideConcurrency(census.shape({ files: input.files, chunkRows }), { maxInFlight: input.maxInFlight });
  const split = (runDir: string): Pick<PlanOptions, 'order' | 'group'> => {
    if (decision.mode === 'serial') return { group: { rows: chunkRows } };
    if (decision.mode !== 'grouped') return {};
    const c = columns.findIndex((col) => col.index === decision.groupBy!.index);
    const column = columns[c];
    return {
      order: (rows) => sortedByKey(rows, { dir: join(runDir, 'sort'), key: (r) => parentKey(column, r) }),
      group: { rows: chunkRows, key: (r) => (r as KeyedRecord).key || undefined, count: (key) => census.count(c, key) },
    };
  };
  return { decision, split };
}

/** Two grouped parts hold children of one parent when their key ranges meet. */
export function partsConflict(a: ChunkState, b: ChunkState): boolean {
  const x = a.chunk.parentKeys;
  const y = b.chunk.parentKeys;
  return !!x && !!y && x.first <= y.last && y.first <= x.last;
}

/**
 * The gate of an auto run (from its planned decision), and what it watches: each job's failures
 * while it runs, each job's lock failures once joined, and throttled calls.
 */
export function autoGate(state: RunState, onChange: (change: InFlightChange) => void): { gate: InFlight<ChunkState>; watch: (e: LoadEvent) => void } {
  const gate = new InFlight<ChunkState>({ max: state.concurrency!.maxInFlight, conflicts: partsConflict, onChange });
  const watch = (e: LoadEvent): void => {
    if (e.type === 'job-progress') gate.progress(e.jobId, e.processed, e.failed);
    else if (e.type === 'results-written' && e.jobId) gate.finished(e.jobId, e.processed ?? 0, e.failed, e.errorCodes?.UNABLE_TO_LOCK_ROW ?? 0);
    else if (e.type === 'retry' && e.code === 'REQUEST_LIMIT_EXCEEDED') gate.throttled();
  };
  return { gate, watch };
}
