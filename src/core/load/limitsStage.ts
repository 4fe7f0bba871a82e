/*
 * Before a load's (or a plan's) first job: what it will draw from the org's daily allocations,
 * against what the org has left (REST API Developer Guide: Limits; Salesforce Developer Limits and
 * Allocations Quick Reference: Bulk API and Bulk API 2.0 Limits). A Bulk API 2.0 job counts one
 * batch per 10,000-record chunk of each part (a V1 job, one per batch), against DailyBulkApiBatches
 * (shared by V1 and 2.0, over a rolling 24 hours); records are counted against the 150,000,000 a
 * day Bulk API 2.0 ingests (the limits resource does not report what is left of those). A load that
 * would pass what is left is refused with the numbers, unless allowPartialDay (it then stops where
 * the org stops it, and resume finishes it once the allocation is back); above 80% it is a warning.
 *
 * Rows are counted before the split by the files' line ends: a bound from above (a quoted cell
 * with a line break counts twice), so the check never lets through a load that would not fit.
 */
import { createReadStream, statSync } from 'node:fs';
import { CHUNK_ROWS } from '../bulk/types.js';
import type { OrgLimit } from '../http/orgLimits.js';
import type { LoadEvent, LoadRequest } from '../run/types.js';
import { V1_MAX_BATCH_BYTES } from '../runner/v1Jobs.js';
import { partBytes } from './runSpec.js';

/** Bulk API 2.0 ingest: records a day (the limits cheatsheet's current number). */
export const DAILY_INGEST_RECORDS = 150_000_000;
const WARN_SHARE = 0.8;

export type LimitsNeed = { rows: number; batches: number };

export type LimitsCheck = LimitsNeed & { batchesRemaining: number; batchesMax: number; recordsMax: number };

/** The load would use more of the batch allocation (or of the day's records) than the org has left. */
export class AllocationExceededError extends Error {
  public constructor(public readonly check: LimitsCheck) {
    super(`the load needs up to ${check.batches} batches of the ${check.batchesRemaining} left (of ${check.batchesMax}) and ${check.rows} records (of ${check.recordsMax} a day)`);
    this.name = 'AllocationExceededError';
  }
}

/** The rows and batches a load's files will use at most. */
export async function needOf(req: LoadRequest): Promise<LimitsNeed> {
  let rows = 0;
  for (const f of req.files) rows += Math.max(0, (await lineEnds(f)) - 1);
  const bytes = req.files.reduce((n, f) => n + statSync(f).size, 0);
  const parts = Math.max(1, Math.ceil(bytes / partBytes(req)));
  const perBatch = req.v1 ? req.v1.batchRows : req.chunkRows ?? CHUNK_ROWS;
  // Each part's last chunk (or batch) may be short: one more batch a part at most. A V1 batch also
  // ends at 10,000,000 bytes (V1_MAX_BATCH_BYTES): each such cut adds one batch at most.
  const bySize = req.v1 ? Math.ceil(bytes / V1_MAX_BATCH_BYTES) : 0;
  return { rows, batches: rows === 0 ? 0 : Math.ceil(rows / perBatch) + bySize + parts - 1 };
}

/**
 * Refuses a need past what is left (unless allowPartialDay), warns above 80% of it. No limits
 * reader (an org that does not report them): nothing to check.
 */
export async function checkLimits(
  limits: (() => Promise<OrgLimit[]>) | undefined,
  need: LimitsNeed,
  opts: { allowPartialDay?: boolean; emit: (e: LoadEvent) => void }
): Promise<void> {
  if (!limits || need.batches === 0) return;
  const batches = (await limits()).find((l) => l.name === 'DailyBulkApiBatches');
  if (!batches) return;
  const check: LimitsCheck = { ...need, batchesRemaining: batches.remaining, batchesMax: batches.max, recordsMax: DAILY_INGEST_RECORDS };
  const over = need.batches > batches.remaining || need.rows > DAILY_INGEST_RECORDS;
  if (over && !opts.allowPartialDay) throw new AllocationExceededError(check);
  if (over || need.batches > WARN_SHARE * batches.remaining) opts.emit({ type: 'allocation', ...check, over });
}

/** The number of line ends of a file (a fast pass over its bytes), plus one when its last line has none. */
async function lineEnds(file: string): Promise<number> {
  let n = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    let at = chunk.indexOf(0x0a);
    while (at >= 0) {
      n++;
      at = chunk.indexOf(0x0a, at + 1);
    }
    if (chunk.length) last = chunk[chunk.length - 1];
  }
  return last === 0x0a ? n : n + 1;
}
