/*
 * An export's progress, a line per event: the job, a resume's starting point, each page written
 * (records, MB, MB/s, pages), at most one page line a second (an export in small pages would
 * print thousands). Nothing under --json (the result says it all); lines go where the command logs them.
 */
import { Messages } from '@salesforce/core';
import type { ExportEvent, ExportResult } from '../core/export/types.js';
import { size } from './sizes.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.export');

export function exportProgress(opts: { json: boolean; runId: string; log: (line: string) => void; now?: () => number }): { on: (e: ExportEvent) => void; done: (r: ExportResult) => void } {
  const now = opts.now ?? Date.now;
  // The rate is the download's: counted from the moment the job's results are ready.
  let started = now();
  let firstBytes = 0;
  let lastLine = -Infinity;
  const log = (line: string): void => {
    if (!opts.json) opts.log(line);
  };
  return {
    on: (e): void => {
      if (e.type === 'job') log(messages.getMessage('info.run', [opts.runId, e.jobId]));
      else if (e.type === 'state' && e.state === 'JobComplete') started = now();
      else if (e.type === 'resumed') {
        firstBytes = e.bytes;
        log(messages.getMessage('info.resumed', [e.pages, count(e.rows), size(e.bytes), size(e.cutBytes)]));
      } else if (e.type === 'page') {
        if (now() - lastLine < 1000) return;
        lastLine = now();
        const seconds = Math.max(0.001, (now() - started) / 1000);
        log(messages.getMessage('info.page', [e.page, count(e.rows), count(e.totalRows), size(e.totalBytes), size((e.totalBytes - firstBytes) / seconds)]));
      }
    },
    done: (r): void => log(messages.getMessage('info.done', [count(r.records), size(r.bytes), r.pages, r.file, (r.elapsedMs / 1000).toFixed(1)])),
  };
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
