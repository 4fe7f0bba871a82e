/*
 * The progress display of a load or resume. On a terminal: a live multi-stage block (the same
 * component plugin-data uses) with rows processed, failures and rate. Elsewhere (CI logs, pipes):
 * one line per event. Under --json: nothing. The display library is loaded only for a terminal,
 * so scripted runs do not pay for it in memory.
 */
import { Messages } from '@salesforce/core';
import type { MultiStageOutput } from '@oclif/multi-stage-output';
import { LoadEvent } from '../core/run/types.js';
import { roundEventLine } from './roundLines.js';
import { LoadProgress, noteLine } from './loadProgress.js';
import { ProgressTally } from './progressTally.js';
import { estimateLine } from './estimateLines.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.progress');

type StageData = {
  /** rows read, left out ones included */
  read: number;
  /** rows to send */
  rows: number;
  rejected: number;
  jobs: number;
  jobsDone: number;
  processed: number;
  failed: number;
  rate: number;
  note: string;
};

const STAGE_KEYS = ['read', 'backup', 'upload', 'processing', 'results'] as const;
type StageKey = (typeof STAGE_KEYS)[number];

export type LoadDisplay = { on: (e: LoadEvent) => void; finish: (ok: boolean) => void };

export async function loadDisplay(opts: { json: boolean; file: string; log: (line: string) => void; tty?: boolean }): Promise<LoadDisplay> {
  if (opts.json) return { on: (): void => {}, finish: (): void => {} };
  const tty = opts.tty ?? Boolean(process.stdout.isTTY);
  if (!tty) {
    const lines = new LoadProgress(opts.log, opts.file);
    return { on: (e): void => lines.on(e), finish: (): void => lines.release() };
  }
  const { MultiStageOutput: Mso } = await import('@oclif/multi-stage-output');
  return new TerminalStages(new Mso<StageData>(stagesOptions(opts.file)));
}

function stageTitle(key: StageKey): string {
  return messages.getMessage(`stage.${key}`);
}

function stagesOptions(file: string): ConstructorParameters<typeof MultiStageOutput<StageData>>[0] {
  const num = (n: number | undefined): string => (n === undefined ? '' : n.toLocaleString('en-US'));
  return {
    title: messages.getMessage('title', [file]),
    stages: STAGE_KEYS.map(stageTitle),
    jsonEnabled: false,
    data: { read: 0, rows: 0, rejected: 0, jobs: 0, jobsDone: 0, processed: 0, failed: 0, rate: 0, note: '' },
    stageSpecificBlock: [
      { stage: stageTitle('read'), type: 'dynamic-key-value', label: messages.getMessage('label.rows'), get: (d) => num(d?.read) },
      { stage: stageTitle('upload'), type: 'dynamic-key-value', label: messages.getMessage('label.jobs'), get: (d) => num(d?.jobs) },
      { stage: stageTitle('processing'), type: 'dynamic-key-value', label: messages.getMessage('label.processed'), get: (d) => (d ? `${num(d.processed)} / ${num(d.rows)}` : undefined) },
      { stage: stageTitle('processing'), type: 'dynamic-key-value', label: messages.getMessage('label.failed'), get: (d) => num(d?.failed) },
      { stage: stageTitle('processing'), type: 'dynamic-key-value', label: messages.getMessage('label.rate'), get: (d) => (d?.rate ? `${num(d.rate)} rows/s` : undefined) },
      { stage: stageTitle('processing'), type: 'dynamic-key-value', label: messages.getMessage('label.jobsDone'), get: (d) => (d ? `${d.jobsDone} / ${d.jobs}` : undefined) },
    ],
    postStagesBlock: [{ type: 'message', get: (d) => (d?.note ? d.note : undefined) }],
  };
}

class TerminalStages implements LoadDisplay {
  private current = -1;
  private jobs = 0;
  private jobsDone = 0;
  private readonly tally = new ProgressTally();

  public constructor(private readonly mso: MultiStageOutput<StageData>) {}

  public on(e: LoadEvent): void {
    switch (e.type) {
      case 'stage':
        if (e.stage !== 'done') this.goto(e.stage);
        break;
      case 'planned':
        this.mso.updateData({ read: e.rows + e.rejected, rows: e.rows, rejected: e.rejected, note: e.rejected ? messages.getMessage('rejected', [e.rejected]) : '' });
        break;
      case 'resumed':
        this.mso.updateData({ rows: e.rows, note: messages.getMessage('resumed', [e.runId, e.rows, e.parts, e.ended]) });
        break;
      case 'backup':
        this.mso.updateData({ note: messages.getMessage('backupTaken', [e.records, e.file]) });
        break;
      case 'job-created':
        this.mso.updateData({ jobs: ++this.jobs });
        break;
      case 'job-progress':
        this.tally.job(e.jobId, e.processed, e.failed);
        this.refreshCounts();
        break;
      case 'job-done':
        this.tally.job(e.jobId, e.processed, e.failed);
        this.refreshCounts(1);
        break;
      case 'part-given-up':
        this.mso.updateData({ note: messages.getMessage('partGivenUp', [e.chunk, e.jobs, e.jobId]) });
        break;
      case 'progress':
        // A new round says neither 'planned' nor 'resumed': its row count comes with the progress.
        this.mso.updateData({ rows: e.total });
        break;
      case 'estimate':
        this.mso.updateData({ note: estimateLine(e) });
        break;
      case 'retry':
        this.mso.updateData({ note: messages.getMessage('retry', [e.what, e.reason, (e.delayMs / 1000).toFixed(1), e.attempt]) });
        break;
      case 'round':
      case 'round-done':
        this.mso.updateData({ note: roundEventLine(e) });
        break;
      default: {
        // Events that only say something: the same note as the plain progress lines.
        const note = noteLine(e);
        if (note !== undefined) this.mso.updateData({ note });
      }
    }
  }

  public finish(ok: boolean): void {
    if (ok) this.mso.stop('completed');
    else this.mso.error();
  }

  private goto(key: StageKey): void {
    const index = STAGE_KEYS.indexOf(key);
    if (index <= this.current) return;
    this.current = index;
    // A stage that did not happen (no backup for an insert) is shown as skipped.
    this.mso.skipTo(stageTitle(key));
  }

  private refreshCounts(done = 0): void {
    this.jobsDone += done;
    this.mso.updateData({ processed: this.tally.processed, failed: this.tally.failed, rate: this.tally.rate ?? 0, jobsDone: this.jobsDone });
  }
}
