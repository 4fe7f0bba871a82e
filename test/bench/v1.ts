/*
 * Bulk API V1 Serial against Parallel on skewed child data, on the emulator with its defaults
 * (4 workers, 10 s lock time-out): 200,000 Contacts over 20 Accounts (60,000 on the first, 500 on
 * the last) in a scrambled order, loaded through the engine with --bulk-api v1 and 10,000-row
 * batches, each into a fresh org. Prints one line each: jobs, batches, rows loaded,
 * UNABLE_TO_LOCK_ROW, org time (first batch in to last batch done, simulated) and wall time.
 *
 *   TS_NODE_PROJECT=test/tsconfig.json node --loader ts-node/esm --no-warnings test/bench/v1.ts
 *
 * The emulator's simulated clock runs faster than real time while it works: the wall time says how
 * the client keeps up; the org time is what the mode costs in the org.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { contactLoad, testEngine } from '../helpers/engine.js';
import { BENCH_SKEW, scrambledParents, skewedContactsOrg } from '../helpers/skew.js';

const SKEW = BENCH_SKEW;
const work = mkdtempSync(join(tmpdir(), 'bulkops-v1bench-'));
const parents = scrambledParents(SKEW);
try {
  for (const mode of ['Parallel', 'Serial'] as const) {
    const file = join(work, `contacts-${mode}.csv`);
    const emu = await skewedContactsOrg(SKEW, parents, file);
    const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const started = Date.now();
    const r = await engine.start(contactLoad(file, work, { waitMs: 3_600_000, concurrency: mode === 'Serial' ? 1 : 5, force: true, v1: { concurrencyMode: mode, batchRows: 10_000 } }));
    const locks = r.errorCodes.find((c) => c.code === 'UNABLE_TO_LOCK_ROW')?.count ?? 0;
    const batches = r.jobs.reduce((n, j) => n + (j.batches ?? 0), 0);
    // Org time: from the first batch's arrival to the last one's end, on the emulator's simulated clock.
    const all = emu.bulkV1.listJobs().flatMap((j) => j.batches);
    const orgSeconds = (Math.max(...all.map((b) => b.systemModstamp)) - Math.min(...all.map((b) => b.createdDate))) / 1000;
    console.log(`v1 ${mode}: ${r.jobs.length} jobs, ${batches} batches, ${r.successful} rows loaded, ${locks} UNABLE_TO_LOCK_ROW, org time ${orgSeconds.toFixed(0)} s, wall time ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await emu.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
