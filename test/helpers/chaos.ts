/*
 * What the seeded chaos tests share (chaos.test.ts for Bulk API 2.0, chaosV1.test.ts for V1): a
 * seeded dice, the input file, a child load killed -9 at a seeded moment, the resumes that follow,
 * and the checks every round must pass on what the org holds and what the run wrote.
 *
 * A kill is no wall-clock race: it happens at an engine crash point (SF_BULKOPS_CRASH_AT), at the
 * arrival of the child's n-th call of a kind, or while the org holds the child's n-th call of a
 * kind (the org has the whole request and answers it later, whether or not the client is there).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { LoadEvent, LoadRequest, LoadResult } from '../../src/core/run/types.js';
import { Ledger } from '../../src/core/ledger/ledger.js';
import type { Emulator } from './emulator.js';
import { type ChildExit, type ChildInput, type EngineTarget, spawnEngineChild, testEngine } from './engine.js';
import { readCsv } from './csv.js';

export type FaultSpec = Parameters<Emulator['addFault']>[0];

/** A call of a load as the emulator sees it, for faults and kills. */
export type RouteSpec = { method: string; path: string };

/** mulberry32: a tiny seeded PRNG, so a seed gives the same plan on every machine. */
export class Dice {
  private a: number;

  public constructor(seed: number) {
    this.a = seed >>> 0;
  }

  public next(): number {
    this.a = (this.a + 0x6d_2b_79_f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  }

  public int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  public pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  public chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Faults that fail a call, capped per round below the engine's 6 attempts (tests' retry policy), so no resume gives up. */
export class Budget {
  public constructor(private left: number) {}

  /** Up to n of what is left. */
  public take(n: number): number {
    const got = Math.min(n, this.left);
    this.left -= got;
    return got;
  }
}

/** The route of a call among `routes`, by name. */
export function routeOf<R extends string>(routes: Record<R, RouteSpec>, method: string, path: string): R | undefined {
  return (Object.keys(routes) as R[]).find((r) => routes[r].method === method && new RegExp(routes[r].path).test(path));
}

export const key = (i: number): string => `K-${i}`;

/**
 * Accounts with a key of their own per row in `keyField` (row i is on line i + 1); returns the part
 * size that makes `parts` parts. External_Id__c is unique in the org (a row sent twice fails the
 * second time); AccountNumber is not (a row sent twice is two records, as in an org without one).
 */
export function writeAccounts(file: string, rows: number, parts: number, pad = 0, keyField = 'External_Id__c'): number {
  const lines = [`Name,${keyField},Description`];
  const filler = 'x'.repeat(pad);
  for (let i = 1; i <= rows; i++) lines.push(`Chaos ${i},${key(i)},${filler}`);
  const text = lines.join('\n') + '\n';
  writeFileSync(file, text);
  // Each part repeats the header; the longest row is the last.
  const header = lines[0].length + 1;
  return Math.ceil((Buffer.byteLength(text) - header) / parts) + header + lines[lines.length - 1].length + 1;
}

/** Until the org has seen no request for `ms`: what a resume that threw left running has stopped. */
export async function quiet(emu: Emulator, ms: number): Promise<void> {
  for (let seen = -1; seen !== emu.requests.length; ) {
    seen = emu.requests.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
  }
}

/**
 * When the child dies: at an engine crash point, at its n-th call of a route (any: of every route
 * named), while the org holds its n-th call of a route (for delayMs real ms, then handles it), or
 * whichever comes first.
 */
export type Kill<R extends string> = {
  crashAt?: string;
  request?: { route: R | 'any'; nth: number };
  held?: { route: R; nth: number; delayMs: number };
};

/** Runs the child and kills it at the plan's moment; says how it ended. */
export async function runKilled<R extends string>(emu: Emulator, routes: Record<R, RouteSpec>, input: ChildInput, kill: Kill<R>): Promise<string> {
  const { child, exited } = spawnEngineChild(input, kill.crashAt);
  let killed = '';
  const seen = { request: 0, held: 0 };
  // eslint-disable-next-line no-param-reassign -- the emulator's test hooks, for this child only
  emu.onRequest = (entry): void => {
    const kind = routeOf(routes, entry.method, entry.path);
    if (killed || !kind) return;
    const { request, held } = kill;
    if (request && (request.route === 'any' || kind === request.route) && ++seen.request === request.nth) {
      killed = `killed -9 as ${request.route} #${request.nth} arrived (${entry.method} ${entry.path})`;
      child.kill('SIGKILL');
    } else if (held && kind === held.route && ++seen.held === held.nth) {
      // Taken by this call unless an older fault on its route comes first (then by the next such call).
      emu.addFault({ kind: 'hold', method: routes[held.route].method, path: routes[held.route].path, delayMs: held.delayMs });
    }
  };
  if (kill.held) {
    // eslint-disable-next-line no-param-reassign
    emu.onHeld = (entry): void => {
      if (killed) return;
      killed = `killed -9 while the org held ${entry.method} ${entry.path} (${kill.held!.delayMs} ms)`;
      child.kill('SIGKILL');
    };
  }
  let exit: ChildExit;
  try {
    exit = await exited;
  } finally {
    // eslint-disable-next-line no-param-reassign
    emu.onRequest = undefined;
    // eslint-disable-next-line no-param-reassign
    emu.onHeld = undefined;
  }
  if (killed) return killed;
  if (exit.signal === 'SIGKILL') return `crashed at ${kill.crashAt ?? '?'}`;
  if (exit.code === 0) {
    const r = JSON.parse(exit.stdout) as LoadResult;
    return `ran to the end (kill moment not reached): ${r.status}, successful ${r.successful}`;
  }
  return `exited ${exit.code ?? exit.signal}: ${exit.stderr.trim().split('\n').slice(-3).join(' | ')}`;
}

export type Stage<R extends string> = { faults: FaultSpec[]; kill: Kill<R> };

/** What every round plans: its input, the killed load (and maybe a killed resume), then the resumes in this process. */
export type RoundPlan<R extends string> = {
  seed: number | string;
  rows: number;
  parts: number;
  /** bytes of padding per row */
  pad?: number;
  /** the part size (--max-job-size); by default the size that cuts the file into `parts` parts */
  maxJobBytes?: number;
  load: Stage<R>;
  /** a resume in a child process, killed too */
  resumeKilled?: Stage<R>;
  /** faults queued before the resumes in this process; the first waits this long (0: return after upload) */
  resume: { faults: FaultSpec[]; firstWaitMs: number };
};

/**
 * Plays a round's stages against the emulator: the load in a child killed at its moment, the killed
 * resume if planned, then resumes in this process until the run is Completed (undefined: it never was).
 */
export async function playStages<R extends string>(
  emu: Emulator,
  routes: Record<R, RouteSpec>,
  request: LoadRequest,
  plan: RoundPlan<R>,
  log: RoundLog,
  onEvent?: (e: LoadEvent) => void
): Promise<LoadResult | undefined> {
  const runDir = join(request.ledgerDir, request.runId);
  const target = (): EngineTarget => ({ instanceUrl: emu.url, accessToken: emu.accessToken, refreshToken: emu.refreshTokenFor() });
  for (const f of plan.load.faults) emu.addFault(f);
  log.say(`load: ${await runKilled(emu, routes, { target: target(), request }, plan.load.kill)}`);
  if (plan.resumeKilled) {
    for (const f of plan.resumeKilled.faults) emu.addFault(f);
    log.say(`resume in a child: ${await runKilled(emu, routes, { target: target(), resume: { runDir, waitMs: 60_000 } }, plan.resumeKilled.kill)}`);
  }
  for (const f of plan.resume.faults) emu.addFault(f);
  return resumeUntilCompleted(emu, target(), runDir, plan.resume.firstWaitMs, log, onEvent);
}

/** A round's log: each line with the seconds since the round began. */
export class RoundLog {
  public readonly lines: string[] = [];
  private readonly began = Date.now();

  public say(line: string): void {
    this.lines.push(`${((Date.now() - this.began) / 1000).toFixed(1)}s ${line}`);
  }
}

/** Resumes the run in this process (up to 6 times) until it is Completed; `firstWaitMs` is the first resume's wait. */
export async function resumeUntilCompleted(
  emu: Emulator,
  target: EngineTarget,
  runDir: string,
  firstWaitMs: number,
  log: RoundLog,
  onEvent?: (e: LoadEvent) => void
): Promise<LoadResult | undefined> {
  const { engine } = testEngine(target, onEvent);
  let result: LoadResult | undefined;
  for (let attempt = 1; attempt <= 6 && result?.status !== 'Completed'; attempt++) {
    try {
      result = await engine.resume(runDir, attempt === 1 ? firstWaitMs : 60_000);
      log.say(
        `resume ${attempt}: ${result.status}, successful ${result.successful}, failed ${result.failed}, unprocessed ${result.unprocessed}, ` +
          `retryable ${result.retryable}, unmatched ${result.unmatched}, jobs ${result.jobs.map((j) => `${j.chunk}:${j.id || '-'}:${j.state}`).join(' ')}`
      );
    } catch (e) {
      log.say(`resume ${attempt} threw: ${(e as Error).message}`);
      await quiet(emu, 500);
    }
  }
  return result;
}

const sample = (keys: string[]): string => `${keys.length} (e.g. ${keys.slice(0, 5).join(', ')})`;

/** The org's Accounts per key (`keyField`). */
export function recordsByKey(emu: Emulator, keyField = 'External_Id__c'): Map<string, number> {
  const records = new Map<string, number>();
  for (const rec of emu.store.all('Account')) {
    const k = rec[keyField] as string | undefined;
    if (k) records.set(k, (records.get(k) ?? 0) + 1);
  }
  return records;
}

/**
 * What must hold of every round's rows once the run is Completed: one record per input row in the
 * org (or, a job the org failed on purpose: none and the row in retry.csv), result files that name
 * every input line once with its own row, nothing unmatched or failed, no job claimed by two parts.
 */
export function rowProblems(emu: Emulator, rows: number, result: LoadResult, jobFailure: boolean, keyField = 'External_Id__c'): string[] {
  const problems: string[] = [];
  if (result.unmatched !== 0) problems.push(`unmatched ${result.unmatched}`);
  if (result.failed !== 0) problems.push(`failed ${result.failed} (${JSON.stringify(result.errorCodes)}): no input row is wrong, a failed row was sent twice`);
  if (!jobFailure && result.unprocessed !== 0) problems.push(`unprocessed ${result.unprocessed} (retryable ${result.retryable}): resume left rows unsent`);

  const records = recordsByKey(emu, keyField);
  const retry = new Set(readCsv(result.files!.retry).map((r) => r[keyField]));
  const twice: string[] = [];
  const lost: string[] = [];
  const both: string[] = [];
  for (let i = 1; i <= rows; i++) {
    const n = records.get(key(i)) ?? 0;
    if (n > 1) twice.push(key(i));
    if (n === 0 && (!jobFailure || !retry.has(key(i)))) lost.push(key(i));
    if (n === 1 && retry.has(key(i))) both.push(key(i));
  }
  if (twice.length) problems.push(`rows with more than one record: ${sample(twice)}`);
  if (lost.length) problems.push(`rows with no record${jobFailure ? ' and not in retry.csv' : ''}: ${sample(lost)}`);
  if (both.length) problems.push(`rows loaded and yet in retry.csv: ${sample(both)}`);
  const notRetryable = readCsv(result.files!.unprocessed).map((r) => r[keyField]).filter((k) => !retry.has(k));
  if (notRetryable.length) problems.push(`unprocessed rows missing from retry.csv: ${sample(notRetryable)}`);
  if (records.size > rows) problems.push(`${records.size - rows} records of no input row`);

  const lines = new Map<number, number>();
  const wrongRow: string[] = [];
  for (const kind of ['success', 'failed', 'unprocessed'] as const) {
    for (const r of readCsv(result.files![kind])) {
      const line = Number(r.sf__Line);
      lines.set(line, (lines.get(line) ?? 0) + 1);
      if (r[keyField] !== key(line - 1)) wrongRow.push(`${kind} line ${line}: ${r[keyField]}`);
    }
  }
  const missingLines = Array.from({ length: rows }, (_, i) => i + 2).filter((l) => !lines.has(l));
  const repeatedLines = [...lines].filter(([, n]) => n > 1).map(([l]) => l);
  if (missingLines.length) problems.push(`input lines in no result file: ${sample(missingLines.map(String))}`);
  if (repeatedLines.length) problems.push(`input lines in the result files more than once: ${sample(repeatedLines.map(String))}`);
  if (wrongRow.length) problems.push(`result rows joined to the wrong line: ${sample(wrongRow)}`);

  const partsOfJob = new Map<string, Set<number>>();
  for (const r of Ledger.read(result.runDir)) {
    if (r.t !== 'created') continue;
    const set = partsOfJob.get(r.jobId) ?? new Set<number>();
    partsOfJob.set(r.jobId, set.add(r.chunk));
  }
  for (const [jobId, parts] of partsOfJob) if (parts.size > 1) problems.push(`job ${jobId} was claimed by parts ${[...parts].join(', ')} (created or adopted)`);
  return problems;
}

/** The part (chunk) an input line is in, by the result's parts. */
export function partOfLine(result: LoadResult, line: number): number {
  return result.jobs.find((j) => line >= j.firstLine && line <= j.lastLine)?.chunk ?? 0;
}

/** Fails the test with the round's seed, plan, log and problems unless there are none. */
export function expectNoProblems(seed: number | string, plan: unknown, log: RoundLog, problems: string[], replay: string): void {
  if (process.env.CHAOS_LOG) process.stdout.write(`${seed}: ${log.lines.join(' / ')}\n`);
  const report = [`chaos round, seed ${seed} (replay: ${replay})`, `plan: ${JSON.stringify(plan)}`, ...log.lines.map((l) => `  ${l}`), 'problems:', ...problems.map((p) => `  - ${p}`)].join('\n');
  expect(problems, report).to.deep.equal([]);
}
