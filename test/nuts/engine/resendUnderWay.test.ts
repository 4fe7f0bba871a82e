/*
 * reconcile of a run whose --retry round is still under way (its wait ran out): the round's rows are
 * pending (or never sent), never failed and retryable, nor in retry.csv: sent again from there, they
 * could load twice. The run is InProgress until resume finishes the round.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine, type EngineTarget } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import { resend } from '../../../src/core/reconcile/resend.js';
import { reconcileRun } from '../../../src/core/reconcile/reconcileRun.js';

const ROWS = 200;

describe('reconcile while a round of the run is under way', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator({});
    work = mkdtempSync(join(tmpdir(), 'bulkops-underway-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('shows the round\'s rows as pending or never sent, not retryable; resume then loads each once', async () => {
    const target: EngineTarget = { instanceUrl: emu.url, accessToken: emu.accessToken };
    const file = join(work, 'contacts.csv');
    writeFileSync(file, 'LastName,External_Id__c\n' + Array.from({ length: ROWS }, (_, i) => `Row ${i},R-${i}`).join('\n') + '\n');
    const { engine } = testEngine(target);
    emu.addJobFailure({ afterRows: 5 });
    const load = await engine.start(contactLoad(file, work, { maxJobBytes: 1024, chunkRows: 20 }));
    expect(load.status).to.equal('Completed');
    const before = await reconcileRun(load.runDir);
    expect(before.counts.retryable).to.be.greaterThan(0);

    // No wait: the round's jobs are sent (or not yet), their results not in.
    const retried = await resend(engine, load.runDir, { kind: 'retry' }, 0);
    expect(retried).to.include({ round: 1, sent: before.counts.retryable, status: 'InProgress' });
    const during = await reconcileRun(load.runDir);
    expect(during.status).to.equal('InProgress');
    expect(during.counts).to.include({ retryable: 0, unprocessed: 0 });
    expect(during.counts.pending + during.counts.neverSent).to.equal(retried.sent);
    expect(readCsv(during.files.retry)).to.have.length(0);
    const rows = readCsv(during.files.rows).filter((r) => r.sf__Round === '1');
    expect(rows).to.have.length(retried.sent);

    const done = await engine.resume(load.runDir, 60_000);
    expect(done.status).to.equal('Completed');
    const after = await reconcileRun(load.runDir);
    expect(after.status).to.equal('Completed');
    expect(after.counts).to.include({ rows: ROWS, succeeded: ROWS, pending: 0, neverSent: 0 });
    expect(emu.store.count('Contact')).to.equal(ROWS);
  });
});
