/*
 * SIGINT (Ctrl-C), SIGTERM (a CI cancel, `kill`) and SIGHUP (the terminal closed) stop a command
 * cleanly. Node's default for these signals ends the process at once; a listener replaces that
 * default (Node.js documentation: Process, Signal events), which SfCommand uses to throw an exit
 * from its listener: an uncaught ExitError and its stack. A command that sends rows takes the
 * signals over instead:
 * - the first asks the run to stop (StopToken): no new job, upload or batch starts, waits wake at
 *   once, and the requests already sent get `graceMs` to be answered (their answers go to the
 *   ledger); then the command ends with its interrupted error (interruptedError.ts);
 * - a second one ends it at once, requests in flight or not: the ledger is written before each
 *   request, so the resume settles them, as after a crash.
 * A read-only command (graceMs 0) ends at the first signal.
 */
import { Messages } from '@salesforce/core';
import { StoppedError, StopToken } from '../core/runtime/stopToken.js';

Messages.importMessagesDirectoryFromMetaUrl(import.meta.url);
const messages = Messages.loadMessages('plugin-bulkops', 'bulkops.stop');

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** 128 + the signal's number (SIGHUP 1, SIGINT 2, SIGTERM 15), the code a shell gives a process a signal ended. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** How long requests in flight get after a stop: SF_BULKOPS_STOP_GRACE_SECONDS, else 10 s. */
export function stopGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const s = Number(env.SF_BULKOPS_STOP_GRACE_SECONDS ?? '');
  return env.SF_BULKOPS_STOP_GRACE_SECONDS !== undefined && env.SF_BULKOPS_STOP_GRACE_SECONDS !== '' && s >= 0 ? s * 1000 : 10_000;
}

/** The lines said at a signal go to stderr: stdout may be --json's, and a CI log shows both. */
export function stopNotice(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Runs SfCommand's _run with its own listeners for these signals taken off again (they are added
 * as _run starts, before its first await), so the command's own stop is the only one.
 */
export function withOwnStopSignals<R>(run: () => Promise<R>): Promise<R> {
  const before = new Map(STOP_SIGNALS.map((s) => [s, new Set(process.listeners(s))]));
  const running = run();
  for (const s of STOP_SIGNALS) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
  return running;
}

export class SignalStop {
  public readonly token = new StopToken();
  private signal?: StopSignal;
  private cutShort?: () => void;
  private readonly cut: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Map<StopSignal, () => void>();

  /** `notice`: where the lines said at a signal go (stderr: stdout may be --json's). */
  public constructor(private readonly opts: { graceMs: number; notice: (line: string) => void }) {
    this.cut = new Promise<void>((resolve) => (this.cutShort = resolve));
  }

  /** The signal that stopped the command, if one did. */
  public get stoppedBy(): StopSignal | undefined {
    return this.signal;
  }

  public arm(): this {
    for (const s of STOP_SIGNALS) {
      const listener = (): void => this.on(s);
      this.listeners.set(s, listener);
      process.on(s, listener);
    }
    return this;
  }

  public disarm(): void {
    for (const [s, l] of this.listeners) process.off(s, l);
    this.listeners.clear();
    clearTimeout(this.timer);
  }

  /**
   * What `work` gives. After a signal it gets the grace period (none on a second signal) and then
   * throws StoppedError, still running: the command ends, and with it the process.
   */
  public async within<T>(work: Promise<T>): Promise<T> {
    // Past the grace period nobody waits for it: its later failure is not the command's.
    work.catch(() => undefined);
    const cut = this.cut.then(() => {
      throw new StoppedError(this.signal!);
    });
    cut.catch(() => undefined);
    return Promise.race([work, cut]);
  }

  private on(s: StopSignal): void {
    if (this.signal) {
      this.opts.notice(messages.getMessage('stoppingNow', [s]));
      this.cutShort?.();
      return;
    }
    this.signal = s;
    this.token.stop(s);
    if (this.opts.graceMs <= 0) {
      this.cutShort?.();
      return;
    }
    this.opts.notice(messages.getMessage('stopping', [s, Math.round(this.opts.graceMs / 1000)]));
    this.timer = setTimeout(() => {
      this.opts.notice(messages.getMessage('graceOver', [Math.round(this.opts.graceMs / 1000)]));
      this.cutShort?.();
    }, this.opts.graceMs);
    // The grace period alone never keeps the process up: the run ending first ends the command.
    this.timer.unref();
  }
}
