/*
 * The result files of a run: success.csv, failed.csv, unprocessed.csv (each with the input line
 * number) and retry.csv (the input columns only, ready to load again). They are assembled from the
 * per-job parts in chunk order, so rows appear in input order.
 */
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { rename } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { csvLine } from '../csv/writer.js';
import { PartPaths } from './join.js';

export type ResultPaths = { success: string; failed: string; unprocessed: string; retry: string };

export function resultPaths(dir: string): ResultPaths {
  return {
    success: join(dir, 'success.csv'),
    failed: join(dir, 'failed.csv'),
    unprocessed: join(dir, 'unprocessed.csv'),
    retry: join(dir, 'retry.csv'),
  };
}

/** With several input files, result rows start with the file's name (sf__File). */
export function resultHeaders(header: string[], multiFile = false): Record<keyof ResultPaths, string[]> {
  const lead = multiFile ? ['sf__File'] : [];
  return {
    success: [...lead, 'sf__Line', 'sf__Id', 'sf__Created', ...header],
    failed: [...lead, 'sf__Line', 'sf__Id', 'sf__ErrorCode', 'sf__Error', ...header],
    unprocessed: [...lead, 'sf__Line', ...header],
    retry: header,
  };
}

/** Concatenates the parts under the headers; rewriting from scratch makes it safe to repeat after a crash. */
export async function mergeParts(paths: ResultPaths, header: string[], parts: PartPaths[], multiFile = false): Promise<void> {
  const headers = resultHeaders(header, multiFile);
  for (const key of Object.keys(paths) as Array<keyof ResultPaths>) {
    const out = createWriteStream(`${paths[key]}.tmp`);
    out.write(csvLine(headers[key]));
    for (const part of parts) {
      if (!existsSync(part[key])) continue;
      await pipeline(createReadStream(part[key]), out, { end: false });
    }
    out.end();
    await once(out, 'finish');
    await rename(`${paths[key]}.tmp`, paths[key]);
  }
}
