/*
 * A plan step's rows whose parent did not load in an earlier step: never sent. Each goes to the
 * step's skipped.csv with the parent's step, line and error; the rest go on to the checks and the
 * split. The parents' failures are files the plan wrote before the step's run began (plan/parents.ts),
 * so a resumed split skips exactly the same rows. The keys are held in memory: they are the
 * parents that failed, not the parents.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { openCsv, type CsvRecord } from '../csv/reader.js';
import { csvLine } from '../csv/writer.js';
import { syncDir, syncFile } from '../io/durable.js';
import type { ParentFailures } from '../ledger/shapes.js';

export const SKIPPED_FILE = 'skipped.csv';

export type ParentFailure = { step: string; column: string; key: string; line: string; error: string };

/** The parents that did not load, by child column: what a row points to decides whether it is sent. */
export class ParentCheck {
  private constructor(private readonly columns: Array<{ at: number; column: string; step: string; failed: Map<string, { line: string; error: string }> }>) {}

  public static async load(refs: ParentFailures[], header: string[]): Promise<ParentCheck> {
    const columns = [];
    for (const ref of refs) {
      const at = header.findIndex((h) => h.toLowerCase() === ref.column.toLowerCase());
      if (at < 0) continue;
      const failed = new Map<string, { line: string; error: string }>();
      // eslint-disable-next-line no-await-in-loop -- one small file per parent column
      const source = await openCsv(ref.file);
      for await (const batch of source.batches) for (const r of batch) failed.set(r.fields[0], { line: r.fields[1], error: r.fields[2] });
      columns.push({ at, column: ref.column, step: ref.parentStep, failed });
    }
    return new ParentCheck(columns);
  }

  public get empty(): boolean {
    return this.columns.every((c) => c.failed.size === 0);
  }

  /** The first parent of the row that did not load, if any. */
  public failure(record: Pick<CsvRecord, 'fields'>): ParentFailure | undefined {
    for (const c of this.columns) {
      const key = record.fields[c.at];
      const f = key ? c.failed.get(key) : undefined;
      if (f) return { step: c.step, column: c.column, key, ...f };
    }
    return undefined;
  }
}

/** skipped.csv: the rows left out for a parent, with the parent's step, key, line and error, then the row. */
export class SkippedRows {
  public count = 0;
  private out?: WriteStream;

  public constructor(private readonly path: string, private readonly header: string[]) {}

  public static pathIn(resultsDir: string): string {
    return join(resultsDir, SKIPPED_FILE);
  }

  public async add(record: Pick<CsvRecord, 'line' | 'fields'>, f: ParentFailure): Promise<void> {
    if (!this.out) {
      this.out = createWriteStream(this.path);
      await this.write(csvLine(['sf__Line', 'sf__ParentStep', 'sf__ParentColumn', 'sf__ParentKey', 'sf__ParentLine', 'sf__ParentError', ...this.header]));
    }
    this.count++;
    await this.write(csvLine([String(record.line), f.step, f.column, f.key, f.line, f.error, ...record.fields]));
  }

  /** On disk before the ledger counts its rows. */
  public async close(): Promise<void> {
    if (!this.out) return;
    const out = this.out;
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    await syncFile(this.path);
    await syncDir(join(this.path, '..'));
  }

  private write(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.out!.write(text, (e) => (e ? reject(e) : resolve())));
  }
}

/** What the split takes of the parent skip: its option, the file's close, and the planned record's count. */
export type SplitSkip = { options: { skip?: (r: CsvRecord) => Promise<boolean> }; close: () => Promise<void>; record: () => { skipped?: number } };

/** The split's skip for a step's rows (planner.ts `skip`) and its file; a no-op when no parent failed. */
export async function parentSkip(refs: ParentFailures[] | undefined, header: string[], resultsDir: string): Promise<SplitSkip> {
  const none: SplitSkip = { options: {}, close: () => Promise.resolve(), record: () => (refs?.length ? { skipped: 0 } : {}) };
  if (!refs?.length) return none;
  const check = await ParentCheck.load(refs, header);
  if (check.empty) return none;
  const rows = new SkippedRows(SkippedRows.pathIn(resultsDir), header);
  return {
    options: {
      skip: async (r): Promise<boolean> => {
        const f = check.failure(r);
        if (!f) return false;
        await rows.add(r, f);
        return true;
      },
    },
    close: () => rows.close(),
    record: () => ({ skipped: rows.count }),
  };
}
