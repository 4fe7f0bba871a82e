/*
 * Rounds in the ledger's replay: an 'attempt' record adds parts whose numbers follow the run's, their
 * job records land on them, 'attempt-merged' marks the round merged; a ledger written before rounds
 * existed replays as it did (no rounds).
 */
import { expect } from 'chai';
import { allChunks, replay, type LedgerRecord } from '../../../../src/core/ledger/records.js';
import { plannedChunk } from '../../../helpers/ledger.js';

const at = '2026-12-01T00:00:00.000Z';
const chunk = plannedChunk;
const run: LedgerRecord = {
  t: 'run',
  at,
  runId: 'r1',
  object: 'Contact',
  operation: 'insert',
  files: ['in.csv'],
  resultsDir: '/tmp/r1',
  org: { username: 'u', orgId: '00D', userId: '005', instanceUrl: 'http://x' },
  concurrency: 5,
  backup: false,
};
const load: LedgerRecord[] = [
  run,
  { t: 'planned', at, chunks: [chunk(1, 2, 10), chunk(2, 12, 10)], rows: 20, rejected: 0, header: ['LastName'], fileSha256: 'x', fileBytes: 1 },
  { t: 'created', at, chunk: 1, jobId: '750A' },
  { t: 'created', at, chunk: 2, jobId: '750B' },
  { t: 'merged', at },
  { t: 'done', at },
];

describe('replay of rounds', () => {
  it('replays a ledger written before rounds existed as before: no rounds', () => {
    const state = replay(load);
    expect(state.attempts).to.deep.equal([]);
    expect(state.done).to.equal(true);
    expect(allChunks(state).map((c) => c.jobId)).to.deep.equal(['750A', '750B']);
  });

  it('puts a round\'s job records on its own parts, and marks it merged', () => {
    const final = { successful: 20, created: 20, updated: 0, failed: 0, unprocessed: 0, retryable: 0, rejected: 0, errorCodes: {} };
    const state = replay([
      ...load,
      { t: 'attempt', at, round: 1, kind: 'lock-retry', chunks: [chunk(3, 5, 1), chunk(4, 15, 1)], rows: 2, serial: true, dir: '/tmp/r1/rounds/1' },
      { t: 'creating', at, chunk: 3, journal: true },
      { t: 'created', at, chunk: 3, jobId: '750C' },
      { t: 'closed', at, chunk: 3, jobId: '750C' },
      { t: 'created', at, chunk: 4, jobId: '750D' },
      { t: 'attempt-merged', at, round: 1, succeeded: 2, failed: 0, unprocessed: 0, final },
    ]);
    expect(state.chunks.map((c) => c.jobId)).to.deep.equal(['750A', '750B']);
    expect(state.attempts).to.have.length(1);
    const [round] = state.attempts;
    expect(round).to.include({ round: 1, kind: 'lock-retry', rows: 2, serial: true });
    expect(round.chunks.map((c) => [c.chunk.index, c.jobId, c.closed === true])).to.deep.equal([
      [3, '750C', true],
      [4, '750D', false],
    ]);
    expect(round.merged).to.deep.equal({ succeeded: 2, failed: 0, unprocessed: 0, final });
    expect(allChunks(state)).to.have.length(4);
  });
});
