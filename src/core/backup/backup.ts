/*
 * The backup taken before a delete: every field of every target record, exported through Bulk 2.0
 * query jobs into the run folder. A hardDelete skips the Recycle Bin, so this file is the only way
 * back; the delete does not start unless the backup holds every record that exists.
 * Beside it: restore.csv, the same records with only the fields an insert can set (ready for
 * `sf bulkops load`), and, when the backup is short, missing-ids.csv: the Ids no record was found for.
 */
import { createReadStream, createWriteStream, readFileSync, WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { parseCsvRecords } from '../csv/fastParser.js';
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import { TERMINAL_STATES } from '../bulk/types.js';
import { csvLine } from '../csv/writer.js';
import { PlannedChunk } from '../load/planner.js';

/** Ids per query: Bulk query SOQL may be 100,000 characters; 3,000 quoted Ids take about 63,000. */
const IDS_PER_QUERY = 3000;
/** Field types Bulk API query cannot export. */
const NOT_EXPORTABLE = new Set(['address', 'location', 'base64', 'complexvalue']);

export type BackupResult = { file: string; ids: number; records: number; queryJobs: string[] };

export type BackupDeps = {
  query: BulkV2Query;
  /** the object's fields (createable: false keeps a field out of restore.csv) */
  fields: (object: string) => Promise<Array<{ name: string; type: string; createable?: boolean }>>;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
};

/** restore.csv, beside the backup: the records as an insert file. */
export function restorePath(backupFile: string): string {
  return join(dirname(backupFile), 'restore.csv');
}

/** missing-ids.csv, beside a short backup: the file's Ids no record was found for. */
export function missingIdsPath(backupFile: string): string {
  return join(dirname(backupFile), 'missing-ids.csv');
}

export class BackupShortError extends Error {
  public constructor(public readonly ids: number, public readonly records: number, public readonly file: string) {
    super(`backup holds ${records} of ${ids} records`);
    this.name = 'BackupShortError';
  }

  /** The file of Ids no record was found for (written by backupRecords). */
  public get missingFile(): string {
    return missingIdsPath(this.file);
  }

  /** The first few missing Ids, to name in a message. */
  public missingIds(max: number): string[] {
    try {
      return readFileSync(this.missingFile, 'utf8').split('\n').slice(1).filter(Boolean).slice(0, max);
    } catch {
      return [];
    }
  }
}

/** The distinct Ids in the chunk files, in file order. */
export async function idsOfChunks(chunks: PlannedChunk[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const chunk of chunks) {
    let idCol = -1;
    for await (const { fields: record } of parseCsvRecords(createReadStream(chunk.file), { delimiter: ',' })) {
      if (idCol < 0) {
        idCol = record.findIndex((h) => h.toLowerCase() === 'id');
        continue;
      }
      const id = record[idCol];
      // 15- and 18-character forms of one Id are the same record.
      if (id) seen.add(id.slice(0, 15));
    }
  }
  return [...seen];
}

export async function backupRecords(deps: BackupDeps, object: string, ids: string[], file: string): Promise<BackupResult> {
  const described = (await deps.fields(object)).filter((f) => !NOT_EXPORTABLE.has(f.type));
  const fields = described.map((f) => f.name);
  // An insert sets createable fields only; the Id is the org's to give (a restored record gets a new one).
  const createable = new Set(described.filter((f) => f.createable !== false && f.name !== 'Id').map((f) => f.name.toLowerCase()));
  const out = createWriteStream(file);
  const restore = createWriteStream(restorePath(file));
  let restoreColumns: number[] = [];
  let idColumn = -1;
  const found = new Set<string>();
  let headerWritten = false;
  let records = 0;
  const queryJobs: string[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const slice = ids.slice(i, i + IDS_PER_QUERY);
    // queryAll: records already in the Recycle Bin are backed up too (a hardDelete removes them for good).
    const soql = `SELECT ${fields.join(', ')} FROM ${object} WHERE Id IN (${slice.map((id) => `'${id}'`).join(',')})`;
    const job = await deps.query.create(soql, 'queryAll');
    queryJobs.push(job.id);
    let info = job;
    while (!TERMINAL_STATES.has(info.state)) {
      await deps.sleep(deps.pollMs);
      info = await deps.query.info(job.id);
    }
    if (info.state !== 'JobComplete') throw new Error(`backup query job ${job.id} ended ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}`);
    let locator: string | undefined;
    do {
      const page = await deps.query.page(job.id, locator, 50_000);
      let first = true;
      for await (const { fields: record } of parseCsvRecords(page.body, { delimiter: ',' })) {
        if (first) {
          first = false;
          if (!headerWritten) {
            await write(out, csvLine(record));
            restoreColumns = record.flatMap((name, col) => (createable.has(name.toLowerCase()) ? [col] : []));
            idColumn = record.findIndex((name) => name.toLowerCase() === 'id');
            await write(restore, csvLine(restoreColumns.map((col) => record[col])));
          }
          headerWritten = true;
          continue;
        }
        records++;
        if (idColumn >= 0) found.add(record[idColumn].slice(0, 15));
        await write(out, csvLine(record));
        await write(restore, csvLine(restoreColumns.map((col) => record[col])));
      }
      locator = page.next;
    } while (locator);
  }
  if (!headerWritten) {
    await write(out, csvLine(fields));
    await write(restore, csvLine(fields.filter((f) => createable.has(f.toLowerCase()))));
  }
  await end(out);
  await end(restore);
  if (records < ids.length) await writeMissing(missingIdsPath(file), ids.filter((id) => !found.has(id)));
  return { file, ids: ids.length, records, queryJobs };
}

async function writeMissing(path: string, missing: string[]): Promise<void> {
  const out = createWriteStream(path);
  await write(out, csvLine(['Id']));
  for (const id of missing) await write(out, csvLine([id]));
  await end(out);
}

async function end(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
