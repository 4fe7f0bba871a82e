/*
 * --fixed-file and a row that a completed job gave no result for (join.ts lists it as unprocessed,
 * never retryable: it may have been saved). Sending it again could make a second record: refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine, type EngineTarget } from '../../helpers/engine.js';
import { resend } from '../../../src/core/reconcile/resend.js';
import { reconcileRun } from '../../../src/core/reconcile/reconcileRun.js';
import { csvLine } from '../../../src/core/csv/writer.js';

describe('reconcile --fixed-file: a row its completed job gave no result for', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator({});
    work = mkdtempSync(join(tmpdir(), 'bulkops-unmatched-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('is refused (it may have loaded), and the org keeps one record for it', async () => {
    const target: EngineTarget = { instanceUrl: emu.url, accessToken: emu.accessToken };
    const file = join(work, 'contacts.csv');
    writeFileSync(file, 'LastName,Title\n' + Array.from({ length: 10 }, (_, i) => `Row ${i},T${i}`).join('\n') + '\n');
    const { engine } = testEngine(target);
    const load = await engine.start(contactLoad(file, work));
    expect(load.successful).to.equal(10);
    // The result files as join.ts leaves them when a completed job's results miss a row that was saved.
    const success = readFileSync(load.files!.success, 'utf8').split('\n');
    const [line, , , ...values] = success.splice(6, 1)[0].split(',');
    writeFileSync(load.files!.success, success.join('\n'));
    writeFileSync(load.files!.unprocessed, readFileSync(load.files!.unprocessed, 'utf8') + csvLine([line, ...values]));
    expect((await reconcileRun(load.runDir)).counts).to.include({ unprocessed: 1, retryable: 0 });

    const fixed = join(work, 'fixed.csv');
    writeFileSync(fixed, readFileSync(load.files!.unprocessed, 'utf8'));
    const sent = await resend(engine, load.runDir, { kind: 'fixed', file: fixed }, 60_000);
    expect(sent).to.include({ sent: 0, refused: 1 });
    expect(sent.refusals[0]).to.include({ line: Number(line), reason: 'may-have-loaded' });
    expect(emu.store.count('Contact')).to.equal(10);
  });
});
