import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import type { DraftEntry } from '../../../core/inventoryInit/draft.js';
import { draftInventory } from '../../../core/inventoryInit/initService.js';
import { defaultHistoryDir } from '../../../core/jobs/history.js';
import type { HistorySave } from '../../../core/jobs/jobsService.js';
import { parseSince, windowOnOrgClock } from '../../../core/jobs/period.js';
import { orgHttp } from '../../../core/org/connection.js';
import { withOwnStopSignals } from '../../../ux/signalStop.js';
import { readOnly } from '../../../ux/readOnlyRun.js';
import { simpleExitCodesSection } from '../../../ux/exitCodes.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.inventory.init');

export type BulkopsInventoryInitResult = {
  file: string;
  orgId: string;
  /** jobs the draft was made from, and those left out because the org does not know their user */
  jobs: number;
  unknownUserJobs: number;
  entries: DraftEntry[];
  history: HistorySave;
};

const COLUMNS = ['name', 'user', 'connectedApps', 'clients', 'allowed', 'cadence', 'jobs', 'lastSeen'] as const;

export default class BulkopsInventoryInit extends SfCommand<BulkopsInventoryInitResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = simpleExitCodesSection(messages);

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    'output-file': Flags.file({ char: 'f', default: 'bulkops-inventory.yaml', summary: messages.getMessage('flags.output-file.summary') }),
    since: Flags.string({ summary: messages.getMessage('flags.since.summary') }),
    force: Flags.boolean({ summary: messages.getMessage('flags.force.summary') }),
    'history-dir': Flags.directory({ summary: messages.getMessage('flags.history-dir.summary') }),
  };

  /** The command's own stop on SIGINT, SIGTERM and SIGHUP replaces SfCommand's (signalStop.ts). */
  public _run<R>(): Promise<R> {
    // eslint-disable-next-line no-underscore-dangle -- SfCommand's own name for the run it wraps
    return withOwnStopSignals(() => super._run<R>());
  }

  public async run(): Promise<BulkopsInventoryInitResult> {
    const { flags } = await this.parse(BulkopsInventoryInit);
    if (flags.since !== undefined && parseSince(flags.since) === undefined) throw messages.createError('error.badSince', [flags.since]);
    const file = resolve(flags['output-file']);
    if (existsSync(file) && !flags.force) throw messages.createError('error.exists', [flags['output-file']]);
    const org = flags['target-org'];
    this.spinner.start('Reading the org\'s jobs and event logs');
    const http = orgHttp(org.getConnection(flags['api-version']));
    const historyDir = resolve(flags['history-dir'] ?? defaultHistoryDir());
    let draft: Awaited<ReturnType<typeof draftInventory>>;
    try {
      draft = await readOnly({ http, user: org.getUsername() ?? '', folder: historyDir }, async (retry) => {
        // --since is a span of the org's time, which stamps the jobs (orgClock.ts).
        const { now, since } = await windowOnOrgClock(http, retry, flags.since);
        return draftInventory(http, retry, { historyDir, since, now });
      });
    } catch (e) {
      this.spinner.stop('failed');
      throw e;
    }
    this.spinner.stop();
    if (draft.entries.length === 0) throw messages.createError('error.noJobs', [flags.since ? ` since ${flags.since}` : '']);
    try {
      writeFileSync(file, draft.yaml);
    } catch (e) {
      throw messages.createError('error.output', [file, (e as Error).message]);
    }
    this.table({
      data: draft.entries.map((e) => ({
        name: e.name,
        user: e.username,
        connectedApps: e.connectedApps.join(', '),
        clients: e.clients.join(', '),
        allowed: e.allowed.map((a) => `${a.object}: ${a.operations.join(', ')}`).join('; '),
        cadence: e.cadence,
        jobs: String(e.jobs),
        lastSeen: e.lastSeen.slice(0, 10),
      })),
      columns: COLUMNS.map((key) => ({ key, name: messages.getMessage(`column.${key}`) })),
    });
    if (draft.unknownUserJobs > 0) this.warn(messages.getMessage('info.unknownUsers', [draft.unknownUserJobs]));
    this.logSuccess(messages.getMessage('info.drafted', [draft.entries.length, draft.jobs, flags['output-file']]));
    const bin = this.config.bin;
    this.log(messages.getMessage('info.next', [bin, flags['output-file'], bin, flags['output-file']]));
    return { file, orgId: draft.orgId, jobs: draft.jobs, unknownUserJobs: draft.unknownUserJobs, entries: draft.entries, history: draft.history };
  }
}
