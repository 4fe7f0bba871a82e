/*
 * Read + check + split of one file as `sf bulkops load` does it before its first upload: on worker
 * threads when the engine would use them (an input of SF_BULKOPS_SPLIT_THREADS_MIN_MB or more, 64 MB
 * by default, on a machine with 2 cores or more), else on one thread. It runs the compiled plugin
 * (lib/, as `sf` does): worker threads of the TypeScript sources would compile them first.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/sf.js';

type Lib = {
  reader: typeof import('../../src/core/csv/reader.js');
  planner: typeof import('../../src/core/split/planner.js');
  threads: typeof import('../../src/core/split/parallelSplit.js');
  preflight: typeof import('../../src/core/preflight/preflight.js');
  describe: typeof import('../../src/core/preflight/describe.js');
  factory: typeof import('../../src/core/org/connection.js');
  http: typeof import('../../src/core/http/orgHttp.js');
};

let loaded: Promise<Lib> | undefined;

/** Loads the compiled modules (before a timing starts: `sf` has them loaded by then too). */
export function lib(): Promise<Lib> {
  loaded ??= loadLib();
  return loaded;
}

async function loadLib(): Promise<Lib> {
  const at = (p: string): string => join(PROJECT_ROOT, 'lib', 'core', p);
  if (!existsSync(at('split/parallelSplit.js'))) throw new Error('the bench runs the compiled plugin: run `npm run build` first');
  return {
    reader: (await import(at('csv/reader.js'))) as Lib['reader'],
    planner: (await import(at('split/planner.js'))) as Lib['planner'],
    threads: (await import(at('split/parallelSplit.js'))) as Lib['threads'],
    preflight: (await import(at('preflight/preflight.js'))) as Lib['preflight'],
    describe: (await import(at('preflight/describe.js'))) as Lib['describe'],
    factory: (await import(at('org/connection.js'))) as Lib['factory'],
    http: (await import(at('http/orgHttp.js'))) as Lib['http'],
  };
}

export type SplitRun = { rows: number; parts: number; threads: number };

/** Splits `file` (Accounts, inserted) into `dir`, with describes from the org at `target`. */
export async function splitLikeLoad(file: string, dir: string, target: { instanceUrl: string; accessToken: string }, print?: { update: (b: Buffer) => void; endFile: () => void }): Promise<SplitRun> {
  const { reader, planner, threads, preflight: pf, describe, factory, http } = await lib();
  const org = describe.describeFromOrg(
    new http.OrgHttp({
      instanceUrl: target.instanceUrl,
      apiVersion: '66.0',
      accessToken: (): string => target.accessToken,
      refresh: (): Promise<void> => Promise.reject(new Error('no refresh in the bench')),
    })
  );
  const source = await reader.openCsv(file, {}, print);
  const preflight = await pf.Preflight.create({ file, object: 'Account', operation: 'insert', header: source.header, headerLine: source.headerLine, describe: org });
  const minBytes = factory.splitSettings().minBytes ?? threads.PARALLEL_SPLIT_MIN_BYTES;
  const workers = threads.splitWorkers();
  if (workers > 0 && statSync(file).size >= minBytes) {
    await source.close();
    const plan = await threads.splitInParallel(
      { files: [{ file, delimiter: ',', preflight }], keepInvalid: false, maxRecordChars: reader.MAX_RECORD_CHARS, workers, ...(print ? { print } : {}) },
      { dir, header: source.header }
    );
    return { rows: plan.rows, parts: plan.chunks.length, threads: workers };
  }
  const plan = await planner.planChunks(source.batches, { dir, header: source.header, check: (r) => preflight.rowReason(r) });
  return { rows: plan.rows, parts: plan.chunks.length, threads: 0 };
}
