/*
 * Test hook: SF_BULKOPS_CRASH_AT=<point>[:<chunk>] kills the process with SIGKILL at that point, so
 * tests can prove that `resume` finishes a run whatever the moment of the crash. Unset, it costs a
 * string compare.
 */
/**
 * The plan points (plan-before-step: the step's run named in the plan ledger, not started;
 * plan-step-done: the step's end recorded, the next not begun) take the step's number.
 * The V1 points (before-batch: its intent written, not sent; after-batch: the org has it, the ledger
 * not yet) take the batch's number within its part instead of a part's.
 */
/**
 * The export's points take the page's number (0 for the first): mid-page (its first chunk of bytes
 * written), page-written (all its bytes on disk, the ledger not told), after-page (the ledger told).
 */
export type CrashPoint = 'mid-page' | 'page-written' | 'after-page' | 'before-batch' | 'after-batch' | 'before-round-planned' | 'before-round-merged' | 'before-planned' | 'before-create' | 'after-create' | 'after-claim' | 'after-drop' | 'mid-upload' | 'after-upload' | 'after-close' | 'mid-results' | 'before-merge' | 'plan-before-step' | 'plan-step-done';

export function crashIfAsked(point: CrashPoint, chunk?: number): void {
  const spec = process.env.SF_BULKOPS_CRASH_AT;
  if (!spec) return;
  const [at, which] = spec.split(':');
  if (at !== point) return;
  if (which !== undefined && chunk !== undefined && Number(which) !== chunk) return;
  process.kill(process.pid, 'SIGKILL');
}
