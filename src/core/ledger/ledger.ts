/*
 * The run's ledger file: one JSON record per line, appended and fsynced before the call returns,
 * so what it says survives a kill -9 or a power cut at any point.
 */
import { closeSync, fsyncSync, openSync, readFileSync, writeSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LedgerRecord } from './records.js';

export const LEDGER_FILE = 'ledger.jsonl';

type Unstamped<R> = R extends unknown ? Omit<R, 'at'> : never;

export class Ledger {
  private fd: number | undefined;

  public constructor(public readonly runDir: string, private readonly now: () => number = Date.now) {}

  public get path(): string {
    return join(this.runDir, LEDGER_FILE);
  }

  public append(record: Unstamped<LedgerRecord>): LedgerRecord {
    this.fd ??= openSync(this.path, 'a');
    const stamped = { ...record, at: new Date(this.now()).toISOString() } as LedgerRecord;
    writeSync(this.fd, `${JSON.stringify(stamped)}\n`);
    fsyncSync(this.fd);
    return stamped;
  }

  public close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Reads every complete record; a torn last line (the crash hit mid-write) is ignored. */
  public static read(runDir: string): LedgerRecord[] {
    const path = join(runDir, LEDGER_FILE);
    if (!existsSync(path)) return [];
    const records: LedgerRecord[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        records.push(JSON.parse(line) as LedgerRecord);
      } catch {
        break;
      }
    }
    return records;
  }
}
