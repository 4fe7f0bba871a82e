import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import { LockHeldError } from '../../core/io/fileLock.js';
import { defaultHistoryDir } from '../../core/jobs/history.js';
import { parseSince, windowOnOrgClock } from '../../core/jobs/period.js';
import { MonitorReport, runMonitor } from '../../core/monitor/monitorService.js';
import { orgHttp } from '../../core/org/connection.js';
import { readInventoryFlag } from '../../ux/inventoryInput.js';
import { partialExitCodesSection } from '../../ux/exitCodes.js';
import { DESTINATION_LABEL, printMonitor } from '../../ux/monitorReport.js';
import { webhookTargets, withoutSecrets } from '../../ux/webhookFlags.js';
import { withOwnStopSignals } from '../../ux/signalStop.js';
import { readOnly } from '../../ux/readOnlyRun.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.monitor');

export type BulkopsMonitorResult = MonitorReport;

/** How long a monitor waits for another one of the same org to finish. */
const LOCK_WAIT_MINUTES = 10;

export default class BulkopsMonitor extends SfCommand<BulkopsMonitorResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = partialExitCodesSection(messages);

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    since: Flags.string({ default: '24h', summary: messages.getMessage('flags.since.summary') }),
    inventory: Flags.file({ char: 'i', summary: messages.getMessage('flags.inventory.summary') }),
    'slack-webhook': Flags.string({ env: 'BULKOPS_SLACK_WEBHOOK', summary: messages.getMessage('flags.slack-webhook.summary') }),
    webhook: Flags.string({ env: 'BULKOPS_WEBHOOK', summary: messages.getMessage('flags.webhook.summary') }),
    'failure-rate': Flags.integer({ min: 0, max: 100, default: 5, summary: messages.getMessage('flags.failure-rate.summary') }),
    'failed-records': Flags.integer({ min: 1, summary: messages.getMessage('flags.failed-records.summary') }),
    'long-after': Flags.integer({ min: 1, default: 120, summary: messages.getMessage('flags.long-after.summary') }),
    'dry-run': Flags.boolean({ default: false, summary: messages.getMessage('flags.dry-run.summary') }),
    'history-dir': Flags.directory({ summary: messages.getMessage('flags.history-dir.summary') }),
  };

  /** The command's own stop on SIGINT, SIGTERM and SIGHUP replaces SfCommand's (signalStop.ts). */
  public _run<R>(): Promise<R> {
    // eslint-disable-next-line no-underscore-dangle -- SfCommand's own name for the run it wraps
    return withOwnStopSignals(() => super._run<R>());
  }

  public async run(): Promise<BulkopsMonitorResult> {
    const { flags } = await this.parse(BulkopsMonitor);
    if (parseSince(flags.since) === undefined) throw messages.createError('error.badSince', [flags.since]);
    const inventory = flags.inventory ? readInventoryFlag(flags.inventory, messages) : undefined;
    const targets = webhookTargets({ slack: flags['slack-webhook'], webhook: flags.webhook }, messages);
    const http = orgHttp(flags['target-org'].getConnection(flags['api-version']));
    const historyDir = resolve(flags['history-dir'] ?? defaultHistoryDir());
    this.spinner.start('Reading the org\'s jobs and async Apex jobs');
    let report: MonitorReport;
    try {
      // A signal stops it at once: the history is appended record by record, and alerts not yet sent stay in its outbox.
      report = await readOnly({ http, user: flags['target-org'].getUsername() ?? '', folder: historyDir }, async (retry, sleep) => {
        // The window and "long-running" are measured on the org's clock, which stamps the jobs (orgClock.ts).
        const { now, since } = await windowOnOrgClock(http, retry, flags.since);
        return runMonitor(http, retry, {
          historyDir,
          since: since!,
          now,
          thresholds: { failureRate: flags['failure-rate'] / 100, failedRecords: flags['failed-records'], longAfterMs: flags['long-after'] * 60_000 },
          inventory,
          targets,
          dryRun: flags['dry-run'],
          bin: this.config.bin,
          sleep,
          lockWaitMs: LOCK_WAIT_MINUTES * 60_000,
          onLockWait: (owner) => this.info(messages.getMessage('info.lockWait', [owner.pid])),
        });
      });
    } catch (e) {
      this.spinner.stop('failed');
      if (e instanceof LockHeldError) throw messages.createError('error.locked', [e.owner.pid, e.owner.host, e.owner.since, LOCK_WAIT_MINUTES]);
      throw e;
    }
    this.spinner.stop();
    printMonitor(this, report, messages);
    if (targets.length === 0 && !report.dryRun && report.problems.length > 0) this.warn(messages.getMessage('warn.noTarget', [report.problems.length]));
    for (const kind of ['slack', 'webhook'] as const) {
      if (report.pending[kind] > 0 && !targets.some((t) => t.kind === kind)) this.warn(messages.getMessage('warn.pendingNoTarget', [report.pending[kind], DESTINATION_LABEL[kind]]));
    }
    if (report.problems.length > 0 || report.pending.slack + report.pending.webhook > 0) process.exitCode = 68;
    return report;
  }

  /**
   * An error that repeats the command line (oclif's "Unexpected argument: <value>", when a webhook
   * URL lost its flag name, e.g. `--slack-webhook $UNSET --webhook $URL`) would print the URL, put
   * it in --json and sf's log: such an error goes on with every URL of the command line, and the
   * webhook variables' values, replaced.
   */
  public async catch(error: Error & { exitCode?: number; actions?: string[]; oclif?: { exit?: number } }): Promise<never> {
    return super.catch(withoutSecrets(error, [...this.argv.flatMap((a) => a.match(/https?:\/\/\S+/gi) ?? []), process.env.BULKOPS_SLACK_WEBHOOK, process.env.BULKOPS_WEBHOOK]));
  }
}
