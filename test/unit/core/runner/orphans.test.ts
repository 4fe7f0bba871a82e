/*
 * Matching interrupted job creations to the org's unclaimed Open jobs: in order, one to one, and a
 * refusal to guess when the counts do not fit.
 */
import { expect } from 'chai';
import { byCreation, matchOrphan } from '../../../../src/core/runner/orphans.js';

const intent = (run: string, chunk: number, at: string): { run: string; chunk: number; at: string } => ({ run, chunk, at });
const job = (id: string, createdDate: string): { id: string; createdDate: string } => ({ id, createdDate });

describe('orphan jobs matched to creation intents', () => {
  const a = intent('/runs/a', 1, '2026-12-01T10:00:00.000Z');
  const b = intent('/runs/b', 3, '2026-12-01T10:00:01.500Z');

  it('gives the only candidate to the only unresolved intent', () => {
    expect(matchOrphan(a, [a], [job('750A', '2026-12-01T10:00:00.000+0000')])).to.deep.equal({ kind: 'adopt', job: job('750A', '2026-12-01T10:00:00.000+0000') });
  });

  it('says no job was made when there is no candidate', () => {
    expect(matchOrphan(a, [a, b], [])).to.deep.equal({ kind: 'none' });
  });

  it('matches two runs killed after creation to their own jobs, in order, whoever asks first', () => {
    const jobs = [job('750B', '2026-12-01T10:00:02.000+0000'), job('750A', '2026-12-01T10:00:01.000+0000')];
    expect(matchOrphan(a, [a, b], jobs)).to.deep.include({ kind: 'adopt', job: jobs[1] });
    expect(matchOrphan(b, [a, b], jobs)).to.deep.include({ kind: 'adopt', job: jobs[0] });
  });

  it('orders jobs created in the same second by Id', () => {
    const jobs = [job('750000000000002', '2026-12-01T10:00:01.000+0000'), job('750000000000001', '2026-12-01T10:00:01.000+0000')];
    expect([...jobs].sort(byCreation).map((j) => j.id)).to.deep.equal(['750000000000001', '750000000000002']);
    expect(matchOrphan(b, [a, b], jobs)).to.deep.include({ kind: 'adopt', job: jobs[0] });
  });

  it('refuses to guess when there are more candidates than intents (another machine, same user)', () => {
    const jobs = [job('750A', '2026-12-01T10:00:01.000+0000'), job('750X', '2026-12-01T10:00:01.000+0000')];
    const match = matchOrphan(a, [a], jobs);
    expect(match.kind).to.equal('ambiguous');
    expect(match.kind === 'ambiguous' && match.candidates.map((c) => c.id)).to.deep.equal(['750A', '750X']);
  });

  it('refuses to guess when fewer candidates than intents could each be anyone’s', () => {
    expect(matchOrphan(a, [a, b], [job('750A', '2026-12-01T10:00:01.000+0000')]).kind).to.equal('ambiguous');
  });

  it('counts the asking intent even when the list of unresolved intents lacks it', () => {
    expect(matchOrphan(a, [], [job('750A', '2026-12-01T10:00:01.000+0000')]).kind).to.equal('adopt');
  });
});
