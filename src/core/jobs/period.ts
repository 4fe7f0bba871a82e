/*
 * --since: a span back from now (30m, 12h, 7d, 13w) or a day or moment (2026-11-01, ISO 8601).
 */
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** The moment `text` names, or undefined when it names none. */
export function parseSince(text: string, now = Date.now()): number | undefined {
  const span = /^(\d+)\s*([mhdw])$/i.exec(text.trim());
  if (span) return now - Number(span[1]) * UNIT_MS[span[2].toLowerCase()];
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined;
  const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T00:00:00Z` : text.trim());
  return Number.isNaN(at) ? undefined : at;
}
