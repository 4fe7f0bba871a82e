/*
 * Starts an emulator in the test process, with helpers to read back what it holds.
 */
import { Emulator, EmulatorOptions } from '../emulator/server.js';

export async function startEmulator(opts: EmulatorOptions = {}): Promise<Emulator> {
  const emu = new Emulator(opts);
  await emu.start();
  return emu;
}

export { Emulator };
