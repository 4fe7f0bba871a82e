/*
 * Measure before scaling: a large load's first part runs alone, and its job info (processing time
 * per row, automation time, lock failures) estimates the rest; the estimate, the observed rates and
 * the per-org measurement a later --dry-run prices its plan with. The emulator's job info reports
 * simulated processing times (a base cost a row plus the object's automation cost).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import { call } from '../../helpers/api.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import type { LoadEvent, LoadRequest } from '../../../src/core/load/types.js';

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

  it('runs the first part of a large load alone, and estimates the rest within 25% of what the org then takes to process it', async () => {
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

    // The probe ran alone: no other part's job was created before its job ended and the estimate came.
    const at = (f: (e: LoadEvent) => boolean): number => events.findIndex(f);
    const probeDone = at((e) => e.type === 'job-done' && e.chunk === 1);
    const estimated = at((e) => e.type === 'estimate');
    const secondCreated = at((e) => e.type === 'job-created' && e.chunk !== 1);
    expect(probeDone).to.be.greaterThan(-1);
    expect(estimated).to.be.greaterThan(probeDone);
    expect(secondCreated).to.be.greaterThan(estimated);

    // Within 25% of the org's own processing time for the rest of the load.
    const actual = await orgProcessingMs(result.jobs.slice(1).map((j) => j.id));
    expect(actual).to.be.greaterThan(0);
    expect(Math.abs(estimate.processingMs - actual) / actual, `estimate ${estimate.processingMs} ms, org ${actual} ms`).to.be.at.most(0.25);

    // The observed rates of the whole run, from every job's info and results.
    const all = await orgProcessingMs(result.jobs.map((j) => j.id));
    expect(result.observed).to.deep.include({ processed: 3000, lockFailures: 0, lockRate: 0, throttled: 0, processingMs: all });

    // The ledger holds the estimate before the second part's creation, and the observed rates.
    const records = Ledger.read(result.runDir);
    const estimateAt = records.findIndex((r) => r.t === 'estimate');
    expect(estimateAt).to.be.greaterThan(-1);
    expect(estimateAt).to.be.lessThan(records.findIndex((r) => r.t === 'creating' && r.chunk === 2));
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
  for (const crashAt of ['mid-results:1', 'before-create:2']) {
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
