/*
 * The probe's estimate, a dry run's plan and a run's observed rates as lines people read.
 */
import { Messages } from '@salesforce/core';
import type { LoadEstimate } from '../core/ledger/shapes.js';
import type { ObservedRates } from '../core/ledger/shapes.js';
import { PROBE_MIN_PARTS } from '../core/estimate/probe.js';
import type { LoadResult } from '../core/run/types.js';
import { formatDuration } from './jobsTable.js';
import { size } from './sizes.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const progress = Messages.loadMessages('plugin-bulkops', 'bulkops.progress');
const report = Messages.loadMessages('plugin-bulkops', 'bulkops.report');

/** ms a row: 12 ms, 0.4 ms */
const perRow = (ms: number): string => `${ms >= 10 ? Math.round(ms) : ms.toFixed(1)} ms`;
const percent = (rate: number): string => `${(rate * 100).toFixed(1)}%`;

/**
 * How many chunks at once the elapsed time is for, and where that figure comes from; an estimate
 * recorded before the figure was (an older ledger) divided the processing by the plan's chunks at once.
 */
function atOnce(e: LoadEstimate): string {
  if (e.chunksAtOnce === undefined || e.chunksAtOnceFrom === undefined) return progress.getMessage('estimate.atOnce.unknown');
  // A plan of one chunk at a time (one job, one chunk a part; a V1 Serial job) leaves the org no choice: not a least time.
  if (e.chunksAtOnceFrom === 'plan' && e.chunksAtOnce === 1) return progress.getMessage('estimate.atOnce.one');
  return progress.getMessage(`estimate.atOnce.${e.chunksAtOnceFrom}`, [e.chunksAtOnce]);
}

/** After the probe: what the rest of the load should cost, and the plan it is for. */
export function estimateLine(e: LoadEstimate): string {
  return progress.getMessage('estimate', [
    perRow(e.msPerRow),
    perRow(e.apexMsPerRow),
    percent(e.lockRate),
    e.parts,
    e.rows.toLocaleString('en-US'),
    e.jobsAtOnce,
    formatDuration(e.processingMs),
    formatDuration(e.wallMs),
    atOnce(e),
  ]);
}

/** --dry-run: the plan, and its price when an earlier run measured this object. */
export function planLines(result: LoadResult): string[] {
  if (!result.plan) return [];
  const plan = result.plan;
  const lines = [report.getMessage('info.plan', [plan.rows.toLocaleString('en-US'), plan.parts, size(plan.maxJobBytes), plan.jobsAtOnce])];
  const e = result.estimate;
  if (!e) return [...lines, report.getMessage('info.planNoEstimate', [result.operation, PROBE_MIN_PARTS])];
  return [
    ...lines,
    report.getMessage('info.planEstimate', [e.source, perRow(e.msPerRow), perRow(e.apexMsPerRow), percent(e.lockRate), formatDuration(e.processingMs), formatDuration(e.wallMs), atOnce(e)]),
  ];
}

export function observedLine(o: ObservedRates): string | undefined {
  if (o.msPerRow === undefined) return undefined;
  return report.getMessage('info.observed', [perRow(o.msPerRow), perRow(o.apexMsPerRow ?? 0), percent(o.lockRate), o.throttled]);
}
