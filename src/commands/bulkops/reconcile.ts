import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages, Org } from '@salesforce/core';
import { BulkV2 } from '../../core/bulk/bulkV2.js';
import { CsvInputError } from '../../core/csv/errors.js';
import { ClassicColumnsError, ClassicFormatError } from '../../core/reconcile/classicJobs.js';
import { JobNotEndedError, JobNotFoundError, JobsDifferError, reconcileJobs } from '../../core/reconcile/reconcileJobs.js';
import { reconcileRun } from '../../core/reconcile/reconcileRun.js';
import { RunFileMissingError } from '../../core/run/runRows.js';
import { orgHttp, retrier, retrySettings } from '../../core/org/connection.js';
import { JobsReconcileOutput, printReconcile, reconcileMarkdown, ReconcileOutput, withAdvice } from '../../ux/reconcileReport.js';
import { loadErrorToSfError } from '../../ux/loadReport.js';
import { runEndError } from '../../ux/runEndError.js';
import type { OrgHttp } from '../../core/http/orgHttp.js';
import { runOrPlanFolder } from '../../ux/runFolder.js';
import { partialExitCodesSection } from '../../ux/exitCodes.js';
import { FixedFileError } from '../../core/attempts/fixedFile.js';
import { resend, ResendOutcome } from '../../core/reconcile/resend.js';
import { Ledger } from '../../core/ledger/ledger.js';
import { replay } from '../../core/ledger/records.js';
import { RunNotDoneError } from '../../core/run/errors.js';
import { engineFor } from '../../core/load/engineFactory.js';
import { loadDisplay } from '../../ux/loadStages.js';
import { SignalStop, stopGraceMs, stopNotice, withOwnStopSignals } from '../../ux/signalStop.js';
import { interruptedReadError, interruptedRunError } from '../../ux/interruptedError.js';
import { isPlanRun } from '../../core/plan/planLedger.js';
import type { PlanResult } from '../../core/plan/planResult.js';
import { goOnWithPlan } from '../../ux/planLoad.js';
import { defaultLedgerDir } from './load.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.reconcile');

export type BulkopsReconcileResult = ReconcileOutput | JobsReconcileOutput | PlanResult;

export default class BulkopsReconcile extends SfCommand<BulkopsReconcileResult> {
  /** the org of a round (--retry, --fixed-file) once it started: an error that ends the round is told as its run's */
  private roundHttp?: OrgHttp;

  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = partialExitCodesSection(messages, 'sends');

  public static readonly flags = {
    'run-id': Flags.string({ summary: messages.getMessage('flags.run-id.summary'), exactlyOne: ['run-id', 'latest', 'job-id'] }),
    latest: Flags.boolean({ summary: messages.getMessage('flags.latest.summary'), exactlyOne: ['run-id', 'latest', 'job-id'] }),
    'job-id': Flags.string({ char: 'i', summary: messages.getMessage('flags.job-id.summary'), description: messages.getMessage('flags.job-id.description'), multiple: true, exactlyOne: ['run-id', 'latest', 'job-id'] }),
    file: Flags.file({ char: 'f', summary: messages.getMessage('flags.file.summary'), exists: true, dependsOn: ['job-id'] }),
    'output-dir': Flags.directory({ summary: messages.getMessage('flags.output-dir.summary'), dependsOn: ['job-id'] }),
    'target-org': Flags.optionalOrg({ summary: messages.getMessage('flags.target-org.summary') }),
    'api-version': Flags.orgApiVersion(),
    'ledger-dir': Flags.directory({ summary: messages.getMessage('flags.ledger-dir.summary') }),
    report: Flags.file({ summary: messages.getMessage('flags.report.summary') }),
    retry: Flags.boolean({ summary: messages.getMessage('flags.retry.summary'), description: messages.getMessage('flags.retry.description'), exclusive: ['fixed-file', 'job-id'] }),
    'fixed-file': Flags.file({ summary: messages.getMessage('flags.fixed-file.summary'), description: messages.getMessage('flags.fixed-file.description'), exists: true, exclusive: ['retry', 'job-id'] }),
    wait: Flags.duration({ char: 'w', unit: 'minutes', defaultValue: 60, min: 0, summary: messages.getMessage('flags.wait.summary') }),
  };

  /** The command's own stop on SIGINT, SIGTERM and SIGHUP replaces SfCommand's (signalStop.ts). */
  public _run<R>(): Promise<R> {
    // eslint-disable-next-line no-underscore-dangle -- SfCommand's own name for the run it wraps
    return withOwnStopSignals(() => super._run<R>());
  }

  public async run(): Promise<BulkopsReconcileResult> {
    const { flags } = await this.parse(BulkopsReconcile);
    // A round sends rows: its requests in flight get their grace period. Reading results stops at once.
    const sends = Boolean(flags.retry) || Boolean(flags['fixed-file']);
    const stop = new SignalStop({ graceMs: sends ? stopGraceMs() : 0, notice: stopNotice }).arm();
    let result: BulkopsReconcileResult;
    let run: { runDir: string; ledgerDir: string } | undefined;
    try {
      if (flags['job-id']) {
        result = await stop.within(this.reconcileJobs(flags['job-id'], flags));
      } else {
        const ledgerDir = resolve(flags['ledger-dir'] ?? defaultLedgerDir());
        const runDir = runOrPlanFolder(messages, ledgerDir, flags);
        // A plan's run (--latest names the plan of its latest step): each step's counts; --retry sends the rows skipped for a parent that loaded since.
        if (isPlanRun(runDir)) return await goOnWithPlan(this, runDir, { ...flags, stop }, flags.retry ? 'retry' : 'reconcile');
        run = { runDir, ledgerDir };
        try {
          const sent = sends ? await stop.within(this.resend(runDir, flags, stop)) : undefined;
          result = { ...withAdvice(await stop.within(reconcileRun(runDir))), ...(sent ? { resend: sent } : {}) };
        } catch (e) {
          if (e instanceof RunFileMissingError) throw messages.createError('error.RunFileMissing', [e.runId, e.file]);
          if (e instanceof RunNotDoneError) throw messages.createError('error.RunNotDone', [e.runId], [`${this.config.bin} bulkops resume --run-id ${e.runId} --ledger-dir "${ledgerDir}"`]);
          if (e instanceof FixedFileError) throw messages.createError('error.FixedFile', [e.file, e.missing.join(', ')]);
          throw await runEndError(e, { bin: this.config.bin, ledgerDir, defaultLedger: !flags['ledger-dir'], runDir: this.roundHttp ? runDir : undefined, http: this.roundHttp });
        }
      }
    } catch (e) {
      if (!stop.stoppedBy) throw e;
      throw sends && run ? interruptedRunError(stop.stoppedBy, { ...run, bin: this.config.bin, defaultLedger: !flags['ledger-dir'] }) : interruptedReadError(stop.stoppedBy);
    } finally {
      stop.disarm();
    }
    if (flags.report) {
      result.report = resolve(flags.report);
      await writeFile(result.report, reconcileMarkdown(result, this.config.bin));
    }
    // Under --json nothing is printed (SfCommand's log and table stay quiet); the exit code is the same.
    process.exitCode = printReconcile(this, result);
    return result;
  }

  /** --retry, --fixed-file: a new round of the run, through the org the run loaded into. */
  private async resend(
    runDir: string,
    flags: { retry?: boolean; 'fixed-file'?: string; 'target-org'?: Org; 'api-version'?: string; wait: { milliseconds: number } },
    stop: SignalStop
  ): Promise<ResendOutcome> {
    const state = replay(Ledger.read(runDir));
    const org = flags['target-org'] ?? (await Org.create({ aliasOrUsername: state.spec.org.username }));
    if (org.getOrgId().slice(0, 15) !== state.spec.org.orgId.slice(0, 15)) throw messages.createError('error.OtherOrg', [state.spec.runId, state.spec.org.orgId, org.getOrgId()]);
    const display = await loadDisplay({ json: this.jsonEnabled(), file: state.spec.files.join(', '), log: (line) => this.log(line) });
    const { engine, http } = engineFor(org.getConnection(flags['api-version']), { onEvent: (e): void => display.on(e), stop: stop.token });
    this.roundHttp = http;
    try {
      const how = flags['fixed-file'] ? { kind: 'fixed' as const, file: resolve(flags['fixed-file']) } : { kind: 'retry' as const };
      const sent = await resend(engine, runDir, how, flags.wait.milliseconds);
      display.finish(true);
      return sent;
    } catch (e) {
      display.finish(false);
      throw e;
    }
  }

  /** --job-id: jobs made by any tool, from the org's results (joined to --file's lines when given). */
  private async reconcileJobs(
    jobIds: string[],
    flags: { file?: string; 'output-dir'?: string; 'target-org'?: Org; 'api-version'?: string }
  ): Promise<JobsReconcileOutput> {
    const org = flags['target-org'];
    if (!org) throw messages.createError('error.NoOrg');
    const http = orgHttp(org.getConnection(flags['api-version']));
    const outputDir = resolve(flags['output-dir'] ?? `reconcile-${jobIds[0]}`);
    this.spinner.start(messages.getMessage('info.downloading'));
    try {
      return withAdvice(await reconcileJobs({ bulk: new BulkV2(http), http, retry: retrier(retrySettings()), jobIds, file: flags.file && resolve(flags.file), outputDir }));
    } catch (e) {
      if (e instanceof JobNotFoundError) throw messages.createError('error.JobNotFound', [e.jobId]);
      if (e instanceof ClassicFormatError) throw messages.createError('error.ClassicFormat', [e.jobId]);
      if (e instanceof ClassicColumnsError) throw messages.createError('error.ClassicColumns', [e.batchId, e.jobId]);
      if (e instanceof JobNotEndedError) throw messages.createError('error.JobNotEnded', [e.jobId, e.state], [e.jobId]);
      if (e instanceof JobsDifferError) throw messages.createError('error.JobsDiffer', [e.jobId, e.firstJobId, e.what]);
      if (e instanceof CsvInputError) throw loadErrorToSfError(e, { bin: this.config.bin, ledgerDir: '' });
      throw e;
    } finally {
      this.spinner.stop();
    }
  }
}
