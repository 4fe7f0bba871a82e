/*
 * One line per round of rows sent again (the live display, and the summary of a load or reconcile).
 */
import { Messages } from '@salesforce/core';
import type { LoadEvent, RoundSummary } from '../core/run/types.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.progress');

export function roundKindText(kind: RoundSummary['kind']): string {
  return messages.getMessage(`roundKind.${kind}`);
}

/** The line of a round event, or undefined for other events. */
export function roundEventLine(e: LoadEvent): string | undefined {
  if (e.type === 'round') return messages.getMessage('round', [e.round, roundKindText(e.kind), e.rows, e.serial ? messages.getMessage('round.oneAtATime') : '']);
  if (e.type === 'round-done') return messages.getMessage('roundDone', [e.round, e.rows, e.succeeded, e.failed, e.unprocessed]);
  return undefined;
}
