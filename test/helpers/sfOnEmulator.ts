/*
 * The set-up of tests that run commands through the real `sf` binary: an emulator org, an isolated
 * sf home logged in to it as "emu", and this plugin linked.
 */
import type { EmulatorOptions } from '../emulator/server.js';
import { Emulator, startEmulator } from './emulator.js';
import { SfHome } from './sf.js';

export type LinkedSf = { emu: Emulator; sf: SfHome; stop(): Promise<void> };

export async function sfOnEmulator(opts: EmulatorOptions = {}): Promise<LinkedSf> {
  const emu = await startEmulator(opts);
  const sf = new SfHome();
  await sf.login(emu.url, emu.accessToken);
  await sf.linkPlugin();
  return {
    emu,
    sf,
    stop: async (): Promise<void> => {
      await emu.stop();
      sf.dispose();
    },
  };
}
