/*
 * The integration inventory (bulkops-inventory.yaml): which integrations may run Bulk API jobs in
 * an org, who owns them, how they are recognised and what they may do. One zod schema holds the
 * rules; schemas/inventory/bulkops-inventory.schema.json (for editors) is generated from it, and
 * validate.ts adds the rules a JSON schema cannot say (unique names, a source in one entry only).
 */
import { z } from 'zod';

export const OPERATIONS = ['insert', 'update', 'upsert', 'delete', 'hardDelete', 'query', 'queryAll'] as const;
export const CADENCES = ['hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly', 'on-demand'] as const;
export const STATUSES = ['active', 'paused', 'retired'] as const;

export type Operation = (typeof OPERATIONS)[number];
export type Cadence = (typeof CADENCES)[number];

/** How long an integration of each cadence may go without a job before it is dormant (days). */
export const CADENCE_DAYS: Record<Cadence, number | undefined> = {
  hourly: 1,
  daily: 2,
  weekly: 8,
  monthly: 32,
  quarterly: 93,
  yearly: 366,
  'on-demand': undefined,
};

const text = z.string().trim().min(1);
const names = z.array(text).describe('matched case-insensitively');
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), { params: { key: 'date' } })
  .describe('a day as YYYY-MM-DD');

export const MatchSchema = z
  .strictObject({
    users: names.optional().describe('usernames of the users the jobs run as'),
    connectedApps: names.optional().describe('connected app names, as Setup shows them'),
    clients: names.optional().describe('client names sent in the Sforce-Call-Options header'),
  })
  .refine((m) => (m.users?.length ?? 0) + (m.connectedApps?.length ?? 0) + (m.clients?.length ?? 0) > 0, { params: { key: 'emptyMatch' } })
  .describe('any of these attributes a job to the entry');

export const AllowedSchema = z.strictObject({
  object: text.describe('API name of the object'),
  operations: z.array(z.enum(OPERATIONS)).min(1),
});

export const IntegrationSchema = z.strictObject({
  name: text,
  owner: z
    .strictObject({ team: z.string().optional(), contact: z.string().optional() })
    .optional()
    .describe('left empty by inventory init: the audit reports entries without an owner'),
  purpose: z.string().optional(),
  match: MatchSchema,
  allowed: z.array(AllowedSchema).optional().describe('objects and operations the integration may use; anything else is a finding'),
  cadence: z.enum(CADENCES).describe('how often it runs: no job within this period makes it dormant'),
  status: z.enum(STATUSES).optional().describe('default active; any job of a retired integration is a finding'),
});

export const ExceptionSchema = z.strictObject({
  match: MatchSchema,
  reason: text,
  until: day.optional().describe('last day the exception holds'),
});

export const InventorySchema = z.strictObject({
  version: z.literal(1),
  org: z.string().optional().describe('a label; the org itself comes from --target-org'),
  reviewed: day.optional().describe('the last review: the audit flags an inventory not reviewed for more than 90 days'),
  integrations: z.array(IntegrationSchema),
  exceptions: z.array(ExceptionSchema).optional(),
});

export type Inventory = z.infer<typeof InventorySchema>;
export type Integration = z.infer<typeof IntegrationSchema>;
export type InventoryMatch = z.infer<typeof MatchSchema>;

/** The JSON schema editors use (YAML language servers read it); committed in schemas/inventory/. */
/**
 * Whether an integration's entry allows a job on `object` with `operation` (objects by name, in any
 * case). An entry with no allowed list allows everything: the audit and the monitor ask it alike.
 */
export function allowsJob(integration: Pick<Integration, 'allowed'>, object: string, operation: string): boolean {
  return !integration.allowed || integration.allowed.some((a) => a.object.toLowerCase() === object.toLowerCase() && a.operations.some((o) => o === operation));
}

export function inventoryJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(InventorySchema, { target: 'draft-7', io: 'input' }),
    $id: 'https://github.com/plugin-bulkops/schemas/inventory/bulkops-inventory.schema.json',
    title: 'bulkops integration inventory',
  };
}
