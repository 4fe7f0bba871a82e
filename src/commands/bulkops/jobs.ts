import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import { orgHttp } from '../../core/org/connection.js';
import { defaultHistoryDir } from '../../core/jobs/history.js';
import { jobsReport, JobsReport } from '../../core/jobs/jobsService.js';
import { parseSince, windowOnOrgClock } from '../../core/jobs/period.js';
import type { JobApi } from '../../core/jobs/types.js';
import { JOB_COLUMNS, jobRows } from '../../ux/jobsTable.js';
import { readInventoryFlag } from '../../ux/inventoryInput.js';
import { simpleExitCodesSection } from '../../ux/exitCodes.js';
import { withOwnStopSignals } from '../../ux/signalStop.js';
import { readOnly } from '../../ux/readOnlyRun.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.jobs');

export type BulkopsJobsResult = JobsReport;

export default class BulkopsJobs extends SfCommand<BulkopsJobsResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = simpleExitCodesSection(messages, 'reads');

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    state: Flags.option({
      summary: messages.getMessage('flags.state.summary'),
      options: ['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted', 'Closed'] as const,
      multiple: true,
    })(),
    type: Flags.option({ summary: messages.getMessage('flags.type.summary'), options: ['V2Ingest', 'Classic', 'V2Query'] as const, multiple: true })(),
    object: Flags.string({ char: 's', summary: messages.getMessage('flags.object.summary'), multiple: true }),
    operation: Flags.string({ summary: messages.getMessage('flags.operation.summary'), multiple: true }),
    user: Flags.string({ char: 'u', summary: messages.getMessage('flags.user.summary'), multiple: true }),
    since: Flags.string({ summary: messages.getMessage('flags.since.summary') }),
    inventory: Flags.file({ char: 'i', summary: messages.getMessage('flags.inventory.summary') }),
    'review-only': Flags.boolean({ summary: messages.getMessage('flags.review-only.summary') }),
    save: Flags.boolean({ allowNo: true, default: true, summary: messages.getMessage('flags.save.summary') }),
    'history-dir': Flags.directory({ summary: messages.getMessage('flags.history-dir.summary') }),
  };

  /** The command's own stop on SIGINT, SIGTERM and SIGHUP replaces SfCommand's (signalStop.ts). */
  public _run<R>(): Promise<R> {
    // eslint-disable-next-line no-underscore-dangle -- SfCommand's own name for the run it wraps
    return withOwnStopSignals(() => super._run<R>());
  }

  public async run(): Promise<BulkopsJobsResult> {
    const { flags } = await this.parse(BulkopsJobs);
    if (flags.since !== undefined && parseSince(flags.since) === undefined) throw messages.createError('error.badSince', [flags.since]);
    const inventory = flags.inventory ? readInventoryFlag(flags.inventory, messages) : undefined;
    const http = orgHttp(flags['target-org'].getConnection(flags['api-version']));
    const historyDir = resolve(flags['history-dir'] ?? defaultHistoryDir());
    this.spinner.start('Reading the org\'s jobs');
    let report: JobsReport;
    try {
      // Read-only: a signal stops it at once; the history it saves is appended record by record.
      report = await readOnly({ http, user: flags['target-org'].getUsername() ?? '', folder: historyDir }, async (retry) => {
        // --since and "long-running" are measured on the org's clock, which stamps the jobs (orgClock.ts).
        const { now, since } = await windowOnOrgClock(http, retry, flags.since);
        return jobsReport(http, retry, {
          historyDir,
          save: flags.save,
          now,
          inventory,
          filters: {
            states: flags.state,
            types: flags.type as JobApi[] | undefined,
            objects: flags.object,
            operations: flags.operation,
            users: flags.user,
            since,
            signalsOnly: flags['review-only'],
          },
        });
      });
    } catch (e) {
      this.spinner.stop('failed');
      throw e;
    }
    this.spinner.stop();
    if (report.jobs.length === 0) this.log(messages.getMessage('info.none', [report.listed]));
    else this.table({ data: jobRows(report.jobs), columns: [...JOB_COLUMNS] });
    const s = report.signals;
    this.log(messages.getMessage('info.count', [report.jobs.length, report.listed, s.failed, s.aborted, s.long, s['unknown-source']]));
    const h = report.history;
    if (h) {
      this.log(messages.getMessage('info.saved', [h.dir, h.added, h.changed, h.jobs]));
      this.log(h.eventLogs.available ? messages.getMessage('info.eventLogs', [h.eventLogs.filesRead, h.eventLogs.jobs]) : messages.getMessage('info.noEventLogs'));
      if (h.gaps.length > 0) {
        const days = h.gaps.reduce((n, g) => n + g.days, 0);
        this.warn(messages.getMessage('warn.gaps', [days, h.gaps.map((g) => (g.from === g.to ? g.from : `${g.from} to ${g.to}`)).join(', ')]));
      }
    }
    return report;
  }
}
