/*
 * The last stage of a load: a finished run needs its ledger, its result files and its backup, not
 * the parts it uploaded nor the per-job result parts (together about twice the input's size): they
 * go, unless --keep-chunks. Also after a crash between 'done' and this: resume tidies what is left.
 */
import { rm } from 'node:fs/promises';
import type { RunState } from '../ledger/records.js';
import { chunksDir, partsDir } from '../run/runState.js';

export async function tidyStage(runDir: string, state: RunState): Promise<void> {
  if (state.spec.keepChunks) return;
  // A grouped load keeps its parts' .lines (4 bytes a row): reconcile finds each line's part there.
  if (state.concurrency?.mode === 'grouped') for (const c of state.chunks) await rm(c.chunk.file, { force: true });
  else await rm(chunksDir(runDir), { recursive: true, force: true });
  await rm(partsDir(state), { recursive: true, force: true });
}
