/*
 * The EXIT CODES section of --help, worded per command in its messages file (keys exitCode.*).
 */
import { toHelpSection } from '@salesforce/sf-plugins-core';
import type { Messages } from '@salesforce/core';

export function exitCodesSection(messages: Messages<string>): ReturnType<typeof toHelpSection> {
  return toHelpSection('EXIT CODES', {
    'Succeeded (0)': messages.getMessage('exitCode.succeeded'),
    'Failed (1)': messages.getMessage('exitCode.failed'),
    'UsageError (2)': messages.getMessage('exitCode.usage'),
    'PartialSuccess (68)': messages.getMessage('exitCode.partial'),
    'StillRunning (69)': messages.getMessage('exitCode.running'),
  });
}

/** The EXIT CODES section of a command that never ends with 68 or 69 (keys exitCode.succeeded, failed, usage). */
export function simpleExitCodesSection(messages: Messages<string>): ReturnType<typeof toHelpSection> {
  return toHelpSection('EXIT CODES', {
    'Succeeded (0)': messages.getMessage('exitCode.succeeded'),
    'Failed (1)': messages.getMessage('exitCode.failed'),
    'UsageError (2)': messages.getMessage('exitCode.usage'),
  });
}

/** The EXIT CODES section of a command that ends with 68 when its result needs a look (keys exitCode.succeeded, failed, usage, partial). */
export function partialExitCodesSection(messages: Messages<string>): ReturnType<typeof toHelpSection> {
  return toHelpSection('EXIT CODES', {
    'Succeeded (0)': messages.getMessage('exitCode.succeeded'),
    'Failed (1)': messages.getMessage('exitCode.failed'),
    'UsageError (2)': messages.getMessage('exitCode.usage'),
    'PartialSuccess (68)': messages.getMessage('exitCode.partial'),
  });
}
