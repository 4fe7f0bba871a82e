/*
 * Bulk API 2.0 sends that the org was still working on when the loading process was killed -9,
 * landing only after the resume has looked (the emulator holds each until the test releases it):
 * a held upload or close cannot load a row twice, and a held job creation leaves no Open job behind.
 * (V1 batch adds, which are not idempotent, are waited for: bulkV1.test.ts, "an add in doubt".)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine } from '../../helpers/engine.js';
import { isCall, killWhileHeld, landingAsResumed, type Route } from '../../helpers/held.js';
import type { LoadResult } from '../../../src/core/run/types.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';

const UPLOAD: Route = { method: 'PUT', path: /\/jobs\/ingest\/\w+\/batches$/ };
const CLOSE: Route = { method: 'PATCH', path: /\/jobs\/ingest\/\w+$/ };
const CREATE: Route = { method: 'POST', path: /\/jobs\/ingest$/ };

describe('load engine: Bulk API 2.0 sends held by the org past a kill -9', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  let savedBound: string | undefined;

  beforeEach(async () => {
    savedBound = process.env.SF_BULKOPS_MAX_ANSWER_MS;
    process.env.SF_BULKOPS_MAX_ANSWER_MS = '60000';
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-held-'));
  });

  afterEach(async () => {
    if (savedBound === undefined) delete process.env.SF_BULKOPS_MAX_ANSWER_MS;
    else process.env.SF_BULKOPS_MAX_ANSWER_MS = savedBound;
    emu.onRequest = undefined;
    emu.onHeld = undefined;
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });

  /**
   * A load of several parts whose `nth` call of `held` the org holds; the process dies once the org has all
   * of it. The resume runs in this process; the held call lands as the resume's first call of
   * `releaseAt` arrives. Returns the resume's result once the held call is handled too.
   */
  const heldThenResumed = async (held: Route, nth: number, releaseAt: Route): Promise<LoadResult> => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, 'LastName,External_Id__c\n' + Array.from({ length: 300 }, (_, i) => `Name${i + 1},C-${i + 1}`).join('\n') + '\n');
    const req = contactLoad(file, work, { concurrency: 1, maxJobBytes: 2 * 1024 });
    const exit = await killWhileHeld(emu, { target: target(), request: req }, held, nth);
    expect(exit.signal, exit.stderr).to.equal('SIGKILL');
    emu.onRequest = (entry): void => {
      if (isCall(releaseAt, entry)) emu.releaseHeld();
    };
    // A resume that waits for a send in doubt (a job creation) lets it land as it says so.
    const { engine } = testEngine(target(), (e) => e.type === 'send-in-doubt' && void emu.releaseHeld());
    const result = await engine.resume(join(req.ledgerDir, req.runId), 60_000);
    emu.releaseHeld();
    await emu.heldSettled();
    return result;
  };

  const expectEveryRowOnce = (result: LoadResult): void => {
    expect(result).to.include({ status: 'Completed', rows: 300, successful: 300, failed: 0, unprocessed: 0, unmatched: 0 });
    const ext = [...emu.store.all('Contact')].map((c) => c.External_Id__c as string);
    expect(ext).to.have.length(300);
    expect(new Set(ext).size).to.equal(300);
    // No job left Open: an Open job's data is never processed, and an empty one clutters the org's job list.
    expect(emu.ingest.jobs.list().filter((j) => j.state === 'Open').map((j) => j.id)).to.deep.equal([]);
  };

  it('an upload held past the kill, landing as the resume closes the job it uploaded to again: every row once', async () => {
    expectEveryRowOnce(await heldThenResumed(UPLOAD, 2, CLOSE));
  });

  it('an upload held past the kill, landing as the resume sends its first upload: every row once', async () => {
    expectEveryRowOnce(await heldThenResumed(UPLOAD, 2, UPLOAD));
  });

  it('a close held past the kill, landing as the resume closes the job again: every row once', async () => {
    expectEveryRowOnce(await heldThenResumed(CLOSE, 2, CLOSE));
  });

  it('a job creation retried (its first attempt refused with Retry-After), the retry held past the kill, resumed at once: the wait runs from the retry, the late job is adopted, none left Open', async () => {
    // Bound 1.5 s; the first attempt's 503 asks for 2 s: by the resume, the first attempt's start plus the bound has gone by.
    process.env.SF_BULKOPS_MAX_ANSWER_MS = '1500';
    emu.addFault({ kind: 'status', status: 503, method: CREATE.method, path: CREATE.path.source, retryAfter: 2 });
    const file = join(work, 'contacts.csv');
    writeFileSync(file, 'LastName,External_Id__c\n' + Array.from({ length: 300 }, (_, i) => `Name${i + 1},C-${i + 1}`).join('\n') + '\n');
    const req = contactLoad(file, work, { concurrency: 1, maxJobBytes: 2 * 1024 });
    const exit = await killWhileHeld(emu, { target: target(), request: req }, CREATE, 2);
    expect(exit.signal, exit.stderr).to.equal('SIGKILL');
    const runDir = join(req.ledgerDir, req.runId);
    const { result, waits } = await landingAsResumed(emu, CREATE, (onEvent) => testEngine(target(), onEvent).engine.resume(runDir, 60_000));
    expectEveryRowOnce(result);
    expect(emu.ingest.jobs.list()).to.have.length(result.jobs.length);
    expect(Ledger.read(runDir).filter((r) => r.t === 'created' && r.adopted)).to.have.length(1);
    expect(waits.map((w) => w.what)).to.deep.equal(['job']);
  });

  it('a job creation held past the kill, resumed at once: the resume waits for the job and adopts it, no Open job is left behind', async () => {
    const result = await heldThenResumed(CREATE, 2, CREATE);
    expectEveryRowOnce(result);
    // The late job is the part's: one job a part, the held one adopted.
    expect(emu.ingest.jobs.list()).to.have.length(result.jobs.length);
    expect(Ledger.read(result.runDir).filter((r) => r.t === 'created' && r.adopted)).to.have.length(1);
  });
});
