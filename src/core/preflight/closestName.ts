/*
 * "Did you mean …?" for names the user typed: the candidate at the smallest edit distance, ignoring
 * case, where swapping two neighbouring letters counts as one edit (Nmae -> Name), as typos do.
 */

/** Edits allowed before a candidate stops looking like a typo of the name: about one per 3 chars. */
function maxEdits(name: string): number {
  return Math.max(1, Math.floor(name.length / 3));
}

/**
 * The candidate closest to `name`, or undefined when none is close enough. Ties go to the
 * earlier candidate, so callers list the likelier ones first.
 */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const target = name.toLowerCase();
  const limit = maxEdits(name);
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    // Distance is at least the length difference: skip the table when that already loses.
    if (Math.abs(candidate.length - target.length) >= bestDistance) continue;
    const d = editDistance(target, candidate.toLowerCase(), bestDistance);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
      if (d === 0) break;
    }
  }
  return best;
}

/**
 * Optimal-string-alignment distance (insert, delete, substitute, swap neighbours). Returns `cap`
 * as soon as every alignment costs at least that much, which keeps long candidate lists cheap.
 */
export function editDistance(a: string, b: string, cap = Number.MAX_SAFE_INTEGER): number {
  const width = b.length + 1;
  // Three rows of the dynamic-programming table: two back (for swaps), one back, current.
  let prev2 = new Array<number>(width).fill(0);
  let prev = Array.from({ length: width }, (_, j) => j);
  let cur = new Array<number>(width).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin >= cap) return cap;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length];
}
