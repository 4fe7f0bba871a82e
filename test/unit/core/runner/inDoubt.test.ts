import { expect } from 'chai';
import { MAX_ANSWER_MS, maxAnswerMs, settleInDoubt } from '../../../../src/core/runner/inDoubt.js';

describe('a send in doubt (inDoubt.ts)', () => {
  /** A clock that moves only when slept on; `looks` records when the org was asked. */
  const fake = (startAt: number, boundMs: number): { clock: Parameters<typeof settleInDoubt>[0]; t: { now: number } } => {
    const t = { now: startAt };
    return { t, clock: { now: () => t.now, sleep: (ms): Promise<void> => ((t.now += ms), Promise.resolve()), pollMs: 300, boundMs } };
  };

  it('waits until its start plus the bound, asking every poll and once more at the end, then gives up', async () => {
    const { clock, t } = fake(10_000, 1000);
    const looks: number[] = [];
    const waits: number[] = [];
    const found = await settleInDoubt(clock, 9_800, () => (looks.push(t.now), Promise.resolve(undefined)), (until) => waits.push(until));
    expect(found).to.equal(undefined);
    expect(waits).to.deep.equal([10_800]);
    expect(looks).to.deep.equal([10_000, 10_300, 10_600, 10_800]);
  });

  it('takes what the org lists as soon as it shows', async () => {
    const { clock, t } = fake(0, 60_000);
    const found = await settleInDoubt(clock, 0, () => Promise.resolve(t.now >= 600 ? 'batch' : undefined), () => {});
    expect(found).to.equal('batch');
    expect(t.now).to.equal(600);
  });

  it('a send begun longer ago than the bound waits for nothing: one look', async () => {
    const { clock } = fake(5000, 1000);
    let looks = 0;
    const waits: number[] = [];
    await settleInDoubt(clock, 3000, () => (looks++, Promise.resolve(undefined)), (u) => waits.push(u));
    expect([looks, waits.length]).to.deep.equal([1, 0]);
  });

  it('the bound: SF_BULKOPS_MAX_ANSWER_MS, else 11 minutes', () => {
    expect(MAX_ANSWER_MS).to.equal(660_000);
    expect(maxAnswerMs({})).to.equal(660_000);
    expect(maxAnswerMs({ SF_BULKOPS_MAX_ANSWER_MS: '250' })).to.equal(250);
    expect(maxAnswerMs({ SF_BULKOPS_MAX_ANSWER_MS: 'soon' })).to.equal(660_000);
  });
});
