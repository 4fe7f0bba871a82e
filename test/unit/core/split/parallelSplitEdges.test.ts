/*
 * The split on worker threads on inputs the differential test (parallelSplit.test.ts) does not
 * generate, against the one-thread split (planChunks over openCsv): blank lines before the header,
 * errors past the reader's first 256 KB (a refusal must not be lost to a write still in flight),
 * a byte that is not UTF-8 right before a block's end, a quote error and such a byte in one read,
 * records at the size limit; and what a failed split leaves behind (a failed worker, the
 * fingerprint's read). From the third review of the threaded split, where each of these failed.
 */
import { createReadStream, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { openCsv } from '../../../../src/core/csv/reader.js';
import { checkedUtf8, type Utf8GuardError } from '../../../../src/core/csv/utf8Guard.js';
import { planChunks, type PlanResult } from '../../../../src/core/split/planner.js';
import { splitInParallel } from '../../../../src/core/split/parallelSplit.js';
import { Fingerprint, fingerprintFiles } from '../../../../src/core/split/fingerprint.js';
import { suitePool } from '../../../helpers/splitThreads.js';
import type { Preflight } from '../../../../src/core/preflight/preflight.js';

type Outcome = { rows?: number; rejected?: number; parts?: Array<{ rows: number; firstLine: number; lastLine: number; sha256: string }>; files?: Record<string, string>; error?: { kind: string; line: number } };

async function outcome(dir: string, run: (dir: string, header: string[]) => Promise<PlanResult>, file: string): Promise<Outcome> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  try {
    const source = await openCsv(file);
    await source.close();
    const plan = await run(dir, source.header);
    const files: Record<string, string> = {};
    for (const name of readdirSync(dir).sort()) files[name] = readFileSync(join(dir, name)).toString('base64');
    return { rows: plan.rows, rejected: plan.rejected, parts: plan.chunks.map((c) => ({ rows: c.rows, firstLine: c.firstLine, lastLine: c.lastLine, sha256: c.sha256 })), files };
  } catch (e) {
    const err = e as { kind: string; line: number };
    return { error: { kind: err.kind ?? `${(e as Error).name}: ${(e as Error).message}`, line: err.line } };
  }
}

describe('parallel split: edges', function () {
  this.timeout(180_000);
  const { work, pool } = suitePool('bulkops-psplit-edges-');

  const oneThread = (file: string, maxBytes = 100 * 1024 * 1024): Promise<Outcome> =>
    outcome(join(work, 'one'), async (dir, header) => planChunks((await openCsv(file)).batches, { dir, header, maxBytes }), file);
  const threads = (file: string, blockBytes?: number, maxBytes = 100 * 1024 * 1024): Promise<Outcome> =>
    outcome(
      join(work, 'threads'),
      (dir, header) => splitInParallel({ files: [{ file, delimiter: ',' }], keepInvalid: false, maxRecordChars: 1_000_000, workers: pool(), ...(blockBytes ? { blockBytes } : {}) }, { dir, header, maxBytes }),
      file
    );

  it('blank lines before the header that fill the first blocks: the header is not taken for a row', async () => {
    // The differential test puts blank lines only between rows.
    const file = join(work, 'blank-head.csv');
    writeFileSync(file, '\n\n\n\n\n\n\n\n\n\nName,Code\nA,1\nB,2\n');
    const expected = await oneThread(file);
    expect(expected.rows).to.equal(2);
    for (const blockBytes of [2, 4, 7]) expect(await threads(file, blockBytes), `blocks of ${blockBytes}`).to.deep.equal(expected);
  });

  // Past the reader's first 256 KB (openCsv reads that to find the header, before either split).
  const filler = (n: number, from = 0): string => Array.from({ length: n }, (_, i) => `Row ${i + from},${i}`).join('\n') + '\n';

  it('a byte that is not UTF-8 past the first 256 KB: both splits stop with the encoding error and its line', async () => {
    const file = join(work, 'late-latin1.csv');
    writeFileSync(file, Buffer.concat([Buffer.from('Name,Code\n' + filler(60_000) + 'D,'), Buffer.from([0xe9]), Buffer.from(',4\n' + filler(100))]));
    const expected = { error: { kind: 'encoding', line: 60_002 } };
    expect(await threads(file)).to.deep.equal(expected);
    // (The one-thread reader's check was a stream the file was piped into: its error was overtaken by
    // the file stream writing into it once destroyed.)
    for (let i = 0; i < 3; i++) expect(await oneThread(file), `one thread, try ${i + 1}`).to.deep.equal(expected);
  });

  it('a quote left open on the last line of a 5 MB file: both splits refuse it with its line', async () => {
    // The last part's .lines write is in flight when the split is aborted: its error on the closed
    // stream must not stand in for the input's (discard() in planner.ts).
    const file = join(work, 'broken-last.csv');
    writeFileSync(file, 'LastName,FirstName\n' + filler(300_000) + 'Broken,"x\n');
    const expected = { error: { kind: 'quote', line: 300_002 } };
    expect(await threads(file)).to.deep.equal(expected);
    expect(await oneThread(file)).to.deep.equal(expected);
  });

  it('the same, on threads with 256 KB blocks, six times: the refusal is never lost to a write in flight', async () => {
    const file = join(work, 'broken-last.csv');
    writeFileSync(file, 'LastName,FirstName\n' + filler(300_000) + 'Broken,"x\n');
    const got: string[] = [];
    for (let i = 0; i < 6; i++) got.push(JSON.stringify(await threads(file, 256 * 1024)));
    const expected = JSON.stringify({ error: { kind: 'quote', line: 300_002 } });
    expect(got.filter((g) => g !== expected), 'timing: a few of 6 tries').to.deep.equal([]);
  });

  it('two files: the threads fingerprint them whole, in turn, as fingerprintFiles does (what the engine records for several files)', async () => {
    const a = join(work, 'fa.csv');
    const b = join(work, 'fb.csv');
    writeFileSync(a, 'A,B\n' + filler(150_000));
    writeFileSync(b, 'A,B\n' + filler(150_000, 1));
    const dir = join(work, 'prints');
    mkdirSync(dir, { recursive: true });
    const threaded = new Fingerprint(2);
    await splitInParallel({ files: [{ file: a, delimiter: ',' }, { file: b, delimiter: ',' }], keepInvalid: false, maxRecordChars: 1_000_000, workers: pool(), print: threaded }, { dir, header: ['A', 'B'] });
    expect(threaded.digest()).to.deep.equal(await fingerprintFiles([a, b]));
  });

  it('a byte that is not UTF-8 right before the line feed that ends a block: both name its offset and line', async () => {
    // 0xE9 0x0A at the end of a buffer: not a sequence the next bytes could complete (0x0A is no
    // continuation byte), so the error is at 0xE9, not at the line feed nor at the read's start.
    const file = join(work, 'latin1-at-block-end.csv');
    const head = 'Name,Code\n';
    let text = head + filler(300_000);
    text = text.slice(0, text.lastIndexOf('\n', 4 * 1024 * 1024 - 3) + 1);
    const pad = 4 * 1024 * 1024 - 2 - text.length; // the bad byte at 4 MB - 2, its line feed at 4 MB - 1
    const lead = Buffer.from(text + 'P,' + 'p'.repeat(pad - 2));
    writeFileSync(file, Buffer.concat([lead, Buffer.from([0xe9, 0x0a]), Buffer.from(filler(1000))]));
    const line = text.split('\n').length;
    const message = async (run: Promise<unknown>): Promise<string> => run.then(() => 'no error', (e: Error) => e.message.replace(`${file}:`, ''));
    const dir = join(work, 'latin1-out');
    mkdirSync(dir, { recursive: true });
    const header = ['Name', 'Code'];
    const want = `${line}: the file is not UTF-8 (invalid byte at offset ${4 * 1024 * 1024 - 2})`;
    const got = {
      threads: (await message(splitInParallel({ files: [{ file, delimiter: ',' }], keepInvalid: false, maxRecordChars: 1_000_000, workers: pool() }, { dir, header }))).slice(0, want.length),
      // The one-thread reader's check, read as reader.ts reads the file.
      oneThreadGuard: await (async (): Promise<string> => {
        try {
          for await (const chunk of checkedUtf8(createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>)) void chunk;
          return 'no error';
        } catch (e) {
          return `line ${(e as Utf8GuardError).line}, offset ${(e as Utf8GuardError).byteOffset}`;
        }
      })(),
    };
    expect(got).to.deep.equal({ threads: want, oneThreadGuard: `line ${line}, offset ${4 * 1024 * 1024 - 2}` });
  });

  it('a worker that fails (its checks cannot be built): the split rejects cleanly, no unhandled rejection, no hang', async () => {
    // An unhandled rejection in the worker would end it; blocks still queued here when their worker
    // fails must not reject unheard (the process would die of it); a block sent to a worker that
    // has stopped must be answered with the failure, not wait for ever.
    const file = join(work, 'worker-fails.csv');
    writeFileSync(file, 'Name,Code\n' + filler(200_000));
    const dir = join(work, 'worker-fails');
    mkdirSync(dir, { recursive: true });
    // A preflight whose describes the worker cannot use (the object's is missing).
    const preflight = { portable: () => ({ file, object: 'Account', operation: 'insert', header: ['Name', 'Code'], headerLine: 1, describes: [] }), addChecked: (): void => undefined } as unknown as Preflight;
    const unhandled: string[] = [];
    const onUnhandled = (e: unknown): void => void unhandled.push(String(e).slice(0, 80));
    process.on('unhandledRejection', onUnhandled);
    try {
      const ended = await Promise.race([
        splitInParallel({ files: [{ file, delimiter: ',', preflight }], keepInvalid: false, maxRecordChars: 1_000_000, workers: 2, blockBytes: 64 * 1024 }, { dir, header: ['Name', 'Code'] }).then(
          () => 'split',
          (e: Error) => `rejected: ${e.message.slice(0, 60)}`
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve('still running after 60 s'), 60_000).unref()),
      ]);
      await new Promise((r) => setTimeout(r, 100));
      expect({ outcome: ended.startsWith('rejected: ') ? 'rejected' : ended, unhandled }).to.deep.equal({ outcome: 'rejected', unhandled: [] });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('a quote error before bytes that are not UTF-8, in the same 256 KB read: both name the quote error, the first in the file', async () => {
    // The quote error at ~600 KB, the bad byte at ~700 KB, both in the read [512 KB, 768 KB): the
    // one-thread reader hands the parser the bytes before the bad one first.
    const file = join(work, 'quote-then-utf8.csv');
    const lead = filler(50_000).slice(0, 600 * 1024);
    const leadRows = lead.slice(0, lead.lastIndexOf('\n') + 1);
    writeFileSync(file, Buffer.concat([Buffer.from('Name,Code\n' + leadRows + 'B,x"y\n' + filler(8000) + 'D,'), Buffer.from([0xe9]), Buffer.from(',4\n' + filler(100))]));
    const expected = await oneThread(file);
    expect(expected.error?.kind).to.equal('quote');
    expect(await threads(file)).to.deep.equal(expected);
  });

  it('a record just over maxRecordChars: both refuse it, wherever the pieces of the parse fall (32 K from the file start, or from a block start)', async () => {
    const max = 1_000_000;
    // The first (4 MB) block ends after a long row that straddles 4 MB, so the second block starts
    // ~10 KB past a multiple of 32 K; the one-thread reader's pieces are multiples of 32 K from 0.
    const head = 'A,B\n';
    const parts: string[] = [head];
    let size = head.length;
    const row = (n: number): string => `r,${'y'.repeat(n - 3)}\n`;
    while (size < 4 * 1024 * 1024 - 10_000) {
      parts.push(row(1000));
      size += 1000;
    }
    parts.push(row(20_000)); // straddles 4 MB
    size += 20_000;
    // The big record starts at R = 32768k - max - 50 and is max + 101 chars long: the one-thread
    // reader has a piece end at 32768k, inside (R + max, R + L), while the record is unfinished.
    const k = Math.ceil((size + 2000 + max + 50) / 32_768);
    const R = 32_768 * k - max - 50;
    while (R - size > 1000 + 10) {
      parts.push(row(1000));
      size += 1000;
    }
    parts.push(row(R - size));
    size = R;
    const L = max + 101;
    parts.push(`1,"${'x'.repeat(L - 5)}"\n`);
    parts.push('last,row\n');
    const file = join(work, 'near-max.csv');
    writeFileSync(file, parts.join(''));
    const expected = await oneThread(file);
    const got = await threads(file);
    expect(expected.error?.kind).to.equal('record-too-large');
    expect({ threads: got.error ?? `${got.rows} rows` }).to.deep.equal({ threads: expected.error ?? `${expected.rows} rows` });
  });

  it('a split stopped by a bad line leaves no file open and reads no more (the read for the fingerprint stops too)', async () => {
    const file = join(work, 'bad-early.csv');
    // A quote error on line 3, then ~150 MB of rows.
    const body = Buffer.from('Name,Code\nA,1\nB,x"y\n');
    const rows = Buffer.from(filler(20_000));
    writeFileSync(file, Buffer.concat([body, ...Array.from({ length: 600 }, () => rows)]));
    const dir = join(work, 'bad-early');
    mkdirSync(dir, { recursive: true });
    // The pool's threads started (a compiled plugin's start in a few ms; here TypeScript is compiled first).
    const small = join(work, 'small.csv');
    writeFileSync(small, 'Name,Code\nA,1\n');
    await threads(small);
    let hashed = 0;
    // A slow hash (SHA-256 of a large file, in short): 20 ms a MB.
    const print = {
      update: (b: Buffer): void => {
        hashed += b.length;
        const until = Date.now() + 20;
        while (Date.now() < until);
      },
      endFile: (): void => undefined,
    };
    const error = await splitInParallel({ files: [{ file, delimiter: ',' }], keepInvalid: false, maxRecordChars: 1_000_000, workers: pool(), print }, { dir, header: ['Name', 'Code'] }).then(
      () => undefined,
      (e: Error) => e
    );
    expect(error?.name).to.equal('CsvInputError');
    const atError = hashed;
    const open = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false;
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    // The shared pool's threads keep theirs (one each) until its next split or close; the fingerprint's is the one more.
    expect({ openBeyondThePoolsOwn: open.length > pool().size, readOnAfterTheError: hashed > atError }, 'once the split has failed').to.deep.equal({ openBeyondThePoolsOwn: false, readOnAfterTheError: false });
  });
});
