/*
 * The backup taken before a delete: every field of every target record, exported through Bulk 2.0
 * query jobs into the run folder. A hardDelete skips the Recycle Bin, so this file is the only way
 * back; the delete does not start unless the backup holds every record that exists.
 */
import { createReadStream } from 'node:fs';
import { FileHandle, open } from 'node:fs/promises';
import { parseCsvRecords } from '../csv/fastParser.js';
import { BulkV2Query } from '../bulk/bulkV2Query.js';
import { Retrier, withRetry } from '../http/retry.js';
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
  /** runs each call under the run's retry policy (default: the default policy, without events) */
  retry?: Retrier;
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
  const retry: Retrier = deps.retry ?? (<T>(_what: string, fn: () => Promise<T>): Promise<T> => withRetry(fn, { sleep: deps.sleep }));
  const fields = (await deps.fields(object)).filter((f) => !NOT_EXPORTABLE.has(f.type)).map((f) => f.name);
  const out = new PageFile(await open(file, 'w'));
  try {
    let headerWritten = false;
    let records = 0;
    const queryJobs: string[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const slice = ids.slice(i, i + IDS_PER_QUERY);
      // queryAll: records already in the Recycle Bin are backed up too (a hardDelete removes them for good).
      const soql = `SELECT ${fields.join(', ')} FROM ${object} WHERE Id IN (${slice.map((id) => `'${id}'`).join(',')})`;
      const job = await retry('backup query', () => deps.query.create(soql, 'queryAll'));
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
    return { file, ids: ids.length, records, queryJobs };
  } finally {
    await out.close();
  }
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
