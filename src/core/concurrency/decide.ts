/*
 * `--concurrency auto`: how to send a load, from its data shape (parents.ts), as a pure function.
 *
 * Bulk API 2.0 cuts a job into 10,000-row chunks in file order and runs chunks in parallel; a chunk
 * locks the parent of every row it saves, so children of one parent in two chunks at once lock each
 * other out (UNABLE_TO_LOCK_ROW). There is no Serial mode in 2.0 (Bulk API Developer Guide: Create a Job; How Requests Are Processed):
 * - parallel: nothing to lock, or so few rows share a parent that conflicts stay rare;
 * - grouped: rows sorted by parent and cut into one-chunk parts that keep each parent whole where it
 *   fits, so parallel chunks rarely share a parent; the few parts that do (a parent with more
 *   children than a chunk holds, one cut at a part's edge) never run at the same time;
 * - serial: what cannot be grouped (several parent columns that share parents: an order good for one
 *   scatters the other), one one-chunk part at a time.
 */
import type { ConcurrencyDecision } from '../ledger/shapes.js';
import type { ColumnShape, DataShape } from './parents.js';

/** Below this share of rows sharing a parent, a load goes parallel as it is. */
export const THIN_SHARE = 0.01;

export function decideConcurrency(shape: DataShape, opts: { maxInFlight: number }): ConcurrencyDecision {
  const { rows, chunkRows } = shape;
  const parallel = (reason: string): ConcurrencyDecision => ({ mode: 'parallel', reason, maxInFlight: opts.maxInFlight });
  if (shape.columns.length === 0) return parallel('parallel: no lookup or master-detail column, so no row locks a parent');
  const names = shape.columns.map((c) => c.header).join(', ');
  if (rows <= chunkRows && shape.files <= 1) return parallel(`parallel: all ${n(rows)} rows fit in one ${n(chunkRows)}-row chunk, which never contends with itself`);
  const shared = shape.columns.filter((c) => !thin(c));
  if (shared.length === 0) {
    const most = Math.max(...shape.columns.map((c) => c.sharedRows / Math.max(1, rows)));
    return parallel(`parallel: parents spread thin (${pct(most)} of rows share a parent in ${names})`);
  }
  if (shared.length > 1) {
    return {
      mode: 'serial',
      reason: `serial: ${shared.map((c) => c.header).join(' and ')} both share parents, and rows sorted for one scatter the other; one ${n(chunkRows)}-row part at a time`,
      partRows: chunkRows,
      maxInFlight: 1,
    };
  }
  const c = shared[0];
  const parents = `${c.exact ? '' : 'over '}${n(c.parents)} ${c.parentObject} records`;
  const big = c.oversized
    ? `; ${n(c.oversized)} of them ${c.oversized === 1 ? 'has' : 'have'} more than a ${n(chunkRows)}-row chunk holds: ${c.oversized === 1 ? 'its parts load' : 'the parts of each load'} one at a time`
    : '';
  return {
    mode: 'grouped',
    reason: `grouped by ${c.header}: ${n(c.rowsWithParent)} rows share ${parents} (up to ${n(c.largest)} on one)${big}`,
    groupBy: { index: c.index, header: c.header },
    partRows: chunkRows,
    maxInFlight: opts.maxInFlight,
  };
}

/** Few enough rows share a parent to leave the order as it is; past the census cap nothing is known, so not thin. */
function thin(c: ColumnShape): boolean {
  return c.exact && c.sharedRows <= THIN_SHARE * Math.max(1, c.rowsWithParent);
}

function n(x: number): string {
  return x.toLocaleString('en-US');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.001 ? 2 : 1)}%`;
}
