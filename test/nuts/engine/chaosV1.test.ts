/*
 * Chaos for Bulk API V1 loads (--bulk-api v1 --concurrency parallel): seeded, repeatable rounds of a
 * load whose parts are V1 Parallel jobs of many small batches, under the faults of issue 26 (a 503
 * after the org stored a batch, resets, a request limit, answers slowed or held by the org for up to
 * about 2 s, a result body cut short), killed -9 at a seeded moment, then resumed at once until the
 * run is Completed. Every round must end with exactly one record per input row in the org (the key
 * is AccountNumber, which the org does not keep unique: a row sent twice is two records), result
 * files that name every input line once, no row in two batches, and no V1 job left Open.
 *
 * The kill that matters most here is the one while the org holds a batch add (the org has the whole
 * request and finishes it after the client died): the resume must not send that batch again before
 * the org could no longer be working on it (SF_BULKOPS_MAX_ANSWER_MS). The rounds run with a bound
 * of 4 s (every slowed or held answer is shorter); run them with SF_BULKOPS_MAX_ANSWER_MS=0 to see
 * them fail (the fixed seed issue-v1 always does: a batch twice).
 *
 * Environment:
 *   CHAOS_V1_ROUNDS=n  random rounds (default 3; CHAOS_FULL=1: 20)
 *   CHAOS_SEED=s       seed of the first random round (default 1); round i uses seed s+i
 *   CHAOS_FULL=1       more rounds, and the issue's scenario at full size (400,000 rows, batches of 5,000, 3 MB parts)
 *   CHAOS_LOG=1        prints each round's log
 * Replay a failed round alone with
 *   CHAOS_SEED=<seed> CHAOS_V1_ROUNDS=1 TS_NODE_PROJECT=test/tsconfig.json npx mocha test/nuts/engine/chaosV1.test.ts -g 'seed <seed>$'
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import {
  Budget,
  Dice,
  expectNoProblems,
  type FaultSpec,
  type Kill as KillOf,
  partOfLine,
  playStages,
  recordsByKey,
  type RoundPlan,
  RoundLog,
  rowProblems,
  writeAccounts,
} from '../../helpers/chaos.js';
import type { LoadRequest, LoadResult } from '../../../src/core/run/types.js';
import type { V1Job } from '../../emulator/bulk1.js';

const FULL = process.env.CHAOS_FULL === '1';
const ROUNDS = Number(process.env.CHAOS_V1_ROUNDS ?? '') || (FULL ? 20 : 3);
const FIRST_SEED = Number(process.env.CHAOS_SEED ?? '') || 1;
/** The doubt bound the rounds run with: longer than any answer the org slows or holds. */
const BOUND_MS = process.env.SF_BULKOPS_MAX_ANSWER_MS ?? '4000';
const KEY = 'AccountNumber';

/** The calls of a V1 load, as the emulator sees them. */
const ROUTES = {
  create: { method: 'POST', path: '/services/async/[\\d.]+/job$' },
  add: { method: 'POST', path: '/job/\\w+/batch$' },
  list: { method: 'GET', path: '/job/\\w+/batch$' },
  request: { method: 'GET', path: '/batch/\\w+/request$' },
  result: { method: 'GET', path: '/batch/\\w+/result$' },
  close: { method: 'POST', path: '/job/\\w+$' },
  info: { method: 'GET', path: '/job/\\w+$' },
  jobs: { method: 'GET', path: '/jobs/ingest$' },
} as const;
type RouteName = keyof typeof ROUTES;
const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];

type Kill = KillOf<RouteName>;

/** batchRows: --batch-size */
type Plan = RoundPlan<RouteName> & { batchRows: number };

const at = (route: RouteName): { method: string; path: string } => ROUTES[route];

/**
 * Faults of V1 calls. Those that fail a call take from `budget` (fewer than the engine's 6 attempts
 * in all); slowed and held answers (shorter than the client's 2 s idle time-out) do not.
 */
function randomFaults(d: Dice, n: number, budget: Budget): FaultSpec[] {
  const faults: FaultSpec[] = [];
  for (let i = 0; i < n; i++) {
    const route = d.pick(ROUTE_NAMES);
    const kind = d.pick(['stored-503', 'stored-503', 'status', 'reset', 'reset', 'limit', 'slow', 'slow', 'hold', 'hold', 'cut', 'expire-session'] as const);
    if (kind === 'slow' || kind === 'hold') {
      faults.push({ kind, ...at(d.pick(['add', 'add', 'create', 'close', 'list', 'info'] as const)), count: d.int(1, 3), delayMs: d.int(300, 1800) });
      continue;
    }
    const count = budget.take(kind === 'expire-session' || kind === 'stored-503' ? 1 : d.int(1, 2));
    if (count < 1) continue;
    // A 503 page after the org stored the batch: the add's answer is lost, its batch is in the job.
    if (kind === 'stored-503') faults.push({ kind: 'status', status: 503, when: 'after', ...at('add'), count });
    else if (kind === 'status') faults.push({ kind, status: d.pick([500, 502] as const), when: d.pick(['before', 'after'] as const), ...at(route), count });
    else if (kind === 'reset') faults.push({ kind, when: d.pick(['before', 'after'] as const), ...at(route), count });
    else if (kind === 'limit') faults.push({ kind, ...at(route), count });
    else if (kind === 'cut') faults.push({ kind, ...at('result'), count, afterBytes: d.int(0, 200) });
    else faults.push({ kind, ...at(route), count });
  }
  return faults;
}

const CRASH_POINTS = ['before-create', 'after-create', 'after-claim', 'before-batch', 'after-batch', 'after-upload', 'after-close', 'mid-results', 'before-merge'] as const;

/** Mostly while the org holds a batch add (issue 26, point 1); else as a call arrives, or at an engine crash point. */
function randomKill(d: Dice, parts: number, batches: number, resume = false): Kill {
  const r = d.next();
  if (r < 0.5) {
    const route = d.pick(['add', 'add', 'add', 'create', 'close'] as const);
    return { held: { route, nth: d.int(1, route === 'add' ? (resume ? 3 : batches) : parts), delayMs: d.int(300, 1800) } };
  }
  if (r < 0.8) {
    const route = resume ? 'any' : d.pick(['create', 'add', 'add', 'close', 'info', 'list', 'result', 'any'] as const);
    const most = { create: parts, add: batches, close: parts, info: 2 * parts, list: parts, result: batches, any: 2 * batches }[route];
    return { request: { route, nth: d.int(1, most) } };
  }
  const point = d.pick(CRASH_POINTS);
  if (point === 'before-merge') return { crashAt: point };
  const perPart = Math.max(1, Math.floor(batches / parts));
  return { crashAt: `${point}:${point.endsWith('batch') ? d.int(1, perPart) : d.int(1, parts)}` };
}

function randomPlan(seed: number): Plan {
  const d = new Dice(seed * 7919);
  const rows = d.int(300, 1500);
  const parts = d.int(2, 4);
  const batchRows = d.int(20, 60);
  const batches = Math.ceil(rows / batchRows) + parts;
  const budget = new Budget(4);
  const plan: Plan = {
    seed,
    rows,
    parts,
    batchRows,
    load: { faults: randomFaults(d, d.int(2, 6), budget), kill: randomKill(d, parts, batches) },
    resume: { faults: [], firstWaitMs: 60_000 },
  };
  if (d.chance(0.3)) plan.resumeKilled = { faults: randomFaults(d, d.int(0, 2), budget), kill: randomKill(d, parts, batches, true) };
  plan.resume = { faults: randomFaults(d, d.int(0, 3), budget), firstWaitMs: 60_000 };
  return plan;
}

/** The issue's faults: a 503 after the org stored a batch, a reset, a request limit, three answers slowed, a result body cut. */
const ISSUE_FAULTS: FaultSpec[] = [
  { kind: 'status', status: 503, when: 'after', ...at('add'), count: 1 },
  { kind: 'reset', ...at('add'), count: 1 },
  { kind: 'limit', ...at('info'), count: 1 },
  { kind: 'slow', ...at('add'), count: 3, delayMs: 1500 },
  { kind: 'cut', ...at('result'), count: 1, afterBytes: 40 },
];

/** The issue's scenario scaled down: killed -9 while the org holds the 6th batch add (batch 2 of a part) for 2 s, then resumed at once. */
function issuePlan(seed: string, rows: number, batchRows: number, parts: number, pad = 0, maxJobBytes?: number): Plan {
  return {
    seed,
    rows,
    parts,
    batchRows,
    pad,
    ...(maxJobBytes ? { maxJobBytes } : {}),
    load: { faults: ISSUE_FAULTS, kill: { held: { route: 'add', nth: 6, delayMs: 2000 } } },
    // Slowed answers to the resume too: it is still adding the part's batches when the held add lands.
    resume: { faults: [{ kind: 'slow', ...at('add'), count: 2, delayMs: 1500 }], firstWaitMs: 60_000 },
  };
}

/** The keys of the rows a V1 batch's request holds. */
function batchKeys(batch: V1Job['batches'][number]): string[] {
  return (parse(batch.request.toString('utf8'), { columns: true }) as unknown as Array<Record<string, string>>).map((r) => r[KEY]);
}

/** Whatever the org still holds lands now, and every batch it has runs, before its records are counted. */
async function orgSettled(emu: Emulator): Promise<void> {
  emu.releaseHeld();
  await emu.heldSettled();
  const running = (): boolean => emu.bulkV1.listJobs().some((j) => j.batches.some((b) => b.state === 'Queued' || b.state === 'InProgress'));
  for (let i = 0; i < 200 && running(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
}

type RoundOutcome = { result?: LoadResult; log: RoundLog };

async function runRound(emu: Emulator, work: string, plan: Plan): Promise<RoundOutcome> {
  const file = join(work, 'accounts.csv');
  const fitting = writeAccounts(file, plan.rows, plan.parts, plan.pad, KEY);
  const request: LoadRequest = {
    object: 'Account',
    operation: 'insert',
    files: [file],
    runId: `chaos-v1-${plan.seed}`,
    ledgerDir: join(work, 'runs'),
    waitMs: 60_000,
    concurrency: 5,
    maxJobBytes: plan.maxJobBytes ?? fitting,
    v1: { concurrencyMode: 'Parallel', batchRows: plan.batchRows },
  };
  const log = new RoundLog();
  const waits: string[] = [];
  const result = await playStages(emu, ROUTES, request, plan, log, (e) => {
    if (e.type === 'send-in-doubt') waits.push(e.what === 'batch' ? `part ${e.chunk} batch ${e.batch}` : `part ${e.chunk} job`);
  });
  if (waits.length) log.say(`the resume waited for sends in doubt: ${waits.join(', ')}`);
  await orgSettled(emu);
  const records = [...recordsByKey(emu, KEY).values()].reduce((n, k) => n + k, 0);
  log.say(`rows ${plan.rows}, records ${records}`);
  return { result, log };
}

/** Everything that must hold at the end of a V1 round; an empty list when it does. */
function problemsOf(emu: Emulator, plan: Plan, { result }: RoundOutcome): string[] {
  if (result?.status !== 'Completed') return ['the run never reached Completed'];
  const problems = rowProblems(emu, plan.rows, result, false, KEY);
  // parts 0: as many as --max-job-size makes (the full-size scenario)
  if (plan.parts && plan.parts !== result.jobs.length) problems.push(`planned ${result.jobs.length} parts, not ${plan.parts}`);
  const batchesOfRow = new Map<string, string[]>();
  for (const job of emu.bulkV1.listJobs()) {
    if (job.object !== 'Account') continue;
    if (job.state === 'Open') problems.push(`V1 job ${job.id} was left Open (${job.batches.length} batches)`);
    const parts = new Set<number>();
    for (const batch of job.batches) {
      for (const k of batchKeys(batch)) {
        parts.add(partOfLine(result, Number(k.slice(2)) + 1));
        batchesOfRow.set(k, [...(batchesOfRow.get(k) ?? []), batch.id]);
      }
    }
    if (parts.size > 1) problems.push(`V1 job ${job.id} holds rows of parts ${[...parts].join(', ')}`);
  }
  const twice = [...batchesOfRow].filter(([, b]) => b.length > 1);
  if (twice.length) problems.push(`rows sent in more than one batch: ${twice.length} (e.g. ${twice.slice(0, 3).map(([k, b]) => `${k} in ${b.join(' and ')}`).join('; ')})`);
  return problems;
}

describe('load engine: Bulk API V1 chaos (--bulk-api v1 --concurrency parallel: faults and kill -9, then resume at once)', () => {
  let emu: Emulator;
  let work: string;
  let savedBound: string | undefined;

  beforeEach(async () => {
    savedBound = process.env.SF_BULKOPS_MAX_ANSWER_MS;
    process.env.SF_BULKOPS_MAX_ANSWER_MS = BOUND_MS;
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-chaos-v1-'));
  });

  afterEach(async () => {
    if (savedBound === undefined) delete process.env.SF_BULKOPS_MAX_ANSWER_MS;
    else process.env.SF_BULKOPS_MAX_ANSWER_MS = savedBound;
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const play = async (plan: Plan): Promise<void> => {
    const outcome = await runRound(emu, work, plan);
    const replay = typeof plan.seed === 'number' ? `CHAOS_SEED=${plan.seed} CHAOS_V1_ROUNDS=1` : `the fixed seed '${plan.seed}'`;
    expectNoProblems(plan.seed, plan, outcome.log, problemsOf(emu, plan, outcome), replay);
  };

  // Parts of 40 batches: the resume is still adding batches to the part's job when the held add lands.
  it('seed issue-v1: 4,800 rows in 3 parts of batches of 40, killed while the org holds a batch add', async function () {
    this.timeout(120_000);
    await play(issuePlan('issue-v1', 4800, 40, 3));
  });

  (FULL ? it : it.skip)('seed issue-v1-full: 400,000 rows, batches of 5,000, 3 MB parts (CHAOS_FULL=1)', async function () {
    this.timeout(1_800_000);
    await play(issuePlan('issue-v1-full', 400_000, 5000, 0, 0, 3 * 1024 * 1024));
  });

  describe(`random rounds (CHAOS_SEED=${FIRST_SEED}, CHAOS_V1_ROUNDS=${ROUNDS}, bound ${BOUND_MS} ms)`, () => {
    for (let i = 0; i < ROUNDS; i++) {
      const seed = FIRST_SEED + i;
      it(`seed ${seed}`, async function () {
        this.timeout(120_000);
        await play(randomPlan(seed));
      });
    }
  });
});
