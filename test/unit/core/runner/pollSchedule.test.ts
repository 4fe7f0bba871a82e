import { expect } from 'chai';
import { PollSchedule } from '../../../../src/core/runner/pollSchedule.js';

describe('poll schedule', () => {
  it('backs off from the first interval to the longest while nothing is processed', () => {
    const s = new PollSchedule(500, 2000, 1000);
    expect([0, 1, 2, 3, 4].map((t) => s.next(t * 1000, 0))).to.deep.equal([500, 750, 1125, 1688, 2000]);
  });

  it('polls near the expected end instead of a long back-off, never sooner than the first interval', () => {
    const s = new PollSchedule(500, 10_000, 100_000);
    // Nothing for a while, so the back-off grows.
    let t = 0;
    for (let i = 0; i < 6; i++) t += s.next(t, 0);
    expect(s.next(t, 10_000)).to.be.greaterThan(5000); // first progress: no rate yet, back-off
    // 10,000 more rows in 2 s (5 rows/ms), 80,000 left: 16 s away, so the back-off (8.5 s) stands.
    expect(s.next(t + 2000, 20_000)).to.equal(8546);
    // 80,000 rows in 18 s since the first sample (4.44 rows/ms), 10,000 left: 2.25 s, not the 10 s back-off.
    expect(s.next(t + 18_000, 90_000)).to.equal(2250);
    // Almost done: the wait never goes under the first interval.
    expect(s.next(t + 19_000, 99_990)).to.equal(500);
  });
});
