/*
 * "Killed while the org was still answering": the emulator holds a chosen request of a child load
 * (a hold fault), and the child is killed -9 once the org has all of that request. The held request
 * is handled when the test releases it (emu.releaseHeld()), the client long gone.
 */
import type { Emulator } from './emulator.js';
import { type ChildExit, type ChildInput, spawnEngineChild } from './engine.js';

/** A call of a load, as the emulator sees it. */
export type Route = { method: string; path: RegExp };

export const isCall = (r: Route, e: { method: string; path: string }): boolean => e.method === r.method && r.path.test(e.path);

/** Runs the child; the org holds its `nth` call of `route` and the child dies -9 as the hold begins. */
export async function killWhileHeld(emu: Emulator, input: ChildInput, route: Route, nth: number): Promise<ChildExit> {
  let seen = 0;
  // eslint-disable-next-line no-param-reassign -- the emulator's test hooks, for this child only
  emu.onRequest = (entry): void => {
    if (isCall(route, entry) && ++seen === nth) emu.addFault({ kind: 'hold', method: route.method, path: route.path.source });
  };
  const { child, exited } = spawnEngineChild(input);
  // eslint-disable-next-line no-param-reassign
  emu.onHeld = (): boolean => child.kill('SIGKILL');
  try {
    return await exited;
  } finally {
    // eslint-disable-next-line no-param-reassign
    emu.onRequest = undefined;
    // eslint-disable-next-line no-param-reassign
    emu.onHeld = undefined;
  }
}
