/*
 * The rows of `sf bulkops jobs`: the Bulk Data Load Jobs page's columns, plus duration, failure
 * rate and the review signals.
 */
import type { ReviewedJob } from '../core/jobs/review.js';

const API_LABEL: Record<string, string> = { V2Ingest: 'Bulk V2', Classic: 'Bulk V1', V2Query: 'Bulk V2 Query' };

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  return `${Math.floor(m / 60)}h ${m % 60}m`;
}

export function jobRows(jobs: ReviewedJob[]): Array<Record<string, string>> {
  return jobs.map((j) => ({
    id: j.id.slice(0, 15),
    type: API_LABEL[j.api] ?? j.api,
    object: j.object,
    operation: j.operation,
    state: j.state,
    user: j.username ?? j.createdById,
    started: j.createdDate.replace('T', ' ').slice(0, 16),
    duration: formatDuration(j.durationMs) + (j.signals.includes('long') && j.typicalMs ? ` (usually ${formatDuration(j.typicalMs)})` : ''),
    processed: j.numberRecordsProcessed === undefined ? '' : String(j.numberRecordsProcessed),
    failed: j.numberRecordsFailed === undefined ? '' : String(j.numberRecordsFailed),
    rate: j.failureRate === undefined ? '' : `${(j.failureRate * 100).toFixed(1)}%`,
    review: j.signals.join(', '),
  }));
}

export const JOB_COLUMNS = [
  { key: 'id', name: 'Job ID' },
  { key: 'type', name: 'Type' },
  { key: 'object', name: 'Object' },
  { key: 'operation', name: 'Operation' },
  { key: 'state', name: 'State' },
  { key: 'user', name: 'Submitted By' },
  { key: 'started', name: 'Started (UTC)' },
  { key: 'duration', name: 'Duration' },
  { key: 'processed', name: 'Processed' },
  { key: 'failed', name: 'Failed' },
  { key: 'rate', name: 'Failure Rate' },
  { key: 'review', name: 'Review' },
] as const;
