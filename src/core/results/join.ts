/*
 * Joins a job's result files back to the input rows that were sent in it (hard-parts.md §1):
 * each chunk's rows are hashed into a RowIndex with their line numbers, then every result row
 * (in whatever order the org returns them) takes the line number of an identical sent row.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { PlannedChunk } from '../load/planner.js';
import { ResultKind } from '../bulk/types.js';
import { hashRow, RowHash } from './rowHash.js';
import { RowIndex } from './rowIndex.js';
import { isRetryable, parseRowError } from './errors.js';
import { ResultFiles } from './resultFiles.js';

export type JoinCounts = {
  successful: number;
  failed: number;
  unprocessed: number;
  retryable: number;
  /** result rows that matched no sent row: a bug to report, never silently dropped */
  unmatched: number;
  errorCodes: Record<string, number>;
};

export function emptyCounts(): JoinCounts {
  return { successful: 0, failed: 0, unprocessed: 0, retryable: 0, unmatched: 0, errorCodes: {} };
}

/** Builds the hash -> line index of one chunk from its file and .lines sidecar. */
export async function indexChunk(chunk: PlannedChunk): Promise<{ index: RowIndex; header: string[] }> {
  const linesBuf = await readFile(chunk.linesFile);
  const lines = new Uint32Array(linesBuf.buffer, linesBuf.byteOffset, Math.floor(linesBuf.length / 4));
  const index = new RowIndex(chunk.rows);
  const h: RowHash = { hi: 0, lo: 0 };
  let header: string[] = [];
  let i = -1;
  for await (const record of createReadStream(chunk.file).pipe(parse({ relax_column_count: true })) as AsyncIterable<string[]>) {
    if (i < 0) header = record;
    else index.add(hashRow(record, h), lines[i]);
    i++;
  }
  if (i !== chunk.rows) throw new Error(`chunk ${chunk.index}: ${i} rows read back, ${chunk.rows} planned`);
  return { index, header };
}

const SF_COLUMNS: Record<ResultKind, number> = { successful: 2, failed: 2, unprocessed: 0 };

/** Streams the three result sets of one job into the run's result files. */
export async function joinJob(
  chunk: PlannedChunk,
  fetch: (kind: ResultKind) => Promise<Readable>,
  files: ResultFiles
): Promise<JoinCounts> {
  const { index, header } = await indexChunk(chunk);
  const counts = emptyCounts();
  const h: RowHash = { hi: 0, lo: 0 };
  for (const kind of ['successful', 'failed', 'unprocessed'] as ResultKind[]) {
    const skip = SF_COLUMNS[kind];
    let order: number[] | undefined;
    const row: string[] = new Array<string>(header.length);
    for await (const record of (await fetch(kind)).pipe(parse({ relax_column_count: true, bom: true })) as AsyncIterable<string[]>) {
      if (!order) {
        // Results echo the sent columns; map them by name so a reordered echo still joins.
        const positions = new Map(record.slice(skip).map((name, i) => [name, i + skip]));
        order = header.map((name) => positions.get(name) ?? -1);
        continue;
      }
      for (let c = 0; c < header.length; c++) row[c] = order[c] >= 0 ? record[order[c]] ?? '' : '';
      const line = index.take(hashRow(row, h));
      if (line === undefined) counts.unmatched++;
      const lineText = line === undefined ? '' : String(line);
      if (kind === 'successful') {
        counts.successful++;
        await files.success([lineText, record[0], record[1], ...row]);
      } else if (kind === 'failed') {
        counts.failed++;
        const err = parseRowError(record[1] ?? '');
        counts.errorCodes[err.code] = (counts.errorCodes[err.code] ?? 0) + 1;
        await files.failed([lineText, record[0], err.code, err.message, ...row]);
        if (isRetryable(err.code)) {
          counts.retryable++;
          await files.retry(row);
        }
      } else {
        counts.unprocessed++;
        counts.retryable++;
        await files.unprocessed([lineText, ...row]);
        await files.retry(row);
      }
    }
  }
  return counts;
}
