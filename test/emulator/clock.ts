/*
 * The emulator's clock. Job timestamps, retention and (later) the processing model read it, so
 * tests can move time forward instead of waiting.
 */
export class Clock {
  private offsetMs = 0;

  public now(): number {
    return Date.now() + this.offsetMs;
  }

  public advance(ms: number): void {
    this.offsetMs += ms;
  }

  public get offset(): number {
    return this.offsetMs;
  }
}
