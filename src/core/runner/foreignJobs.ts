/*
 * The org's ingest jobs of a run's user, object and operation that no run on this machine made or
 * adopted (the machine's creation journal, the run's own jobs, the jobs other runs of its ledger
 * folder name). The job runner takes the Open ones created since a lost creation as its orphan
 * candidates; an insert's start warns of those not yet ended (another machine, with a ledger folder
 * of its own, or another tool may be loading the same rows).
 */
import type { BulkV2 } from '../bulk/bulkV2.js';
import type { JobInfo } from '../bulk/types.js';
import type { Retrying } from '../http/retrying.js';
import { allChunks, type RunState } from '../ledger/records.js';
import { CreationJournal } from './creationJournal.js';

export type ForeignJobsInput = {
  bulk: BulkV2;
  retrying: Retrying;
  /** the machine's bulkops state folder (the creation journal) */
  stateDir: string;
  state: RunState;
  /** V1 runs list Classic jobs (the org lists them apart from 2.0 ones) */
  v1: boolean;
  claimedByOtherRuns?: () => Set<string>;
  /** which of those jobs are wanted */
  keep: (job: JobInfo) => boolean;
};

/** The journal of creations for the run's org, user, object and operation (V1 and 2.0 apart, as the org lists them). */
export function creationJournalOf(stateDir: string, state: RunState, v1: boolean, now?: () => number): CreationJournal {
  const { org, object, operation } = state.spec;
  return new CreationJournal(stateDir, { orgId: org.orgId, userId: org.userId, object, operation: v1 ? `${operation}.v1` : operation }, now);
}

export async function unclaimedJobs(input: ForeignJobsInput, journal = creationJournalOf(input.stateDir, input.state, input.v1)): Promise<JobInfo[]> {
  const spec = input.state.spec;
  const claimed = new Set<string>();
  for (const id of journal.claimed().keys()) claimed.add(id);
  for (const o of allChunks(input.state)) if (o.jobId) claimed.add(o.jobId.slice(0, 15));
  for (const id of input.claimedByOtherRuns?.() ?? []) claimed.add(id.slice(0, 15));
  const found: JobInfo[] = [];
  let next: string | null | undefined;
  do {
    const page = await input.retrying('list jobs', () => input.bulk.listJobs(next, input.v1 ? 'Classic' : 'V2Ingest'));
    for (const job of page.records) {
      if (
        !claimed.has(job.id.slice(0, 15)) &&
        job.createdById.slice(0, 15) === spec.org.userId.slice(0, 15) &&
        job.object.toLowerCase() === spec.object.toLowerCase() &&
        job.operation === spec.operation &&
        input.keep(job)
      ) {
        found.push(job);
      }
    }
    next = page.nextRecordsUrl;
  } while (next);
  return found;
}
