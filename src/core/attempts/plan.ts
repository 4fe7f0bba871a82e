/*
 * A new round of a run: the rows it sends again (by input line, with the values to send) are
 * written as part files in the round's folder, in input order, then the 'attempt' record names
 * them. A crash before that record leaves files no record names: the next try writes them again.
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CsvRecord } from '../csv/reader.js';
import type { LoadResult } from '../run/types.js';
import { syncDir, syncFile } from '../io/durable.js';
import { Ledger } from '../ledger/ledger.js';
import { allChunks, AttemptKind, AttemptState, RunState } from '../ledger/records.js';
import { CHUNK_ROWS } from '../bulk/types.js';
import { crashIfAsked } from '../runtime/crashPoints.js';
import { planChunks } from '../split/planner.js';
import { mayResend } from '../run/runRows.js';
import type { RunRow } from '../run/runRow.js';
import { roundDir } from '../run/roundLines.js';

export type RoundRow = { fileIndex: number; line: number; values: string[] };

/** A row that succeeded in any round is never sent again: the one check every round goes through. */
export class AlreadySucceededError extends Error {
  public constructor(public readonly line: number) {
    super(`line ${line} already succeeded (or may have): it is never sent again`);
    this.name = 'AlreadySucceededError';
  }
}

/**
 * Writes the round's parts and records the round. Rows must come in input order (file, then line),
 * each with its latest outcome, which mayResend must allow. Serial rounds send parts of at most one
 * Bulk API chunk, one job at a time: no two of its rows are ever processed at the same time.
 */
export async function planRound(ledger: Ledger, runDir: string, state: RunState, round: { kind: AttemptKind; serial: boolean; rows: ResendRows }): Promise<AttemptState | undefined> {
  const number = state.attempts.length + 1;
  const dir = roundDir(runDir, number);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const chunkRows = state.spec.chunkRows ?? CHUNK_ROWS;
  let plan;
  try {
    plan = await planChunks(guarded(round.rows), { dir, header: state.header, maxBytes: state.spec.maxJobBytes, group: round.serial ? { rows: chunkRows } : undefined });
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  if (!plan.rows) {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  if (state.attempts.length === 0) await keepLoadFailures(runDir, state);
  const offset = allChunks(state).reduce((n, c) => Math.max(n, c.chunk.index), 0);
  const chunks = plan.chunks.map((c) => ({ ...c, index: c.index + offset }));
  crashIfAsked('before-round-planned');
  ledger.append({ t: 'attempt', round: number, kind: round.kind, chunks, rows: plan.rows, serial: round.serial, dir });
  const attempt: AttemptState = { round: number, kind: round.kind, rows: plan.rows, serial: round.serial, dir, chunks: chunks.map((chunk) => ({ chunk })) };
  state.attempts.push(attempt);
  return attempt;
}

/** Rows to send again, in input order, each with its latest outcome: a list, or a stream (memory stays flat). */
export type ResendRows = Iterable<RoundRow & Pick<RunRow, 'state' | 'part'>> | AsyncIterable<RoundRow & Pick<RunRow, 'state' | 'part'>>;

/** The rows as records to split, each through the one guard; a batch at a time. */
async function* guarded(rows: ResendRows): AsyncGenerator<CsvRecord[]> {
  let batch: CsvRecord[] = [];
  for await (const r of rows) {
    if (!mayResend(r)) throw new AlreadySucceededError(r.line);
    batch.push({ line: r.line, fileIndex: r.fileIndex, fields: r.values });
    if (batch.length === 1000) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

/**
 * Before round 1 rewrites the result files: the load's failed, unprocessed and rejected rows as they
 * were, so that reconcile can show round 0's outcome of every row sent again.
 */
async function keepLoadFailures(runDir: string, state: RunState): Promise<void> {
  const dir = roundDir(runDir, 0);
  await mkdir(dir, { recursive: true });
  for (const name of ['failed.csv', 'unprocessed.csv', 'rejected.csv']) {
    const from = join(state.spec.resultsDir, name);
    const to = join(dir, name);
    if (existsSync(to) || !existsSync(from)) continue;
    await copyFile(from, `${to}.tmp`);
    await syncFile(`${to}.tmp`);
    await rename(`${to}.tmp`, to);
  }
  await syncDir(dir);
}

/** The load's check of one row (its preflight), for rows sent again with new values. */
export type RowCheck = (record: CsvRecord) => string | undefined;

/** The rows a new round sends (none: no round), and what the chooser has to say besides (refusals). */
export type RoundPick<T> = { kind: AttemptKind; serial: boolean; rows: ResendRows } & T;

/** What a new round of a finished run gives back: the run's result, what was picked, the round recorded. */
export type SentAgain<T> = { result: LoadResult; picked?: RoundPick<T>; round?: { round: number; rows: number } };

/** Who sends a new round of a run (the load engine's sendAgain): reconcile asks for one through this. */
export type RoundSender = {
  sendAgain<T>(runDir: string, choose: (state: RunState, check: RowCheck | undefined) => Promise<RoundPick<T>>, waitMs: number): Promise<SentAgain<T>>;
};
