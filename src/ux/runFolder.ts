/*
 * The run folder a command works on: --run-id in the ledger folder, or --latest. The errors come
 * from the command's own messages (keys error.NoRun and error.NoRuns).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Messages } from '@salesforce/core';
import { latestRun } from '../core/ledger/runIndex.js';

export function runFolder(messages: Messages<string>, ledgerDir: string, flags: { 'run-id'?: string; latest?: boolean }): string {
  if (flags.latest) {
    const latest = latestRun(ledgerDir);
    if (!latest) throw messages.createError('error.NoRuns', [ledgerDir]);
    return latest.runDir;
  }
  const runDir = join(ledgerDir, flags['run-id'] ?? '');
  if (!existsSync(join(runDir, 'ledger.jsonl'))) throw messages.createError('error.NoRun', [flags['run-id'], ledgerDir]);
  return runDir;
}
