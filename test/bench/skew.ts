/*
 * Lock failures on skewed child data, on the emulator with its defaults (10,000-row chunks, 4
 * workers, 10 s lock time-out): 200,000 Contacts over 20 Accounts (60,000 on the first, 500 on the
 * last) in a scrambled order, loaded through the engine with --concurrency parallel, serial and
 * auto, each into a fresh org. Prints one line each: jobs, rows loaded, UNABLE_TO_LOCK_ROW, wall time.
 *
 *   TS_NODE_PROJECT=test/tsconfig.json node --loader ts-node/esm --no-warnings test/bench/skew.ts
 *
 * The emulator's simulated clock runs 1,000 times faster than the client's polls, so its org time
 * is not a figure to compare here; the rows failed are.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contactLoad, testEngine } from '../helpers/engine.js';
import { BENCH_SKEW, scrambledParents, skewedContactsOrg } from '../helpers/skew.js';

const SKEW = BENCH_SKEW;
const work = mkdtempSync(join(tmpdir(), 'bulkops-skew-'));
const parents = scrambledParents(SKEW);
try {
  for (const mode of ['parallel', 'serial', 'auto'] as const) {
    const file = join(work, `contacts-${mode}.csv`);
    const emu = await skewedContactsOrg(SKEW, parents, file);
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const started = Date.now();
    const r = await engine.start(contactLoad(file, work, { waitMs: 3_600_000, concurrency: mode === 'serial' ? 1 : 5, autoConcurrency: mode === 'auto', force: true }));
    const locks = r.errorCodes.find((c) => c.code === 'UNABLE_TO_LOCK_ROW')?.count ?? 0;
    const why = r.concurrency ? ` (${r.concurrency.decision.reason})` : '';
    console.log(`${mode}: ${r.jobs.length} jobs, ${r.successful} rows loaded, ${locks} UNABLE_TO_LOCK_ROW, ${((Date.now() - started) / 1000).toFixed(1)} s${why}`);
    await emu.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
