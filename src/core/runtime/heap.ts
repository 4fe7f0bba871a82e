/*
 * V8 tuning for commands that stream files through the process.
 *
 * V8 "pretenures" objects from an allocation site when most of them are still alive at a young-
 * generation GC: it then allocates them straight into the old generation. A streaming loop trips
 * that heuristic (a batch of parsed rows is alive while it is being processed), after which every
 * row's objects go to the old generation, which only a full GC empties: inside `sf` the heap then
 * grew by ~150 MB per 100 MB of CSV although the live data stayed under 60 MB. With pretenuring
 * off, the row garbage dies young and the process stays near an idle `sf` (measured with
 * `npm run bench:memory`, test/bench/memory.ts). The flag only changes where new objects are placed, never what is kept.
 */
import { setFlagsFromString } from 'node:v8';

let applied = false;

export function keepStreamingGarbageYoung(): void {
  if (applied) return;
  applied = true;
  setFlagsFromString('--no-allocation-site-pretenuring');
}
