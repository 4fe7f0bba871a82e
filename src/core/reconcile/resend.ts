/*
 * What reconcile --retry and --fixed-file send, as a round of the run (the load engine's sendAgain), and what
 * they refused. A fixed file's refusals are written to <run folder>/refused.csv (the last one's).
 */
import { basename, join } from 'node:path';
import { csvLine, lineNumberText } from '../csv/writer.js';
import { ByteWriter } from '../io/byteWriter.js';
import type { LoadResult } from '../run/types.js';
import { fixedRows, Refusal } from '../attempts/fixedFile.js';
import { retryableRows } from '../attempts/rounds.js';
import type { RoundSender } from '../attempts/plan.js';

export type ResendOutcome = {
  kind: 'retry' | 'fixed';
  /** the round the rows went in (absent: nothing was sent, or an earlier round was still under way) */
  round?: number;
  sent: number;
  /** --retry: of the rows sent, lock failures (the round then runs one job at a time) */
  locks?: number;
  refused: number;
  /** refusals per reason */
  refusedBy: Partial<Record<Refusal['reason'], number>>;
  /** the first refusals (--fixed-file: every one is in refusedFile; --retry: rows.csv shows every row's rounds) */
  refusals: Refusal[];
  refusedFile?: string;
  /** the run's status once the round ran (InProgress: the wait ran out; resume finishes it) */
  status: LoadResult['status'];
  /** an earlier round was still under way: it was finished (or went on) instead, nothing new was sent */
  earlierRoundPending?: boolean;
};

const LISTED = 20;

export async function resend(engine: RoundSender, runDir: string, how: { kind: 'retry' } | { kind: 'fixed'; file: string }, waitMs: number): Promise<ResendOutcome> {
  const { result, picked, round } = await engine.sendAgain(
    runDir,
    async (state, check) => {
      if (how.kind === 'fixed') {
        const fixed = await fixedRows(state, runDir, how.file, check);
        return { kind: 'fixed' as const, serial: false, rows: fixed.rows, refusals: fixed.refusals, refused: fixed.refusals.length, locks: 0 };
      }
      const r = await retryableRows(state, runDir, LISTED);
      const names = state.spec.files.map((f) => basename(f));
      const refusals: Refusal[] = r.succeededSince.first.map((s) => ({ line: s.line, ...(names.length > 1 ? { file: names[s.fileIndex] } : {}), fixedLine: 0, reason: 'succeeded', detail: String(s.round) }));
      // Lock failures go one job at a time (parts of one Bulk API chunk): parallel jobs are what made them fail.
      return { kind: 'retry' as const, serial: r.locks > 0, rows: r.rows(), refusals, refused: r.succeededSince.count, locks: r.locks };
    },
    waitMs
  );
  const refusals = picked?.refusals ?? [];
  const refused = picked?.refused ?? 0;
  const refusedBy: ResendOutcome['refusedBy'] = {};
  if (how.kind === 'retry') {
    if (refused) refusedBy.succeeded = refused;
  } else for (const r of refusals) refusedBy[r.reason] = (refusedBy[r.reason] ?? 0) + 1;
  // --retry names the rows earlier rounds loaded in the summary only: they are all in reconcile's rows.csv.
  const refusedFile = how.kind === 'fixed' && refusals.length ? await writeRefusals(join(runDir, 'refused.csv'), refusals) : undefined;
  return {
    kind: how.kind,
    ...(round ? { round: round.round } : {}),
    sent: round?.rows ?? 0,
    ...(how.kind === 'retry' && picked ? { locks: picked.locks } : {}),
    refused,
    refusedBy,
    refusals: refusals.slice(0, LISTED),
    ...(refusedFile ? { refusedFile } : {}),
    status: result.status,
    ...(picked ? {} : { earlierRoundPending: true }),
  };
}

async function writeRefusals(path: string, refusals: Refusal[]): Promise<string> {
  const out = new ByteWriter(path);
  const multi = refusals.some((r) => r.file !== undefined);
  out.text(csvLine([...(multi ? ['sf__File'] : []), 'sf__Line', 'sf__FixedFileLine', 'sf__Reason', 'sf__Detail']));
  for (const r of refusals) {
    out.text(csvLine([...(multi ? [r.file ?? ''] : []), r.line ? lineNumberText(r.line) : '', lineNumberText(r.fixedLine), r.reason, r.detail ?? '']));
    if (out.due) await out.flush();
  }
  await out.close();
  return path;
}
