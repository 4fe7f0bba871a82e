/*
 * A request to stop, passed to the code that talks to the org (the job runner), which asks it before
 * each request that sends something (a job creation, an upload, a batch, a close) and sleeps through
 * it (polls, retry back-offs, lock waits), so a stop wakes every wait at once. Requests already sent
 * are not cut: their answers reach the ledger. Who asks for the stop (a signal, in the command shell)
 * is not this module's business.
 */

/** The run stops on request: thrown where the next request would have been sent, or a wait woken. */
export class StoppedError extends Error {
  public constructor(public readonly reason: string) {
    super(`stopped (${reason})`);
    this.name = 'StoppedError';
  }
}

export class StopToken {
  private why?: string;
  private wakers = new Set<() => void>();

  /** Why the stop was asked for (a signal's name), once it was. */
  public get reason(): string | undefined {
    return this.why;
  }

  public get stopped(): boolean {
    return this.why !== undefined;
  }

  /** Asks for the stop (the first reason is kept) and wakes every sleep. */
  public stop(reason: string): void {
    if (this.why !== undefined) return;
    this.why = reason;
    const waiting = this.wakers;
    this.wakers = new Set();
    for (const wake of waiting) wake();
  }

  /** Throws StoppedError once a stop was asked for: asked before anything is sent. */
  public check(): void {
    if (this.why !== undefined) throw new StoppedError(this.why);
  }

  /** Waits `ms`, or less when a stop comes meanwhile; then throws if stopped (the caller would go on to a request). */
  public readonly sleep = async (ms: number): Promise<void> => {
    this.check();
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
    this.check();
  };
}
