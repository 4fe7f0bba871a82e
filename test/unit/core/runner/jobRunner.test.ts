/*
 * The job runner against a scripted org (no emulator), for what the emulator cannot stage: a job
 * creation the org handles late, so the retry made a second job. The first one is aborted as an
 * extra job of ours, and never used.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import type { BulkV2 } from '../../../../src/core/bulk/bulkV2.js';
import type { JobInfo, JobState } from '../../../../src/core/bulk/types.js';
import { OrgNetworkError } from '../../../../src/core/http/orgHttp.js';
import { Ledger } from '../../../../src/core/ledger/ledger.js';
import { replay, type ChunkState, type RunState } from '../../../../src/core/ledger/records.js';
import { planChunks } from '../../../../src/core/split/planner.js';
import { csvLine } from '../../../../src/core/csv/writer.js';
import { partsConflict } from '../../../../src/core/concurrency/auto.js';
import { InFlight } from '../../../../src/core/runner/inFlight.js';
import { JobRunner } from '../../../../src/core/runner/jobRunner.js';

const USER = '005000000000001AAA';

/**
 * An org whose first job creation is handled but answered with a reset (unless told it is not late),
 * and whose job list lags one call behind. Results are given once `hold` is settled.
 */
class LateOrg {
  public readonly jobs = new Map<string, JobInfo & { data?: string }>();
  public hold: Promise<void> = Promise.resolve();
  /** the jobs closed, in order */
  public readonly closed: string[] = [];
  private creations = 0;
  private lists = 0;

  public constructor(private readonly late = true) {}

  public bulk(): BulkV2 {
    const job = (id: string): JobInfo & { data?: string } => {
      const j = this.jobs.get(id);
      if (!j) throw new Error(`no job ${id}`);
      return j;
    };
    const make = (): JobInfo => {
      const id = `750${String(++this.creations).padStart(12, '0')}AAA`;
      const info = { id, object: 'Contact', operation: 'insert', createdById: USER, createdDate: new Date(Date.now() + this.creations * 1000).toISOString(), state: 'Open' as JobState };
      this.jobs.set(id, info);
      return info;
    };
    const fake = {
      createIngestJob: (): Promise<JobInfo> => {
        const info = make();
        // The first creation reaches the org, but its answer is lost.
        if (this.late && this.creations === 1) return Promise.reject(new OrgNetworkError('socket hang up', 'POST', '/jobs/ingest', 'ECONNRESET'));
        return Promise.resolve({ ...info });
      },
      // The first look finds nothing yet (the org lists the late job only afterwards).
      listJobs: (): Promise<{ done: boolean; records: JobInfo[]; nextRecordsUrl: null }> =>
        Promise.resolve({ done: true, records: this.lists++ === 0 ? [] : [...this.jobs.values()].map((j) => ({ ...j })), nextRecordsUrl: null }),
      info: (id: string): Promise<JobInfo> => Promise.resolve({ ...job(id) }),
      upload: async (id: string, body: () => AsyncIterable<Buffer>): Promise<void> => {
        const chunks: Buffer[] = [];
        for await (const b of body()) chunks.push(Buffer.from(b));
        job(id).data = Buffer.concat(chunks).toString('utf8');
      },
      close: (id: string): Promise<JobInfo> => {
        const j = job(id);
        this.closed.push(id);
        const rows = (j.data ?? '').trim().split('\n').length - 1;
        Object.assign(j, { state: 'JobComplete', numberRecordsProcessed: rows, numberRecordsFailed: 0 });
        return Promise.resolve({ ...j });
      },
      abort: (id: string): Promise<JobInfo> => {
        job(id).state = 'Aborted';
        return Promise.resolve({ ...job(id) });
      },
      results: async (id: string, kind: string): Promise<Readable> => {
        await this.hold;
        const [header, ...rows] = (job(id).data ?? '').trim().split('\n');
        const text =
          kind === 'successful'
            ? [csvLine(['sf__Id', 'sf__Created']).trimEnd() + `,${header}`, ...rows.map((r, i) => `003${String(i).padStart(15, '0')},true,${r}`)].join('\n') + '\n'
            : csvLine(['sf__Id', 'sf__Error', ...header.split(',')]);
        return Readable.from([Buffer.from(text)]);
      },
    };
    return fake as unknown as BulkV2;
  }
}

describe('job runner: a creation the org handled late', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bulkops-runner-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  /** A planned run of `n` rows in parts of `partRows`, and a runner for the org. */
  async function planned(n: number, partRows: number, org: LateOrg): Promise<{ runDir: string; ledger: Ledger; state: RunState; runner: JobRunner }> {
    const runDir = join(work, 'run');
    mkdirSync(runDir);
    const header = ['LastName', 'External_Id__c'];
    const rows = Array.from({ length: n }, (_, i) => ({ line: i + 2, fields: [`Name ${i}`, `X-${i}`] }));
    const plan = await planChunks(Readable.from(rows), { dir: work, header, group: { rows: partRows } });
    const ledger = new Ledger(runDir);
    ledger.append({
      t: 'run',
      runId: 'r',
      object: 'Contact',
      operation: 'insert',
      files: ['in.csv'],
      resultsDir: runDir,
      org: { username: 'u', orgId: '00D000000000001AAA', userId: USER, instanceUrl: 'http://x' },
      concurrency: 1,
      backup: false,
    });
    ledger.append({ t: 'planned', chunks: plan.chunks, rows: n, rejected: 0, header, fileSha256: 'x', fileBytes: 1 });
    const state = replay(Ledger.read(runDir));
    const runner = new JobRunner({
      bulk: org.bulk(),
      now: Date.now,
      sleep: (): Promise<void> => Promise.resolve(),
      emit: (): void => {},
      retry: { attempts: 4, baseMs: 1, maxMs: 1, budgetMs: 60_000 },
      poll: { minMs: 1, maxMs: 1 },
      stateDir: join(work, 'state'),
    });
    return { runDir, ledger, state, runner };
  }

  it('aborts the extra job the lost attempt made, and loads the part once into the job it got', async () => {
    const org = new LateOrg();
    const { runDir, ledger, state, runner } = await planned(5, 10, org);
    await runner.run({ ledger, state, deadline: { at: Date.now() + 60_000 } }, state.chunks);
    ledger.close();

    const [late, used] = [...org.jobs.values()];
    expect(late.state, 'the late job is aborted').to.equal('Aborted');
    expect(late.data, 'and never got data').to.equal(undefined);
    expect(used.state).to.equal('JobComplete');
    expect(state.chunks[0].results).to.include({ successful: 5, unmatched: 0 });
    const records = Ledger.read(runDir);
    expect(records.filter((r) => r.t === 'aborted-orphan').map((r) => r.t === 'aborted-orphan' && r.jobId)).to.deep.equal([late.id]);
    expect(records.filter((r) => r.t === 'created').map((r) => r.t === 'created' && r.jobId)).to.deep.equal([used.id]);
  });

  it('an auto run: parts go on starting while the parts before them wait for their results to be joined', async () => {
    const org = new LateOrg(false);
    let release!: () => void;
    org.hold = new Promise<void>((resolve) => (release = resolve));
    const { ledger, state, runner } = await planned(12, 2, org);
    expect(state.chunks).to.have.length(6);
    // One job at a time (two workers' places): the first results are held until every job has ended, or 5 s.
    const running = runner.run({ ledger, state, deadline: { at: Date.now() + 60_000 }, inFlight: new InFlight<ChunkState>({ max: 1 }) }, state.chunks);
    const ended = (): number => [...org.jobs.values()].filter((j) => j.state === 'JobComplete').length;
    for (const until = Date.now() + 5000; ended() < 6 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 5));
    const endedWhileHeld = ended();
    release();
    await running;
    ledger.close();
    expect(endedWhileHeld, 'jobs ended while the first join was held').to.equal(6);
    expect(state.chunks.map((c) => c.results?.successful)).to.deep.equal([2, 2, 2, 2, 2, 2]);
  });

  it("an auto run: the part whose job ended in the estimate's probe keeps no part of its parent waiting", async () => {
    const org = new LateOrg(false);
    const { ledger, state, runner } = await planned(8, 2, org);
    // Parts 1 and 2 hold children of parent A, parts 3 and 4 those of B and C.
    const parents = ['A', 'A', 'B', 'C'];
    state.chunks.forEach((c, i) => (c.chunk.parentKeys = { first: parents[i], last: parents[i] }));
    const ctx = { ledger, state, deadline: { at: Date.now() + 60_000 }, inFlight: new InFlight<ChunkState>({ max: 2, conflicts: partsConflict }) };
    await runner.run({ ...ctx, untilEnded: true }, [state.chunks[0]]);
    await runner.run(ctx, state.chunks);
    ledger.close();
    const part = (jobId: string): number => state.chunks.findIndex((c) => c.jobId === jobId) + 1;
    // Part 2 goes first (before, part 1 held the gate while parts 3 and 4 took both jobs in flight).
    expect(org.closed.map(part)).to.deep.equal([1, 2, 3, 4]);
    expect(state.chunks.map((c) => c.results?.successful)).to.deep.equal([2, 2, 2, 2]);
  });
});

describe('job runner: the probe part joined outside the gate', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bulkops-rev4-runner-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  it("a probe whose job was aborted before it held a row gets a new job, never while its parent's next part runs", async () => {
    const org = new LateOrg(false);
    const runDir = join(work, 'run');
    mkdirSync(runDir);
    const header = ['LastName', 'External_Id__c'];
    const rows = Array.from({ length: 8 }, (_, i) => ({ line: i + 2, fields: [`Name ${i}`, `X-${i}`] }));
    const plan = await planChunks(Readable.from(rows), { dir: work, header, group: { rows: 2 } });
    const ledger = new Ledger(runDir);
    ledger.append({ t: 'run', runId: 'r', object: 'Contact', operation: 'insert', files: ['in.csv'], resultsDir: runDir, org: { username: 'u', orgId: '00D000000000001AAA', userId: USER, instanceUrl: 'http://x' }, concurrency: 2, backup: false });
    ledger.append({ t: 'planned', chunks: plan.chunks, rows: 8, rejected: 0, header, fileSha256: 'x', fileBytes: 1 });
    const state = replay(Ledger.read(runDir));
    const bulk = org.bulk();
    // The probe's job (the first closed) is aborted by someone before it processed a row.
    let closes = 0;
    const inOrg = new Set<string>();
    let overlap = false;
    const partOf = (id: string): number => state.chunks.findIndex((c) => c.jobId === id);
    const parentOf = (id: string): string | undefined => state.chunks[partOf(id)]?.chunk.parentKeys?.first;
    const close = bulk.close.bind(bulk);
    bulk.close = async (id: string): Promise<JobInfo> => {
      for (const other of inOrg) if (parentOf(other) === parentOf(id)) overlap = true;
      if (closes++ === 0) {
        const j = org.jobs.get(id)!;
        org.closed.push(id);
        j.data = `${header.join(',')}\n`;
        Object.assign(j, { state: 'Aborted', numberRecordsProcessed: 0, numberRecordsFailed: 0 });
        return { ...j };
      }
      const info = await close(id);
      inOrg.add(id);
      // The job ends a little later.
      setTimeout(() => inOrg.delete(id), 30);
      return info;
    };
    const info = bulk.info.bind(bulk);
    bulk.info = async (id: string): Promise<JobInfo> => {
      const j = await info(id);
      return inOrg.has(id) ? { ...j, state: 'InProgress' as JobState } : j;
    };
    const runner = new JobRunner({ bulk, now: Date.now, sleep: (ms): Promise<void> => new Promise((r) => setTimeout(r, ms)), emit: (): void => undefined, retry: { attempts: 4, baseMs: 1, maxMs: 1, budgetMs: 60_000 }, poll: { minMs: 1, maxMs: 1 }, stateDir: join(work, 'state') });
    const parents = ['A', 'A', 'B', 'C'];
    state.chunks.forEach((c, i) => (c.chunk.parentKeys = { first: parents[i], last: parents[i] }));
    const ctx = { ledger, state, deadline: { at: Date.now() + 60_000 }, inFlight: new InFlight<ChunkState>({ max: 2, conflicts: partsConflict }) };
    await runner.run({ ...ctx, untilEnded: true }, [state.chunks[0]]);
    expect(state.chunks[0].terminal?.state).to.equal('Aborted');
    await runner.run(ctx, state.chunks);
    ledger.close();
    expect(overlap, 'two jobs of parent A in the org at once').to.equal(false);
    // The probe's part left its aborted job for a new one: five closes in all.
    expect(closes).to.equal(5);
    expect(Ledger.read(runDir).filter((r) => r.t === 'job-dropped')).to.have.length(1);
    expect(state.chunks.map((c) => c.results?.successful)).to.deep.equal([2, 2, 2, 2]);
  });
});

describe('job runner: a serial gate (a lock round, an auto serial run) past its wait', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bulkops-rev4-serial-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  for (const how of ['no gate of its own (--concurrency 1)', 'a gate of one (rounds.ts, auto serial)'] as const) {
    it(`a resume past the wait whose first part's job has ended joins it and starts no other part: ${how}`, async () => {
      const org = new LateOrg(false);
      const runDir = join(work, 'run');
      mkdirSync(runDir);
      const header = ['LastName', 'External_Id__c'];
      const rows = Array.from({ length: 6 }, (_, i) => ({ line: i + 2, fields: [`Name ${i}`, `X-${i}`] }));
      const plan = await planChunks(Readable.from(rows), { dir: work, header, group: { rows: 2 } });
      const ledger = new Ledger(runDir);
      ledger.append({ t: 'run', runId: 'r', object: 'Contact', operation: 'insert', files: ['in.csv'], resultsDir: runDir, org: { username: 'u', orgId: '00D000000000001AAA', userId: USER, instanceUrl: 'http://x' }, concurrency: 1, backup: false });
      ledger.append({ t: 'planned', chunks: plan.chunks, rows: 6, rejected: 0, header, fileSha256: 'x', fileBytes: 1 });
      const state = replay(Ledger.read(runDir));
      const runner = new JobRunner({ bulk: org.bulk(), now: Date.now, sleep: (): Promise<void> => Promise.resolve(), emit: (): void => {}, retry: { attempts: 4, baseMs: 1, maxMs: 1, budgetMs: 60_000 }, poll: { minMs: 1, maxMs: 1 }, stateDir: join(work, 'state') });
      const gate = how.startsWith('a gate') ? { inFlight: new InFlight<ChunkState>({ max: 1 }) } : {};
      // The first part's job ends (as a crash after its end, before its join, leaves it).
      await runner.run({ ledger, state, deadline: { at: Date.now() + 60_000 }, untilEnded: true, ...gate }, [state.chunks[0]]);
      expect(state.chunks[0].terminal).to.not.equal(undefined);
      // Resumed with --wait 0.
      await runner.run({ ledger, state, deadline: { at: Date.now() - 1 }, ...gate }, state.chunks);
      ledger.close();
      expect(state.chunks.map((c) => c.results !== undefined)).to.deep.equal([true, false, false]);
      expect(org.closed, 'jobs closed').to.have.length(1);
    });
  }
});
