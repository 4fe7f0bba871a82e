/*
 * The batch allocation over a rolling 24 hours, as Salesforce counts it (Salesforce Developer
 * Limits and Allocations Quick Reference: Bulk API and Bulk API 2.0 Limits; the limits resource's
 * DailyBulkApiBatches): each batch (a V1 batch, a Bulk API 2.0 ingest chunk) is counted at the
 * moment it was used, on the org's simulated clock, and stops counting 24 hours later.
 */
import type { Clock } from './clock.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export class RollingAllocation {
  /** the times batches were used, oldest first */
  private readonly times: number[] = [];

  public constructor(private readonly clock: Clock) {}

  /** Batches used in the 24 hours before now. */
  public used(): number {
    const since = this.clock.now() - DAY_MS;
    let drop = 0;
    while (drop < this.times.length && this.times[drop] <= since) drop++;
    if (drop) this.times.splice(0, drop);
    return this.times.length;
  }

  /** `n` batches used at `at` (default now); a test plants earlier use this way. */
  public use(n = 1, at = this.clock.now()): void {
    for (let i = 0; i < n; i++) this.times.push(at);
    this.times.sort((a, b) => a - b);
  }
}
