/*
 * The result files of a run: success.csv, failed.csv, unprocessed.csv (each with the input line
 * number) and retry.csv (the input columns only, ready to load again). They are assembled from the
 * per-job parts in chunk order, so rows appear in input order.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileHandle, open, rename, rm } from 'node:fs/promises';
import { fileBlocks } from '../io/fileBlocks.js';
import { syncDir, syncFile } from '../io/durable.js';
import { csvLine } from '../csv/writer.js';
import type { PartPaths, ResultPaths } from './join.js';
import { LineOrder, removeSorted, sortPartsByLine } from './lineOrder.js';

export function resultPaths(dir: string): ResultPaths {
  return {
    success: join(dir, 'success.csv'),
    failed: join(dir, 'failed.csv'),
    unprocessed: join(dir, 'unprocessed.csv'),
    retry: join(dir, 'retry.csv'),
  };
}

/**
 * With several input files, result rows start with the file's name (sf__File). Delete and
 * hardDelete create nothing: their success rows have no sf__Created (createdColumn false).
 */
export function resultHeaders(header: string[], multiFile = false, createdColumn = true): Record<keyof ResultPaths, string[]> {
  const lead = multiFile ? ['sf__File'] : [];
  return {
    success: [...lead, 'sf__Line', 'sf__Id', ...(createdColumn ? ['sf__Created'] : []), ...header],
    failed: [...lead, 'sf__Line', 'sf__Id', 'sf__ErrorCode', 'sf__Error', 'sf__Fields', ...header],
    unprocessed: [...lead, 'sf__Line', ...header],
    retry: header,
  };
}

/**
 * Concatenates the parts under the headers; rewriting from scratch makes it safe to repeat after a
 * crash. One buffer is reused for every copy: streams would allocate a buffer per 64 KB read, and
 * gigabytes of those leave the process larger than it needs to be.
 */
export async function mergeParts(paths: ResultPaths, header: string[], parts: PartPaths[], multiFile = false, createdColumn = true, lineOrder?: LineOrder): Promise<void> {
  const headers = resultHeaders(header, multiFile, createdColumn);
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  // Parts not in input order (a grouped load): their rows are sorted back by line first.
  const sorted = lineOrder ? await sortPartsByLine(parts, lineOrder) : undefined;
  for (const key of Object.keys(paths) as Array<keyof ResultPaths>) await concat(paths[key], headers[key], sorted ? [sorted[key]] : parts.map((p) => p[key]), buffer);
  if (lineOrder) await removeSorted(lineOrder);
  // Result rows that matched no row sent (a bug to report): kept, never dropped with the parts.
  const unmatched = parts.map((p) => p.unmatched).filter((f) => existsSync(f) && statSync(f).size > 0);
  if (unmatched.length) await concat(unmatchedPath(dirname(paths.success)), ['sf__Result', 'sf__Id', 'sf__Detail', ...header], unmatched, buffer);
  // A results folder used before: an unmatched.csv this run did not write must not pass for its own.
  else await rm(unmatchedPath(dirname(paths.success)), { force: true });
}

/** unmatched.csv: result rows the join could not match to a row sent (the result set, Id, sf__Created or sf__Error, the fields). */
export function unmatchedPath(dir: string): string {
  return join(dir, 'unmatched.csv');
}

/** Writes `path` anew: the header, then each file's bytes (those that exist). */
export async function concatFiles(path: string, header: string[], files: string[], buffer = Buffer.allocUnsafe(1024 * 1024)): Promise<void> {
  await concat(path, header, files, buffer);
}

async function concat(path: string, header: string[], files: string[], buffer: Buffer): Promise<void> {
  const out = await open(`${path}.tmp`, 'w');
  try {
    await out.write(csvLine(header));
    for (const file of files) if (existsSync(file)) await appendFile(out, file, buffer);
  } finally {
    await out.close();
  }
  // On disk before the ledger's 'merged' record, after which the parts are removed.
  await syncFile(`${path}.tmp`);
  await rename(`${path}.tmp`, path);
  await syncDir(dirname(path));
}

async function appendFile(out: FileHandle, path: string, buffer: Buffer): Promise<void> {
  for await (const block of fileBlocks(path, buffer)) {
    for (let written = 0; written < block.length; ) written += (await out.write(block, written)).bytesWritten;
  }
}
