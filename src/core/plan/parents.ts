/*
 * A step's parents in the earlier steps of its plan, and those that did not load. A child column
 * `Account.External_Id__c` (or `Parent__r.Key__c`) names its parent by a field of the parent
 * object; when an earlier step loaded that object with that column, each of its rows whose latest
 * outcome is not a success (failed, rejected, unprocessed) is a parent the child must not point to:
 * those keys go to a file in the plan's folder (key, the parent's line and error), which the child's
 * run reads to skip its rows (load/parentSkip.ts). The file is written and synced before the step's
 * run is recorded, so a resumed step skips exactly what its start did.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { type CsvRecord, openCsv } from '../csv/reader.js';
import { csvLine } from '../csv/writer.js';
import { syncDir, syncFile } from '../io/durable.js';
import { Ledger } from '../ledger/ledger.js';
import { replay } from '../ledger/records.js';
import type { DescribeSource } from '../preflight/describe.js';
import { runRows } from '../run/runRows.js';
import { mappedHeader, RowTransform, transformed } from '../load/transform.js';
import type { ResolvedStep } from './planFile.js';
import type { ParentFailures } from './planLedger.js';

/** A child column that points to an earlier step's rows: the parent's step, and its column of the key. */
export type ParentRef = { column: string; parent: ResolvedStep; parentColumn: string };

/** The columns of a step that name a parent loaded by an earlier step (by the field the column names). */
export async function parentRefs(step: ResolvedStep, earlier: ResolvedStep[], describe: DescribeSource | undefined): Promise<ParentRef[]> {
  const header = mappedHeader(step.transform, await headerOf(step.files[0]));
  const fields = describe ? (await describe(step.object)).fields : [];
  const refs: ParentRef[] = [];
  for (const column of header) {
    const dot = column.lastIndexOf('.');
    if (dot <= 0) continue;
    const rel = column.slice(0, dot).replace(/^\w+:/, '').toLowerCase();
    const field = column.slice(dot + 1);
    const ref = fields.find((f) => f.relationshipName?.toLowerCase() === rel);
    const objects = ref ? ref.referenceTo.map((o) => o.toLowerCase()) : [rel.replace(/__r$/, '__c')];
    // The latest earlier step of that object whose file has the key's column.
    for (const parent of [...earlier].reverse()) {
      if (!objects.includes(parent.object.toLowerCase())) continue;
      // eslint-disable-next-line no-await-in-loop -- one header read per candidate parent step
      const parentHeader = mappedHeader(parent.transform, await headerOf(parent.files[0]));
      const parentColumn = parentHeader.find((h) => h.toLowerCase() === field.toLowerCase());
      if (parentColumn) {
        refs.push({ column, parent, parentColumn });
        break;
      }
    }
  }
  return refs;
}

/**
 * Writes the keys of the parent step's rows that did not load (key, line, error) to `file`; returns
 * how many. The parent's rows are read from its run folder (each row's latest outcome: a row that a
 * reconcile round loaded later is a success).
 */
export async function writeParentFailures(ref: ParentRef, parentRunDirs: string[], file: string): Promise<number> {
  const out = createWriteStream(file);
  const write = (line: string): Promise<void> => new Promise((resolve, reject) => out.write(line, (e) => (e ? reject(e) : resolve())));
  await write(csvLine(['key', 'line', 'error']));
  let n = 0;
  const loaded = new Set<string>();
  const failedKeys: Array<[string, string]> = [];
  for (const runDir of parentRunDirs) {
    const state = replay(Ledger.read(runDir));
    const at = state.header.findIndex((h) => h.toLowerCase() === ref.parentColumn.toLowerCase());
    if (at < 0) continue;
    for await (const row of runRows(state, runDir)) {
      const key = row.values[at] ?? '';
      if (key === '') continue;
      if (row.state === 'succeeded') {
        loaded.add(key);
        continue;
      }
      const error = row.state === 'rejected' ? `rejected: ${row.message ?? ''}` : row.code ? `${row.code}: ${row.message ?? ''}` : row.state;
      failedKeys.push([key, `${row.line}\u0000${error}`]);
    }
  }
  for (const [key, text] of failedKeys) {
    // A parent that loaded in a later run of the step (its catch-up) is no failure any more.
    if (loaded.has(key)) continue;
    const [line, error] = text.split('\u0000');
    await write(csvLine([key, line, error]));
    n++;
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  await syncFile(file);
  await syncDir(join(file, '..'));
  return n;
}

/** The failures files of a step, written in `dir` (one per parent column). */
export async function stepParentFailures(
  step: ResolvedStep,
  refs: ParentRef[],
  runDirsOf: (parentStep: number) => string[],
  dir: string,
  tag: string
): Promise<ParentFailures[]> {
  const out: ParentFailures[] = [];
  for (const [i, ref] of refs.entries()) {
    const file = join(dir, `parents-${step.index}${tag}-${i + 1}.csv`);
    // eslint-disable-next-line no-await-in-loop -- one file per parent column
    await writeParentFailures(ref, runDirsOf(ref.parent.index), file);
    out.push({ column: ref.column, parentStep: ref.parent.name, file });
  }
  return out;
}

async function headerOf(file: string): Promise<string[]> {
  const source = await openCsv(file);
  await source.close();
  return source.header;
}

/** A step's file read as the step's run reads it: header and rows mapped (cells not converted). */
export async function mappedSource(transform: ResolvedStep['transform'], file: string): Promise<{ header: string[]; batches: AsyncIterable<CsvRecord[]> }> {
  const source = await openCsv(file);
  if (!transform?.mapping) return source;
  const t = RowTransform.create({ mapping: transform.mapping }, source.header, undefined, file, source.headerLine);
  return { header: t.header, batches: transformed(t, source.batches) };
}
