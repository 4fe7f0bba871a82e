/*
 * Stage 4 of a load, run the parts: the run's rejected rows are published (it is past every
 * refusal now), then the job runner (runner/jobRunner.ts) runs one job per part. With
 * --concurrency auto a gate keeps conflicting parts apart and lowers the jobs in flight when lock
 * failures or throttling rise; a large load's first part runs alone first (the probe) and its
 * results price the rest (the estimate), while the other parts already run.
 */
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CHUNK_ROWS } from '../bulk/types.js';
import { autoGate } from '../concurrency/auto.js';
import { probeFirstPart } from '../estimate/probe.js';
import { syncDir } from '../io/durable.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RunState } from '../ledger/records.js';
import type { InFlightChange } from '../ledger/shapes.js';
import { jobsOfOtherRuns, pendingRejectedPath } from '../run/runState.js';
import type { Deadline } from '../runner/jobRunner.js';
import type { LoadContext } from './context.js';

/** Runs the parts that have no results yet, until done or the deadline; returns the in-flight changes an auto run made. */
export async function runPartsStage(ctx: LoadContext, ledger: Ledger, runDir: string, state: RunState, deadline: Deadline): Promise<InFlightChange[]> {
  await publishRejected(runDir, state);
  ctx.emit({ type: 'stage', stage: 'upload' });
  const changes: InFlightChange[] = [];
  const auto = state.concurrency
    ? autoGate(state, (c) => {
        changes.push(c);
        state.inFlightChanges.push(ledger.append({ t: 'in-flight', limit: c.limit, reason: c.reason }) as RunState['inFlightChanges'][number]);
        ctx.emit({ type: 'in-flight', limit: c.limit, reason: c.reason });
      })
    : undefined;
  ctx.taps.watch = auto?.watch;
  try {
    const run = { ledger, state, deadline, claimedByOtherRuns: (): Set<string> => jobsOfOtherRuns(runDir), inFlight: auto?.gate };
    const probe = await probeFirstPart({
      ledger,
      state,
      run: (parts) => ctx.runner.run({ ...run, untilEnded: true }, parts),
      stateDir: ctx.deps.stateDir,
      jobsAtOnce: auto?.gate.max ?? state.spec.concurrency,
      chunkRows: state.spec.chunkRows ?? CHUNK_ROWS,
    });
    // The estimate comes once the probe's results are joined, while the other parts already run.
    const estimate = (): void => {
      const made = probe?.();
      if (made) ctx.emit({ type: 'estimate', ...made });
    };
    estimate();
    ctx.taps.afterResults = (chunk): void => (chunk === state.chunks[0]?.chunk.index ? estimate() : undefined);
    await ctx.runner.run(run, state.chunks);
  } finally {
    ctx.taps.watch = undefined;
    ctx.taps.afterResults = undefined;
  }
  return changes;
}

/**
 * The run is past its refusals and about to send: its rejected rows become the results folder's
 * rejected.csv; a run with none removes a rejected.csv an earlier run left there (once, before its
 * first job: a resume does not touch a file another run may have written since).
 */
async function publishRejected(runDir: string, state: RunState): Promise<void> {
  const target = join(state.spec.resultsDir, 'rejected.csv');
  const pending = pendingRejectedPath(runDir);
  if (existsSync(pending)) {
    await rename(pending, target);
    await syncDir(state.spec.resultsDir);
  } else if (state.rejected === 0 && !state.chunks.some((c) => c.closed)) {
    await rm(target, { force: true });
  }
}
