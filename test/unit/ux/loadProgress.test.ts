import { expect } from 'chai';
import { LoadProgress } from '../../../src/ux/loadProgress.js';
import type { LoadEvent } from '../../../src/core/run/types.js';

describe('load progress lines (outside a terminal)', () => {
  const setup = (): { lines: string[]; at: { t: number }; on: (e: LoadEvent) => void } => {
    const lines: string[] = [];
    const at = { t: 1_000_000 };
    const progress = new LoadProgress((l) => lines.push(l), 'a.csv', () => at.t);
    return { lines, at, on: (e) => progress.on(e) };
  };
  const poll = (jobId: string, processed: number): LoadEvent => ({ type: 'job-progress', jobId, state: 'InProgress', processed, failed: 0 });

  it('prints the jobs created while the file is split after the line that says what was read; held lines are printed if the split never ends', () => {
    const lines: string[] = [];
    const progress = new LoadProgress((l) => lines.push(l), 'a.csv', () => 0);
    progress.on({ type: 'stage', stage: 'read' });
    progress.on({ type: 'job-created', jobId: '750a', chunk: 1, rows: 150, adopted: false });
    expect(lines).to.deep.equal([]);
    progress.on({ type: 'planned', rows: 300, chunks: 2, bytes: 100, rejected: 0 });
    progress.on({ type: 'job-created', jobId: '750b', chunk: 2, rows: 150, adopted: false });
    expect(lines.map((l) => l.split(' ')[0] + ' ' + l.split(' ')[1])).to.deep.equal(['Read 300', 'Job 750a', 'Job 750b']);

    const refused: string[] = [];
    const other = new LoadProgress((l) => refused.push(l), 'a.csv', () => 0);
    other.on({ type: 'stage', stage: 'read' });
    other.on({ type: 'job-created', jobId: '750c', chunk: 1, rows: 150, adopted: false });
    other.release();
    expect(refused).to.have.length(1);
    expect(refused[0]).to.contain('750c');
  });

  it('a resumed run says what it goes on with, and its progress counts against the run\'s rows (not 0) from the first line', () => {
    const { lines, on } = setup();
    on({ type: 'resumed', runId: 'run-1', rows: 60_000, parts: 3, ended: 1 });
    on(poll('750a', 54_087));
    expect(lines).to.deep.equal(['Resuming run run-1: 60000 rows in 3 part(s), 1 of their jobs ended before.', 'Processed 54087 of 60000 rows (0 failed).']);
  });

  it('says which batch of which part is in doubt, when it was sent and until when the load waits before sending it again', () => {
    const { lines, on } = setup();
    on({ type: 'send-in-doubt', what: 'batch', chunk: 1, jobId: '750x', batch: 2, sentAt: '2026-12-07T15:00:00.000Z', until: '2026-12-07T15:11:00.000Z' });
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^Part 1: batch 2 was sent to job 750x at 2026-12-07T15:00:00.000Z .* Waiting until 2026-12-07T15:11:00.000Z .*SF_BULKOPS_MAX_ANSWER_MS/);
  });

  it('prints no progress line while nothing was processed', () => {
    const { lines, on } = setup();
    on({ type: 'planned', rows: 10, chunks: 1, bytes: 100, rejected: 0 });
    on(poll('750a', 0));
    expect(lines.filter((l) => l.startsWith('Processed'))).to.deep.equal([]);
  });

  it('after a resume, the rate counts only rows this process saw processed, over its own time', () => {
    const { lines, at, on } = setup();
    on({ type: 'progress', processed: 0, failed: 0, total: 1_000_000, recordsPerSecond: 0 });
    on(poll('750a', 900_000)); // processed before this process started
    expect(lines).to.deep.equal(['Processed 900000 of 1000000 rows (0 failed).']);
    at.t += 10_000;
    on(poll('750a', 950_000));
    expect(lines[1]).to.equal('Processed 950000 of 1000000 rows (0 failed), 5000 rows/s.');
  });

  it('adds up the jobs of a run, and prints at most one line every 3 seconds', () => {
    const { lines, at, on } = setup();
    on({ type: 'planned', rows: 300, chunks: 2, bytes: 100, rejected: 0 });
    on({ type: 'job-created', jobId: 'a', chunk: 1, rows: 150, adopted: false });
    on(poll('a', 0));
    on(poll('b', 0));
    at.t += 1000;
    on(poll('a', 100));
    at.t += 1000;
    on(poll('b', 100));
    at.t += 2000;
    on(poll('b', 150));
    expect(lines.filter((l) => l.startsWith('Processed'))).to.deep.equal(['Processed 100 of 300 rows (0 failed), 100 rows/s.', 'Processed 250 of 300 rows (0 failed), 63 rows/s.']);
  });
  it('prints the probe\'s estimate with the plan it is for', () => {
    const { lines, on } = setup();
    on({ type: 'estimate', source: 'probe', msPerRow: 10, apexMsPerRow: 8, lockRate: 0, rows: 190_000, parts: 19, jobsAtOnce: 5, processingMs: 1_900_000, wallMs: 380_000 });
    expect(lines).to.deep.equal([
      'Measured on part 1, run alone: 10 ms of org processing a row (8.0 ms of it automation), 0.0% of its rows failed on a lock. The other 19 parts (190,000 rows, 5 jobs at once): about 31m 40s of org processing, 6m 20s of the org\'s time at the least, if the org processes their chunks side by side.',
    ]);
  });
  it('says how many chunks at once the elapsed time is for, and where the figure comes from', () => {
    const e = { source: 'probe' as const, msPerRow: 10, apexMsPerRow: 8, lockRate: 0, rows: 190_000, parts: 19, jobsAtOnce: 5, processingMs: 1_900_000, wallMs: 475_000 };
    const { lines, on } = setup();
    on({ type: 'estimate', ...e, chunksAtOnce: 4, chunksAtOnceFrom: 'probe' });
    on({ type: 'estimate', ...e, chunksAtOnce: 3, chunksAtOnceFrom: 'earlier-runs' });
    on({ type: 'estimate', ...e, wallMs: 380_000, chunksAtOnce: 5, chunksAtOnceFrom: 'plan' });
    on({ type: 'estimate', ...e, jobsAtOnce: 1, wallMs: 1_900_000, chunksAtOnce: 1, chunksAtOnceFrom: 'plan' });
    expect(lines.map((l) => l.slice(l.indexOf('org processing, ') + 16))).to.deep.equal([
      "7m 55s of the org's time with 4 chunks processed at once, as the org did for part 1.",
      "7m 55s of the org's time with 3 chunks processed at once, as the org did for an earlier run.",
      "6m 20s of the org's time at the least, if the org processes all 5 chunks the plan offers at once.",
      "31m 40s of the org's time with one chunk or batch processed at a time, as the plan sends them.",
    ]);
  });
});
