/*
 * The shell of a plan run, shared by load --plan, resume and reconcile of a plan run: the org's
 * engine, the plan runner, the report and the errors as users read them.
 */
import { basename, join, resolve } from 'node:path';
import { Global, Org } from '@salesforce/core';
import { engineFor } from '../core/load/engineFactory.js';
import { Ledger } from '../core/ledger/ledger.js';
import { checkPlan } from '../core/plan/planCheck.js';
import { readPlanFile } from '../core/plan/planFile.js';
import { readPlan } from '../core/plan/planLedger.js';
import type { PlanResult } from '../core/plan/planResult.js';
import { PlanRunner } from '../core/plan/planRun.js';
import { newRunId } from '../core/run/runId.js';
import type { LoadEvent } from '../core/run/types.js';
import { interruptedRunError } from './interruptedError.js';
import { loadDisplay } from './loadStages.js';
import { eventWarning } from './loadWarnings.js';
import { planErrorToSfError, reportPlan } from './planReport.js';
import { runEndError } from './runEndError.js';
import type { SignalStop } from './signalStop.js';

export type PlanShell = { jsonEnabled: () => boolean; log: (line: string) => void; warn: (line: string) => void; config: { bin: string } };

export type PlanFlags = {
  'target-org'?: Org;
  'api-version'?: string;
  wait: { milliseconds: number };
  'ledger-dir'?: string;
  'results-dir'?: string;
  'dry-run'?: boolean;
  force?: boolean;
  'retry-minutes'?: number;
  'on-parent-failure'?: 'skip' | 'stop';
  'allow-partial-day'?: boolean;
  stop: SignalStop;
};

/** load --plan: the plan read (its problems with file and line), then run or, with --dry-run, checked. */
export async function runPlan(cmd: PlanShell, planFile: string, flags: PlanFlags): Promise<PlanResult> {
  const ledgerDir = resolve(flags['ledger-dir'] ?? defaultRuns());
  let plan;
  try {
    plan = readPlanFile(planFile);
  } catch (e) {
    throw planErrorToSfError(e);
  }
  const planRunId = newRunId();
  return drive(cmd, flags, ledgerDir, join(ledgerDir, planRunId), flags['target-org']!, async (runner, engine, http) => {
    if (flags['dry-run']) return checkPlan({ engine, http }, plan, { ledgerDir, resultsDir: resolve(flags['results-dir'] ?? process.cwd()) });
    return runner.start({
      plan,
      planRunId,
      ledgerDir,
      ...(flags['results-dir'] ? { resultsDir: resolve(flags['results-dir']) } : {}),
      waitMs: flags.wait.milliseconds,
      ...(flags.force ? { force: true } : {}),
      ...(flags['on-parent-failure'] ? { onParentFailure: flags['on-parent-failure'] } : {}),
      ...(flags['allow-partial-day'] ? { allowPartialDay: true } : {}),
    });
  });
}

/** resume --run-id of a plan run; reconcile --run-id of one (with --retry: the skipped rows whose parent loaded since are sent). */
export async function goOnWithPlan(cmd: PlanShell, planDir: string, flags: PlanFlags, how: 'resume' | 'reconcile' | 'retry'): Promise<PlanResult> {
  const state = readPlan(planDir);
  const org = flags['target-org'] ?? (await Org.create({ aliasOrUsername: state.org.username }));
  return drive(cmd, flags, join(planDir, '..'), planDir, org, (runner) =>
    how === 'resume' ? runner.resume(planDir, flags.wait.milliseconds) : how === 'retry' ? runner.sendSkipped(planDir, flags.wait.milliseconds) : Promise.resolve(runner.result(planDir, Date.now()))
  );
}

async function drive(
  cmd: PlanShell,
  flags: PlanFlags,
  ledgerDir: string,
  planDir: string,
  org: Org,
  body: (runner: PlanRunner, engine: ReturnType<typeof engineFor>['engine'], http: ReturnType<typeof engineFor>['http']) => Promise<PlanResult>
): Promise<PlanResult> {
  const display = await loadDisplay({ json: cmd.jsonEnabled(), file: planDir, log: (line) => cmd.log(line), tty: false });
  const onEvent = (e: LoadEvent): void => {
    const warning = eventWarning(e);
    if (warning) cmd.warn(warning);
    display.on(e);
  };
  const { engine, http } = engineFor(org.getConnection(flags['api-version']), { onEvent, retryMinutes: flags['retry-minutes'], stop: flags.stop.token });
  const defaultLedger = !flags['ledger-dir'];
  let result: PlanResult;
  try {
    result = await flags.stop.within(body(new PlanRunner({ engine }), engine, http));
  } catch (e) {
    display.finish(false);
    const runDir = stepUnderWay(planDir);
    // The command to go on with is the plan's: it resumes the step under way, then the steps after it.
    const goOnWith = basename(planDir);
    if (flags.stop.stoppedBy) throw interruptedRunError(flags.stop.stoppedBy, { runDir: runDir ?? planDir, bin: cmd.config.bin, ledgerDir, defaultLedger, goOnWith });
    const planError = planErrorToSfError(e);
    if (planError !== e) throw planError;
    throw await runEndError(e, { bin: cmd.config.bin, ledgerDir, defaultLedger, runDir, http, goOnWith });
  }
  display.finish(true);
  process.exitCode = reportPlan(cmd, result, { ledgerDir, defaultLedger, waited: flags.wait.milliseconds > 0 });
  return result;
}

/** The run of the last step the plan started, when it has a ledger (the error that ended the plan is told as its). */
function stepUnderWay(planDir: string): string | undefined {
  try {
    const state = readPlan(planDir);
    const ids = state.steps.flatMap((s) => [...(s.runId ? [s.runId] : []), ...s.catchUps.map((c) => c.runId)]);
    const last = ids.at(-1);
    return last && Ledger.read(join(planDir, '..', last)).length ? join(planDir, '..', last) : undefined;
  } catch {
    return undefined;
  }
}

/** The same folder as load's default (commands/bulkops/load.ts defaultLedgerDir). */
function defaultRuns(): string {
  return join(Global.SF_DIR, 'bulkops', 'runs');
}
