/*
 * Lock failures on skewed child data, on the emulator with its defaults (10,000-row chunks, 4
 * workers, 10 s lock time-out): 200,000 Contacts over 20 Accounts (60,000 on the first, 500 on the
 * last) in a scrambled order, loaded through the engine with --concurrency parallel, serial and
 * auto, each into a fresh org, with 3 lock rounds (the rows that failed with UNABLE_TO_LOCK_ROW sent
 * again one job at a time). Prints one line each: jobs, UNABLE_TO_LOCK_ROW of the load, rounds (rows
 * sent, still locked), rows loaded, rows left failed, wall time.
 *
 *   TS_NODE_PROJECT=test/tsconfig.json node --loader ts-node/esm --no-warnings test/bench/skew.ts
 *
 * The emulator's simulated clock runs 1,000 times faster than the client's polls, so its org time
 * is not a figure to compare here; the rows failed are.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../helpers/emulator.js';
import { OrgHttp } from '../../src/core/http/orgHttp.js';
import { engineForHttp } from '../../src/core/load/engineFactory.js';
import { contactLoad, testStateDir } from '../helpers/engine.js';
import { scrambledParents } from '../helpers/skew.js';

const SKEW = [60_000, 40_000, 25_000, 15_000, 10_000, 10_000, 8000, 6000, 5000, 4000, 3000, 3000, 2500, 2000, 2000, 1500, 1000, 1000, 500, 500];
const work = mkdtempSync(join(tmpdir(), 'bulkops-skew-'));
const parents = scrambledParents(SKEW);
try {
  for (const mode of ['parallel', 'serial', 'auto'] as const) {
    const emu = await startEmulator();
    const accounts = emu.insertRecords('Account', SKEW.map((_, i) => ({ Name: `Parent ${i}` })));
    const file = join(work, `contacts-${mode}.csv`);
    writeFileSync(file, 'LastName,AccountId\n' + parents.map((a, i) => `Contact ${i},${accounts[a]}`).join('\n') + '\n');
    // The tests' 1 s idle time-out is too short for 200,000-row result downloads on a busy machine.
    const http = new OrgHttp({ instanceUrl: emu.url, apiVersion: '66.0', accessToken: (): string => emu.accessToken, refresh: (): Promise<void> => Promise.reject(new Error('no refresh in the bench')) }, { connectMs: 10_000, idleMs: 60_000 });
    const engine = engineForHttp(http, { stateDir: testStateDir({ instanceUrl: emu.url, accessToken: emu.accessToken }), poll: { minMs: 20, maxMs: 200 }, retry: { attempts: 6, baseMs: 10, maxMs: 100 } });
    const started = Date.now();
    const r = await engine.start(contactLoad(file, work, { waitMs: 3_600_000, concurrency: mode === 'serial' ? 1 : 5, autoConcurrency: mode === 'auto', force: true, lockRounds: 3 }));
    const rounds = r.rounds ?? [];
    const locks = rounds.length ? rounds[0].rows : r.errorCodes.find((c) => c.code === 'UNABLE_TO_LOCK_ROW')?.count ?? 0;
    const roundText = rounds.map((x) => `${x.rows} sent, ${x.stillLocked} still locked`).join('; ') || 'none';
    const why = r.concurrency ? ` (${r.concurrency.decision.reason})` : '';
    console.log(`${mode}: ${r.jobs.length} jobs, ${locks} UNABLE_TO_LOCK_ROW in the load, rounds: ${roundText}; ${r.successful} rows loaded, ${r.failed} left failed, ${((Date.now() - started) / 1000).toFixed(1)} s${why}`);
    await emu.stop();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
