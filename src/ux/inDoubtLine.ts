/*
 * The line for a send in doubt (a V1 batch add, a job creation the org may still be making): which
 * part, which batch, when it was sent and until when nothing is sent again.
 */
import { Messages } from '@salesforce/core';
import { LoadEvent } from '../core/run/types.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.progress');

export function inDoubtLine(e: Extract<LoadEvent, { type: 'send-in-doubt' }>): string {
  return e.what === 'batch'
    ? messages.getMessage('sendInDoubt', [e.chunk, e.batch, e.jobId, e.sentAt, e.until])
    : messages.getMessage('createInDoubt', [e.chunk, e.sentAt, e.until]);
}
