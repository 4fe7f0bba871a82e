/*
 * Which job, if any, an interrupted job creation made. A creation whose answer was lost (a crash, a
 * reset after the org handled it) may have left an Open job in the org that no ledger names: an
 * orphan. Finding it again is what keeps a resumed run from creating a second job for the same part;
 * giving it to the wrong part (or the wrong run) loses rows. The rules:
 * - creations of one user, object and operation are made one at a time on this machine (a lock), each
 *   written down (intent) right before its request, so the org's jobs come in the order of the intents;
 * - a candidate is an Open job of that user, object and operation, created since the intents began
 *   (allowing for clock skew), that no ledger on this machine has claimed;
 * - the intents still unresolved and the candidates are matched in order, one to one: when there are
 *   exactly as many candidates as unresolved intents each intent gets its own; when there is none,
 *   no intent made a job; anything else (a job made by another machine under the same user, say) is
 *   ambiguous, and the caller stops and lists the candidates rather than guess. Another machine's
 *   job can still pass for ours when the counts happen to match: this machine cannot see its intents.
 *   (An upload never lands in a job that holds data, so that mistake loses no row: see jobRunner.ts.)
 */

export type Intent = { run: string; chunk: number; at: string };
export type Candidate = { id: string; createdDate: string };

export type OrphanMatch<C extends Candidate> =
  | { kind: 'adopt'; job: C }
  | { kind: 'none' }
  | { kind: 'ambiguous'; candidates: C[]; intents: Intent[] };

/** Jobs' createdDate has second precision: ties are ordered by Id, which the org hands out in sequence. */
export function byCreation(a: Candidate, b: Candidate): number {
  const ta = Date.parse(a.createdDate.replace(/\+0000$/, 'Z'));
  const tb = Date.parse(b.createdDate.replace(/\+0000$/, 'Z'));
  return ta - tb || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * The job `ours` made, given every unresolved intent of the same user, object and operation on this
 * machine since `ours` (and within the skew before it) and the unclaimed Open candidates.
 */
export function matchOrphan<C extends Candidate>(ours: Intent, unresolved: Intent[], candidates: C[]): OrphanMatch<C> {
  const intents = [...unresolved];
  if (!intents.some((i) => i.run === ours.run && i.chunk === ours.chunk)) intents.push(ours);
  intents.sort((a, b) => a.at.localeCompare(b.at) || a.run.localeCompare(b.run) || a.chunk - b.chunk);
  if (candidates.length === 0) return { kind: 'none' };
  if (candidates.length !== intents.length) return { kind: 'ambiguous', candidates: [...candidates].sort(byCreation), intents };
  const sorted = [...candidates].sort(byCreation);
  const position = intents.findIndex((i) => i.run === ours.run && i.chunk === ours.chunk);
  return { kind: 'adopt', job: sorted[position] };
}
