/*
 * Totals of a run that its ledger holds but the engine's result does not list yet: how many of the
 * successful rows were created and how many updated (counted per job by the join from sf__Created).
 */
import { Ledger } from '../ledger/ledger.js';
import { replay } from '../ledger/records.js';
import { addCounts, emptyCounts } from '../results/join.js';
import type { LoadResult } from './types.js';

export function withOutcomeTotals(result: LoadResult): LoadResult {
  if (!result.runDir) return result; // --dry-run: no run, nothing was sent
  const results = replay(Ledger.read(result.runDir)).chunks.flatMap((c) => (c.results ? [c.results] : []));
  // A ledger written before these were counted cannot tell them: better none than a false 0.
  if (results.some((r) => r.created === undefined)) return result;
  let counts = emptyCounts();
  for (const r of results) counts = addCounts(counts, r);
  return { ...result, created: counts.created, updated: counts.updated };
}
