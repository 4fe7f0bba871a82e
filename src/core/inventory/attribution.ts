/*
 * Which inventory entry a job belongs to: the integration whose match names the job's user,
 * connected app or client name (compared without case; the user first), else an exception that
 * holds on the job's day.
 */
import type { Integration, Inventory, InventoryMatch } from './schema.js';

export type JobSource = { username?: string; connectedApp?: string; client?: string };
export type Attribution = { integration?: Integration; exception?: NonNullable<Inventory['exceptions']>[number] };

const has = (list: string[] | undefined, value: string | undefined): boolean => value !== undefined && value !== '' && (list ?? []).some((v) => v.toLowerCase() === value.toLowerCase());

export function matches(match: InventoryMatch, src: JobSource): boolean {
  return has(match.users, src.username) || has(match.connectedApps, src.connectedApp) || has(match.clients, src.client);
}

export function attribute(inv: Inventory, src: JobSource, day: string): Attribution {
  const integration =
    inv.integrations.find((i) => has(i.match.users, src.username)) ??
    inv.integrations.find((i) => has(i.match.connectedApps, src.connectedApp)) ??
    inv.integrations.find((i) => has(i.match.clients, src.client));
  if (integration) return { integration };
  const exception = (inv.exceptions ?? []).find((e) => matches(e.match, src) && (!e.until || day <= e.until));
  return exception ? { exception } : {};
}
