/*
 * Child rows over a few parents in a fixed scrambled order (the same on every run), for the tests and
 * the bench of --concurrency auto: every stretch of the file holds children of most parents.
 */
import { writeFileSync } from 'node:fs';
import { Emulator, startEmulator } from './emulator.js';

/** The benches' skew: 200,000 Contacts over 20 Accounts, 60,000 on the first, 500 on the last. */
export const BENCH_SKEW = [60_000, 40_000, 25_000, 15_000, 10_000, 10_000, 8000, 6000, 5000, 4000, 3000, 3000, 2500, 2000, 2000, 1500, 1000, 1000, 500, 500];

/** A fresh emulator org with an Account per entry of `counts`, and `file`: a Contact per entry of `parents`, pointing to its Account by Id. */
export async function skewedContactsOrg(counts: number[], parents: number[], file: string): Promise<Emulator> {
  const emu = await startEmulator();
  const accounts = emu.insertRecords('Account', counts.map((_, i) => ({ Name: `Parent ${i}` })));
  writeFileSync(file, 'LastName,AccountId\n' + parents.map((a, i) => `Contact ${i},${accounts[a]}`).join('\n') + '\n');
  return emu;
}

/** counts[a]: how many children parent a has; returns the parent of each row, scrambled. */
export function scrambledParents(counts: number[]): number[] {
  const parents = counts.flatMap((n, a) => Array.from({ length: n }, (): number => a));
  // A Fisher-Yates shuffle driven by a fixed linear congruential generator.
  let seed = 7;
  for (let i = parents.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = seed % (i + 1);
    [parents[i], parents[j]] = [parents[j], parents[i]];
  }
  return parents;
}
