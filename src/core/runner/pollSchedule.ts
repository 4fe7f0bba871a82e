/*
 * When to ask for a job's state next. Polls back off from the first interval to the longest (to
 * spare the org's API limits on long jobs), but never wait much past the moment the job should
 * end at the rate it is going: with plain back-off a job finishing just after a poll was seen up to
 * the longest interval later (measured: 2 to 3 s lost on a 13 s job with 0.5 to 10 s back-off).
 */
export class PollSchedule {
  private interval: number;
  private sample?: { at: number; processed: number };

  public constructor(private readonly minMs: number, private readonly maxMs: number, private readonly rows: number) {
    this.interval = minMs;
  }

  /** The wait before the next poll, given the time of this poll and the rows processed so far. */
  public next(now: number, processed: number): number {
    const backOff = this.interval;
    this.interval = Math.min(this.maxMs, Math.ceil(this.interval * 1.5));
    if (processed <= 0) return backOff;
    if (!this.sample || processed <= this.sample.processed || now <= this.sample.at) {
      this.sample ??= { at: now, processed };
      return backOff;
    }
    // The rate between the first poll that saw progress and this one (Salesforce counts rows a
    // 10,000-row chunk at a time, so a single step says little).
    const rate = (processed - this.sample.processed) / (now - this.sample.at);
    const untilEnd = Math.ceil(Math.max(0, this.rows - processed) / rate);
    return Math.max(this.minMs, Math.min(backOff, untilEnd));
  }
}
