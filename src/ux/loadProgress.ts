/*
 * Shows a load's progress: one line per event, which reads well on a terminal and in CI logs.
 * Nothing is printed under --json (the command passes a no-op writer then).
 */
import { Messages } from '@salesforce/core';
import { LoadEvent } from '../core/load/types.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.load');

export class LoadProgress {
  private total = 0;
  private lastProgressAt = 0;

  public constructor(private readonly write: (line: string) => void, private readonly file: string, private readonly now: () => number = Date.now) {}

  public on(e: LoadEvent): void {
    switch (e.type) {
      case 'planned':
        this.total = e.rows;
        this.write(messages.getMessage('info.planned', [e.rows, this.file, e.chunks]));
        break;
      case 'job-created':
        break;
      case 'progress':
        // Polls can be frequent; one progress line every few seconds is enough for a log.
        if (this.now() - this.lastProgressAt >= 3000 || e.processed >= this.total) {
          this.lastProgressAt = this.now();
          this.write(messages.getMessage('info.progress', [e.processed, this.total, e.failed, e.recordsPerSecond]));
        }
        break;
      default:
        break;
    }
  }
}
