import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import { auditOrg, AuditReport } from '../../core/audit/auditService.js';
import { SEVERITIES, Severity } from '../../core/audit/findings.js';
import { defaultHistoryDir } from '../../core/jobs/history.js';
import { parseSince, windowOnOrgClock } from '../../core/jobs/period.js';
import { orgHttp } from '../../core/org/connection.js';
import { AUDIT_FORMATS, auditExitCode, AuditFormat, auditText, printAudit } from '../../ux/auditReport.js';
import { readInventoryFlag } from '../../ux/inventoryInput.js';
import { partialExitCodesSection } from '../../ux/exitCodes.js';
import { withOwnStopSignals } from '../../ux/signalStop.js';
import { readOnly } from '../../ux/readOnlyRun.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.audit');

export type BulkopsAuditResult = AuditReport & { output?: string };

export default class BulkopsAudit extends SfCommand<BulkopsAuditResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = partialExitCodesSection(messages, 'reads');

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    inventory: Flags.file({ char: 'i', required: true, summary: messages.getMessage('flags.inventory.summary') }),
    since: Flags.string({ default: '90d', summary: messages.getMessage('flags.since.summary') }),
    format: Flags.option({ char: 'r', options: AUDIT_FORMATS, default: 'table' as const, summary: messages.getMessage('flags.format.summary') })(),
    output: Flags.file({ summary: messages.getMessage('flags.output.summary') }),
    'fail-on': Flags.option({ options: SEVERITIES, default: 'high' as const, summary: messages.getMessage('flags.fail-on.summary') })(),
    'history-dir': Flags.directory({ summary: messages.getMessage('flags.history-dir.summary') }),
  };

  /** The command's own stop on SIGINT, SIGTERM and SIGHUP replaces SfCommand's (signalStop.ts). */
  public _run<R>(): Promise<R> {
    // eslint-disable-next-line no-underscore-dangle -- SfCommand's own name for the run it wraps
    return withOwnStopSignals(() => super._run<R>());
  }

  public async run(): Promise<BulkopsAuditResult> {
    const { flags } = await this.parse(BulkopsAudit);
    if (parseSince(flags.since) === undefined) throw messages.createError('error.badSince', [flags.since]);
    const inventory = readInventoryFlag(flags.inventory, messages);
    const http = orgHttp(flags['target-org'].getConnection(flags['api-version']));
    const historyDir = resolve(flags['history-dir'] ?? defaultHistoryDir());
    this.spinner.start('Reading the org\'s jobs, event logs and async Apex jobs');
    let report: BulkopsAuditResult;
    try {
      // Read-only: a signal stops it at once.
      report = await readOnly({ http, user: flags['target-org'].getUsername() ?? '', folder: historyDir }, async (retry) => {
        // The period is the org's: its clock stamps the jobs (orgClock.ts).
        const { now, since } = await windowOnOrgClock(http, retry, flags.since);
        return auditOrg(http, retry, { inventory, historyDir, since: since!, now });
      });
    } catch (e) {
      this.spinner.stop('failed');
      throw e;
    }
    this.spinner.stop();
    const format = flags.format as AuditFormat;
    if (flags.output) {
      report.output = resolve(flags.output);
      try {
        writeFileSync(report.output, auditText(report, format));
      } catch (e) {
        throw messages.createError('error.output', [report.output, (e as Error).message]);
      }
      this.log(messages.getMessage('info.written', [format === 'table' ? 'markdown' : format, report.output]));
      this.log(messages.getMessage('info.counts', [report.findings.length, report.counts.critical, report.counts.high, report.counts.medium, report.counts.low, report.counts.info]));
    } else if (format === 'table') {
      printAudit(this, report);
    } else if (!this.jsonEnabled()) {
      process.stdout.write(auditText(report, format));
    }
    process.exitCode = auditExitCode(report, flags['fail-on'] as Severity);
    return report;
  }
}
