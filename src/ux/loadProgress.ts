/*
 * Shows a load's progress: one line per event, which reads well on a terminal and in CI logs.
 * Nothing is printed under --json (the command does not subscribe then).
 */
import { Messages } from '@salesforce/core';
import { LoadEvent } from '../core/load/types.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.progress');

export class LoadProgress {
  private total = 0;
  private lastProgressAt = 0;

  public constructor(private readonly write: (line: string) => void, private readonly file: string, private readonly now: () => number = Date.now) {}

  public on(e: LoadEvent): void {
    switch (e.type) {
      case 'planned':
        this.total = e.rows;
        this.write(messages.getMessage('planned', [e.rows, this.file, e.chunks, size(e.bytes)]));
        if (e.rejected > 0) this.write(messages.getMessage('rejected', [e.rejected]));
        break;
      case 'loaded-before':
        this.write(messages.getMessage('loadedBefore', [e.runId]));
        break;
      case 'job-created':
        this.write(messages.getMessage(e.adopted ? 'jobAdopted' : 'jobCreated', [e.jobId, e.chunk, e.rows]));
        break;
      case 'job-uploaded':
        this.write(messages.getMessage('jobUploaded', [e.jobId]));
        break;
      case 'job-done':
        this.write(messages.getMessage('jobDone', [e.jobId, e.state, e.processed, e.failed]));
        break;
      case 'retry':
        this.write(messages.getMessage('retry', [e.what, e.reason, (e.delayMs / 1000).toFixed(1), e.attempt]));
        break;
      case 'progress':
        // Polls can be frequent; one progress line every few seconds is enough for a log.
        if (this.now() - this.lastProgressAt >= 3000) {
          this.lastProgressAt = this.now();
          this.write(messages.getMessage('progress', [e.processed, this.total || e.total, e.failed, e.recordsPerSecond]));
        }
        break;
      default:
        break;
    }
  }
}

/** 40 KB, 12.5 MB, 1.02 GB: a size people read at a glance. */
export function size(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

