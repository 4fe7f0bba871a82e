/*
 * "Per-record automation slows a load: measure before scaling." A large load's first part runs
 * alone, as a probe: no other part's job is closed before the probe's job ended (unless the wait
 * runs out first: the other parts then go, and no estimate is made). Its job info prices
 * the rest of the plan (estimate.ts), once its results are joined (they give its lock failures),
 * while the other parts run. The estimate is written to the ledger, so a resumed run shows the same
 * one and never probes twice; the measurement is kept for this org and object (measurements.ts),
 * for --dry-run.
 */
import type { Ledger } from '../ledger/ledger.js';
import type { ChunkState, RunState, V1RunSpec } from '../ledger/records.js';
import type { LoadEstimate } from '../ledger/shapes.js';
import { estimateLoad, learnLimit, type Measurement } from './estimate.js';
import { readMeasurement, saveMeasurement } from './measurements.js';
import { measurePart, unitsOfRun } from './observed.js';

/** A load of at least this many parts is probed: with fewer, the probe would hold back most of the load. */
export const PROBE_MIN_PARTS = 4;

export type ProbeDeps = {
  ledger: Ledger;
  state: RunState;
  /** runs these parts (the job runner, with the run's gate and deadline) */
  run: (parts: ChunkState[]) => Promise<void>;
  stateDir: string;
  jobsAtOnce: number;
  chunkRows: number;
};

/**
 * Runs the probe when the run needs one: the first part alone, until its job ends (its results are
 * joined while the other parts run). Returns what makes the estimate once the probe's results are
 * in (its lock failures are counted from them): it records the estimate the first time it can, and
 * returns it then (undefined before, after, or when the org reported no times). No probe: undefined.
 */
export async function probeFirstPart(deps: ProbeDeps): Promise<(() => LoadEstimate | undefined) | undefined> {
  const { state } = deps;
  if (state.estimate !== undefined || state.chunks.length < PROBE_MIN_PARTS) return undefined;
  const first = state.chunks[0];
  await deps.run([first]);
  return () => (state.estimate === undefined && first.results && ranAlone(state) ? estimateFromProbe(deps, first) : undefined);
}

/**
 * Whether the first part's job ended before any other part's job was closed. A wait shorter than
 * the probe (--wait 0) closes the others before: the org's figures for the first part are then not
 * those of a part run alone, and no estimate is made from them.
 */
function ranAlone(state: RunState): boolean {
  const ended = state.chunks[0].terminal?.at;
  return ended !== undefined && state.chunks.slice(1).every((c) => c.closedAt === undefined || c.closedAt >= ended);
}

function estimateFromProbe(deps: ProbeDeps, first: ChunkState): LoadEstimate | undefined {
  const { state, ledger } = deps;
  const measured = measurePart(first, state);
  if (!measured) return undefined;
  const rest = state.chunks.slice(1);
  const { orgId } = state.spec.org;
  // The org's limit on chunks at once: what the probe's chunks showed, or else what an earlier run did.
  const limit = learnLimit(measured, 'probe') ?? learnLimit(readMeasurement(deps.stateDir, orgId, state.spec.object, state.spec.operation), 'earlier-runs');
  const estimate = estimateLoad(
    measured,
    {
      rows: rest.reduce((n, c) => n + c.chunk.rows, 0),
      parts: rest.length,
      jobsAtOnce: deps.jobsAtOnce,
      partRows: rest.map((c) => c.chunk.rows),
      ...unitsOfRun({ chunkRows: deps.chunkRows, v1: state.spec.v1 }),
    },
    'probe',
    limit
  );
  state.estimate = ledger.append({ t: 'estimate', ...estimate }) as RunState['estimate'];
  saveMeasurement(deps.stateDir, orgId, state.spec.object, measured);
  return estimate;
}

/** --dry-run's plan: rows to send, in parts of at most maxJobBytes, jobsAtOnce at a time. */
export type DryRunPlan = { rows: number; parts: number; maxJobBytes: number; jobsAtOnce: number };

/**
 * --dry-run's plan: the rows to send in parts of at most `maxJobBytes` (the file's bytes are what the
 * parts hold, give or take quoting and line ends), and, when an earlier run on this org and object
 * measured the operation, what that plan should cost.
 */
export function dryRunPlan(opts: {
  rows: number;
  bytes: number;
  maxJobBytes: number;
  jobsAtOnce: number;
  chunkRows: number;
  /** --bulk-api v1: the parts go as batches of its batch size, one at a time in a Serial job */
  v1?: V1RunSpec;
  measured?: Measurement;
}): { plan: DryRunPlan; estimate?: LoadEstimate } {
  const parts = opts.rows > 0 ? Math.max(1, Math.ceil(opts.bytes / opts.maxJobBytes)) : 0;
  const plan = { rows: opts.rows, parts, maxJobBytes: opts.maxJobBytes, jobsAtOnce: opts.jobsAtOnce };
  if (!opts.measured || parts === 0) return { plan };
  const shape = { rows: plan.rows, parts, jobsAtOnce: plan.jobsAtOnce, ...unitsOfRun({ chunkRows: opts.chunkRows, v1: opts.v1 }) };
  return { plan, estimate: estimateLoad(opts.measured, shape, 'earlier-runs', learnLimit(opts.measured, 'earlier-runs')) };
}
