/*
 * Child rows over a few parents in a fixed scrambled order (the same on every run), for the tests and
 * the bench of --concurrency auto: every stretch of the file holds children of most parents.
 */

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
