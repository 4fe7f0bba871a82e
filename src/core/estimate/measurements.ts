/*
 * What earlier runs measured, per org and object, in the machine's bulkops state folder
 * (measurements/<orgId>-<object>.json, one entry per operation): `--dry-run` prices its plan with
 * it. The latest measurement of an operation replaces the one before. Counts and times only.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Measurement } from './estimate.js';

export function measurementsFile(stateDir: string, orgId: string, object: string): string {
  return join(stateDir, 'measurements', `${orgId.slice(0, 15)}-${object.toLowerCase().replace(/[^a-z0-9_]/g, '_')}.json`);
}

type Stored = Record<string, Measurement>;

function readAll(file: string): Stored {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Stored;
  } catch {
    // A file cut short (a crash mid-write of an older version, an edit by hand) is no measurement.
    return {};
  }
}

export function readMeasurement(stateDir: string, orgId: string, object: string, operation: string): Measurement | undefined {
  return readAll(measurementsFile(stateDir, orgId, object))[operation];
}

/** Keeps the measurement (written aside, then renamed: a reader never sees half a file). */
export function saveMeasurement(stateDir: string, orgId: string, object: string, m: Measurement): void {
  const file = measurementsFile(stateDir, orgId, object);
  mkdirSync(join(stateDir, 'measurements'), { recursive: true });
  const all = { ...readAll(file), [m.operation]: m };
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(all, null, 2));
  renameSync(tmp, file);
}
