/*
 * Test hook: SF_BULKOPS_CRASH_AT=<point>[:<chunk>] kills the process with SIGKILL at that point, so
 * tests can prove that `resume` finishes a run whatever the moment of the crash. Unset, it costs a
 * string compare.
 */
export type CrashPoint = 'before-round-planned' | 'before-round-merged' | 'before-planned' | 'before-create' | 'after-create' | 'after-claim' | 'after-drop' | 'mid-upload' | 'after-upload' | 'after-close' | 'mid-results' | 'before-merge';

export function crashIfAsked(point: CrashPoint, chunk?: number): void {
  const spec = process.env.SF_BULKOPS_CRASH_AT;
  if (!spec) return;
  const [at, which] = spec.split(':');
  if (at !== point) return;
  if (which !== undefined && chunk !== undefined && Number(which) !== chunk) return;
  process.kill(process.pid, 'SIGKILL');
}
