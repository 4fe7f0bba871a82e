/*
 * The one guard of every round: a row that succeeded (in any round: its latest outcome says so) is
 * never sent again; planRound refuses the whole round before it writes anything.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { AlreadySucceededError, planRound } from '../../../../src/core/attempts/plan.js';
import { mayResend } from '../../../../src/core/run/runRows.js';
import { Ledger } from '../../../../src/core/ledger/ledger.js';
import { replay, type ChunkState } from '../../../../src/core/ledger/records.js';

describe('planRound', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-plan-round-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const doneRun = (): { ledger: Ledger; state: ReturnType<typeof replay> } => {
    const ledger = new Ledger(dir);
    ledger.append({
      t: 'run',
      runId: 'r1',
      object: 'Contact',
      operation: 'insert',
      files: ['in.csv'],
      resultsDir: dir,
      org: { username: 'u', orgId: '00D', userId: '005', instanceUrl: 'http://x' },
      concurrency: 5,
      backup: false,
    });
    ledger.append({ t: 'planned', chunks: [], rows: 3, rejected: 0, header: ['LastName'], fileSha256: 'x', fileBytes: 1 });
    ledger.append({ t: 'done' });
    return { ledger, state: replay(Ledger.read(dir)) };
  };

  it('allows only rows that did not load', () => {
    expect(['failed', 'unprocessed', 'rejected'].every((state) => mayResend({ state: state as 'failed' }))).to.equal(true);
    expect(['succeeded', 'pending', 'never-sent'].some((state) => mayResend({ state: state as 'failed' }))).to.equal(false);
    // A completed job reports every row: one it gave no result for may have loaded.
    const part = (state: 'JobComplete' | 'Failed'): ChunkState => ({ chunk: { index: 1 }, terminal: { state } }) as unknown as ChunkState;
    expect(mayResend({ state: 'unprocessed', part: part('JobComplete') })).to.equal(false);
    expect(mayResend({ state: 'unprocessed', part: part('Failed') })).to.equal(true);
  });

  it('refuses a round with a row that succeeded, and records nothing', async () => {
    const { ledger, state } = doneRun();
    let error: unknown;
    try {
      await planRound(ledger, dir, state, { kind: 'retry', serial: false, rows: [{ fileIndex: 0, line: 2, values: ['A'], state: 'failed' }, { fileIndex: 0, line: 3, values: ['B'], state: 'succeeded' }] });
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(AlreadySucceededError);
    expect((error as AlreadySucceededError).line).to.equal(3);
    expect(Ledger.read(dir).some((r) => r.t === 'attempt')).to.equal(false);
    expect(existsSync(join(dir, 'rounds', '1'))).to.equal(false);
  });

  it('numbers a round\'s parts after the run\'s, in parts of one chunk when serial', async () => {
    const { ledger, state } = doneRun();
    const rows = Array.from({ length: 25_001 }, (_, i) => ({ fileIndex: 0, line: i + 2, values: [`N${i}`], state: 'failed' as const }));
    const round = await planRound(ledger, dir, state, { kind: 'lock-retry', serial: true, rows });
    expect(round!.chunks.map((c) => [c.chunk.index, c.chunk.rows, c.chunk.firstLine])).to.deep.equal([
      [1, 10_000, 2],
      [2, 10_000, 10_002],
      [3, 5001, 20_002],
    ]);
    const again = replay(Ledger.read(dir));
    expect(again.attempts[0]).to.include({ round: 1, kind: 'lock-retry', rows: 25_001, serial: true });
  });
});
