/*
 * The body a generic JSON webhook receives (schemas/webhook/bulkops-monitor-alert.schema.json):
 * every problem of the run in full, for a receiver that routes or files them itself.
 */
import type { Problem } from './problems.js';

export const WEBHOOK_SCHEMA_ID = 'bulkops-monitor-alert/1';

export type WebhookPayload = {
  schema: typeof WEBHOOK_SCHEMA_ID;
  orgId: string;
  /** the username the monitor ran as */
  org: string;
  /** the period checked (ISO 8601) */
  since: string;
  until: string;
  problems: Problem[];
};

export function webhookPayload(problems: Problem[], ctx: { orgId: string; org: string; since: string; until: string }): WebhookPayload {
  return { schema: WEBHOOK_SCHEMA_ID, orgId: ctx.orgId, org: ctx.org, since: ctx.since, until: ctx.until, problems };
}
