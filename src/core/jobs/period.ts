/*
 * --since: a span back from now (30m, 12h, 7d, 13w) or a day or moment (2026-11-01, ISO 8601).
 */
import { orgNow } from '../http/orgClock.js';
import type { OrgHttp } from '../http/orgHttp.js';
import type { Retrier } from '../http/retry.js';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** The moment `text` names, or undefined when it names none. */
export function parseSince(text: string, now = Date.now()): number | undefined {
  const span = /^(\d+)\s*([mhdw])$/i.exec(text.trim());
  if (span) return now - Number(span[1]) * UNIT_MS[span[2].toLowerCase()];
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T00:00:00Z` : text.trim());
  return Number.isNaN(at) ? undefined : at;
}

/**
 * The org's time now and the moment `since` names on its clock (orgClock.ts): the windows of jobs,
 * monitor, audit and inventory init. `since` must already be known to parse (check it with
 * parseSince first, so a typo fails before any request).
 */
export async function windowOnOrgClock(http: OrgHttp, retry: Retrier, since: string | undefined): Promise<{ now: number; since: number | undefined }> {
  const { now } = await orgNow(http, retry);
  return { now, since: since === undefined ? undefined : parseSince(since, now) };
}
