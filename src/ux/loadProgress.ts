/*
 * Shows a load's progress: one line per event, which reads well on a terminal and in CI logs.
 * Nothing is printed under --json (the command does not subscribe then).
 */
import { Messages } from '@salesforce/core';
import { LoadEvent } from '../core/run/types.js';
import { inDoubtLine } from './inDoubtLine.js';
import { roundEventLine } from './roundLines.js';
import { ProgressTally } from './progressTally.js';
import { estimateLine } from './estimateLines.js';
import { size } from './sizes.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.progress');

/** How often a progress line may be printed: polls can be frequent, a log needs one line every few seconds. */
const PROGRESS_EVERY_MS = 3000;

export class LoadProgress {
  private total = 0;
  private lastProgressAt: number | undefined;
  private lastProcessed = 0;
  /** lines of jobs created while the file is still being read, printed after the line that says what was read */
  private held?: string[];
  private readonly tally: ProgressTally;

  public constructor(private readonly write: (line: string) => void, private readonly file: string, private readonly now: () => number = Date.now) {
    this.tally = new ProgressTally(now);
  }

  /** Prints what was held back (the load stopped before its split was recorded: nothing is hidden). */
  public release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const line of held) this.write(line);
  }

  private say(line: string): void {
    if (this.held) this.held.push(line);
    else this.write(line);
  }

  public on(e: LoadEvent): void {
    switch (e.type) {
      case 'stage':
        // Jobs are created as the file is split: their lines follow the one that says what was read.
        if (e.stage === 'read') this.held = [];
        break;
      case 'planned':
      case 'resumed':
        this.started(e);
        break;
      case 'part-given-up':
        this.write(messages.getMessage('partGivenUp', [e.chunk, e.jobs, e.jobId]));
        break;
      case 'job-created':
        this.say(messages.getMessage(e.adopted ? 'jobAdopted' : 'jobCreated', [e.jobId, e.chunk, e.rows]));
        break;
      case 'job-uploaded':
        this.write(messages.getMessage('jobUploaded', [e.jobId]));
        break;
      case 'job-progress':
        this.tally.job(e.jobId, e.processed, e.failed);
        this.progressLine();
        break;
      case 'job-done':
        this.tally.job(e.jobId, e.processed, e.failed);
        this.write(messages.getMessage('jobDone', [e.jobId, e.state, e.processed, e.failed]));
        break;
      case 'estimate':
        this.write(estimateLine(e));
        break;
      case 'retry':
        this.write(messages.getMessage('retry', [e.what, e.reason, (e.delayMs / 1000).toFixed(1), e.attempt]));
        break;
      case 'progress':
        // A run that said neither 'planned' nor 'resumed' (a new round): its row count comes with the progress.
        this.total ||= e.total;
        break;
      case 'round':
      case 'round-done':
        this.write(roundEventLine(e)!);
        break;
      default: {
        const line = noteLine(e);
        if (line !== undefined) this.write(line);
        break;
      }
    }
  }

  /** The run's rows are known: a new load's plan, or the run a resume goes on with. */
  private started(e: Extract<LoadEvent, { type: 'planned' | 'resumed' }>): void {
    this.total = e.rows;
    if (e.type === 'resumed') {
      this.write(messages.getMessage('resumed', [e.runId, e.rows, e.parts, e.ended]));
      return;
    }
    this.write(plannedLine(e, this.file));
    this.release();
  }

  /** A line only when rows moved since the last one, and not more often than every few seconds. */
  private progressLine(): void {
    const processed = this.tally.processed;
    if (processed === this.lastProcessed) return;
    if (this.lastProgressAt !== undefined && this.now() - this.lastProgressAt < PROGRESS_EVERY_MS) return;
    this.lastProgressAt = this.now();
    this.lastProcessed = processed;
    const rate = this.tally.rate;
    const failed = this.tally.failed;
    this.write(
      rate === undefined
        ? messages.getMessage('progress', [processed, this.total, failed])
        : messages.getMessage('progressRate', [processed, this.total, failed, rate])
    );
  }
}

/** The line of an event that only says something (nothing to count): a repaired ledger, a run loaded before, a send in doubt, how the load sends. */
export function noteLine(e: LoadEvent): string | undefined {
  switch (e.type) {
    case 'ledger-repaired':
      return e.message;
    case 'send-in-doubt':
      return inDoubtLine(e);
    case 'loaded-before':
      return messages.getMessage('loadedBefore', [e.runId]);
    case 'concurrency':
      return messages.getMessage('concurrency', [e.reason]);
    case 'in-flight':
      return messages.getMessage('inFlight', [e.limit, e.reason]);
    default:
      return undefined;
  }
}

/** "Read 6 rows from a.csv: 3 left out by the checks (rejected.csv), 3 to send in 1 job (1 KB)." */
export function plannedLine(e: Extract<LoadEvent, { type: 'planned' }>, file: string): string {
  const read = e.rows + e.rejected;
  const send = e.rows === 0 ? messages.getMessage('planned.nothing') : messages.getMessage('planned.send', [e.rows, e.chunks, size(e.bytes)]);
  return e.rejected > 0
    ? messages.getMessage('planned.withRejected', [read, file, e.rejected, send])
    : messages.getMessage('planned', [read, file, send]);
}
