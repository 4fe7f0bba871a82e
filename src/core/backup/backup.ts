/*
 * The backup taken before a delete: every field of every target record, exported through Bulk 2.0
 * query jobs into the run folder. A hardDelete skips the Recycle Bin, so this file is the only way
 * back; the delete does not start unless the backup holds every record that exists.
 * Beside it: restore.csv, the same records with only the fields an insert can set (ready for
 * `sf bulkops load`), and, when the backup is short, missing-ids.csv: the Ids no record was found for.
 */
import { createReadStream, createWriteStream, readFileSync, WriteStream } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { syncDir, syncFile } from '../io/durable.js';
import { parseCsvRecords } from '../csv/fastParser.js';
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import { Retrier, withRetry } from '../http/retry.js';
import { TERMINAL_STATES } from '../bulk/types.js';
import { csvLine } from '../csv/writer.js';
import type { PlannedChunk } from '../ledger/shapes.js';

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
  /** runs each call under the run's retry policy (default: the default policy, without events) */
  retry?: Retrier;
  /** asked before each query job is created: throws once a stop was asked for (a signal), so none starts after it */
  beforeJob?: () => void;
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
  const retry: Retrier = deps.retry ?? (<T>(_what: string, fn: () => Promise<T>): Promise<T> => withRetry(fn, { sleep: deps.sleep }));
  const described = (await deps.fields(object)).filter((f) => !NOT_EXPORTABLE.has(f.type));
  const fields = described.map((f) => f.name);
  const queryJobs: string[] = [];
  const out = new PageFile(await open(file, 'w'));
  try {
    let headerWritten = false;
    let records = 0;
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const slice = ids.slice(i, i + IDS_PER_QUERY);
      // queryAll: records already in the Recycle Bin are backed up too (a hardDelete removes them for good).
      const soql = `SELECT ${fields.join(', ')} FROM ${object} WHERE Id IN (${slice.map((id) => `'${id}'`).join(',')})`;
      const job = await retry('backup query', () => {
        deps.beforeJob?.();
        return deps.query.create(soql, 'queryAll');
      });
      queryJobs.push(job.id);
      let info = job;
      while (!TERMINAL_STATES.has(info.state)) {
        await deps.sleep(deps.pollMs);
        info = await retry('backup query info', () => deps.query.info(job.id));
      }
      if (info.state !== 'JobComplete') throw new Error(`backup query job ${job.id} ended ${info.state}${info.errorMessage ? `: ${info.errorMessage}` : ''}`);
      let locator: string | undefined;
      do {
        // A page that breaks off is read again from its start (its locator): what the broken attempt
        // wrote is cut off the file first, so each record is in backup.csv once.
        const mark = { size: out.size, records, headerWritten };
        locator = await retry('backup page', async () => {
          await out.truncate(mark.size);
          records = mark.records;
          headerWritten = mark.headerWritten;
          const page = await deps.query.page(job.id, locator, 50_000);
          let first = true;
          for await (const { fields: record } of parseCsvRecords(page.body, { delimiter: ',' })) {
            if (first) {
              first = false;
              if (!headerWritten) await out.add(csvLine(record));
              headerWritten = true;
              continue;
            }
            records++;
            await out.add(csvLine(record));
          }
          await out.flush();
          return page.next;
        });
      } while (locator);
    }
    if (!headerWritten) await out.add(csvLine(fields));
    await out.flush();
  } finally {
    await out.close();
  }
  // An insert sets createable fields only; the Id is the org's to give (a restored record gets a new one).
  const createable = new Set(described.filter((f) => f.createable !== false && f.name !== 'Id').map((f) => f.name.toLowerCase()));
  const records = await writeRestoreFiles(file, createable, ids);
  // The only way back after a hardDelete: on disk, and named in its folder, before the ledger says it exists.
  await syncFile(file);
  await syncFile(restorePath(file));
  await syncDir(dirname(file));
  return { file, ids: ids.length, records, queryJobs };
}

/**
 * Reads the finished backup once: writes restore.csv (createable columns) and, when Ids of the file
 * have no record, missing-ids.csv. Returns the number of records.
 */
async function writeRestoreFiles(file: string, createable: Set<string>, ids: string[]): Promise<number> {
  const restore = createWriteStream(restorePath(file));
  let columns: number[] | undefined;
  let idColumn = -1;
  let records = 0;
  const found = new Set<string>();
  for await (const { fields: record } of parseCsvRecords(createReadStream(file), { delimiter: ',' })) {
    if (!columns) {
      columns = record.flatMap((name, col) => (createable.has(name.toLowerCase()) ? [col] : []));
      idColumn = record.findIndex((name) => name.toLowerCase() === 'id');
    } else {
      records++;
      if (idColumn >= 0) found.add(record[idColumn].slice(0, 15));
    }
    await write(restore, csvLine(columns.map((col) => record[col])));
  }
  await end(restore);
  if (records < ids.length) {
    const missing = createWriteStream(missingIdsPath(file));
    await write(missing, csvLine(['Id']));
    for (const id of ids) if (!found.has(id)) await write(missing, csvLine([id]));
    await end(missing);
  }
  return records;
}

async function write(out: WriteStream, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function end(out: WriteStream): Promise<void> {
  out.end();
  await once(out, 'finish');
}

/** The backup file, written at known offsets so that a page read again can replace its first attempt. */
class PageFile {
  public size = 0;
  private pending: string[] = [];
  private pendingChars = 0;

  public constructor(private readonly file: FileHandle) {}

  public async add(text: string): Promise<void> {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= 256 * 1024) await this.flush();
  }

  public async flush(): Promise<void> {
    if (!this.pending.length) return;
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    for (let done = 0; done < buf.length; ) done += (await this.file.write(buf, done, buf.length - done, this.size + done)).bytesWritten;
    this.size += buf.length;
  }

  /** Drops what is not written yet and cuts the file back to `size` bytes. */
  public async truncate(size: number): Promise<void> {
    this.pending = [];
    this.pendingChars = 0;
    if (size === this.size) return;
    await this.file.truncate(size);
    this.size = size;
  }

  public close(): Promise<void> {
    return this.file.close();
  }
}
