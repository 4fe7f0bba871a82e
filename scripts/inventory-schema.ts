/*
 * Writes schemas/inventory/bulkops-inventory.schema.json from the core's inventory rules
 * (src/core/inventory/schema.ts). `npm run snapshots` runs it; a unit test checks the two agree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inventoryJsonSchema } from '../src/core/inventory/schema.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'inventory', 'bulkops-inventory.schema.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(inventoryJsonSchema(), null, 2) + '\n');
process.stdout.write(`wrote ${out}\n`);
