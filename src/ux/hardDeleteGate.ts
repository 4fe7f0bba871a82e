/*
 * The confirmation a hardDelete needs: records skip the Recycle Bin, so the user must say how many
 * rows of which object they mean to destroy. Interactive: typed at a prompt; scripted (--json,
 * --no-prompt, no terminal): --confirm-hard-delete with the exact row count.
 */
import { Messages } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.load');

type Gate = {
  given?: number;
  interactive: boolean;
  isProduction: () => Promise<boolean>;
  warn: (text: string) => void;
  ask: (question: string) => Promise<string>;
};

export function hardDeleteGate(gate: Gate): (info: { rows: number; object: string }) => Promise<boolean> {
  return async ({ rows, object }) => {
    const production = await gate.isProduction().catch(() => true);
    gate.warn(messages.getMessage(production ? 'warn.hardDeleteProduction' : 'warn.hardDelete', [rows, object]));
    if (gate.given !== undefined) {
      if (gate.given !== rows) throw messages.createError('error.HardDeleteCountMismatch', [gate.given, rows], [rows]);
      return true;
    }
    if (!gate.interactive) throw messages.createError('error.HardDeleteNotConfirmed', [rows, object], [rows]);
    const answer = (await gate.ask(messages.getMessage('prompt.hardDelete', [object, rows]))).trim();
    if (answer !== `${object} ${rows}`) throw messages.createError('error.HardDeleteAnswer', [answer, `${object} ${rows}`]);
    return true;
  };
}
