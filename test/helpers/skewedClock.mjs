/*
 * Preloaded into a child process (NODE_OPTIONS=--import) to give it a clock that is off by
 * BULKOPS_TEST_CLOCK_SKEW_MS: Date.now() and `new Date()` read the skewed time, as on a CI runner or
 * a laptop whose clock has drifted. Timers and performance.now() are untouched.
 */
const skew = Number(process.env.BULKOPS_TEST_CLOCK_SKEW_MS ?? 0);
if (skew) {
  const RealDate = Date;
  class SkewedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + skew);
      else super(...args);
    }

    static now() {
      return RealDate.now() + skew;
    }
  }
  globalThis.Date = SkewedDate;
}
