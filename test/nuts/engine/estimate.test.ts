/*
 * Measure before scaling: a large load's first part runs alone, and its job info (processing time
 * per row, automation time, lock failures) estimates the rest; the estimate, the observed rates and
 * the per-org measurement a later --dry-run prices its plan with. The emulator's job info reports
 * simulated processing times (a base cost a row plus the object's automation cost), and its jobs'
 * createdDate and systemModstamp read its simulated clock, in which `settings.workers` chunks (V1:
 * batches) are processed at once: the elapsed-time estimate is held to that.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import { call } from '../../helpers/api.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import type { LoadEvent, LoadRequest } from '../../../src/core/run/types.js';

/** An object with per-row automation (triggers, flows): 8 ms a row on top of the org's base cost. */
const HEAVY = { name: 'Heavy__c', automationCostMs: 8, fields: [{ name: 'Code__c', type: 'string' as const, length: 20, externalId: true }] };

describe('load engine: the probe and its estimate', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator({ seed: { objects: [HEAVY] } });
    work = mkdtempSync(join(tmpdir(), 'bulkops-estimate-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });

  const heavyLoad = (rows: number, extra: Partial<LoadRequest> = {}): LoadRequest => {
    const file = join(work, `heavy-${rows}.csv`);
    writeFileSync(file, 'Name,Code__c\n' + Array.from({ length: rows }, (_, i) => `Heavy ${i},H-${i}`).join('\n') + '\n');
    return contactLoad(file, work, { object: 'Heavy__c', maxJobBytes: 6 * 1024, ...extra });
  };

  /** The org's own processing time of these jobs (their info's totalProcessingTime). */
  const orgProcessingMs = async (jobIds: string[]): Promise<number> => {
    let total = 0;
    for (const id of jobIds) total += ((await call(emu, 'GET', `/services/data/v66.0/jobs/ingest/${id}`)).json as { totalProcessingTime: number }).totalProcessingTime;
    return total;
  };

  /**
   * The org's elapsed time of these jobs: the time, on the org's clock, during which at least one of
   * them existed (each from its info's createdDate to its systemModstamp, when it finished), their
   * overlaps counted once. Time between jobs, when none of them was in the org, is the client's
   * (polls, the next part's creation) and is left out; a job's own upload stays in. `after`: no job
   * counts before it (the probe's end: the other parts' jobs are created, and their data uploaded,
   * while the file is split, but none is closed before the probe ended).
   */
  const orgElapsedMs = async (jobIds: string[], api: 'v1' | 'v2' = 'v2', after = -Infinity): Promise<number> => {
    const spans: Array<[number, number]> = [];
    for (const id of jobIds) {
      if (api === 'v2') {
        const info = (await call(emu, 'GET', `/services/data/v66.0/jobs/ingest/${id}`)).json as { createdDate: string; systemModstamp: string };
        spans.push([Math.max(after, Date.parse(info.createdDate)), Date.parse(info.systemModstamp)]);
      } else {
        const xml = (await call(emu, 'GET', `/services/async/66.0/job/${id}`)).text;
        const field = (name: string): number => Date.parse(new RegExp(`<${name}>([^<]+)</${name}>`).exec(xml)![1]);
        spans.push([field('createdDate'), field('systemModstamp')]);
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    let total = 0;
    let [from, to] = spans[0];
    for (const [f, t] of spans.slice(1)) {
      if (f > to) {
        total += to - from;
        [from, to] = [f, t];
      } else to = Math.max(to, t);
    }
    return total + (to - from);
  };

  it('estimates the elapsed time of the rest of the load within 25% of the org\'s, learning from the probe how many chunks the org processes at once', async () => {
    // Chunks of 50 rows (the engine told the same), so each part of about 350 rows is 8 chunks: the
    // probe's 8 chunks on the org's 4 workers take two rounds, which shows the limit. The rest (8
    // parts, 5 jobs at once) offers 40 chunks at once to 4 workers: the queue, not the plan, sets the
    // time. The clock runs at 2× real time while the org is busy, so a chunk (50 rows × 10 ms) takes
    // 250 real ms: longer than a poll (20 to 200 ms) and a job's creation, so the jobs queued behind
    // the running ones keep every worker busy while the client catches up, and client gaps do not
    // stretch the org's time (at the default 1000× a 100 ms poll would be 100 s of the org's time).
    emu.updateSettings({ chunkSize: 50, clockSpeed: 2 });
    const { engine } = testEngine(target());
    const result = await engine.start(heavyLoad(3000, { chunkRows: 50 }));
    expect(result.status).to.equal('Completed');
    expect(result.jobs.length, 'a load of several parts').to.be.at.least(6);
    const estimate = result.estimate!;
    expect(estimate).to.include({ source: 'probe', jobsAtOnce: 5, chunksAtOnce: 4, chunksAtOnceFrom: 'probe' });

    const probeEnd = Date.parse(((await call(emu, 'GET', `/services/data/v66.0/jobs/ingest/${result.jobs[0].id}`)).json as { systemModstamp: string }).systemModstamp);
    const actual = await orgElapsedMs(result.jobs.slice(1).map((j) => j.id), 'v2', probeEnd);
    // eslint-disable-next-line no-console
    if (process.env.BULKOPS_SHOW_ESTIMATE) console.log(`2.0: estimate ${estimate.wallMs} ms, org ${actual} ms, processing ${estimate.processingMs} ms`);
    expect(actual, 'the rest took longer than its longest chunk: several rounds of the workers').to.be.greaterThan(4 * 500);
    expect(Math.abs(estimate.wallMs - actual) / actual, `estimate ${estimate.wallMs} ms, org ${actual} ms`).to.be.at.most(0.25);

    // A dry run of the same load learns the same limit from this run's elapsed time.
    const dry = await engine.check(heavyLoad(3000, { runId: 'dry', resultsDir: join(work, 'dry'), chunkRows: 50 }));
    expect(dry.estimate).to.include({ source: 'earlier-runs', chunksAtOnceFrom: 'earlier-runs' });
    expect(dry.estimate!.chunksAtOnce).to.be.within(3, 4);
  });

  it('estimates a V1 Serial load (one job at a time, its batches one at a time) within 25% of the org\'s elapsed time', async () => {
    // Parts of about 12,000 rows in batches of 2,000: more rows a part than a Bulk 2.0 chunk holds,
    // yet the org processes one batch at a time. At the default clock speed a batch (2,000 rows ×
    // 10 ms) takes 20 real ms; the org is idle (its clock at real time) while the client adds the next
    // batch or creates the next job, and the time between jobs is left out, so client gaps stay small.
    const result = await testEngine(target()).engine.start(
      heavyLoad(60_000, { concurrency: 1, maxJobBytes: 240 * 1024, v1: { concurrencyMode: 'Serial', batchRows: 2000 } })
    );
    expect(result.status).to.equal('Completed');
    expect(result.jobs.length).to.be.at.least(4);
    const estimate = result.estimate!;
    expect(estimate).to.include({ source: 'probe', jobsAtOnce: 1, chunksAtOnce: 1 });
    const actual = await orgElapsedMs(result.jobs.slice(1).map((j) => j.id), 'v1');
    // eslint-disable-next-line no-console
    if (process.env.BULKOPS_SHOW_ESTIMATE) console.log(`V1 Serial: estimate ${estimate.wallMs} ms, org ${actual} ms, processing ${estimate.processingMs} ms`);
    expect(Math.abs(estimate.wallMs - actual) / actual, `estimate ${estimate.wallMs} ms, org ${actual} ms`).to.be.at.most(0.25);
  });

  it('runs the first part of a large load alone, and prices the rest within 25% of the processing time the org reports for it', async () => {
    const events: LoadEvent[] = [];
    const { engine } = testEngine(target(), (e) => events.push(e));
    const result = await engine.start(heavyLoad(3000));

    expect(result.status).to.equal('Completed');
    expect(result.successful).to.equal(3000);
    expect(result.jobs.length, 'a load of several parts').to.be.at.least(4);
    const estimate = result.estimate!;
    expect(estimate, 'the estimate is in the JSON').to.not.equal(undefined);
    expect(estimate).to.include({ source: 'probe', parts: result.jobs.length - 1, rows: 3000 - result.jobs[0].rows, jobsAtOnce: 5 });
    expect(estimate.apexMsPerRow, 'the automation the probe measured').to.equal(HEAVY.automationCostMs);
    expect(estimate.lockRate).to.equal(0);

    // The probe ran alone: no other part's job was closed (handed to the org to process; their data
    // went up as the file was split) before its job ended. The estimate came once its results were
    // joined (they give its lock failures), while the other parts ran.
    const at = (f: (e: LoadEvent) => boolean): number => events.findIndex(f);
    const probeDone = at((e) => e.type === 'job-done' && e.chunk === 1);
    const probeResults = at((e) => e.type === 'results-written' && e.chunk === 1);
    const estimated = at((e) => e.type === 'estimate');
    const secondClosed = at((e) => e.type === 'job-uploaded' && e.chunk !== 1);
    expect(probeDone).to.be.greaterThan(-1);
    expect(secondClosed).to.be.greaterThan(probeDone);
    expect(estimated).to.be.greaterThan(probeResults);
    expect(probeResults).to.be.greaterThan(probeDone);

    // Within 25% of the org's own processing time for the rest of the load: the sum of the jobs'
    // totalProcessingTime, not the elapsed time (the tests above hold that one).
    const actual = await orgProcessingMs(result.jobs.slice(1).map((j) => j.id));
    expect(actual).to.be.greaterThan(0);
    expect(Math.abs(estimate.processingMs - actual) / actual, `estimate ${estimate.processingMs} ms, org ${actual} ms`).to.be.at.most(0.25);

    // The observed rates of the whole run, from every job's info and results.
    const all = await orgProcessingMs(result.jobs.map((j) => j.id));
    expect(result.observed).to.deep.include({ processed: 3000, lockFailures: 0, lockRate: 0, throttled: 0, processingMs: all });

    // The ledger holds the probe's end before the second part's job is closed, the estimate after
    // the probe's results, and the observed rates.
    const records = Ledger.read(result.runDir);
    const estimateAt = records.findIndex((r) => r.t === 'estimate');
    expect(records.findIndex((r) => r.t === 'terminal' && r.chunk === 1)).to.be.lessThan(records.findIndex((r) => r.t === 'closed' && r.chunk === 2));
    expect(estimateAt).to.be.greaterThan(records.findIndex((r) => r.t === 'results' && r.chunk === 1));
    expect(records.find((r) => r.t === 'observed')).to.deep.include({ processed: 3000, lockFailures: 0 });

    // A dry run of the same object in this org now prices its plan with what this run measured.
    const dry = await engine.check(heavyLoad(3000, { runId: 'dry', resultsDir: join(work, 'dry') }));
    expect(dry.plan).to.include({ rows: 3000, jobsAtOnce: 5 });
    expect(dry.plan!.parts).to.be.at.least(4);
    expect(dry.estimate).to.include({ source: 'earlier-runs', rows: 3000, apexMsPerRow: HEAVY.automationCostMs });
    expect(Math.abs(dry.estimate!.processingMs - all) / all, `dry run ${dry.estimate!.processingMs} ms, org ${all} ms`).to.be.at.most(0.25);
  });

  it('does not hold back a load of a few parts: no probe, no estimate; a dry run with no earlier measurement shows the plan alone', async () => {
    const { engine } = testEngine(target());
    const dry = await engine.check(heavyLoad(600, { runId: 'dry-first', resultsDir: join(work, 'dry') }));
    expect(dry.plan).to.deep.include({ rows: 600, jobsAtOnce: 5 });
    expect(dry.estimate).to.equal(undefined);

    const events: LoadEvent[] = [];
    const result = await testEngine(target(), (e) => events.push(e)).engine.start(heavyLoad(600));
    expect(result.jobs.length).to.be.within(1, 3);
    expect(result.estimate).to.equal(undefined);
    expect(events.some((e) => e.type === 'estimate')).to.equal(false);
    expect(Ledger.read(result.runDir).some((r) => r.t === 'estimate')).to.equal(false);
    expect(result.observed).to.deep.include({ processed: 600, lockFailures: 0 });
  });
  // The probe's results; the close of the part after it (every part's job is created and uploaded
  // while the file is split, and closed once the probe gave its estimate).
  for (const crashAt of ['mid-results:1', 'after-close:2']) {
    it(`after kill -9 at ${crashAt} (the probe's results, the part after it), resume keeps one estimate and lands every row once`, async () => {
      const req = heavyLoad(3000);
      const child = await runCrashChild({ target: target(), request: req }, crashAt);
      expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
      const runDir = join(req.ledgerDir, req.runId);
      const before = Ledger.read(runDir).filter((r) => r.t === 'estimate');

      const result = await testEngine(target()).engine.resume(runDir, 60_000);
      expect(result).to.include({ status: 'Completed', successful: 3000, failed: 0, unprocessed: 0 });
      const codes = [...emu.store.all('Heavy__c')].map((r) => String(r.Code__c));
      expect(codes).to.have.length(3000);
      expect(new Set(codes).size).to.equal(3000);
      const estimates = Ledger.read(runDir).filter((r) => r.t === 'estimate');
      expect(estimates, 'one estimate, never a second probe').to.have.length(1);
      if (before.length) expect(estimates[0]).to.deep.equal(before[0]);
      expect(result.estimate).to.include({ source: 'probe', parts: result.jobs.length - 1 });
    });
  }
});
