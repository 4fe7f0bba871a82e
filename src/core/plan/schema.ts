/*
 * The load plan file's rules (YAML): steps run in order as one run, each loading one object. The
 * JSON schema in schemas/plan/ is written from these (scripts/plan-schema.ts, `npm run snapshots`).
 */
import { z } from 'zod';

export const PLAN_OPERATIONS = ['insert', 'update', 'upsert', 'delete'] as const;

const CellFormatSchema = z.strictObject({ date: z.string().optional(), datetime: z.string().optional(), timeZone: z.string().optional(), decimal: z.enum(['.', ',']).optional() });

export const PlanStepSchema = z.strictObject({
  /** shown in progress and used in the step's results folder (default: its object) */
  name: z.string().min(1).optional(),
  object: z.string().min(1),
  operation: z.enum(PLAN_OPERATIONS),
  externalId: z.string().min(1).optional(),
  /** one CSV file, or several with the same columns; relative to the plan file's folder */
  file: z.string().min(1).optional(),
  files: z.array(z.string().min(1)).min(1).optional(),
  concurrency: z.enum(['auto', 'parallel', 'serial']).optional(),
  /** insert and upsert: the assignment rule (an 01Q Id) the org applies to the records */
  assignmentRuleId: z.string().regex(/^01Q\w{12}(\w{3})?$/).optional(),
  /** a mapping file (.sdl as Data Loader writes it, YAML or JSON; relative to the plan), or the mapping itself */
  mapping: z
    .union([
      z.string().min(1),
      z.strictObject({
        columns: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
        constants: z.record(z.string(), z.string()).optional(),
        ignore: z.array(z.string()).optional(),
        formats: z.record(z.string(), CellFormatSchema).optional(),
      }),
    ])
    .optional(),
  dateFormat: z.string().min(1).optional(),
  datetimeFormat: z.string().min(1).optional(),
  /** an IANA time zone name, such as Europe/Paris */
  timeZone: z.string().min(1).optional(),
  decimalSeparator: z.enum(['.', ',']).optional(),
  blankAsNull: z.boolean().optional(),
});

export const PlanSchema = z.strictObject({
  version: z.literal(1).optional(),
  /** what a child row whose parent row failed in an earlier step becomes (default skip) */
  onParentFailure: z.enum(['skip', 'stop']).optional(),
  steps: z.array(PlanStepSchema).min(1),
});

export type PlanStep = z.infer<typeof PlanStepSchema>;
export type PlanFileContent = z.infer<typeof PlanSchema>;

/** The keys allowed at each level, for the closest name of an unknown one. */
export const PLAN_KEYS: Record<string, string[]> = {
  '': Object.keys(PlanSchema.shape),
  steps: Object.keys(PlanStepSchema.shape),
};

export function planJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(PlanSchema, { target: 'draft-7', io: 'input' }),
    $id: 'https://github.com/plugin-bulkops/schemas/plan/bulkops-plan.schema.json',
    title: 'bulkops load plan',
  };
}
