/*
 * "Killed while the org was still answering": the emulator holds a chosen request of a child load
 * (a hold fault), and the child is killed -9 once the org has all of that request. The held request
 * is handled when the test releases it (emu.releaseHeld()), the client long gone.
 */
import type { LoadEvent } from '../../src/core/run/types.js';
import type { Emulator } from './emulator.js';
import { type ChildExit, type ChildInput, spawnEngineChild } from './engine.js';

/** A call of a load, as the emulator sees it. */
export type Route = { method: string; path: RegExp };

export const isCall = (r: Route, e: { method: string; path: string }): boolean => e.method === r.method && r.path.test(e.path);

/**
 * Runs the child; the org holds its `nth` call of `route` (counting only those `where` keeps: a
 * round's calls, say) and the child dies -9 as the hold begins.
 */
export async function killWhileHeld(
  emu: Emulator,
  input: ChildInput,
  route: Route,
  nth: number,
  where: (e: { method: string; path: string }) => boolean = (): boolean => true
): Promise<ChildExit> {
  let seen = 0;
  // eslint-disable-next-line no-param-reassign -- the emulator's test hooks, for this child only
  emu.onRequest = (entry): void => {
    if (isCall(route, entry) && where(entry) && ++seen === nth) emu.addFault({ kind: 'hold', method: route.method, path: route.path.source });
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

export type InDoubt = Extract<LoadEvent, { type: 'send-in-doubt' }>;

/**
 * Runs a resume (`resume`, handed the engine's event sink) after killWhileHeld: the held call lands
 * once the resume has looked, as it says it waits for a send in doubt or (a resume that does not
 * wait) as its first call of `releaseAt` arrives. Returns once the held call is handled too, with the
 * waits the resume announced.
 */
export async function landingAsResumed<T>(emu: Emulator, releaseAt: Route, resume: (onEvent: (e: LoadEvent) => void) => Promise<T>): Promise<{ result: T; waits: InDoubt[] }> {
  const waits: InDoubt[] = [];
  // eslint-disable-next-line no-param-reassign -- the emulator's test hook, for this resume only
  emu.onRequest = (entry): void => {
    if (isCall(releaseAt, entry)) emu.releaseHeld();
  };
  try {
    const result = await resume((e) => {
      if (e.type !== 'send-in-doubt') return;
      waits.push(e);
      emu.releaseHeld();
    });
    emu.releaseHeld();
    await emu.heldSettled();
    return { result, waits };
  } finally {
    // eslint-disable-next-line no-param-reassign
    emu.onRequest = undefined;
  }
}
