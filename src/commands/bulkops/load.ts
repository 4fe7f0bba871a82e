import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Flags, SfCommand, toHelpSection } from '@salesforce/sf-plugins-core';
import { Global, Messages } from '@salesforce/core';
import { BulkV2 } from '../../core/bulk/bulkV2.js';
import { OrgHttp } from '../../core/http/orgHttp.js';
import { sessionOf } from '../../core/http/connectionSession.js';
import { LoadService } from '../../core/load/loadService.js';
import { LoadResult } from '../../core/load/types.js';
import { CsvInputError } from '../../core/csv/errors.js';
import { ColumnDelimiter, IngestOperation, LineEnding } from '../../core/bulk/types.js';
import { LoadProgress } from '../../ux/loadProgress.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.load');

export type BulkopsLoadResult = LoadResult;

export const EXIT_FAILED_ROWS = 68;
export const EXIT_STILL_RUNNING = 69;

export default class BulkopsLoad extends SfCommand<BulkopsLoadResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = toHelpSection('EXIT CODES', {
    'Succeeded (0)': 'Every row was loaded, or --wait 0 returned after upload.',
    'Failed (1)': 'The load could not run (bad input, bad flags, org errors).',
    'PartialSuccess (68)': 'The jobs finished but some rows failed or were not processed: see failed.csv and retry.csv.',
    'StillRunning (69)': 'The jobs were still running when --wait ran out; the resume command is printed.',
  });

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    sobject: Flags.string({ char: 's', required: true, summary: messages.getMessage('flags.sobject.summary') }),
    file: Flags.file({ char: 'f', required: true, exists: true, summary: messages.getMessage('flags.file.summary') }),
    operation: Flags.option({
      char: 'p',
      summary: messages.getMessage('flags.operation.summary'),
      description: messages.getMessage('flags.operation.description'),
      options: ['insert', 'update', 'upsert', 'delete'] as const,
      default: 'insert',
    })(),
    'external-id': Flags.string({ char: 'i', summary: messages.getMessage('flags.external-id.summary') }),
    wait: Flags.duration({ char: 'w', unit: 'minutes', defaultValue: 60, min: 0, summary: messages.getMessage('flags.wait.summary') }),
    'results-dir': Flags.directory({ char: 'r', summary: messages.getMessage('flags.results-dir.summary') }),
    'ledger-dir': Flags.directory({ summary: messages.getMessage('flags.ledger-dir.summary') }),
    'max-job-size': Flags.integer({ min: 1, max: 110, summary: messages.getMessage('flags.max-job-size.summary') }),
    'column-delimiter': Flags.option({
      summary: messages.getMessage('flags.column-delimiter.summary'),
      options: ['BACKQUOTE', 'CARET', 'COMMA', 'PIPE', 'SEMICOLON', 'TAB'] as const,
    })(),
    'line-ending': Flags.option({ summary: messages.getMessage('flags.line-ending.summary'), options: ['LF', 'CRLF'] as const })(),
    encoding: Flags.string({ summary: messages.getMessage('flags.encoding.summary') }),
  };

  public async run(): Promise<BulkopsLoadResult> {
    const { flags } = await this.parse(BulkopsLoad);
    const operation = flags.operation as IngestOperation;
    if (operation === 'upsert' && !flags['external-id']) throw messages.createError('error.ExternalIdRequired');
    if (operation !== 'upsert' && flags['external-id']) throw messages.createError('error.ExternalIdNotAllowed');

    const conn = flags['target-org'].getConnection(flags['api-version']);
    const bulk = new BulkV2(new OrgHttp(sessionOf(conn)));
    const progress = new LoadProgress((line) => this.log(line), flags.file);
    const service = new LoadService({
      bulk,
      onEvent: this.jsonEnabled() ? undefined : (e): void => progress.on(e),
      poll: pollSettings(),
    });
    const runId = newRunId();
    const ledgerDir = resolve(flags['ledger-dir'] ?? join(Global.SF_DIR, 'bulkops', 'runs'));
    let result: LoadResult;
    try {
      result = await service.run({
        object: flags.sobject,
        operation,
        externalId: flags['external-id'],
        file: resolve(flags.file),
        runId,
        runDir: join(ledgerDir, runId),
        resultsDir: flags['results-dir'] ? resolve(flags['results-dir']) : undefined,
        waitMs: flags.wait.milliseconds,
        maxJobBytes: flags['max-job-size'] ? flags['max-job-size'] * 1024 * 1024 : undefined,
        csv: {
          delimiter: flags['column-delimiter'] as ColumnDelimiter | undefined,
          lineEnding: flags['line-ending'] as LineEnding | undefined,
          encoding: flags.encoding,
        },
      });
    } catch (e) {
      if (e instanceof CsvInputError) throw messages.createError('error.CsvInput', [e.message]);
      throw e;
    }
    this.report(result, flags.wait.milliseconds > 0);
    return result;
  }

  private report(result: LoadResult, waited: boolean): void {
    for (const job of result.jobs) if (job.errorMessage) this.warn(messages.getMessage('warn.jobFailed', [job.id, job.errorMessage]));
    if (result.unmatched > 0) this.warn(messages.getMessage('warn.unmatched', [result.unmatched]));
    if (result.status === 'InProgress') {
      this.log(messages.getMessage('info.stillRunning', [`${this.config.bin} bulkops resume --run-id ${result.runId}`]));
      // --wait 0 means "don't wait": still running is then the expected outcome, not a time-out.
      if (waited) process.exitCode = EXIT_STILL_RUNNING;
      return;
    }
    this.log(messages.getMessage('info.summary', [result.status, result.processed, result.successful, result.failed, result.unprocessed]));
    if (result.errorCodes.length) {
      this.log(messages.getMessage('info.errorCodes', [result.errorCodes.map((c) => `${c.code} ${c.count}`).join(', ')]));
    }
    if (result.files) this.log(messages.getMessage('info.files', [Object.values(result.files).join(', ')]));
    if (result.failed > 0 || result.unprocessed > 0) process.exitCode = EXIT_FAILED_ROWS;
  }
}

function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Poll timing; SF_BULKOPS_POLL_MS lowers the first interval (tests against the emulator). */
function pollSettings(): { minMs: number; maxMs: number } {
  const min = Number(process.env.SF_BULKOPS_POLL_MS ?? '') || 1000;
  return { minMs: min, maxMs: Math.max(min, 10_000) };
}
