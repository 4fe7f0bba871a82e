/*
 * reconcile --fixed-file: a corrected copy of the run's failed.csv, unprocessed.csv, rejected.csv or
 * of a reconcile failure group file, its sf__Line column kept (and sf__File, for a run of several
 * files). Each row must be one of this run's rows that did not load (failed, unprocessed, or left out
 * by the checks) and must not have succeeded since; it is checked as the load checked its rows, and
 * only then sent. Every other row is refused, with the reason.
 */
import { basename } from 'node:path';
import { openCsv } from '../csv/reader.js';
import type { CsvRecord } from '../csv/reader.js';
import { RunState } from '../ledger/records.js';
import { runRows } from '../run/runRows.js';
import type { RunRow } from '../run/runRow.js';
import { mayResend } from '../run/runRows.js';
import { RoundRow } from './plan.js';

export type RefusalReason = 'not-a-failure' | 'succeeded' | 'may-have-loaded' | 'not-backed-up' | 'repeated' | 'preflight';

export type Refusal = {
  /** the input line the row names (sf__Line), and its input file when the run had several */
  line: number;
  file?: string;
  /** the row's line in the fixed file */
  fixedLine: number;
  reason: RefusalReason;
  /** preflight: the problems found; succeeded: the round that loaded it */
  detail?: string;
};

/** The fixed file cannot be read as one: no sf__Line column, or columns of the run missing. */
export class FixedFileError extends Error {
  public constructor(public readonly file: string, public readonly missing: string[]) {
    super(`${file}: ${missing.join(', ')} missing`);
    this.name = 'FixedFileError';
  }
}

type Fixed = RoundRow & { fixedLine: number };

export type FixedChoice = { rows: Array<RoundRow & Pick<RunRow, 'state' | 'part'>>; refusals: Refusal[] };

/** Reads the fixed file and sorts what it may send from what it may not. `check` is the load's preflight of a row. */
export async function fixedRows(state: RunState, runDir: string, file: string, check?: (record: CsvRecord) => string | undefined): Promise<FixedChoice> {
  const names = state.spec.files.map((f) => basename(f));
  const multi = names.length > 1;
  const deletes = state.spec.operation === 'delete' || state.spec.operation === 'hardDelete';
  const { rows, refusals } = await readFixed(file, state.header, names);
  const label = (r: Fixed): { file?: string } => (multi ? { file: names[r.fileIndex] } : {});
  const refuse = (r: Fixed, reason: RefusalReason, detail?: string): number => refusals.push({ line: r.line, ...label(r), fixedLine: r.fixedLine, reason, ...(detail ? { detail } : {}) });
  rows.sort((a, b) => a.fileIndex - b.fileIndex || a.line - b.line || a.fixedLine - b.fixedLine);
  const chosen: FixedChoice['rows'] = [];
  const it = runRows(state, runDir)[Symbol.asyncIterator]();
  let run = (await it.next()).value as RunRow | undefined;
  let last: Fixed | undefined;
  for (const r of rows) {
    if (last && last.fileIndex === r.fileIndex && last.line === r.line) {
      refuse(r, 'repeated');
      continue;
    }
    last = r;
    while (run && (run.fileIndex < r.fileIndex || (run.fileIndex === r.fileIndex && run.line < r.line))) run = (await it.next()).value as RunRow | undefined;
    const own = run && run.fileIndex === r.fileIndex && run.line === r.line ? run : undefined;
    const refusal = refusalOf(own, r, deletes);
    if (refusal) refuse(r, refusal.reason, refusal.detail);
    else {
      const problem = check?.({ line: r.line, fileIndex: r.fileIndex, fields: r.values });
      if (problem) refuse(r, 'preflight', problem);
      else chosen.push({ fileIndex: r.fileIndex, line: r.line, values: r.values, state: own!.state, part: own!.part });
    }
  }
  refusals.sort((a, b) => a.fixedLine - b.fixedLine);
  return { rows: chosen, refusals };
}

/** Why a fixed row may not go, from its line's latest outcome (undefined: it may). */
function refusalOf(own: RunRow | undefined, r: Fixed, deletes: boolean): { reason: RefusalReason; detail?: string } | undefined {
  // Loaded by a round after it failed: already succeeded. Loaded by the load itself: it never failed.
  if (own?.state === 'succeeded' && own.round) return { reason: 'succeeded', detail: String(own.round) };
  // A completed job reports every row: one it gave no result for may have been saved (join.ts), never sent again.
  if (own?.state === 'unprocessed' && own.part?.terminal?.state === 'JobComplete') return { reason: 'may-have-loaded', detail: own.part.jobId };
  if (!own || !mayResend(own)) return { reason: 'not-a-failure' };
  // A delete sends only the Ids it backed up (and a hardDelete, those the user confirmed): a new Id is a new run.
  if (deletes && !sameValues(own.values, r.values)) return { reason: 'not-backed-up' };
  return undefined;
}

function sameValues(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The fixed file's rows: the input line each names, and its values in the run's column order. */
async function readFixed(file: string, header: string[], names: string[]): Promise<{ rows: Fixed[]; refusals: Refusal[] }> {
  const source = await openCsv(file);
  const at = (name: string): number => source.header.findIndex((h) => h.toLowerCase() === name.toLowerCase());
  const lineCol = at('sf__Line');
  const fileCol = at('sf__File');
  const columns = header.map((h) => at(h));
  const missing = [...(lineCol < 0 ? ['sf__Line'] : []), ...(names.length > 1 && fileCol < 0 ? ['sf__File'] : []), ...header.filter((_, i) => columns[i] < 0)];
  if (missing.length) throw new FixedFileError(file, missing);
  const rows: Fixed[] = [];
  const refusals: Refusal[] = [];
  for await (const batch of source.batches) {
    for (const record of batch) {
      const line = Number(record.fields[lineCol]);
      const fileIndex = names.length > 1 ? names.indexOf(record.fields[fileCol] ?? '') : 0;
      if (!Number.isInteger(line) || line < 1 || fileIndex < 0) {
        refusals.push({ line: Number.isInteger(line) ? line : 0, ...(fileCol >= 0 ? { file: record.fields[fileCol] } : {}), fixedLine: record.line, reason: 'not-a-failure' });
        continue;
      }
      rows.push({ fileIndex, line, values: columns.map((c) => record.fields[c] ?? ''), fixedLine: record.line });
    }
  }
  return { rows, refusals };
}
