/*
 * A split worker's thread (parallelSplit.ts starts it): builds the run's row checks from plain data
 * (the describes the main thread read), then reads, checks and writes out each block it is handed
 * (blockSplit.ts), answering in the order the blocks came. It reads the block's bytes from the file
 * itself, into one buffer it keeps: only the rows written out (moved, not copied), the rejected
 * rows and the problems found go back to the main thread.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { describeFromObjects } from '../preflight/describe.js';
import { Preflight } from '../preflight/preflight.js';
import { splitBlock, type RowChecker } from './blockSplit.js';
import type { BlockReply, BlockRequest, WorkerInit } from './parallelSplit.js';

const port = parentPort!;

async function checkers(init: WorkerInit): Promise<Array<RowChecker | undefined>> {
  return Promise.all(
    init.files.map(async (f) => {
      if (!f.preflight) return undefined;
      const { describes, ...opts } = f.preflight;
      const preflight = await Preflight.create({ ...opts, describe: describeFromObjects(describes) });
      return (record) => preflight.checkRow(record);
    })
  );
}

/** The split under way: its files and checks (a worker may serve several splits, one after another). */
let split: { init: WorkerInit; ready: Promise<Array<RowChecker | undefined>> } | undefined;
const fds = new Map<number, number>();
let buffer = Buffer.allocUnsafe(0);
let ended = false;

/** The bytes [from, to) of a file, read into the worker's buffer (valid until the next read). */
function read(init: WorkerInit, fileIndex: number, from: number, to: number): Buffer {
  let fd = fds.get(fileIndex);
  if (fd === undefined) {
    fd = openSync(init.files[fileIndex].file, 'r');
    fds.set(fileIndex, fd);
  }
  if (buffer.length < to - from) buffer = Buffer.allocUnsafe(Math.ceil((to - from) * 1.25));
  let got = 0;
  while (got < to - from) {
    const n = readSync(fd, buffer, got, to - from - got, from + got);
    if (n === 0) throw new Error(`${init.files[fileIndex].file} is shorter than when its split started: it changed while being read`);
    got += n;
  }
  return buffer.subarray(0, to - from);
}

function answer(init: WorkerInit, req: BlockRequest, checks: Array<RowChecker | undefined>): void {
  if (ended) return;
  const file = init.files[req.fileIndex];
  const check = checks[req.fileIndex];
  const result = splitBlock(read(init, req.fileIndex, req.from, req.to), {
    delimiter: file.delimiter,
    maxRecordChars: init.maxRecordChars,
    fileIndex: req.fileIndex,
    first: req.first,
    final: req.final,
    ...(file.columnMap ? { columnMap: file.columnMap } : {}),
    ...(check ? { check } : {}),
    keepInvalid: init.keepInvalid,
    ...(req.spare ? { spare: req.spare } : {}),
  });
  const reply: BlockReply = { id: req.id, result };
  // The result's buffers move to the main thread, not copied.
  port.postMessage(reply, [result.out.buffer, result.ends.buffer, result.lines.buffer]);
}

function closeFiles(): void {
  for (const fd of fds.values()) closeSync(fd);
  fds.clear();
}

port.on('message', (req: BlockRequest | { init: WorkerInit } | 'end') => {
  if (req === 'end') {
    // The thread ends once its port is closed.
    ended = true;
    closeFiles();
    port.close();
    return;
  }
  if ('init' in req) {
    closeFiles();
    const ready = checkers(req.init);
    // Its failure is answered to each block (below); unheard, it would end the thread.
    ready.catch(() => undefined);
    split = { init: req.init, ready };
    return;
  }
  const { init, ready } = split!;
  void ready
    .then((checks) => answer(init, req, checks))
    .catch((e: unknown) => {
      const reply: BlockReply = { id: req.id, failed: e instanceof Error ? e.stack ?? e.message : String(e) };
      port.postMessage(reply);
    });
});
