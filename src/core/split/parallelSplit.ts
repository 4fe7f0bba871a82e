/*
 * The split on several cores. Worker threads (splitWorker.ts) read, parse, check and write out
 * blocks of a few MB of the file (blockSplit.ts), which is where the time goes; this thread hands
 * out the blocks and puts their rows into parts, in input order. What comes out is what planChunks
 * writes from the same input: the same part files, line numbers, rejected rows, preflight counts
 * and, for a bad file, the same error (the first problem in the file; both read to it the same
 * way, see checkedUtf8 and RecordBatcher). The tests compare the two (parallelSplit*.test.ts).
 *
 * A block ends just after a line feed (or at the file's end; with no line feed within 2 MB of
 * where it should end, at a character's start). That place may be inside a quoted field or a
 * record: the block's parse then ends on an unfinished record, and the next block, parsed meanwhile
 * as if a record started there, is parsed again from that record's start (a file with lone CR line
 * ends has no line feed to cut at: each block is parsed twice, one at a time). Blocks are placed in
 * input order, so each one's line numbers, rows and problems are known once those before it are.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { CsvInputError } from '../csv/errors.js';
import { csvMessages } from '../csv/messages.js';
import { fileBlocks } from '../io/fileBlocks.js';
import { countNewlines } from '../csv/utf8Guard.js';
import type { PortablePreflight, Preflight } from '../preflight/preflight.js';
import type { BlockResult, SpareBuffers } from './blockSplit.js';
import type { Fingerprint } from './fingerprint.js';
import { PartFiles, type PlanOptions, type PlanResult } from './planner.js';

const LF = 10;
/** Below this input size, starting the threads costs more than they save. */
export const PARALLEL_SPLIT_MIN_BYTES = 64 * 1024 * 1024;
/**
 * A block: large enough that handing it out costs little, small enough to keep memory flat. Each
 * block in flight holds its bytes in a worker and its rows on the way back (two a worker, and two
 * sets of spare buffers a worker): 1 MB blocks keep that near 20 MB with two workers, where 4 MB
 * blocks took about 70 MB more at the peak of a 300 MB load (npm run bench:memory), for no speed.
 */
const BLOCK = 1024 * 1024;
/**
 * Each worker's young generation: the rows a block parses die within the block, so a small one is
 * emptied often and cheaply; V8's default (as large as the main thread's) let each worker's heap
 * grow by tens of MB the process kept (npm run bench:memory).
 */
const WORKER_YOUNG_MB = 8;
/** How far past a block's nominal end a line feed is looked for before the block is cut anyway. */
const FIND_LF = 2 * 1024 * 1024;

export type WorkerInit = {
  files: Array<{ file: string; delimiter: string; columnMap?: number[]; preflight?: PortablePreflight }>;
  keepInvalid: boolean;
  maxRecordChars: number;
};
/** A block [from, to) of a file to read, check and write out. */
export type BlockRequest = { id: number; fileIndex: number; from: number; to: number; first: boolean; final: boolean; spare?: SpareBuffers };
export type BlockReply = { id: number; result?: BlockResult; failed?: string };

export type SplitInput = {
  file: string;
  delimiter: string;
  /** where each of the first file's columns is in this file, when the order differs */
  columnMap?: number[];
  /** this file's checks (their counts and problems are added to it as blocks are placed) */
  preflight?: Preflight;
};

export type ParallelSplitOptions = {
  files: SplitInput[];
  /** rows with problems are still sent (--keep-invalid-rows) */
  keepInvalid: boolean;
  maxRecordChars: number;
  /** sees every byte of the files, in order (the run's fingerprint) */
  print?: Pick<Fingerprint, 'update' | 'endFile'>;
  /** the threads: a number to start (and end with the split), or a pool to use */
  workers: number | SplitPool;
  /** at most this many rows a part (a serial load's one-chunk parts) */
  maxRows?: number;
  /** the block size (tests make it tiny, so that blocks end everywhere a record can) */
  blockBytes?: number;
};

/** How many split workers this machine gives a split: one per core, at most 4; 0 when it has one core. */
export function splitWorkers(): number {
  const cores = Math.min(availableParallelism(), cpuQuota() ?? Infinity);
  return cores < 2 ? 0 : Math.min(4, cores);
}

/**
 * The CPUs a container's quota allows (cgroup v2 cpu.max, else v1's CFS quota), or undefined when
 * it sets none: availableParallelism() counts the host's cores, and threads past the quota only
 * take turns.
 */
function cpuQuota(): number | undefined {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const v2 = read('/sys/fs/cgroup/cpu.max')?.split(/\s+/);
  const [quota, period] = v2 ?? [read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us'), read('/sys/fs/cgroup/cpu/cpu.cfs_period_us')];
  const q = Number(quota);
  const p = Number(period);
  return q > 0 && p > 0 ? Math.max(1, Math.floor(q / p)) : undefined;
}

/**
 * Where the block that would end at `at` ends: just after the first line feed from at - 1 on, the
 * file's end, or, with no line feed within FIND_LF, at a character's start (the record is then
 * unfinished, or too large). Depends only on the file and `at`.
 */
async function blockEnd(handle: FileHandle, size: number, at: number, probe: Buffer): Promise<number> {
  // (probe.length is FIND_LF, or less with tiny test blocks)
  if (at >= size) return size;
  const from = at - 1;
  const { bytesRead } = await handle.read(probe, 0, Math.min(probe.length, size - from), from);
  const lf = probe.subarray(0, bytesRead).indexOf(LF);
  if (lf >= 0) return from + lf + 1;
  if (from + bytesRead >= size) return size;
  let cut = bytesRead - 1;
  while (cut > 0 && (probe[cut] & 0xc0) === 0x80) cut--;
  return from + cut;
}

/** The blocks of a file: [from, to), whether it is the file's first and last. */
async function* blocksOf(file: string, blockBytes: number): AsyncGenerator<{ from: number; to: number; first: boolean; final: boolean }> {
  const handle = await open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    // At least 8 bytes: a character starts within any 4 bytes of UTF-8, so a cut always moves on.
    const probe = Buffer.allocUnsafe(Math.max(8, Math.min(FIND_LF, blockBytes)));
    const head = Buffer.alloc(3);
    await handle.read(head, 0, 3, 0);
    // A BOM is no part of the first record (offsets stay the file's: error messages name them).
    let from = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    let first = true;
    for (;;) {
      // (Always past `from`: only bytes that are not UTF-8 and tiny test blocks could make it not.)
      const to = Math.max(from + 1, await blockEnd(handle, size, from + blockBytes, probe));
      yield { from, to, first, final: to >= size };
      if (to >= size) return;
      first = false;
      from = to;
    }
  } finally {
    await handle.close();
  }
}

/** The promise, with a handler that does nothing: awaiting it still throws its error. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** Node's arguments without --loader / --experimental-loader / --import (and their values). */
function withoutLoaders(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--(?:experimental-loader|loader|import)(=)?/.exec(args[i]);
    if (!m) out.push(args[i]);
    else if (!m[1]) i++; // the value is the next argument
  }
  return out;
}

/**
 * The split workers, each answering its blocks in turn; blocks go round them. A pool serves one
 * split at a time (begin() hands the workers its files and checks); a run makes one and ends it
 * with its split, the tests keep one for many.
 */
export class SplitPool {
  private readonly workers: Worker[];
  private readonly running = new Set<Worker>();
  private readonly waiting = new Map<number, { resolve: (r: BlockResult) => void; reject: (e: Error) => void }>();
  private readonly spares: SpareBuffers[] = [];
  private next = 0;
  private ids = 0;
  private failure?: Error;

  public constructor(count: number) {
    // The compiled plugin runs splitWorker.js; the tests run the TypeScript source.
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const url = new URL(`./splitWorker.${ext}`, import.meta.url);
    // A compiled worker needs no module loader of the parent's (a bench run under ts-node has one,
    // which would start a TypeScript compiler in every worker).
    const execArgv = ext === 'js' ? withoutLoaders(process.execArgv) : undefined;
    this.workers = Array.from({ length: count }, () => {
      const worker = new Worker(url, { ...(execArgv ? { execArgv } : {}), resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_MB } });
      worker.on('message', (reply: BlockReply) => this.answer(reply));
      worker.on('error', (e) => this.failAll(e));
      worker.on('exit', (code) => {
        this.running.delete(worker);
        if (code !== 0) this.failAll(new Error(`a split worker stopped (exit code ${code})`));
      });
      this.running.add(worker);
      return worker;
    });
  }

  public get size(): number {
    return this.workers.length;
  }

  /** Starts a split: every worker gets its files and checks (answers still due to an earlier one are dropped). */
  public begin(init: WorkerInit): void {
    this.waiting.clear();
    for (const w of this.workers) w.postMessage({ init });
  }

  /**
   * Hands a block to the next worker. The answer's promise always has a handler (a failure is seen
   * when the caller awaits it), so one that fails while queued never goes unheard.
   */
  public run(block: Omit<BlockRequest, 'id' | 'spare'>): Promise<BlockResult> {
    const id = this.ids++;
    const worker = this.workers[this.next];
    this.next = (this.next + 1) % this.workers.length;
    if (!this.running.has(worker)) return quiet(Promise.reject(this.failure ?? new Error('a split worker has stopped')));
    const result = quiet(new Promise<BlockResult>((resolve, reject) => this.waiting.set(id, { resolve, reject })));
    const spare = this.spares.pop();
    const req: BlockRequest = { ...block, id, ...(spare ? { spare } : {}) };
    worker.postMessage(req, spare ? [spare.out, spare.ends, spare.lines] : []);
    return result;
  }

  /** A placed result's buffers go back to a worker with a later block: no allocation per block. */
  public recycle(result: BlockResult): void {
    if (this.spares.length < this.workers.length * 2) {
      this.spares.push({ out: result.out.buffer, ends: result.ends.buffer, lines: result.lines.buffer });
    }
  }

  /** Lets every worker close its files and end. */
  public async close(): Promise<void> {
    this.waiting.clear();
    await Promise.all(
      [...this.running].map(async (w) => {
        const exited = once(w, 'exit');
        w.postMessage('end');
        await exited;
      })
    );
  }

  private answer(reply: BlockReply): void {
    const waiter = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (!waiter) return;
    if (reply.result) waiter.resolve(reply.result);
    else waiter.reject(new Error(`a split worker failed: ${reply.failed ?? 'no reason given'}`));
  }

  private failAll(e: Error): void {
    this.failure ??= e;
    for (const waiter of this.waiting.values()) waiter.reject(e);
    this.waiting.clear();
  }
}

/** 1 + the line feeds before `offset`: the line the one-thread reader's UTF-8 check names. */
async function lineAt(file: string, offset: number): Promise<number> {
  let line = 1;
  let seen = 0;
  for await (const block of fileBlocks(file, 1024 * 1024)) {
    line += countNewlines(block, Math.min(block.length, offset - seen));
    seen += block.length;
    if (seen >= offset) break;
  }
  return line;
}

async function inputError(file: string, result: BlockResult, lineBase: number, from: number): Promise<CsvInputError> {
  const error = result.error!;
  if (error.kind === 'utf8') {
    const at = from + error.offset;
    return new CsvInputError('encoding', file, await lineAt(file, at), csvMessages.getMessage('notUtf8', [at]));
  }
  return new CsvInputError(error.code, file, error.line + lineBase, csvMessages.getMessage('cannotParse', [error.message]));
}

/** The run's fingerprint of the files, read on this thread while the workers split, until `stop.now`. */
async function fingerprint(files: SplitInput[], print: NonNullable<ParallelSplitOptions['print']>, stop: { now: boolean }): Promise<void> {
  const buffer = Buffer.allocUnsafe(1024 * 1024);
  for (const input of files) {
    for await (const block of fileBlocks(input.file, buffer)) {
      if (stop.now) return;
      print.update(block);
    }
    print.endFile();
  }
}

type Block = { from: number; to: number; first: boolean; final: boolean };

/** Reads, checks and splits the files on `opts.workers` threads (see the file's comment). */
export async function splitInParallel(opts: ParallelSplitOptions, plan: PlanOptions): Promise<PlanResult> {
  const parts = new PartFiles(plan);
  const own = typeof opts.workers === 'number';
  const pool = typeof opts.workers === 'number' ? new SplitPool(opts.workers) : opts.workers;
  pool.begin({
    files: opts.files.map((f) => ({
      file: f.file,
      delimiter: f.delimiter,
      ...(f.columnMap ? { columnMap: f.columnMap } : {}),
      ...(f.preflight ? { preflight: f.preflight.portable() } : {}),
    })),
    keepInvalid: opts.keepInvalid,
    maxRecordChars: opts.maxRecordChars,
  });
  const queue: Array<{ block: Block; result: Promise<BlockResult> }> = [];
  const stopPrint = { now: false };
  const printed = opts.print ? quiet(fingerprint(opts.files, opts.print, stopPrint)) : undefined;
  let rows = 0;
  try {
    for (const [fileIndex, input] of opts.files.entries()) {
      let lineBase = 0;
      let headerPending = true;
      let restFrom: number | undefined;
      const place = async (item: { block: Block; result: Promise<BlockResult> }): Promise<void> => {
        let result = await item.result;
        let from = item.block.from;
        // This block's own parse started in the wrong place when the block before ended inside a
        // record, and took its first record for a row when no block before held the header (blank
        // lines filled them): it is parsed again, from that record's start, or as the header's block.
        if (restFrom !== undefined || (headerPending && !item.block.first)) {
          pool.recycle(result);
          from = restFrom ?? from;
          result = await pool.run({ fileIndex, from, to: item.block.to, first: headerPending, final: item.block.final });
        }
        if (result.error) throw await inputError(input.file, result, lineBase, from);
        if (result.headerSeen) headerPending = false;
        const lines = result.lines;
        for (let i = 0; i < lines.length; i++) lines[i] += lineBase;
        await parts.addBlock(result.out, result.ends, lines, fileIndex, opts.maxRows);
        for (const r of result.rejected) await parts.rejected.add({ line: r.line + lineBase, fields: r.fields, fileIndex }, r.reason);
        input.preflight?.addChecked(result.checked, result.problems, lineBase);
        rows += lines.length;
        lineBase += result.endLine - 1;
        restFrom = result.restFrom < item.block.to - from ? from + result.restFrom : undefined;
        pool.recycle(result);
      };
      for await (const block of blocksOf(input.file, opts.blockBytes ?? BLOCK)) {
        queue.push({ block, result: pool.run({ fileIndex, ...block }) });
        // Two blocks a worker in flight: each has the next one waiting when it finishes.
        while (queue.length > 2 * pool.size) await place(queue.shift()!);
      }
      while (queue.length) await place(queue.shift()!);
    }
    await printed;
  } catch (e) {
    // A failed split reads no more of the file, and leaves no file of its own open.
    stopPrint.now = true;
    await printed?.catch(() => undefined);
    await parts.abort();
    throw e;
  } finally {
    if (own) await pool.close();
  }
  return { ...(await parts.close()), rows };
}
