import { join, resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Global, Messages } from '@salesforce/core';
import { LoadEvent, LoadResult } from '../../core/run/types.js';
import type { PlanResult } from '../../core/plan/planResult.js';
import { ColumnDelimiter, IngestOperation, MAX_JOB_SIZE_MB, MAX_UPLOAD_CSV_BYTES, UPLOAD_CAP_BASE64_BYTES } from '../../core/bulk/types.js';
import { engineFor } from '../../core/load/engineFactory.js';
import { newRunId } from '../../core/run/runId.js';
import { transformSpecOf } from '../../core/load/transform.js';
import { FormatError } from '../../core/csv/formats.js';
import type { TransformSpec } from '../../core/csv/mapping.js';
import { V1_MAX_BATCH_ROWS } from '../../core/runner/v1Jobs.js';
import type { V1RunSpec } from '../../core/ledger/records.js';
import { loadDisplay } from '../../ux/loadStages.js';
import { exitCodesSection } from '../../ux/exitCodes.js';
import { eventWarning } from '../../ux/loadWarnings.js';
import { reportLoad } from '../../ux/loadReport.js';
import { runEndError } from '../../ux/runEndError.js';
import { hardDeleteGate } from '../../ux/hardDeleteGate.js';
import { askLine } from '../../ux/prompt.js';
import { SignalStop, stopGraceMs, stopNotice, withOwnStopSignals } from '../../ux/signalStop.js';
import { interruptedRunError } from '../../ux/interruptedError.js';
import { runPlan } from '../../ux/planLoad.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.load');

export type BulkopsLoadResult = LoadResult | PlanResult;

export const CONCURRENCY = { auto: 5, parallel: 5, serial: 1 } as const;

export function defaultLedgerDir(): string {
  return join(Global.SF_DIR, 'bulkops', 'runs');
}

export default class BulkopsLoad extends SfCommand<BulkopsLoadResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = exitCodesSection(messages, 'sends');

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    sobject: Flags.string({ char: 's', summary: messages.getMessage('flags.sobject.summary'), exactlyOne: ['sobject', 'plan'] }),
    file: Flags.file({ char: 'f', exists: true, multiple: true, summary: messages.getMessage('flags.file.summary'), exclusive: ['plan'] }),
    plan: Flags.file({ exists: true, summary: messages.getMessage('flags.plan.summary'), description: messages.getMessage('flags.plan.description'), exactlyOne: ['sobject', 'plan'] }),
    'on-parent-failure': Flags.option({
      summary: messages.getMessage('flags.on-parent-failure.summary'),
      options: ['skip', 'stop'] as const,
      dependsOn: ['plan'],
    })(),
    operation: Flags.option({
      char: 'p',
      summary: messages.getMessage('flags.operation.summary'),
      description: messages.getMessage('flags.operation.description'),
      options: ['insert', 'update', 'upsert', 'delete', 'hardDelete'] as const,
      default: 'insert',
    })(),
    'external-id': Flags.string({ char: 'i', summary: messages.getMessage('flags.external-id.summary') }),
    wait: Flags.duration({ char: 'w', unit: 'minutes', defaultValue: 60, min: 0, summary: messages.getMessage('flags.wait.summary') }),
    concurrency: Flags.option({
      char: 'c',
      summary: messages.getMessage('flags.concurrency.summary'),
      description: messages.getMessage('flags.concurrency.description'),
      options: ['auto', 'parallel', 'serial'] as const,
      default: 'auto',
    })(),
    'bulk-api': Flags.option({
      summary: messages.getMessage('flags.bulk-api.summary'),
      description: messages.getMessage('flags.bulk-api.description'),
      options: ['v2', 'v1'] as const,
      default: 'v2',
    })(),
    // No max here: a size over the limit gets its own message, naming the limit and where it comes from.
    'batch-size': Flags.integer({ min: 1, summary: messages.getMessage('flags.batch-size.summary'), description: messages.getMessage('flags.batch-size.description') }),
    'lock-rounds': Flags.integer({
      min: 0,
      max: 10,
      default: 3,
      summary: messages.getMessage('flags.lock-rounds.summary'),
      description: messages.getMessage('flags.lock-rounds.description'),
    }),
    'results-dir': Flags.directory({ char: 'r', summary: messages.getMessage('flags.results-dir.summary') }),
    'ledger-dir': Flags.directory({ summary: messages.getMessage('flags.ledger-dir.summary') }),
    'max-job-size': Flags.integer({ min: 1, summary: messages.getMessage('flags.max-job-size.summary') }),
    'column-delimiter': Flags.option({
      summary: messages.getMessage('flags.column-delimiter.summary'),
      options: ['BACKQUOTE', 'CARET', 'COMMA', 'PIPE', 'SEMICOLON', 'TAB'] as const,
    })(),
    encoding: Flags.string({ summary: messages.getMessage('flags.encoding.summary') }),
    force: Flags.boolean({ summary: messages.getMessage('flags.force.summary') }),
    'dry-run': Flags.boolean({ summary: messages.getMessage('flags.dry-run.summary') }),
    duplicates: Flags.option({
      summary: messages.getMessage('flags.duplicates.summary'),
      description: messages.getMessage('flags.duplicates.description'),
      options: ['first', 'last'] as const,
    })(),
    'keep-invalid-rows': Flags.boolean({ summary: messages.getMessage('flags.keep-invalid-rows.summary') }),
    'keep-chunks': Flags.boolean({ summary: messages.getMessage('flags.keep-chunks.summary') }),
    backup: Flags.boolean({ allowNo: true, default: true, summary: messages.getMessage('flags.backup.summary') }),
    'confirm-hard-delete': Flags.integer({ min: 0, summary: messages.getMessage('flags.confirm-hard-delete.summary') }),
    'no-prompt': Flags.boolean({ summary: messages.getMessage('flags.no-prompt.summary') }),
    'assignment-rule-id': Flags.string({
      summary: messages.getMessage('flags.assignment-rule-id.summary'),
      description: messages.getMessage('flags.assignment-rule-id.description'),
      exclusive: ['plan'],
    }),
    'allow-partial-day': Flags.boolean({ summary: messages.getMessage('flags.allow-partial-day.summary'), description: messages.getMessage('flags.allow-partial-day.description') }),
    mapping: Flags.file({ exists: true, summary: messages.getMessage('flags.mapping.summary'), description: messages.getMessage('flags.mapping.description'), exclusive: ['plan'] }),
    'date-format': Flags.string({ summary: messages.getMessage('flags.date-format.summary'), exclusive: ['plan'] }),
    'datetime-format': Flags.string({ summary: messages.getMessage('flags.datetime-format.summary'), exclusive: ['plan'] }),
    'time-zone': Flags.string({ summary: messages.getMessage('flags.time-zone.summary'), exclusive: ['plan'] }),
    'decimal-separator': Flags.option({ summary: messages.getMessage('flags.decimal-separator.summary'), options: ['.', ','] as const, exclusive: ['plan'] })(),
    'blank-as-null': Flags.boolean({ summary: messages.getMessage('flags.blank-as-null.summary'), exclusive: ['plan'] }),
    'retry-minutes': Flags.integer({
      min: 1,
      summary: messages.getMessage('flags.retry-minutes.summary'),
      description: messages.getMessage('flags.retry-minutes.description'),
    }),
  };

  /** The command's own stop on SIGINT, SIGTERM and SIGHUP replaces SfCommand's (signalStop.ts). */
  public _run<R>(): Promise<R> {
    // eslint-disable-next-line no-underscore-dangle -- SfCommand's own name for the run it wraps
    return withOwnStopSignals(() => super._run<R>());
  }

  public async run(): Promise<BulkopsLoadResult> {
    const stop = new SignalStop({ graceMs: stopGraceMs(), notice: stopNotice }).arm();
    try {
      return await this.load(stop);
    } finally {
      stop.disarm();
    }
  }

  private async load(stop: SignalStop): Promise<BulkopsLoadResult> {
    const { flags } = await this.parse(BulkopsLoad);
    if (flags.plan) return runPlan(this, flags.plan, { ...flags, stop });
    if (!flags.file?.length) throw messages.createError('error.FileRequired', [], [], 2);
    const operation = flags.operation as IngestOperation;
    refuseFlagMisuse(operation, flags);
    const v1 = v1Spec(flags['bulk-api'], flags.concurrency, flags['batch-size']);
    const conn = flags['target-org'].getConnection(flags['api-version']);
    const interactive = !this.jsonEnabled() && !flags['no-prompt'] && Boolean(process.stdin.isTTY);
    const files = flags.file.map((f) => resolve(f));
    // The hardDelete prompt needs the terminal: the live display would draw over it.
    const display = await loadDisplay({ json: this.jsonEnabled(), file: flags.file.join(', '), log: (line) => this.log(line), ...(operation === 'hardDelete' ? { tty: false } : {}) });
    const { engine, http, isProduction } = engineFor(conn, { onEvent: (e): void => this.onEvent(e, display), retryMinutes: flags['retry-minutes'], stop: stop.token });
    const confirm =
      operation === 'hardDelete'
        ? hardDeleteGate({
            given: flags['confirm-hard-delete'],
            interactive,
            isProduction,
            warn: (text) => this.warn(text),
            ask: (question) => this.ask(question),
          })
        : undefined;
    const ledgerDir = resolve(flags['ledger-dir'] ?? defaultLedgerDir());
    const runId = newRunId();
    let result: LoadResult;
    try {
      const request = {
        object: flags.sobject!,
        operation,
        externalId: flags['external-id'],
        files,
        runId,
        ledgerDir,
        resultsDir: flags['results-dir'] ? resolve(flags['results-dir']) : undefined,
        waitMs: flags.wait.milliseconds,
        concurrency: CONCURRENCY[flags.concurrency],
        autoConcurrency: flags.concurrency === 'auto',
        ...(v1 ? { v1 } : {}),
        lockRounds: flags['lock-rounds'],
        maxJobBytes: flags['max-job-size'] ? flags['max-job-size'] * 1024 * 1024 : undefined,
        force: flags.force,
        backup: flags.backup,
        confirm,
        csv: {
          delimiter: flags['column-delimiter'] as ColumnDelimiter | undefined,
          encoding: flags.encoding,
        },
        keepInvalidRows: flags['keep-invalid-rows'],
        duplicates: flags.duplicates,
        keepChunks: flags['keep-chunks'],
        ...transformOf(flags),
        ...(flags['assignment-rule-id'] ? { assignmentRuleId: flags['assignment-rule-id'] } : {}),
        ...(flags['allow-partial-day'] ? { allowPartialDay: true } : {}),
      };
      result = await stop.within(flags['dry-run'] ? engine.check(request) : engine.start(request));
    } catch (e) {
      display.finish(false);
      if (stop.stoppedBy) throw interruptedRunError(stop.stoppedBy, { runDir: join(ledgerDir, runId), bin: this.config.bin, ledgerDir, defaultLedger: !flags['ledger-dir'] });
      // A dry run writes no ledger, so its errors are never told as a run's.
      throw await runEndError(e, { bin: this.config.bin, ledgerDir, defaultLedger: !flags['ledger-dir'], runDir: flags['dry-run'] ? undefined : join(ledgerDir, runId), http });
    }
    display.finish(true);
    process.exitCode = reportLoad(this, result, { waited: flags.wait.milliseconds > 0, ledgerDir, defaultLedger: !flags['ledger-dir'] });
    return result;
  }

  /** A load's event: drawn, and a warning one given to warn() too (stderr, or the JSON's warnings). */
  private onEvent(e: LoadEvent, display: { on: (e: LoadEvent) => void }): void {
    const warning = eventWarning(e);
    if (warning) this.warn(warning);
    display.on(e);
  }

  private ask(question: string): Promise<string> {
    return askLine(question);
  }
}

/** --mapping and the formats, checked before anything is read: a bad format or zone is a usage error. */
function transformOf(flags: { mapping?: string; 'date-format'?: string; 'datetime-format'?: string; 'time-zone'?: string; 'decimal-separator'?: string; 'blank-as-null'?: boolean }): { transform?: TransformSpec } {
  try {
    const transform = transformSpecOf({
      mapping: flags.mapping ? resolve(flags.mapping) : undefined,
      dateFormat: flags['date-format'],
      datetimeFormat: flags['datetime-format'],
      timeZone: flags['time-zone'],
      decimalSeparator: flags['decimal-separator'],
      blankAsNull: flags['blank-as-null'],
    });
    return transform ? { transform } : {};
  } catch (e) {
    if (e instanceof FormatError) throw messages.createError('error.Format', [e.message], [], 2);
    throw e;
  }
}

/** Flags that do not go together with the operation: refused before anything is read or sent. */
function refuseFlagMisuse(
  operation: IngestOperation,
  flags: { 'external-id'?: string; backup: boolean; 'confirm-hard-delete'?: number; 'max-job-size'?: number; 'assignment-rule-id'?: string; 'bulk-api': string }
): void {
  const size = flags['max-job-size'];
  if (size !== undefined && size > MAX_JOB_SIZE_MB) {
    throw messages.createError('error.MaxJobSizeOverCap', [size, UPLOAD_CAP_BASE64_BYTES.toLocaleString('en-US'), MAX_UPLOAD_CSV_BYTES.toLocaleString('en-US'), MAX_JOB_SIZE_MB], [MAX_JOB_SIZE_MB], 2);
  }
  if (flags['assignment-rule-id'] && operation !== 'insert' && operation !== 'upsert') throw messages.createError('error.AssignmentRuleNotAllowed', [operation], [], 2);
  if (flags['assignment-rule-id'] && !/^01Q\w{12}(\w{3})?$/.test(flags['assignment-rule-id'])) throw messages.createError('error.AssignmentRuleId', [flags['assignment-rule-id']], [], 2);
  if (flags['assignment-rule-id'] && flags['bulk-api'] === 'v1') throw messages.createError('error.AssignmentRuleNeedsV2', [], [], 2);
  if (operation === 'upsert' && !flags['external-id']) throw messages.createError('error.ExternalIdRequired');
  if (operation !== 'upsert' && flags['external-id']) throw messages.createError('error.ExternalIdNotAllowed');
  if (operation === 'hardDelete' && !flags.backup) throw messages.createError('error.HardDeleteNeedsBackup');
  if (operation !== 'hardDelete' && flags['confirm-hard-delete'] !== undefined) {
    throw messages.createError('error.ConfirmHardDeleteNotAllowed', [operation]);
  }
}

/**
 * --bulk-api v1: the job's concurrency mode is the user's choice (auto decides for Bulk API 2.0
 * only), and a batch holds at most 10,000 rows (Bulk API Developer Guide: Bulk API Limits).
 */
function v1Spec(api: 'v1' | 'v2', concurrency: 'auto' | 'parallel' | 'serial', batchSize: number | undefined): V1RunSpec | undefined {
  if (api === 'v2') {
    if (batchSize !== undefined) throw messages.createError('error.BatchSizeNeedsV1', [], [], 2);
    return undefined;
  }
  if (concurrency === 'auto') throw messages.createError('error.V1NeedsConcurrency', [], [], 2);
  if (batchSize !== undefined && batchSize > V1_MAX_BATCH_ROWS) throw messages.createError('error.BatchSizeOverLimit', [batchSize, V1_MAX_BATCH_ROWS, V1_MAX_BATCH_ROWS], [], 2);
  return { concurrencyMode: concurrency === 'serial' ? 'Serial' : 'Parallel', batchRows: batchSize ?? V1_MAX_BATCH_ROWS };
}
