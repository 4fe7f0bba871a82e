/*
 * Rows processed as this process saw them, for both progress displays (terminal and log lines).
 * A job's counter is the org's total for that job; after a resume it already holds rows processed
 * before this process started. The rate therefore counts only what each job processed after this
 * process first saw it, over this process's own time since then.
 */
export class ProgressTally {
  private readonly jobs = new Map<string, { first: number; last: number; failed: number }>();
  private since: number | undefined;

  public constructor(private readonly now: () => number = Date.now) {}

  /** A job's counters as the org reported them (job-progress, job-done). */
  public job(jobId: string, processed: number, failed: number): void {
    const seen = this.jobs.get(jobId);
    if (seen) {
      seen.last = processed;
      seen.failed = failed;
    } else {
      this.since ??= this.now();
      this.jobs.set(jobId, { first: processed, last: processed, failed });
    }
  }

  /** Rows processed in every job seen (including rows processed before this process started). */
  public get processed(): number {
    let n = 0;
    for (const j of this.jobs.values()) n += j.last;
    return n;
  }

  public get failed(): number {
    let n = 0;
    for (const j of this.jobs.values()) n += j.failed;
    return n;
  }

  /** Rows per second this process saw processed; undefined until it saw any. */
  public get rate(): number | undefined {
    let seen = 0;
    for (const j of this.jobs.values()) seen += j.last - j.first;
    if (seen <= 0 || this.since === undefined) return undefined;
    const seconds = Math.max(1, this.now() - this.since) / 1000;
    return Math.round(seen / seconds);
  }
}
