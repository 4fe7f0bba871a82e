/*
 * Stage 3 of a delete or hardDelete, back up: every target record is exported (backup/backup.ts)
 * before the first delete job. A backup that holds fewer records than the file has Ids refuses the
 * delete (the missing Ids are named) and the run ends; other failures (the network) leave it for resume.
 */
import { join } from 'node:path';
import { BackupShortError, backupRecords, idsOfChunks } from '../backup/backup.js';
import { retryingWithEvents } from '../http/retrying.js';
import type { Ledger } from '../ledger/ledger.js';
import type { RunState } from '../ledger/records.js';
import type { LoadContext } from './context.js';
import { abandon } from './refusals.js';

/** Backs up the run's target records once (a resumed run that has its backup goes past). */
export async function backupStage(ctx: LoadContext, ledger: Ledger, runDir: string, state: RunState): Promise<void> {
  if (!state.spec.backup || state.backup) return;
  try {
    await backup(ctx, ledger, runDir, state);
  } catch (e) {
    if (e instanceof BackupShortError) await abandon(ledger, runDir, e);
    throw e;
  }
}

async function backup(ctx: LoadContext, ledger: Ledger, runDir: string, state: RunState): Promise<void> {
  const { query, fields, poll } = ctx.deps;
  if (!query || !fields) throw new Error('backup needs a query client');
  ctx.emit({ type: 'stage', stage: 'backup' });
  const ids = await idsOfChunks(state.chunks.map((c) => c.chunk));
  const file = join(runDir, 'backup.csv');
  const retrying = retryingWithEvents(ctx.retry, ctx.sleep, ctx.emit);
  const taken = await retrying('backup', () => backupRecords({ query, fields, sleep: ctx.sleep, pollMs: poll?.minMs ?? 1000, retry: retrying, beforeJob: () => ctx.deps.stop?.check() }, state.spec.object, ids, file));
  ctx.emit({ type: 'backup', file, ids: taken.ids, records: taken.records });
  if (taken.records < taken.ids) throw new BackupShortError(taken.ids, taken.records, file);
  state.backup = ledger.append({ t: 'backup', file, ids: taken.ids, records: taken.records, queryJobs: taken.queryJobs }) as RunState['backup'];
}
