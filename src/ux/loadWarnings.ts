/*
 * Events of a load that are warnings: the command gives them to sf's warn(), so they reach the
 * terminal's stderr and, under --json, the result's `warnings` list.
 */
import { Messages } from '@salesforce/core';
import type { LoadEvent } from '../core/run/types.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.progress');

export function eventWarning(e: LoadEvent): string | undefined {
  if (e.type === 'allocation') return messages.getMessage(e.over ? 'allocationOver' : 'allocationHigh', [e.batches, e.batchesRemaining, e.batchesMax, e.rows]);
  if (e.type === 'foreign-jobs') return messages.getMessage('foreignJobs', [e.jobIds.length, e.operation, e.object, e.jobIds.join(', ')]);
  return undefined;
}
