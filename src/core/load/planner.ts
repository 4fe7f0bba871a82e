/*
 * Cuts the input into job-sized chunk files at record boundaries, in one streaming pass:
 * each record is re-serialised (UTF-8, comma, LF, BOM gone), so the upload always matches the
 * job's declared delimiter and line ending whatever the source looked like. Next to each chunk a
 * .lines file holds the input line number of each row (uint32), which the result join and resume use.
 */
import { createWriteStream, WriteStream } from 'node:fs';
import { createHash, Hash } from 'node:crypto';
import { join } from 'node:path';
import { once } from 'node:events';
import { CsvRecord } from '../csv/reader.js';
import { csvLine } from '../csv/writer.js';

/** Salesforce caps an upload at 150 MB after base64, about 112 MB raw; 100 MB leaves margin. */
export const DEFAULT_MAX_JOB_BYTES = 100 * 1024 * 1024;

export type PlannedChunk = {
  index: number;
  /** which input file the rows come from (a chunk never spans two files) */
  fileIndex: number;
  file: string;
  linesFile: string;
  rows: number;
  bytes: number;
  firstLine: number;
  lastLine: number;
  sha256: string;
};

export type PlanOptions = {
  dir: string;
  header: string[];
  maxBytes?: number;
  /** called for every record; a reason leaves the row out of the upload (preflight rejected it) */
  check?: (record: CsvRecord) => string | undefined;
  /** where rejected rows go, with their line and reason */
  rejectedFile?: string;
  /** input file names, when there are several: rejected rows then say which file they come from */
  fileNames?: string[];
};

class ChunkWriter {
  public rows = 0;
  public bytes = 0;
  public firstLine = 0;
  public lastLine = 0;
  private readonly out: WriteStream;
  private readonly lines: WriteStream;
  private readonly hash: Hash = createHash('sha256');
  private lineBuf = Buffer.alloc(4 * 4096);
  private lineFill = 0;

  public constructor(
    public readonly index: number,
    public readonly fileIndex: number,
    public readonly file: string,
    public readonly linesFile: string,
    headerLine: string
  ) {
    this.out = createWriteStream(file);
    this.lines = createWriteStream(linesFile);
    this.bytes = Buffer.byteLength(headerLine);
    this.hash.update(headerLine);
    this.out.write(headerLine);
  }

  public async add(text: string, bytes: number, line: number): Promise<void> {
    if (this.rows === 0) this.firstLine = line;
    this.lastLine = line;
    this.rows++;
    this.bytes += bytes;
    this.hash.update(text);
    this.lineBuf.writeUInt32LE(line, this.lineFill);
    this.lineFill += 4;
    if (this.lineFill === this.lineBuf.length) {
      await write(this.lines, this.lineBuf);
      this.lineBuf = Buffer.alloc(this.lineBuf.length);
      this.lineFill = 0;
    }
    await write(this.out, text);
  }

  public async finish(): Promise<PlannedChunk> {
    if (this.lineFill) await write(this.lines, this.lineBuf.subarray(0, this.lineFill));
    await Promise.all([end(this.out), end(this.lines)]);
    return {
      index: this.index,
      fileIndex: this.fileIndex,
      file: this.file,
      linesFile: this.linesFile,
      rows: this.rows,
      bytes: this.bytes,
      firstLine: this.firstLine,
      lastLine: this.lastLine,
      sha256: this.hash.digest('hex'),
    };
  }
}

async function write(stream: WriteStream, data: string | Buffer): Promise<void> {
  if (!stream.write(data)) await once(stream, 'drain');
}

async function end(stream: WriteStream): Promise<void> {
  stream.end();
  await once(stream, 'finish');
}

export type PlanResult = { chunks: PlannedChunk[]; rows: number; rejected: number };

export async function planChunks(records: AsyncIterable<CsvRecord>, opts: PlanOptions): Promise<PlanResult> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_JOB_BYTES;
  const headerLine = csvLine(opts.header);
  const chunks: PlannedChunk[] = [];
  let current: ChunkWriter | undefined;
  let rows = 0;
  let rejected = 0;
  const open = (fileIndex: number): ChunkWriter => {
    const index = chunks.length + 1;
    const name = `chunk-${String(index).padStart(4, '0')}`;
    return new ChunkWriter(index, fileIndex, join(opts.dir, `${name}.csv`), join(opts.dir, `${name}.lines`), headerLine);
  };
  const multi = (opts.fileNames?.length ?? 0) > 1;
  let rejectedOut: WriteStream | undefined;
  for await (const record of records) {
    const reason = opts.check?.(record);
    if (reason !== undefined) {
      rejected++;
      rejectedOut ??= createWriteStream(opts.rejectedFile ?? join(opts.dir, 'rejected.csv'));
      if (rejected === 1) await write(rejectedOut, csvLine([...(multi ? ['sf__File'] : []), 'sf__Line', 'sf__Reason', ...opts.header]));
      await write(rejectedOut, csvLine([...(multi ? [opts.fileNames![record.fileIndex ?? 0]] : []), String(record.line), reason, ...record.fields]));
      continue;
    }
    const text = csvLine(record.fields);
    const bytes = Buffer.byteLength(text);
    if (Buffer.byteLength(headerLine) + bytes > maxBytes) {
      throw new Error(`line ${record.line}: one record is larger than the job size limit (${maxBytes} bytes)`);
    }
    const fileIndex = record.fileIndex ?? 0;
    if (current && (current.bytes + bytes > maxBytes || current.fileIndex !== fileIndex)) {
      chunks.push(await current.finish());
      current = undefined;
    }
    current ??= open(fileIndex);
    await current.add(text, bytes, record.line);
    rows++;
  }
  if (current) chunks.push(await current.finish());
  if (rejectedOut) await end(rejectedOut);
  return { chunks, rows, rejected };
}
