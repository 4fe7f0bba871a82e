/*
 * The emulator's clock: simulated time. Job timestamps, record dates, processing times and
 * retention all read it, so tests can move time forward instead of waiting.
 *
 * Simulated time runs at `rate` simulated ms per real ms. The processing model sets the rate to the
 * org's clock speed (settings.clockSpeed, 1000 by default) while it has chunks queued or running,
 * and back to 1 when the org is idle, so a loaded org works through minutes of simulated processing
 * in a fraction of a second, while an idle org (a demo left open, a test between steps) keeps
 * real time and does not age its jobs past retention by itself. `advance` jumps forward at once.
 */
export class Clock {
  /** simulated ms at the anchor */
  private base = Date.now();
  /** real ms at the anchor */
  private anchor = Date.now();
  private currentRate = 1;
  /** set while the processing model handles an event, so everything it stamps reads the event's time */
  private pinned: number | undefined;
  private readonly listeners: Array<(target: number) => void> = [];
  /** the time of the processing model's next pending event: the clock never passes it unhandled */
  private ceiling?: () => number | undefined;

  public now(): number {
    if (this.pinned !== undefined) return this.pinned;
    const mapped = this.base + (Date.now() - this.anchor) * this.currentRate;
    const cap = this.ceiling?.();
    if (cap !== undefined && mapped > cap) {
      // The machine is behind the simulation (or a timer fired late): time waits for the work due,
      // so a request arriving now lands after it, and no simulated time is lost or skipped.
      this.base = cap;
      this.anchor = Date.now();
      return cap;
    }
    return mapped;
  }

  /** Sets (or clears) the bound now() may not pass: the processing model's next event. */
  public setCeiling(ceiling: (() => number | undefined) | undefined): void {
    this.ceiling = ceiling;
  }

  /** simulated ms per real ms right now */
  public get rate(): number {
    return this.currentRate;
  }

  /** Changes the speed from this moment on; the time already passed is kept. */
  public setRate(rate: number): void {
    if (!(rate > 0) || rate === this.currentRate) return;
    this.reanchor();
    this.currentRate = rate;
  }

  /** Jumps forward (ms >= 0); whatever was due in between happens first, at its own time. */
  public advance(ms: number): void {
    if (this.pinned !== undefined) throw new Error('the clock cannot be advanced while an event is being handled');
    const target = this.now() + ms;
    for (const listener of this.listeners) listener(target);
    this.base = target;
    this.anchor = Date.now();
    // Once more from the new time, so timers for what comes next are set against it.
    for (const listener of this.listeners) listener(target);
  }

  /**
   * Called on every advance with the time it moves to, before and after the jump (the processing
   * model runs what is due by then, then re-arms its timer); returns the unsubscribe call.
   */
  public onAdvance(listener: (target: number) => void): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Runs `fn` with now() reading `at`. */
  public at<T>(at: number, fn: () => T): T {
    const saved = this.pinned;
    this.pinned = at;
    try {
      return fn();
    } finally {
      this.pinned = saved;
    }
  }

  /** How far simulated time is ahead of real time (dump/restore keep it). */
  public get offset(): number {
    return this.now() - Date.now();
  }

  private reanchor(): void {
    const saved = this.pinned;
    this.pinned = undefined;
    this.base = this.now();
    this.anchor = Date.now();
    this.pinned = saved;
  }
}
