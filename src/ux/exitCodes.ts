/*
 * The EXIT CODES section of --help, worded per command in its messages file (keys exitCode.*).
 */
import { toHelpSection } from '@salesforce/sf-plugins-core';
import { Messages } from '@salesforce/core';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const stopMessages = Messages.loadMessages('plugin-bulkops', 'bulkops.stop');

/**
 * A command stopped by SIGINT, SIGTERM or SIGHUP exits 128 + the signal's number (signalStop.ts):
 * 'sends' for a command that sends rows (the resume command follows), 'reads' for a read-only one.
 */
export type Interruptible = 'sends' | 'reads';

function interrupted(kind: Interruptible | undefined): Record<string, string> {
  return kind ? { 'Interrupted (130, 143, 129)': stopMessages.getMessage(`exitCode.interrupted.${kind}`) } : {};
}

export function exitCodesSection(messages: Messages<string>, signals?: Interruptible): ReturnType<typeof toHelpSection> {
  return toHelpSection('EXIT CODES', {
    'Succeeded (0)': messages.getMessage('exitCode.succeeded'),
    'Failed (1)': messages.getMessage('exitCode.failed'),
    'UsageError (2)': messages.getMessage('exitCode.usage'),
    'PartialSuccess (68)': messages.getMessage('exitCode.partial'),
    'StillRunning (69)': messages.getMessage('exitCode.running'),
    ...interrupted(signals),
  });
}

/** The EXIT CODES section of a command that never ends with 68 or 69 (keys exitCode.succeeded, failed, usage). */
export function simpleExitCodesSection(messages: Messages<string>, signals?: Interruptible): ReturnType<typeof toHelpSection> {
  return toHelpSection('EXIT CODES', {
    'Succeeded (0)': messages.getMessage('exitCode.succeeded'),
    'Failed (1)': messages.getMessage('exitCode.failed'),
    'UsageError (2)': messages.getMessage('exitCode.usage'),
    ...interrupted(signals),
  });
}

/** The EXIT CODES section of a command that ends with 68 when its result needs a look (keys exitCode.succeeded, failed, usage, partial). */
export function partialExitCodesSection(messages: Messages<string>, signals?: Interruptible): ReturnType<typeof toHelpSection> {
  return toHelpSection('EXIT CODES', {
    'Succeeded (0)': messages.getMessage('exitCode.succeeded'),
    'Failed (1)': messages.getMessage('exitCode.failed'),
    'UsageError (2)': messages.getMessage('exitCode.usage'),
    'PartialSuccess (68)': messages.getMessage('exitCode.partial'),
    ...interrupted(signals),
  });
}
