/*
 * The result files of a run: success.csv, failed.csv, unprocessed.csv (each with the input line
 * number) and retry.csv (the input columns only, ready to load again).
 */
import { createWriteStream, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { csvLine } from '../csv/writer.js';

export type ResultPaths = { success: string; failed: string; unprocessed: string; retry: string };

export function resultPaths(dir: string): ResultPaths {
  return {
    success: join(dir, 'success.csv'),
    failed: join(dir, 'failed.csv'),
    unprocessed: join(dir, 'unprocessed.csv'),
    retry: join(dir, 'retry.csv'),
  };
}

export class ResultFiles {
  private readonly streams: Record<keyof ResultPaths, WriteStream>;

  public constructor(public readonly paths: ResultPaths, header: string[]) {
    this.streams = {
      success: createWriteStream(paths.success),
      failed: createWriteStream(paths.failed),
      unprocessed: createWriteStream(paths.unprocessed),
      retry: createWriteStream(paths.retry),
    };
    this.streams.success.write(csvLine(['sf__Line', 'sf__Id', 'sf__Created', ...header]));
    this.streams.failed.write(csvLine(['sf__Line', 'sf__Id', 'sf__ErrorCode', 'sf__Error', ...header]));
    this.streams.unprocessed.write(csvLine(['sf__Line', ...header]));
    this.streams.retry.write(csvLine(header));
  }

  public success(values: string[]): Promise<void> {
    return this.write('success', values);
  }

  public failed(values: string[]): Promise<void> {
    return this.write('failed', values);
  }

  public unprocessed(values: string[]): Promise<void> {
    return this.write('unprocessed', values);
  }

  public retry(values: string[]): Promise<void> {
    return this.write('retry', values);
  }

  public async close(): Promise<void> {
    await Promise.all(
      Object.values(this.streams).map(async (s) => {
        s.end();
        await once(s, 'finish');
      })
    );
  }

  private async write(kind: keyof ResultPaths, values: string[]): Promise<void> {
    if (!this.streams[kind].write(csvLine(values))) await once(this.streams[kind], 'drain');
  }
}
