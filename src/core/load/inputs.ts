/*
 * Stage 1 of a load, open and check: every input file opened (same columns, in any order: rows
 * are put in the first file's column order) and each header checked against the object's describe.
 * Rows then stream file after file, checked by that file's preflight. A header that would fail the
 * whole job stops the load here (PreflightFailedError), before anything is written or sent.
 */
import { basename } from 'node:path';
import { CsvInputError } from '../csv/errors.js';
import { csvMessages } from '../csv/messages.js';
import { openCsv, type CsvRecord, type CsvSource } from '../csv/reader.js';
import type { DescribeSource } from '../preflight/describe.js';
import { countKeys, Preflight } from '../preflight/preflight.js';
import { mergeReports, type PreflightReport, type Problem } from '../preflight/problems.js';
import type { Fingerprint } from '../split/fingerprint.js';
import type { LoadRequest } from '../run/types.js';
import { type Converted, RowTransform, transformed } from './transform.js';

/** The header has problems that would fail the whole job: nothing was sent. */
export class PreflightFailedError extends Error {
  public constructor(public readonly report: PreflightReport) {
    super(`${report.jobProblems} problem(s) in the header of ${report.file}`);
    this.name = 'PreflightFailedError';
  }
}

export type Inputs = {
  header: string[];
  records: AsyncIterable<CsvRecord[]>;
  /** a row's reason to be left out (undefined: it is sent); absent when rows are not checked */
  check: ((r: CsvRecord) => string | undefined) | undefined;
  problems: ((r: CsvRecord) => Problem[]) | undefined;
  headerProblems: Array<{ fileIndex: number; problem: Problem }>;
  report: () => PreflightReport | undefined;
  /** every row again, from a new read of the files */
  reread: () => AsyncIterable<CsvRecord[]>;
  sources: CsvSource[];
  /** each file's checks, when rows are checked */
  preflights: Preflight[];
};

/**
 * Opens and checks the inputs. When rows have a key (upsert), the files are first read once to
 * count keys across all of them (countKeys: every row of a duplicated key is known before the first
 * is checked). reportHeaderProblems: header problems are returned (the dry run), not thrown.
 */
export async function openInputs(
  describe: DescribeSource | undefined,
  req: LoadRequest,
  opts: { reportHeaderProblems?: boolean } = {},
  print?: Fingerprint
): Promise<Inputs> {
  const sources: CsvSource[] = [];
  const preflights: Preflight[] = [];
  let transform: RowTransform | undefined;
  for (const file of req.files) {
    const source = await openCsv(file, req.csv, print);
    if (sources.length > 0) checkSameColumns(sources[0], source);
    // A mapping or formats: the rows are checked (and sent) as the transform makes them.
    if (!sources.length && req.transform) transform = RowTransform.create(req.transform, source.header, describe ? (await describe(req.object)).fields : undefined, source.file, source.headerLine);
    // Rows reach the checks in the first file's column order, so every file's preflight reads that order.
    const preflight = await preflightOf(describe, req, { ...source, header: transform?.header ?? sources[0]?.header ?? source.header });
    if (preflight && !preflight.canLoad && !opts.reportHeaderProblems) throw new PreflightFailedError(preflight.report(req.problemExamples));
    sources.push(source);
    if (preflight) preflights.push(preflight);
  }
  const fileHeader = sources[0].header;
  const header = transform?.header ?? fileHeader;
  async function* all(reopen: boolean): AsyncGenerator<CsvRecord[]> {
    for (const [i, source] of sources.entries()) {
      const batches = reopen ? (await openCsv(source.file, req.csv)).batches : source.batches;
      const ordered = inFirstFileOrder(fileHeader, source.header, i, batches);
      yield* transform ? transformed(transform, ordered) : ordered;
    }
  }
  // A first read of every file counts the keys; the rows are then read again, as they are split.
  if (preflights.some((p) => p.keyed)) await countKeys(preflights, all(true), { policy: req.duplicates, fileNames: req.files.map((f) => basename(f)) });
  const byFile = (r: CsvRecord): Preflight => preflights[r.fileIndex ?? 0];
  const rowCheck =
    preflights.length === 0
      ? undefined
      : req.keepInvalidRows
      ? (r: CsvRecord): undefined => void byFile(r).checkRow(r)
      : (r: CsvRecord): string | undefined => byFile(r).rowReason(r);
  // A cell that did not convert is never sent, whatever --keep-invalid-rows says: its value is not the user's.
  const check = transform ? (r: CsvRecord): string | undefined => (r as Converted).convertError ?? rowCheck?.(r) : rowCheck;
  return {
    header,
    records: all(false),
    check,
    problems: preflights.length === 0 ? undefined : (r: CsvRecord): Problem[] => [...convertProblem(r, req.files), ...byFile(r).checkRow(r)],
    headerProblems: preflights.flatMap((p, fileIndex) => p.jobProblems.map((problem) => ({ fileIndex, problem }))),
    report: () => (preflights.length ? mergeReports(preflights.map((p) => p.report(req.problemExamples)), req.problemExamples) : undefined),
    reread: () => all(true),
    sources,
    preflights,
  };
}

/** The row's cell that did not convert, as the dry run lists problems (its line, column and value). */
function convertProblem(r: Converted, files: string[]): Problem[] {
  if (!r.convertError) return [];
  const file = basename(files[r.fileIndex ?? 0]);
  return [{ kind: 'bad-date', scope: 'row', line: r.line, detail: r.convertError, message: `${file}:${r.line}: ${r.convertError}` }];
}

function preflightOf(describe: DescribeSource | undefined, req: LoadRequest, source: CsvSource): Promise<Preflight | undefined> {
  if (req.preflight === false || !describe) return Promise.resolve(undefined);
  return Preflight.create({
    file: source.file,
    object: req.object,
    operation: req.operation,
    externalId: req.externalId,
    header: source.header,
    headerLine: source.headerLine,
    describe,
  });
}

/** A file's rows, marked with the file and put in the first file's column order. */
async function* inFirstFileOrder(header: string[], own: string[], fileIndex: number, batches: AsyncIterable<CsvRecord[]>): AsyncGenerator<CsvRecord[]> {
  const order = own.map((h) => h.toLowerCase());
  const map = header.map((h) => order.indexOf(h.toLowerCase()));
  const same = map.every((m, i) => m === i);
  for await (const batch of batches) {
    for (const record of batch) {
      record.fileIndex = fileIndex;
      if (!same) {
        record.fields = map.map((m) => record.fields[m] ?? '');
        record.text = undefined; // the source's text has the other column order
      }
    }
    yield batch;
  }
}

/** Several files load as one: they must have the same columns (the order may differ). */
function checkSameColumns(first: CsvSource, other: CsvSource): void {
  const norm = (h: string[]): string => [...h].map((x) => x.toLowerCase()).sort().join(',');
  if (norm(first.header) !== norm(other.header)) {
    const missing = first.header.filter((h) => !other.header.some((o) => o.toLowerCase() === h.toLowerCase()));
    const extra = other.header.filter((h) => !first.header.some((o) => o.toLowerCase() === h.toLowerCase()));
    throw new CsvInputError(
      'header-mismatch',
      other.file,
      other.headerLine,
      csvMessages.getMessage('headerMismatch', [
        first.file,
        missing.length ? csvMessages.getMessage('headerMissing', [missing.join(', ')]) : '',
        extra.length ? csvMessages.getMessage('headerExtra', [extra.join(', ')]) : '',
      ])
    );
  }
}
