/*
 * Result rows back in input order when the parts were not (a grouped load sorts its rows by parent,
 * concurrency/auto.ts): each result file's rows, from every part, go through the external sort by
 * file and line (flat memory at any size) into one file per kind, which mergeParts then puts under
 * its header. Each row keeps the bytes the join wrote for it.
 *
 * retry.csv rows carry no line, so they are taken from where their line is: the failed rows worth
 * sending again unchanged (isRetryable, as the join decides) and the unprocessed rows of a job that
 * did not complete (those of a completed job may have been saved: never retried, as in the join).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { sortedByKey } from '../concurrency/externalSort.js';
import type { CsvRecord } from '../csv/reader.js';
import { parseCsvRecords } from '../csv/fastParser.js';
import { ByteWriter } from '../io/byteWriter.js';
import { fileBlocks } from '../io/fileBlocks.js';
import { isRetryable } from './errors.js';
import type { PartPaths } from './join.js';
import type { ResultPaths } from './resultFiles.js';

export type LineOrder = {
  /** where the sort's runs go (removed when done) */
  dir: string;
  /** the input files' names as result rows label them (sf__File), when there are several */
  fileNames?: string[];
  /** per part: whether its job completed (its rows without a result are then not retried) */
  completed: boolean[];
};

type Kind = keyof ResultPaths;

/** Writes each kind's rows of every part, in input order, to `<dir>/<kind>.csv` (no header); returns those files. */
export async function sortPartsByLine(parts: PartPaths[], order: LineOrder): Promise<ResultPaths> {
  const multi = (order.fileNames?.length ?? 0) > 1;
  const lead = multi ? 1 : 0;
  const fileIndex = (f: string[]): number => (multi ? Math.max(0, order.fileNames!.indexOf(f[0])) : 0);
  async function* rows(files: Array<string | undefined>, pick: (f: string[]) => string[] | undefined): AsyncGenerator<CsvRecord[]> {
    for (const file of files) {
      if (!file || !existsSync(file)) continue;
      const batch: CsvRecord[] = [];
      // text: a row the join wrote whole goes into the sort as it is, not written again from its fields.
      for await (const r of parseCsvRecords(fileBlocks(file), { delimiter: ',', text: true })) {
        const fields = pick(r.fields);
        if (fields) batch.push({ line: Number(r.fields[lead]), fileIndex: fileIndex(r.fields), fields, ...(fields === r.fields && r.text !== undefined ? { text: r.text } : {}) });
        if (batch.length === 1024) yield batch.splice(0);
      }
      if (batch.length) yield batch;
    }
  }
  const all = (f: string[]): string[] => f;
  const sources: Record<Kind, () => AsyncIterable<CsvRecord[]>> = {
    success: () => rows(parts.map((p) => p.success), all),
    failed: () => rows(parts.map((p) => p.failed), all),
    unprocessed: () => rows(parts.map((p) => p.unprocessed), all),
    async *retry() {
      // sf__Line, sf__Id, sf__ErrorCode, sf__Error, sf__Fields, then the values
      yield* rows(parts.map((p) => p.failed), (f) => (isRetryable(f[lead + 2]) ? f.slice(lead + 5) : undefined));
      yield* rows(parts.map((p, i) => (order.completed[i] ? undefined : p.unprocessed)), (f) => f.slice(lead + 1));
    },
  };
  const out = {} as ResultPaths;
  for (const kind of Object.keys(sources) as Kind[]) {
    out[kind] = join(order.dir, `${kind}.csv`);
    const w = new ByteWriter(out[kind]);
    for await (const batch of sortedByKey(sources[kind](), { dir: join(order.dir, 'runs'), key: () => undefined })) {
      for (const r of batch) {
        w.text(r.text!);
        w.text('\n');
        if (w.due) await w.flush();
      }
    }
    await w.close();
  }
  return out;
}

export async function removeSorted(order: LineOrder): Promise<void> {
  await rm(order.dir, { recursive: true, force: true });
}
