import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import { reconcileRun } from '../../core/reconcile/reconcileRun.js';
import { RunFileMissingError } from '../../core/reconcile/runRows.js';
import { printReconcile, reconcileMarkdown, ReconcileOutput, withAdvice } from '../../ux/reconcileReport.js';
import { runFolder } from '../../ux/runFolder.js';
import { partialExitCodesSection } from '../../ux/exitCodes.js';
import { defaultLedgerDir } from './load.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.reconcile');

export type BulkopsReconcileResult = ReconcileOutput;

export default class BulkopsReconcile extends SfCommand<BulkopsReconcileResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = partialExitCodesSection(messages);

  public static readonly flags = {
    'run-id': Flags.string({ summary: messages.getMessage('flags.run-id.summary'), exactlyOne: ['run-id', 'latest'] }),
    latest: Flags.boolean({ summary: messages.getMessage('flags.latest.summary'), exactlyOne: ['run-id', 'latest'] }),
    'ledger-dir': Flags.directory({ summary: messages.getMessage('flags.ledger-dir.summary') }),
    report: Flags.file({ summary: messages.getMessage('flags.report.summary') }),
  };

  public async run(): Promise<BulkopsReconcileResult> {
    const { flags } = await this.parse(BulkopsReconcile);
    const ledgerDir = resolve(flags['ledger-dir'] ?? defaultLedgerDir());
    const runDir = runFolder(messages, ledgerDir, flags);
    let result: ReconcileOutput;
    try {
      result = withAdvice(await reconcileRun(runDir));
    } catch (e) {
      if (e instanceof RunFileMissingError) throw messages.createError('error.RunFileMissing', [e.runId, e.file]);
      throw e;
    }
    if (flags.report) {
      result.report = resolve(flags.report);
      await writeFile(result.report, reconcileMarkdown(result, this.config.bin));
    }
    // Under --json nothing is printed (SfCommand's log and table stay quiet); the exit code is the same.
    process.exitCode = printReconcile(this, result);
    return result;
  }
}
