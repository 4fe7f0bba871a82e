/*
 * A round's outcomes into the run's result files. The round's own result files are written first
 * (its rows only, in input order: what reconcile shows as that round), then success.csv, failed.csv,
 * unprocessed.csv, retry.csv and rejected.csv are written anew with each row's latest outcome: the
 * rows the round sent take its outcome, every other row keeps the one it had. Doing it again after
 * a crash gives the same files (the round's rows are taken from the round, whatever the files say),
 * so the 'attempt-merged' record comes last.
 */
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { csvLine, lineNumberText } from '../csv/writer.js';
import { ByteWriter } from '../io/byteWriter.js';
import { syncDir, syncFile } from '../io/durable.js';
import { Ledger } from '../ledger/ledger.js';
import { AttemptOutcome, AttemptState, RunState } from '../ledger/records.js';
import { createsRecords, partsDir } from '../run/runState.js';
import { crashIfAsked } from '../runtime/crashPoints.js';
import { isRetryable } from '../results/errors.js';
import { partPaths } from '../results/join.js';
import { mergeParts, resultHeaders, resultPaths } from '../results/resultFiles.js';
import { inLineOrder, resultRows, runRows } from '../run/runRows.js';
import type { RunRow, Source } from '../run/runRow.js';
import { RoundLines } from '../run/roundLines.js';

/** Merges a round whose parts all have results, and records it. */
export async function mergeRound(ledger: Ledger, runDir: string, state: RunState, round: AttemptState): Promise<AttemptOutcome> {
  const multi = state.spec.files.length > 1;
  const parts = round.chunks.map((c) => partPaths(partsDir(state), c.chunk.index));
  await mergeParts(resultPaths(round.dir), state.header, parts, multi, createsRecords(state));
  const final = await rewriteResults(runDir, state, round);
  crashIfAsked('before-round-merged', round.round);
  const sum = (k: 'successful' | 'failed' | 'unprocessed'): number => round.chunks.reduce((n, c) => n + (c.results?.[k] ?? 0), 0);
  const outcome: AttemptOutcome = { succeeded: sum('successful'), failed: sum('failed'), unprocessed: sum('unprocessed'), final };
  ledger.append({ t: 'attempt-merged', round: round.round, ...outcome });
  round.merged = outcome;
  // The round's result parts and part files are in its own result files now; its .lines stay (reconcile finds each line's round there).
  for (const c of round.chunks) await rm(c.chunk.file, { force: true });
  for (const p of parts) for (const f of [p.success, p.failed, p.unprocessed, p.retry, p.unmatched]) await rm(f, { force: true });
  return outcome;
}

/** The rows of a round's own result files, in input order, each with its part in the round. */
async function* roundRows(state: RunState, round: AttemptState): AsyncGenerator<RunRow> {
  const names = state.spec.files.map((f) => basename(f));
  const fileIndexOf = (name: string | undefined): number => (names.length > 1 ? Math.max(0, names.indexOf(name ?? '')) : 0);
  const paths = resultPaths(round.dir);
  const lines = await RoundLines.read([round]);
  const sources: Source[] = (['success', 'failed', 'unprocessed'] as const).map((k) => resultRows(paths[k], undefined, k, fileIndexOf));
  for await (const row of inLineOrder(sources)) {
    const at = lines.latest(row.fileIndex, row.line);
    row.part = at?.part;
    row.round = round.round;
    yield row;
  }
}

/** The run's rows as the result files had them, without the rows the round sent. */
async function* keptRows(state: RunState, runDir: string, round: AttemptState): AsyncGenerator<RunRow> {
  const lines = await RoundLines.read([round]);
  for await (const row of runRows(state, runDir)) if (!lines.has(row.fileIndex, row.line)) yield row;
}

type Final = AttemptOutcome['final'];

/** The run's result files written anew, row by row (in input order), with the counts of what they hold. */
class FinalFiles {
  public readonly final: Final = { successful: 0, created: 0, updated: 0, failed: 0, unprocessed: 0, retryable: 0, rejected: 0, errorCodes: {} };
  private readonly out: Record<string, ByteWriter> = {};
  private readonly names: string[];
  private readonly creates: boolean;

  public constructor(private readonly state: RunState, public readonly targets: Record<string, string>) {
    const multi = state.spec.files.length > 1;
    this.names = multi ? state.spec.files.map((f) => basename(f)) : [];
    this.creates = createsRecords(state);
    const headers = resultHeaders(state.header, multi, this.creates);
    for (const [key, path] of Object.entries(targets)) {
      this.out[key] = new ByteWriter(`${path}.tmp`);
      this.out[key].text(csvLine(key === 'rejected' ? [...(multi ? ['sf__File'] : []), 'sf__Line', 'sf__Reason', ...state.header] : headers[key as keyof typeof headers]));
    }
  }

  public async add(row: RunRow): Promise<void> {
    const lead = this.names.length ? [this.names[row.fileIndex] ?? ''] : [];
    const line = lineNumberText(row.line);
    const f = this.final;
    if (row.state === 'succeeded') this.succeeded(row, lead, line);
    else if (row.state === 'failed') {
      f.failed++;
      f.errorCodes[row.code!] = (f.errorCodes[row.code!] ?? 0) + 1;
      this.put('failed', [...lead, line, row.id ?? '', row.code ?? '', row.message ?? '', (row.fields ?? []).join(','), ...row.values]);
      if (isRetryable(row.code ?? '')) this.retry(row);
    } else if (row.state === 'unprocessed') {
      f.unprocessed++;
      this.put('unprocessed', [...lead, line, ...row.values]);
      // A completed job reports every row: one without a result may have been saved, never resent blindly.
      if (row.part?.terminal?.state !== 'JobComplete') this.retry(row);
    } else if (row.state === 'rejected') {
      f.rejected++;
      this.put('rejected', [...lead, line, row.message ?? '', ...row.values]);
    }
    for (const w of Object.values(this.out)) if (w.due) await w.flush();
  }

  /** Closes the files and renames them in, each on disk first. */
  public async close(): Promise<void> {
    for (const w of Object.values(this.out)) await w.close();
    for (const path of Object.values(this.targets)) {
      await syncFile(`${path}.tmp`);
      await rename(`${path}.tmp`, path);
    }
    await syncDir(this.state.spec.resultsDir);
  }

  public async abort(): Promise<void> {
    for (const w of Object.values(this.out)) await w.abort();
  }

  private succeeded(row: RunRow, lead: string[], line: string): void {
    this.final.successful++;
    if (row.created === true) this.final.created++;
    else if (row.created === false) this.final.updated++;
    this.put('success', [...lead, line, row.id ?? '', ...(this.creates ? [String(row.created === true)] : []), ...row.values]);
  }

  private retry(row: RunRow): void {
    this.final.retryable++;
    this.put('retry', row.values);
  }

  private put(key: string, fields: string[]): void {
    this.out[key]?.text(csvLine(fields));
  }
}

async function rewriteResults(runDir: string, state: RunState, round: AttemptState): Promise<Final> {
  const rejectedFile = join(state.spec.resultsDir, 'rejected.csv');
  const targets = { ...resultPaths(state.spec.resultsDir), ...(state.rejected > 0 && existsSync(rejectedFile) ? { rejected: rejectedFile } : {}) };
  const files = new FinalFiles(state, targets);
  try {
    for await (const row of inLineOrder([keptRows(state, runDir, round), roundRows(state, round)])) await files.add(row);
  } catch (e) {
    await files.abort();
    throw e;
  }
  await files.close();
  return files.final;
}
