/*
 * reconcile --fixed-file on a hardDelete run: a row whose Id was changed would delete, for good, a
 * record the run never backed up and the user never confirmed. Refused; the same Id may go again.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import { resend } from '../../../src/core/reconcile/resend.js';
import { csvLine } from '../../../src/core/csv/writer.js';

describe('reconcile --fixed-file on a hardDelete run', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-resend-delete-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses a changed Id (never backed up nor confirmed): the record stays in the org', async () => {
    const ids = emu.insertRecords('Account', Array.from({ length: 20 }, (_, i) => ({ Name: `Acct ${i}` })));
    const file = join(work, 'ids.csv');
    writeFileSync(file, `Id\n${ids.slice(0, 5).join('\n')}\nnot-an-id\n`);
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const load = await engine.start({ object: 'Account', operation: 'hardDelete', files: [file], runId: 'run-del', ledgerDir: join(work, 'runs'), waitMs: 30_000, concurrency: 2, confirm: () => Promise.resolve(true) });
    expect(load).to.include({ successful: 5, rejected: 1 });

    // rejected.csv with the bad Id "fixed" to the Id of a record the run never named.
    const rows = readCsv(load.files!.rejected!);
    const fixed = join(work, 'fixed.csv');
    writeFileSync(fixed, [['sf__Line', 'Id'], ...rows.map((r) => [r.sf__Line, ids[15]])].map((r) => csvLine(r)).join(''));
    const sent = await resend(engine, load.runDir, { kind: 'fixed', file: fixed }, 30_000);
    expect(sent).to.include({ sent: 0, refused: 1 });
    expect(sent.refusals[0]).to.include({ line: 7, reason: 'not-backed-up' });
    expect(emu.store.get('Account', ids[15])).to.not.equal(undefined);
    expect(readFileSync(load.backup!.file, 'utf8')).to.not.include(ids[15]);
  });
});
