/*
 * The emulator's audit seed (six months of a mid-size org's bulk activity) and the inventory its
 * team keeps, for the tests of jobs, audit and inventory init: an emulator with the seed, and a
 * real `sf` logged in to it with this plugin linked.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { readSeedFile } from '../emulator/seed.js';
import { checkInventoryText } from '../../src/core/inventory/validate.js';
import type { Inventory } from '../../src/core/inventory/schema.js';
import type { Emulator } from './emulator.js';
import type { SfHome } from './sf.js';
import { sfOnEmulator } from './sfOnEmulator.js';

export const AUDIT_SEED_FILE = fileURLToPath(new URL('../emulator/seeds/audit-org.json', import.meta.url));
export const AUDIT_INVENTORY_FILE = fileURLToPath(new URL('../fixtures/inventory/audit-seed.yaml', import.meta.url));
const DAY = 86_400_000;

/** The seed's inventory as text, reviewed `reviewedDaysAgo` days before `now`. */
export function seedInventoryText(now: number, reviewedDaysAgo = 10): string {
  return readFileSync(AUDIT_INVENTORY_FILE, 'utf8').replace(/^reviewed: .*$/m, `reviewed: ${new Date(now - reviewedDaysAgo * DAY).toISOString().slice(0, 10)}`);
}

/** The seed's inventory, reviewed `reviewedDaysAgo` days before `now`. */
export function seedInventory(now: number, reviewedDaysAgo = 10): Inventory {
  const { inventory, problems } = checkInventoryText(seedInventoryText(now, reviewedDaysAgo));
  expect(problems).to.deep.equal([]);
  return inventory!;
}

export type SeededSf = { emu: Emulator; sf: SfHome; historyDir: string; stop(): Promise<void> };

/** An emulator with the audit seed, a real sf logged in to it as "emu" with the plugin linked, an empty job history folder. */
export async function sfOnAuditSeed(): Promise<SeededSf> {
  const linked = await sfOnEmulator({ seed: readSeedFile(AUDIT_SEED_FILE) });
  const historyDir = mkdtempSync(join(tmpdir(), 'bulkops-history-'));
  return {
    ...linked,
    historyDir,
    stop: async (): Promise<void> => {
      await linked.stop();
      rmSync(historyDir, { recursive: true, force: true });
    },
  };
}
