import { resolve } from 'node:path';
import { Flags, SfCommand } from '@salesforce/sf-plugins-core';
import { Messages, SfError } from '@salesforce/core';
import { checkInventoryFile, InventoryFileError, InventoryProblem } from '../../../core/inventory/validate.js';
import { simpleExitCodesSection } from '../../../ux/exitCodes.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.inventory.validate');

export type BulkopsInventoryValidateResult = {
  file: string;
  valid: boolean;
  integrations: number;
  exceptions: number;
  /** every problem, in file order */
  problems: InventoryProblem[];
};

export default class BulkopsInventoryValidate extends SfCommand<BulkopsInventoryValidateResult> {
  public static readonly summary = messages.getMessage('summary');
  public static readonly description = messages.getMessage('description');
  public static readonly examples = messages.getMessages('examples');

  public static readonly errorCodes = simpleExitCodesSection(messages);

  public static readonly flags = {
    file: Flags.file({ char: 'f', required: true, summary: messages.getMessage('flags.file.summary') }),
  };

  public async run(): Promise<BulkopsInventoryValidateResult> {
    const { flags } = await this.parse(BulkopsInventoryValidate);
    const file = resolve(flags.file);
    let check;
    try {
      check = checkInventoryFile(file);
    } catch (e) {
      if (e instanceof InventoryFileError) throw new SfError(e.message, 'InventoryFileError', e.actions, 1);
      throw e;
    }
    const result: BulkopsInventoryValidateResult = {
      file,
      valid: check.inventory !== undefined,
      integrations: check.inventory?.integrations.length ?? 0,
      exceptions: check.inventory?.exceptions?.length ?? 0,
      problems: check.problems,
    };
    if (result.valid) {
      this.logSuccess(messages.getMessage('info.valid', [flags.file, result.integrations, result.exceptions]));
      return result;
    }
    for (const p of check.problems) this.log(`${flags.file}:${p.line}:${p.column}  ${p.path ? `${p.path}: ` : ''}${p.message}`);
    this.log('');
    const error = messages.createError('error.invalid', [flags.file, check.problems.length]);
    this.logToStderr(`${error.message}\n${error.actions?.join('\n') ?? ''}`);
    process.exitCode = 1;
    return result;
  }
}
