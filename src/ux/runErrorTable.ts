/*
 * The README's table of the errors that end a run (between its run-errors markers), made from
 * messages/bulkops.runErrors.md and RUN_ERRORS so that it cannot drift from what the commands say:
 * a test compares the README with it.
 */
import { Messages } from '@salesforce/core';
import { RUN_ERROR_EXIT, RUN_ERRORS, type RunErrorKind } from './runEndError.js';
import { INTERRUPTED } from './interruptedError.js';
import { SIGNAL_EXIT_CODES } from './signalStop.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.runErrors');

export const TABLE_START = '<!-- run-errors:start (made from messages/bulkops.runErrors.md: test/unit/ux/runErrorTable.test.ts) -->';
export const TABLE_END = '<!-- run-errors:end -->';

/** Each kind's actions in the table, with a placeholder for what the message fills in. */
const ACTIONS: Record<RunErrorKind, Array<[key: string, tokens: string[], label?: string]>> = {
  session: [[RUN_ERRORS.session.actions, ['`<user>`']]],
  limit: [[RUN_ERRORS.limit.actions, []]],
  page: [[RUN_ERRORS.page.actions, []]],
  api: [[RUN_ERRORS.api.actions, []]],
  network: [[RUN_ERRORS.network.actions, []]],
  disk: [
    [RUN_ERRORS.disk.actions, ['`<space>`'], 'ENOSPC'],
    ['error.NoWriteAccess.actions', ['`<folder>`'], 'EACCES'],
    ['error.ReadOnlyFileSystem.actions', ['`<folder>`'], 'EROFS'],
    ['error.TooManyOpenFiles.actions', [], 'EMFILE'],
  ],
};

function retryableText(kind: RunErrorKind): string {
  const r = RUN_ERRORS[kind].retryable;
  return r === undefined ? 'when HTTP 5xx' : r ? 'yes' : 'no';
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The table, markers included. */
export function runErrorTable(): string {
  const rows = (Object.keys(RUN_ERRORS) as RunErrorKind[]).map((kind) => {
    const actions = ACTIONS[kind].flatMap(([key, tokens, label]) => messages.getMessages(key, tokens).map((a) => (label ? `${label}: ${a}` : a)));
    const goOn = messages.getMessage('run.goOn', ['`sf bulkops resume --run-id <run>`']);
    return `| \`${RUN_ERRORS[kind].name}\` | ${RUN_ERROR_EXIT} | ${cell(messages.getMessage(`table.${kind}`))} | ${retryableText(kind)} | ${cell([...actions, goOn].join(' '))} |`;
  });
  const goOn = messages.getMessage('run.goOn', ['`sf bulkops resume --run-id <run>`']);
  // A signal ends the run with its own exit code (signalStop.ts), and needs nothing done before the resume.
  const interrupted = `| \`${INTERRUPTED}\` | ${Object.values(SIGNAL_EXIT_CODES).sort().join(', ')} | ${cell(messages.getMessage('table.interrupted'))} | yes | ${cell(goOn)} |`;
  return [TABLE_START, messages.getMessage('table.header'), '|---|---|---|---|---|', ...rows, interrupted, TABLE_END].join('\n');
}
