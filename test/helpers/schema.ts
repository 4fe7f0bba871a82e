/*
 * Checks a command's --json result against its committed schema in schemas/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { PROJECT_ROOT } from './sf.js';

export function schemaErrors(schemaFile: string, data: unknown): string[] {
  const schema = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', schemaFile), 'utf8')) as object;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(schema);
  if (validate(data)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}
