/*
 * Splitting and uploading overlap: each part's job is created and its data uploaded as soon as the
 * splitter has written it, while the rest of the input is still read, checked and split. Nothing is
 * processed before the whole input has passed: a Bulk API 2.0 job processes nothing until it is
 * closed (UploadComplete), and the run closes its jobs only once it is planned, past every refusal
 * (a bad line at the end of the file, a second insert of the same file). A refused run aborts the
 * jobs it opened: an aborted Open job's data is never processed ("Bulk API 2.0 and Bulk API
 * Developer Guide: Close or Abort a Job").
 *
 * Each part is recorded ('part') before its job is created, so a crash mid-split leaves a ledger a
 * resume can go on from: the input is split again (the same bytes make the same parts), a part whose
 * bytes are unchanged keeps its job and upload, and one that changed leaves its job (aborted).
 */
import type { Ledger } from '../ledger/ledger.js';
import { type ChunkState, type RunState, sameBytes } from '../ledger/records.js';
import type { JobRunner, RunContext } from '../runner/jobRunner.js';
import type { PlannedChunk } from '../ledger/shapes.js';

export class EarlyParts {
  /**
   * Parts are sent one at a time, in order, and the split waits when it is two parts ahead (the
   * part before this one must be sent first): disk and network are kept busy together, and no
   * more than two parts wait on disk for their upload.
   */
  private queue: Promise<void> = Promise.resolve();
  /** the first failure of a creation or upload: later parts wait for run(), which tries again and reports */
  private failed = false;
  private readonly ctx: RunContext;

  public constructor(private readonly runner: JobRunner, ledger: Ledger, private readonly state: RunState, claimedByOtherRuns: () => Set<string>) {
    this.ctx = { ledger, state, deadline: { at: Infinity }, claimedByOtherRuns };
  }

  /** A part the splitter has written: recorded (unless a resume's earlier split wrote the same bytes), then sent. */
  public async part(chunk: PlannedChunk): Promise<void> {
    const previous = this.queue;
    const earlier = this.state.chunks[chunk.index - 1];
    if (earlier && sameBytes(earlier.chunk, chunk)) {
      // The same bytes: the job keeps them; the line numbers are this split's.
      earlier.chunk = chunk;
      this.send(earlier);
      await previous;
      return;
    }
    // The input changed since an earlier split: that part's job holds other bytes.
    if (earlier) await this.settled().then(() => this.runner.leave(this.ctx, earlier));
    const c: ChunkState = { chunk };
    this.ctx.ledger.append({ t: 'part', chunk });
    this.state.chunks[chunk.index - 1] = c;
    this.send(c);
    await previous;
  }

  /** Every part sent has been answered (or has failed, left for run()). */
  public async settled(): Promise<void> {
    await this.queue;
  }

  /** The split is done with `parts` parts: parts an earlier split recorded past them leave their jobs. */
  public async finish(parts: number): Promise<void> {
    await this.settled();
    for (const c of this.state.chunks.slice(parts)) if (c) await this.runner.leave(this.ctx, c);
  }

  /**
   * The run was refused: every job it opened is aborted (none was closed, so nothing was processed).
   * An abort that fails leaves its job in the ledger to abort (a resume of the run does it), and
   * never hides the refusal.
   */
  public async abort(): Promise<void> {
    await this.settled();
    for (const c of this.state.chunks) {
      if (!c) continue;
      try {
        await this.runner.leave(this.ctx, c);
      } catch {
        // Recorded as left ('job-dropped'), not yet as aborted: state.toAbort on the next resume.
      }
    }
  }

  private send(c: ChunkState): void {
    if (c.uploaded) return;
    this.queue = this.queue.then(async () => {
      if (this.failed) return;
      try {
        if (!(await this.runner.prepare(this.ctx, c))) this.failed = true;
      } catch {
        // The network or the org said no: the part is left as the ledger has it, for run() to finish
        // once the split is done (run() retries, and reports what still fails).
        this.failed = true;
      }
    });
  }
}
