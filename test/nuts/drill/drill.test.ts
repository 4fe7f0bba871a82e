/*
 * The small operations drill (10 simulated days; npm run drill runs more): every planted problem is
 * reported within a day with one alert each, the audit counts every job despite the week without
 * history, no failed row is left unreconciled, no
 * record lands twice, no source is left without an owner; and with one detection taken away the
 * scorecard shows that problem as never reported.
 */
import { expect } from 'chai';
import { runDrill } from '../../drill/run.js';
import type { Scorecard } from '../../drill/scorecard.js';

const DAYS = 10;

describe('the operations drill (small)', function () {
  this.timeout(600_000);
  let card: Scorecard;

  before(async () => {
    card = await runDrill({ days: DAYS });
  });

  it('reports every planted problem within a simulated day, with one alert each', () => {
    expect(card.problems).to.have.length(7);
    for (const p of card.problems) {
      expect(p.reported, `${p.name} reported`).to.be.a('string');
      expect(p.withinADay, `${p.name} within a day`).to.equal(true);
      expect(p.alerts, `${p.name} alerts`).to.equal(1);
      if (p.inAudit !== undefined) expect(p.inAudit, `${p.name}: the audit names its jobs`).to.equal(true);
    }
  });

  it('leaves no failed row unreconciled, no duplicate record and no source without an owner', () => {
    expect(card.failedRowsNotReconciled).to.equal(0);
    expect(card.duplicateRecords).to.equal(0);
    expect(card.unknownSourcesWithoutOwner).to.equal(0);
    expect(card.historyGap.jobsInAudit).to.equal(card.historyGap.jobsRun);
    expect(card.goalsMet).to.equal(true);
  });

  it('with the lock storm detection dropped, the scorecard shows the lock storm never reported', async () => {
    const dropped = await runDrill({ days: DAYS, dropDetection: 'lock storm on a skewed parent' });
    const lock = dropped.problems.find((p) => p.name === 'lock storm on a skewed parent')!;
    expect(lock.reported).to.equal(undefined);
    expect(lock.withinADay).to.equal(false);
    expect(dropped.goalsMet).to.equal(false);
    expect(dropped.problems.filter((p) => p.name !== lock.name && p.detector.startsWith('monitor')).every((p) => p.withinADay)).to.equal(true);
  });
});
