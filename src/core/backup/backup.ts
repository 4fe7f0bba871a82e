/*
 * The backup taken before a delete: every field of every target record, exported through Bulk 2.0
 * query jobs into the run folder. A hardDelete skips the Recycle Bin, so this file is the only way
 * back; the delete does not start unless the backup holds every record that exists.
 */
import { createReadStream, createWriteStream, WriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { syncDir, syncFile } from '../io/durable.js';
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
  fields: (object: string) => Promise<Array<{ name: string; type: string }>>;
  sleep: (ms: number) => Promise<void>;
  pollMs: number;
};

export class BackupShortError extends Error {
  public constructor(public readonly ids: number, public readonly records: number, public readonly file: string) {
    super(`backup holds ${records} of ${ids} records`);
    this.name = 'BackupShortError';
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
  const fields = (await deps.fields(object)).filter((f) => !NOT_EXPORTABLE.has(f.type)).map((f) => f.name);
  const out = createWriteStream(file);
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
          if (!headerWritten) await write(out, csvLine(record));
          headerWritten = true;
          continue;
        }
        records++;
        await write(out, csvLine(record));
      }
      locator = page.next;
    } while (locator);
  }
  if (!headerWritten) await write(out, csvLine(fields));
  out.end();
  await once(out, 'finish');
  // The only way back after a hardDelete: on disk, and named in its folder, before the ledger says it exists.
  await syncFile(file);
  await syncDir(dirname(file));
  return { file, ids: ids.length, records, queryJobs };
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}
