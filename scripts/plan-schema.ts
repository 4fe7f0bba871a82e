/*
 * Writes schemas/plan/bulkops-plan.schema.json from the core's plan rules (src/core/plan/schema.ts).
 * `npm run snapshots` runs it; a unit test checks the two agree.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planJsonSchema } from '../src/core/plan/schema.js';

const out = join(dirname(fileURLToPath(import.meta.url)), '..', 'schemas', 'plan', 'bulkops-plan.schema.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(planJsonSchema(), null, 2) + '\n');
process.stdout.write(`wrote ${out}\n`);
