/*
 * The run's ledger file: one JSON record per line, appended and fsynced before the call returns,
 * so what it says survives a kill -9 or a power cut at any point.
 *
 * A power cut (or a full disk) while a record is written can leave its line cut short: the last line
 * then has no newline, or is not a whole record. That record's append never returned, so what it
 * announced never happened and the line can go. `repair` cuts such a tail off (keeping its bytes in
 * ledger.torn-<time> for a post-mortem) before anything is appended after it; otherwise the next
 * record would be glued to the torn bytes and the ledger damaged in the middle. A bad line that is
 * NOT the last one cannot come from a torn write: reading stops with an error naming file and line,
 * rather than replaying half a run.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Messages } from '@salesforce/core';
import { syncDirSync, syncFileSync } from '../io/durable.js';
import { LedgerRecord } from './records.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'core.ledger');

export const LEDGER_FILE = 'ledger.jsonl';
export const TORN_PREFIX = 'ledger.torn-';

type Unstamped<R> = R extends unknown ? Omit<R, 'at'> : never;

/** A line before the last one is not a ledger record: the ledger cannot be replayed. */
export class LedgerCorruptError extends Error {
  public constructor(public readonly file: string, public readonly line: number, public readonly lines: number) {
    super(messages.getMessage('corruptLine', [file, line, lines]));
    this.name = 'LedgerCorruptError';
  }
}

/** What a repair cut off: the bytes after the last complete record, kept in tornFile. */
export type LedgerRepair = { file: string; tornFile: string; bytes: number; afterLine: number; message: string };

type Parsed = {
  records: LedgerRecord[];
  /** byte offset just past the last complete record (where a torn tail starts) */
  goodEnd: number;
  /** number of lines up to goodEnd */
  goodLines: number;
  /** bytes after goodEnd that are not a complete record (0: the file is whole) */
  tornBytes: number;
};

const NEWLINE = 0x0a;

function asRecord(text: string): LedgerRecord | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'string') return value as LedgerRecord;
  } catch {
    // not JSON
  }
  return undefined;
}

/** Splits the file into records; a bad line followed by more content is an error, a bad last line is torn. */
function parse(path: string, bytes: Buffer): Parsed {
  const records: LedgerRecord[] = [];
  let goodEnd = 0;
  let goodLines = 0;
  let start = 0;
  let line = 0;
  const totalLines = (): number => bytes.toString('latin1').split('\n').length - (bytes[bytes.length - 1] === NEWLINE ? 1 : 0);
  while (start < bytes.length) {
    line++;
    const nl = bytes.indexOf(NEWLINE, start);
    const end = nl < 0 ? bytes.length : nl;
    const text = bytes.toString('utf8', start, end);
    // A line without its newline was being written when the writer stopped: torn, whatever it holds.
    const record = nl < 0 ? undefined : text.trim() === '' ? null : asRecord(text);
    if (record === undefined) {
      const restIsBlank = nl < 0 || bytes.toString('utf8', nl + 1).trim() === '';
      if (!restIsBlank) throw new LedgerCorruptError(path, line, totalLines());
      return { records, goodEnd, goodLines, tornBytes: bytes.length - goodEnd };
    }
    if (record) records.push(record);
    start = nl + 1;
    goodEnd = start;
    goodLines = line;
  }
  return { records, goodEnd, goodLines, tornBytes: 0 };
}

export class Ledger {
  private fd: number | undefined;

  public constructor(public readonly runDir: string, private readonly now: () => number = Date.now) {}

  public get path(): string {
    return join(this.runDir, LEDGER_FILE);
  }

  public append(record: Unstamped<LedgerRecord>): LedgerRecord {
    if (this.fd === undefined) {
      const existed = existsSync(this.path);
      // Never write after a torn tail: the new record would be glued to it (see the top of the file).
      if (existed) Ledger.repair(this.runDir, this.now);
      this.fd = openSync(this.path, 'a');
      // The file's name is only durable once its folder is synced (and the run folder's, in the ledger folder).
      if (!existed) {
        syncDirSync(this.runDir);
        syncDirSync(dirname(this.runDir));
      }
    }
    const stamped = { ...record, at: new Date(this.now()).toISOString() } as LedgerRecord;
    writeSync(this.fd, `${JSON.stringify(stamped)}\n`);
    fsyncSync(this.fd);
    return stamped;
  }

  public close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /**
   * Every complete record. A torn last line is left out (and left on disk: another process may be
   * writing it; `repair` or `open` cuts it off); a bad line before the last throws LedgerCorruptError.
   */
  public static read(runDir: string): LedgerRecord[] {
    const path = join(runDir, LEDGER_FILE);
    if (!existsSync(path)) return [];
    return parse(path, readFileSync(path)).records;
  }

  /**
   * Cuts a torn last line off the ledger (its bytes are kept in ledger.torn-<time> next to it), so
   * records can be appended again. Returns what was cut, or undefined when the ledger was whole.
   * Only the process that is about to write the run may call it.
   */
  public static repair(runDir: string, now: () => number = Date.now): LedgerRepair | undefined {
    const path = join(runDir, LEDGER_FILE);
    if (!existsSync(path)) return undefined;
    const bytes = readFileSync(path);
    const parsed = parse(path, bytes);
    if (parsed.tornBytes === 0) return undefined;
    const stamp = new Date(now()).toISOString().replace(/[-:.]/g, '');
    let tornFile = join(runDir, `${TORN_PREFIX}${stamp}`);
    for (let n = 2; existsSync(tornFile); n++) tornFile = join(runDir, `${TORN_PREFIX}${stamp}-${n}`);
    // The copy is on disk before the ledger is cut: a crash in between loses nothing.
    writeFileSync(tornFile, bytes.subarray(parsed.goodEnd), { flag: 'wx' });
    syncFileSync(tornFile);
    syncDirSync(runDir);
    truncateSync(path, parsed.goodEnd);
    syncFileSync(path);
    return {
      file: path,
      tornFile,
      bytes: parsed.tornBytes,
      afterLine: parsed.goodLines,
      message: messages.getMessage('tornTail', [parsed.tornBytes, parsed.goodLines, tornFile]),
    };
  }

  /**
   * Opens a run's ledger for writing: repairs a torn tail, then reads every record. The engine calls
   * this before it replays a run it is going to continue (resume).
   */
  public static open(runDir: string, now: () => number = Date.now): { ledger: Ledger; records: LedgerRecord[]; repaired?: LedgerRepair } {
    const repaired = Ledger.repair(runDir, now);
    return { ledger: new Ledger(runDir, now), records: Ledger.read(runDir), ...(repaired ? { repaired } : {}) };
  }
}

