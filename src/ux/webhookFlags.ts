/*
 * The webhook URLs of `sf bulkops monitor`: checked to be URLs without ever being repeated (a
 * webhook URL is a secret), and an error that would repeat one (oclif echoes a stray argument) with
 * each replaced before it is printed, put in --json or written to sf's log.
 */
import { Messages, SfError } from '@salesforce/core';
import type { Target } from '../core/monitor/monitorService.js';

/** The error itself when it names no secret; else a new one (no cause, no stack to repeat it) with each secret replaced. */
export function withoutSecrets<E extends Error & { exitCode?: number; actions?: string[]; oclif?: { exit?: number } }>(error: E, secrets: Array<string | undefined>): E | SfError {
  const found = secrets.map((x) => x?.trim()).filter((x): x is string => Boolean(x && x.length >= 8));
  const names = (text?: string): boolean => found.some((x) => text?.includes(x));
  if (!names(error.message) && !names(error.stack) && !(error.actions ?? []).some(names)) return error;
  const scrub = (text: string): string => found.reduce((t, x) => t.split(x).join('<webhook URL>'), text);
  return new SfError(scrub(error.message), error.name, (error.actions ?? []).map(scrub), error.oclif?.exit ?? error.exitCode ?? 1);
}

/** The webhooks given, each checked to be a URL (the error never repeats it: it is a secret). */
export function webhookTargets(urls: { slack?: string; webhook?: string }, messages: Messages<string>): Target[] {
  const out: Target[] = [];
  for (const kind of ['slack', 'webhook'] as const) {
    const url = urls[kind]?.trim();
    if (!url) continue;
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = '';
    }
    if (protocol !== 'https:' && protocol !== 'http:') throw messages.createError('error.badWebhook', [kind === 'slack' ? '--slack-webhook (BULKOPS_SLACK_WEBHOOK)' : '--webhook (BULKOPS_WEBHOOK)']);
    out.push({ kind, url });
  }
  return out;
}
