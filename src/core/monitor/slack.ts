/*
 * One Slack message for a run's problems, however many (a digest, never a flood), within what an
 * incoming webhook accepts (Slack API: Block Kit, Section block; Sending messages using incoming
 * webhooks): at most 50 blocks, a section's text at most 3,000 characters, and the blocks' text
 * kept well under the ~12,000 characters past which Slack answers msg_blocks_too_long. Problems
 * are trimmed from the end with "N of M shown"; the closing action is always kept. `text` is the
 * notification's fallback (what a phone shows).
 */
import type { Problem, ProblemKind } from './problems.js';

export type SlackBlock = { type: 'section' | 'context' | 'divider'; text?: { type: 'mrkdwn'; text: string }; elements?: Array<{ type: 'mrkdwn'; text: string }> };
export type SlackMessage = { text: string; blocks: SlackBlock[] };
export type DigestContext = { orgId: string; org: string; since: string; until: string; bin: string };

export const MAX_PROBLEM_BLOCKS = 40;
export const MAX_SECTION_CHARS = 2900;
export const MAX_BLOCKS_CHARS = 10_000;

const TITLE: Record<ProblemKind, string> = {
  failed: 'Failed',
  aborted: 'Aborted',
  'failure-rate': 'Records failed over the threshold',
  'long-running': 'Running long',
  'unknown-source': 'Unknown source',
  'undeclared-operation': 'Not allowed by the inventory',
  'retired-active': 'Retired integration ran',
  'apex-failed': 'Async Apex failed',
};

/** Slack's mrkdwn reads &, < and > as markup. */
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);

function problemText(p: Problem): string {
  const head = [p.api === 'AsyncApex' ? [p.jobType, p.apexClass, p.method].filter(Boolean).join(' ') : `${p.operation ?? ''} ${p.object ?? ''}`.trim(), `job ${p.jobId}`].join(' · ');
  const counts = p.processed === undefined ? (p.errors !== undefined ? `${p.errors} errors` : undefined) : `${p.processed} processed, ${p.failed ?? 0} failed${p.failureRate !== undefined ? ` (${(p.failureRate * 100).toFixed(1)}%)` : ''}`;
  const lines = [
    `*${TITLE[p.kind]}*: ${esc(head)}`,
    esc(p.message),
    [`User: ${esc(p.user)}`, `Integration: ${esc(p.integration ?? 'none')}`, counts ? `Records: ${counts}` : undefined].filter(Boolean).join(' · '),
    ...(p.firstError ? [`First error: ${esc(cut(p.firstError, 500))}`] : []),
    `\`${esc(p.action)}\``,
  ];
  return cut(lines.join('\n'), MAX_SECTION_CHARS);
}

function countsByKind(problems: Problem[]): string {
  const n = new Map<ProblemKind, number>();
  for (const p of problems) n.set(p.kind, (n.get(p.kind) ?? 0) + 1);
  return [...n].map(([k, c]) => `${c} ${TITLE[k].toLowerCase()}`).join(', ');
}

export function slackDigest(problems: Problem[], ctx: DigestContext): SlackMessage {
  const title = `bulkops monitor: ${problems.length} problem${problems.length === 1 ? '' : 's'} in org ${ctx.org} (${ctx.orgId})`;
  const header: SlackBlock = { type: 'section', text: { type: 'mrkdwn', text: cut(`*${esc(title)}*\n${countsByKind(problems)}; checked ${ctx.since} to ${ctx.until}`, MAX_SECTION_CHARS) } };
  const action: SlackBlock = {
    type: 'section',
    text: { type: 'mrkdwn', text: esc(`All of the org's jobs to look at: \`${ctx.bin} bulkops jobs --target-org ${ctx.org} --review-only\``) },
  };
  const rows = problems.map((p): SlackBlock => ({ type: 'section', text: { type: 'mrkdwn', text: problemText(p) } }));
  const size = (b: SlackBlock): number => b.text?.text.length ?? 0;
  let budget = MAX_BLOCKS_CHARS - size(header) - size(action) - 100;
  const shown: SlackBlock[] = [];
  for (const r of rows) {
    if (shown.length >= MAX_PROBLEM_BLOCKS || size(r) > budget) break;
    budget -= size(r);
    shown.push(r);
  }
  const more: SlackBlock[] = shown.length < rows.length ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `${shown.length} of ${rows.length} shown` }] }] : [];
  const text = cut(`${title}: ${countsByKind(problems)}`, 3000);
  return { text, blocks: [header, { type: 'divider' }, ...shown, ...more, { type: 'divider' }, action] };
}
