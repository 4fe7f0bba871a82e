/*
 * Stage 6 of a load, merge (after the runner, before the rounds): once every part has its results,
 * the per-job result parts become the run's result files in input order, what the org did with the
 * rows is recorded (the next dry run prices its plan with it), and the run is marked done.
 */
import { basename, join } from 'node:path';
import { measureRun, observedRates } from '../estimate/observed.js';
import { saveMeasurement } from '../estimate/measurements.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RunState } from '../ledger/records.js';
import { partPaths } from '../results/join.js';
import { mergeParts, resultPaths } from '../results/resultFiles.js';
import { createsRecords, partsDir } from '../run/runState.js';
import { crashIfAsked } from '../runtime/crashPoints.js';
import type { LoadContext } from './context.js';

/** Merges a run whose parts all have results and that is not done yet; a run with parts left goes past. */
export async function mergeStage(ctx: LoadContext, ledger: Ledger, runDir: string, state: RunState): Promise<void> {
  if (state.done || !state.chunks.every((c) => c.results)) return;
  ctx.emit({ type: 'stage', stage: 'results' });
  crashIfAsked('before-merge');
  await mergeParts(
    resultPaths(state.spec.resultsDir),
    state.header,
    state.chunks.map((c) => partPaths(partsDir(state), c.chunk.index)),
    state.spec.files.length > 1,
    createsRecords(state),
    // A grouped load's parts hold rows sorted by parent: the result files are put back in input order.
    state.concurrency?.mode === 'grouped'
      ? { dir: join(runDir, 'sort-results'), fileNames: state.spec.files.map((f) => basename(f)), completed: state.chunks.map((c) => c.terminal?.state === 'JobComplete') }
      : undefined
  );
  state.observed = ledger.append({ t: 'observed', ...observedRates(state, ctx.taps.throttled) }) as RunState['observed'];
  const measured = measureRun(state);
  if (measured) saveMeasurement(ctx.deps.stateDir, state.spec.org.orgId, state.spec.object, measured);
  ledger.append({ t: 'merged' });
  ledger.append({ t: 'done' });
  state.merged = true;
  state.done = true;
}
