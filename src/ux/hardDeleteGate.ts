/*
 * The confirmation a hardDelete needs: records skip the Recycle Bin, so the user must say how many
 * rows of which object they mean to destroy. Interactive: typed at a prompt; scripted (--json,
 * --no-prompt, no terminal): --confirm-hard-delete with the exact row count.
 */
import type { Connection } from '@salesforce/core';
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

/** A production org: not a sandbox and no trial end (scratch and trial orgs have one). Unknown counts as production. */
export async function isProductionOrg(conn: Connection): Promise<boolean> {
  const result = await conn.query<{ IsSandbox: boolean; TrialExpirationDate: string | null }>('SELECT IsSandbox, TrialExpirationDate FROM Organization');
  const org = result.records[0];
  return !org || (!org.IsSandbox && !org.TrialExpirationDate);
}
