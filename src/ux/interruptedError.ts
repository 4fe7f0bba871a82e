/*
 * The error a command stopped by a signal ends with (name InterruptedError, exit code per signal,
 * signalStop.ts): what the run had sent, read from its ledger as it is when the command stops, that
 * nothing is lost, and the resume command. Under --json it is the error object, with the same in `data`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Messages, SfError } from '@salesforce/core';
import { Ledger, LEDGER_FILE } from '../core/ledger/ledger.js';
import { type ChunkState, replay, type RunState } from '../core/ledger/records.js';
import { resumeCommand } from './loadReport.js';
import { rowsInOrg, type RunErrorData } from './runEndError.js';
import { SIGNAL_EXIT_CODES, type StopSignal } from './signalStop.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.stop');

export const INTERRUPTED = 'InterruptedError';

/** What a stopped run had sent: parts (and rows) the org has for processing, jobs that had ended. */
export type SentSoFar = { parts: number; rows: number; partsSent: number; rowsSent: number; batches?: number; jobsEnded: number; planned: boolean };

/** action and retryable as in the errors that end a run (runEndError.ts): the resume command, which needs nothing done first. */
export type InterruptedData = { signal: StopSignal; runId?: string; runDir?: string; sent?: SentSoFar; action?: string; retryable?: boolean; rows?: RunErrorData['rows'] };

/** A run that sends rows (load, resume, a reconcile round), stopped: its run folder tells what was sent. */
export function interruptedRunError(signal: StopSignal, run: { runDir: string; bin: string; ledgerDir: string; defaultLedger: boolean; goOnWith?: string }): SfError<InterruptedData> {
  const state = readRun(run.runDir);
  if (!state) return make(messages.getMessage('error.InterruptedBeforeRun', [signal]), [], { signal });
  const sent = sentSoFar(state);
  const runId = state.spec.runId;
  // A plan's step goes on through its plan (goOnWith), which resumes the step and then the rest.
  const action = resumeCommand(run.bin, run.goOnWith ?? runId, run);
  return make(messages.getMessage('error.Interrupted', [runId, signal, sentText(sent)]), [action], { signal, runId, runDir: run.runDir, sent, action, retryable: true, rows: rowsInOrg(state) });
}

/** A read-only command (jobs, audit), stopped. */
export function interruptedReadError(signal: StopSignal): SfError<InterruptedData> {
  return make(messages.getMessage('error.InterruptedRead', [signal]), [], { signal });
}

function make(message: string, actions: string[], data: InterruptedData): SfError<InterruptedData> {
  return SfError.create<InterruptedData>({ message, name: INTERRUPTED, actions, exitCode: SIGNAL_EXIT_CODES[data.signal], data });
}

function readRun(runDir: string): RunState | undefined {
  if (!existsSync(join(runDir, LEDGER_FILE))) return undefined;
  try {
    return replay(Ledger.read(runDir));
  } catch {
    // No run record yet (stopped as it was being written): nothing was sent.
    return undefined;
  }
}

/** The load's parts, or a reconcile round's when the load was done and a round is under way. */
export function sentSoFar(state: RunState): SentSoFar {
  const round = state.done ? state.attempts.at(-1) : undefined;
  const parts: ChunkState[] = (round ? round.chunks : state.chunks).filter(Boolean);
  const handed = parts.filter((c) => (state.spec.v1 ? (c.batches ?? []).some(Boolean) : c.closed));
  return {
    parts: parts.length,
    rows: round ? round.rows : state.rows,
    partsSent: handed.length,
    rowsSent: handed.reduce((n, c) => n + c.chunk.rows, 0),
    ...(state.spec.v1 ? { batches: parts.reduce((n, c) => n + (c.batches ?? []).filter(Boolean).length, 0) } : {}),
    jobsEnded: parts.filter((c) => c.terminal).length,
    planned: state.planned,
  };
}

function sentText(s: SentSoFar): string {
  if (!s.planned) return s.parts === 0 ? messages.getMessage('sent.nothing') : messages.getMessage('sent.notPlanned', [s.parts]);
  const n = (x: number): string => x.toLocaleString('en-US');
  if (s.batches !== undefined) return messages.getMessage('sent.v1', [n(s.batches), n(s.partsSent), n(s.jobsEnded)]);
  return messages.getMessage('sent.rows', [n(s.rowsSent), n(s.rows), n(s.partsSent), n(s.parts), n(s.jobsEnded)]);
}
