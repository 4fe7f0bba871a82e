import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages, Org } from '@salesforce/core';
import { BulkV2 } from '../../core/bulk/bulkV2.js';
import { CsvInputError } from '../../core/csv/errors.js';
import { ClassicColumnsError, ClassicFormatError } from '../../core/reconcile/classicJobs.js';
import { JobNotEndedError, JobNotFoundError, JobsDifferError, reconcileJobs } from '../../core/reconcile/reconcileJobs.js';
import { reconcileRun } from '../../core/reconcile/reconcileRun.js';
import { RunFileMissingError } from '../../core/reconcile/runRows.js';
import { orgHttp, retrier, retrySettings } from '../../core/org/engineFactory.js';
import { JobsReconcileOutput, printReconcile, reconcileMarkdown, ReconcileOutput, withAdvice } from '../../ux/reconcileReport.js';
import { loadErrorToSfError } from '../../ux/loadReport.js';
import { runFolder } from '../../ux/runFolder.js';
import { partialExitCodesSection } from '../../ux/exitCodes.js';
import { defaultLedgerDir } from './load.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.reconcile');

export type BulkopsReconcileResult = ReconcileOutput | JobsReconcileOutput;

export default class BulkopsReconcile extends SfCommand<BulkopsReconcileResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = partialExitCodesSection(messages);

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
  };

  public async run(): Promise<BulkopsReconcileResult> {
    const { flags } = await this.parse(BulkopsReconcile);
    let result: BulkopsReconcileResult;
    if (flags['job-id']) {
      result = await this.reconcileJobs(flags['job-id'], flags);
    } else {
      const ledgerDir = resolve(flags['ledger-dir'] ?? defaultLedgerDir());
      const runDir = runFolder(messages, ledgerDir, flags);
      try {
        result = withAdvice(await reconcileRun(runDir));
      } catch (e) {
        if (e instanceof RunFileMissingError) throw messages.createError('error.RunFileMissing', [e.runId, e.file]);
        throw loadErrorToSfError(e, { bin: this.config.bin, ledgerDir });
      }
    }
    if (flags.report) {
      result.report = resolve(flags.report);
      await writeFile(result.report, reconcileMarkdown(result, this.config.bin));
    }
    // Under --json nothing is printed (SfCommand's log and table stay quiet); the exit code is the same.
    process.exitCode = printReconcile(this, result);
    return result;
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
