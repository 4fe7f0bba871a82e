import { join, resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages, Org } from '@salesforce/core';
import { LoadEvent, LoadResult } from '../../core/run/types.js';
import { Ledger } from '../../core/ledger/ledger.js';
import { replay } from '../../core/ledger/records.js';
import { isExportRun } from '../../core/export/pageLedger.js';
import { engineFor } from '../../core/load/engineFactory.js';
import { loadDisplay } from '../../ux/loadStages.js';
import { exitCodesSection } from '../../ux/exitCodes.js';
import { eventWarning } from '../../ux/loadWarnings.js';
import { reportLoad } from '../../ux/loadReport.js';
import { runEndError } from '../../ux/runEndError.js';
import { runFolder } from '../../ux/runFolder.js';
import { SignalStop, stopGraceMs, stopNotice, withOwnStopSignals } from '../../ux/signalStop.js';
import { interruptedRunError } from '../../ux/interruptedError.js';
import { isPlanRun } from '../../core/plan/planLedger.js';
import type { PlanResult } from '../../core/plan/planResult.js';
import { goOnWithPlan } from '../../ux/planLoad.js';
import { defaultLedgerDir } from './load.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.resume');

export type BulkopsResumeResult = LoadResult | PlanResult;

export default class BulkopsResume extends SfCommand<BulkopsResumeResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = exitCodesSection(messages, 'sends');

  public static readonly flags = {
    'run-id': Flags.string({ summary: messages.getMessage('flags.run-id.summary'), exactlyOne: ['run-id', 'latest'] }),
    latest: Flags.boolean({ summary: messages.getMessage('flags.latest.summary'), exactlyOne: ['run-id', 'latest'] }),
    wait: Flags.duration({ char: 'w', unit: 'minutes', defaultValue: 60, min: 0, summary: messages.getMessage('flags.wait.summary') }),
    'ledger-dir': Flags.directory({ summary: messages.getMessage('flags.ledger-dir.summary') }),
    'target-org': Flags.optionalOrg({ summary: messages.getMessage('flags.target-org.summary') }),
    'api-version': Flags.orgApiVersion(),
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

  public async run(): Promise<BulkopsResumeResult> {
    const stop = new SignalStop({ graceMs: stopGraceMs(), notice: stopNotice }).arm();
    try {
      return await this.resume(stop);
    } finally {
      stop.disarm();
    }
  }

  private async resume(stop: SignalStop): Promise<BulkopsResumeResult> {
    const { flags } = await this.parse(BulkopsResume);
    const ledgerDir = resolve(flags['ledger-dir'] ?? defaultLedgerDir());
    const target = flags['run-id'] ? join(ledgerDir, flags['run-id']) : runFolder(messages, ledgerDir, flags);
    // A plan's run (--latest names the plan of its latest step): its steps in order, the one under way resumed through its own run.
    if (isPlanRun(target)) return goOnWithPlan(this, target, { ...flags, stop }, 'resume');
    // An export run goes on with the export command (its result is an export's, not a load's).
    if (flags['run-id'] && isExportRun(target)) {
      throw messages.createError('error.ExportRun', [flags['run-id']], [`${this.config.bin} bulkops export --resume ${flags['run-id']}${flags['ledger-dir'] ? ` --ledger-dir "${ledgerDir}"` : ''}`]);
    }
    const runDir = flags['run-id'] ? runFolder(messages, ledgerDir, flags) : target;
    // A record torn by a crash mid-write is ignored here; the engine cuts it off once it holds the run's lock.
    const state = replay(Ledger.read(runDir));
    const org = flags['target-org'] ?? (await Org.create({ aliasOrUsername: state.spec.org.username }));
    if (org.getOrgId().slice(0, 15) !== state.spec.org.orgId.slice(0, 15)) {
      throw messages.createError('error.OtherOrg', [state.spec.runId, state.spec.org.orgId, org.getOrgId()], [state.spec.org.orgId]);
    }
    const display = await loadDisplay({ json: this.jsonEnabled(), file: state.spec.files.join(', '), log: (line) => this.log(line) });
    const { engine, http } = engineFor(org.getConnection(flags['api-version']), { onEvent: (e): void => this.onEvent(e, display), retryMinutes: flags['retry-minutes'], stop: stop.token });
    let result: LoadResult;
    try {
      result = await stop.within(engine.resume(runDir, flags.wait.milliseconds));
    } catch (e) {
      display.finish(false);
      if (stop.stoppedBy) throw interruptedRunError(stop.stoppedBy, { runDir, bin: this.config.bin, ledgerDir, defaultLedger: !flags['ledger-dir'] });
      throw await runEndError(e, { bin: this.config.bin, ledgerDir, defaultLedger: !flags['ledger-dir'], runDir, http });
    }
    display.finish(true);
    process.exitCode = reportLoad(this, result, { waited: true, ledgerDir, defaultLedger: !flags['ledger-dir'] });
    return result;
  }

  /** A load's event: drawn, and a warning one given to warn() too (stderr, or the JSON's warnings). */
  private onEvent(e: LoadEvent, display: { on: (e: LoadEvent) => void }): void {
    const warning = eventWarning(e);
    if (warning) this.warn(warning);
    display.on(e);
  }
}
