import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';
import { readPlanFile, type Plan } from '../../../core/plan/planFile.js';
import type { PlanResult } from '../../../core/plan/planResult.js';
import { simpleExitCodesSection } from '../../../ux/exitCodes.js';
import { planErrorToSfError } from '../../../ux/planReport.js';
import { runPlan } from '../../../ux/planLoad.js';
import { SignalStop } from '../../../ux/signalStop.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.plan.validate');

export type BulkopsPlanValidateResult = {
  planFile: string;
  valid: boolean;
  steps: Array<{ step: number; name: string; object: string; operation: string; externalId?: string; files: string[]; concurrency: string }>;
  /** with --target-org: every step checked against the org, as load --plan --dry-run does */
  check?: PlanResult;
};

export default class BulkopsPlanValidate extends SfCommand<BulkopsPlanValidateResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = simpleExitCodesSection(messages);

  public static readonly flags = {
    plan: Flags.file({ char: 'p', required: true, exists: true, summary: messages.getMessage('flags.plan.summary') }),
    'target-org': Flags.optionalOrg({ summary: messages.getMessage('flags.target-org.summary') }),
    'api-version': Flags.orgApiVersion(),
    'results-dir': Flags.directory({ char: 'r', summary: messages.getMessage('flags.results-dir.summary') }),
    'ledger-dir': Flags.directory({ summary: messages.getMessage('flags.ledger-dir.summary') }),
  };

  public async run(): Promise<BulkopsPlanValidateResult> {
    const { flags } = await this.parse(BulkopsPlanValidate);
    let plan: Plan;
    try {
      plan = readPlanFile(resolve(flags.plan));
    } catch (e) {
      throw planErrorToSfError(e);
    }
    const result: BulkopsPlanValidateResult = {
      planFile: plan.file,
      valid: true,
      steps: plan.steps.map((s) => ({ step: s.index, name: s.name, object: s.object, operation: s.operation, ...(s.externalId ? { externalId: s.externalId } : {}), files: s.files, concurrency: s.concurrency })),
    };
    if (!flags['target-org']) {
      this.logSuccess(messages.getMessage('info.valid', [flags.plan, plan.steps.length]));
      return result;
    }
    const stop = new SignalStop({ graceMs: 0, notice: (): void => {} });
    result.check = await runPlan(this, flags.plan, { ...flags, 'dry-run': true, wait: { milliseconds: 0 }, stop });
    result.valid = process.exitCode === 0 || process.exitCode === undefined;
    if (!result.valid) process.exitCode = 1;
    return result;
  }
}
