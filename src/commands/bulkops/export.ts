import { join, resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import type { ColumnDelimiter, LineEnding } from '../../core/bulk/types.js';
import { exportDeps } from '../../core/export/exportFactory.js';
import { resumeExport, startExport } from '../../core/export/exportRun.js';
import type { ExportEvent, ExportFormat, ExportResult } from '../../core/export/types.js';
import { keepStreamingGarbageYoung } from '../../core/runtime/heap.js';
import { orgHttp } from '../../core/org/connection.js';
import { newRunId } from '../../core/run/runId.js';
import { simpleExitCodesSection } from '../../ux/exitCodes.js';
import { exportProgress } from '../../ux/exportProgress.js';
import { exportError, exportInterruptedError, type ExportErrorContext } from '../../ux/exportErrors.js';
import { SignalStop, stopNotice, withOwnStopSignals } from '../../ux/signalStop.js';
import { defaultLedgerDir } from './load.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.export');

export type BulkopsExportResult = ExportResult;

export default class BulkopsExport extends SfCommand<BulkopsExportResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = simpleExitCodesSection(messages, 'reads');

  public static readonly flags = {
    'target-org': Flags.requiredOrg(),
    'api-version': Flags.orgApiVersion(),
    query: Flags.string({ char: 'q', summary: messages.getMessage('flags.query.summary'), exclusive: ['resume'] }),
    'output-file': Flags.string({ char: 'f', summary: messages.getMessage('flags.output-file.summary'), exclusive: ['resume'] }),
    'all-rows': Flags.boolean({ summary: messages.getMessage('flags.all-rows.summary'), exclusive: ['resume'] }),
    format: Flags.option({ summary: messages.getMessage('flags.format.summary'), options: ['csv', 'jsonl'] as const, default: 'csv' })(),
    'column-delimiter': Flags.option({
      summary: messages.getMessage('flags.column-delimiter.summary'),
      options: ['BACKQUOTE', 'CARET', 'COMMA', 'PIPE', 'SEMICOLON', 'TAB'] as const,
      default: 'COMMA',
    })(),
    'line-ending': Flags.option({ summary: messages.getMessage('flags.line-ending.summary'), options: ['LF', 'CRLF'] as const, default: 'LF' })(),
    'max-records-per-page': Flags.integer({ min: 1, summary: messages.getMessage('flags.max-records-per-page.summary'), exclusive: ['resume'] }),
    'for-load': Flags.option({ summary: messages.getMessage('flags.for-load.summary'), options: ['update', 'upsert'] as const, exclusive: ['resume'] })(),
    'external-id': Flags.string({ summary: messages.getMessage('flags.external-id.summary'), exclusive: ['resume'] }),
    resume: Flags.string({ summary: messages.getMessage('flags.resume.summary') }),
    'ledger-dir': Flags.directory({ summary: messages.getMessage('flags.ledger-dir.summary') }),
    'retry-minutes': Flags.integer({ min: 1, summary: messages.getMessage('flags.retry-minutes.summary') }),
  };

  /** The command's own stop on SIGINT, SIGTERM and SIGHUP replaces SfCommand's (signalStop.ts). */
  public _run<R>(): Promise<R> {
    // eslint-disable-next-line no-underscore-dangle -- SfCommand's own name for the run it wraps
    return withOwnStopSignals(() => super._run<R>());
  }

  public async run(): Promise<BulkopsExportResult> {
    // No grace: a page cut short by the stop is cut off the file by the resume, as after a crash.
    const stop = new SignalStop({ graceMs: 0, notice: stopNotice }).arm();
    try {
      return await this.export(stop);
    } finally {
      stop.disarm();
    }
  }

  private async export(stop: SignalStop): Promise<BulkopsExportResult> {
    const { flags } = await this.parse(BulkopsExport);
    const forLoad = forLoadOf(flags['for-load'], flags['external-id'], flags.format);
    if (!flags.resume && (!flags.query || !flags['output-file'])) throw messages.createError('error.QueryOrFileMissing', [], [], 2);
    keepStreamingGarbageYoung();
    const ledgerDir = resolve(flags['ledger-dir'] ?? defaultLedgerDir());
    const runId = flags.resume ?? newRunId();
    const ctx: ExportErrorContext = { bin: this.config.bin, runId, runDir: join(ledgerDir, runId), ledgerDir, defaultLedger: !flags['ledger-dir'] };
    const progress = exportProgress({ json: this.jsonEnabled(), runId, log: (line) => this.log(line) });
    const http = orgHttp(flags['target-org'].getConnection(flags['api-version']));
    const deps = exportDeps(http, { onEvent: (e: ExportEvent) => progress.on(e), retryMinutes: flags['retry-minutes'], stop: stop.token });
    let result: ExportResult;
    try {
      const work = flags.resume
        ? resumeExport(deps, ctx.runDir)
        : startExport(deps, {
            query: flags.query!,
            allRows: flags['all-rows'],
            output: resolve(flags['output-file']!),
            format: flags.format as ExportFormat,
            columnDelimiter: flags['column-delimiter'] as ColumnDelimiter,
            lineEnding: flags['line-ending'] as LineEnding,
            ...(flags['max-records-per-page'] ? { maxRecords: flags['max-records-per-page'] } : {}),
            ...(forLoad ? { forLoad } : {}),
            runId,
            ledgerDir,
          });
      result = await stop.within(work);
    } catch (e) {
      if (stop.stoppedBy) throw exportInterruptedError(stop.stoppedBy, ctx);
      throw exportError(e, ctx);
    }
    progress.done(result);
    return result;
  }
}

function forLoadOf(operation: 'update' | 'upsert' | undefined, externalId: string | undefined, format: string): { operation: 'update' | 'upsert'; externalId?: string } | undefined {
  if (externalId && operation !== 'upsert') throw messages.createError('error.ExternalIdNeedsUpsert', [], [], 2);
  if (!operation) return undefined;
  if (operation === 'upsert' && !externalId) throw messages.createError('error.UpsertNeedsExternalId', [], [], 2);
  if (format !== 'csv') throw messages.createError('error.ForLoadNeedsCsv', [], [], 2);
  return { operation, ...(externalId ? { externalId } : {}) };
}
