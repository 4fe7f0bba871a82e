/*
 * Reads a load plan file (YAML) and reports every problem with its file, line and column: YAML
 * syntax first, then the rules (schema.ts), then what ties the steps together (names unique, each
 * step's files there, an upsert's external ID). Line numbers come from the YAML node ranges, as for
 * the inventory file, so a problem points at the key the user has to change.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument } from 'yaml';
import type { core as zcore } from 'zod';
import { closestName } from '../preflight/closestName.js';
import { offsetOf, pathText } from '../inventory/validate.js';
import { lazyMessages } from '../lazyMessages.js';
import { CsvInputError } from '../csv/errors.js';
import { FormatError } from '../csv/formats.js';
import type { TransformSpec } from '../csv/mapping.js';
import { transformSpecOf } from '../load/transform.js';
import { PLAN_KEYS, PlanSchema, type PlanFileContent, type PlanStep } from './schema.js';

export const planMessages = lazyMessages(import.meta.url, 'core.plan');

export type PlanProblem = { line: number; column: number; path: string; message: string };

/** A step as the run takes it: its files made absolute, its name settled. */
export type ResolvedStep = Pick<PlanStep, 'object' | 'operation' | 'externalId' | 'assignmentRuleId'> & {
  index: number;
  name: string;
  files: string[];
  concurrency: 'auto' | 'parallel' | 'serial';
  /** the step's mapping and formats, its mapping file read */
  transform?: TransformSpec;
};

export type Plan = { file: string; sha256: string; onParentFailure: 'skip' | 'stop'; steps: ResolvedStep[] };

/** The plan file has problems: each one with its line and column (the message lists them). */
export class PlanFileError extends Error {
  public constructor(public readonly file: string, public readonly problems: PlanProblem[]) {
    super(problems.map((p) => `${file}:${p.line}:${p.column}${p.path ? ` ${p.path}` : ''}: ${p.message}`).join('\n'));
    this.name = 'PlanFileError';
  }
}

/** Reads and checks a plan file; any problem throws PlanFileError naming the file, line and column. */
export function readPlanFile(file: string): Plan {
  const path = resolve(file);
  if (!existsSync(path)) throw new PlanFileError(path, [{ line: 0, column: 0, path: '', message: planMessages.getMessage('notFound') }]);
  const text = readFileSync(path, 'utf8');
  const { plan, problems } = checkPlanText(text, dirname(path));
  if (!plan) throw new PlanFileError(path, problems);
  const sha256 = createHash('sha256').update(text).digest('hex');
  return {
    file: path,
    sha256,
    onParentFailure: plan.onParentFailure ?? 'skip',
    steps: plan.steps.map((s, i) => resolveStep(path, text, s, i)),
  };
}

function resolveStep(path: string, text: string, s: PlanStep, i: number): ResolvedStep {
  const base = dirname(path);
  let transform: TransformSpec | undefined;
  try {
    transform = transformSpecOf({ ...s, mapping: typeof s.mapping === 'string' ? resolve(base, s.mapping) : s.mapping });
  } catch (e) {
    if (!(e instanceof FormatError) && !(e instanceof CsvInputError)) throw e;
    // The step's line: a format or a mapping file that cannot be used is the plan's problem.
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines });
    const pos = lines.linePos(offsetOf(doc, ['steps', i]));
    throw new PlanFileError(path, [{ line: pos.line, column: pos.col, path: `steps[${i}]`, message: e.message }]);
  }
  return {
    object: s.object,
    operation: s.operation,
    ...(s.externalId ? { externalId: s.externalId } : {}),
    ...(s.assignmentRuleId ? { assignmentRuleId: s.assignmentRuleId } : {}),
    index: i + 1,
    name: s.name ?? s.object,
    files: (s.files ?? [s.file!]).map((f) => resolve(base, f)),
    concurrency: s.concurrency ?? 'auto',
    ...(transform ? { transform } : {}),
  };
}

/** The plan, when the text holds a valid one, and every problem found (files are looked for under `base`). */
export function checkPlanText(text: string, base: string): { plan?: PlanFileContent; problems: PlanProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): { line: number; column: number } => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) return { problems: doc.errors.map((e) => ({ ...at(e.pos[0]), path: '', message: e.message.split('\n')[0] })) };
  if (!isMap(doc.contents)) return { problems: [{ line: 1, column: 1, path: '', message: planMessages.getMessage('notAPlan') }] };
  const where = (path: PropertyKey[]): { line: number; column: number; path: string } => ({ ...at(offsetOf(doc, path)), path: pathText(path) });
  const problems: PlanProblem[] = [];
  const parsed = PlanSchema.safeParse(doc.toJS(), { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push({ ...where([...issue.path, key]), message: unknownKey(key, issue.path) });
      } else problems.push({ ...where(issue.path), message: describeIssue(issue) });
    }
  } else {
    for (const c of stepChecks(parsed.data, base)) problems.push({ ...where(c.path), message: c.message });
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return parsed.success && problems.length === 0 ? { plan: parsed.data, problems } : { problems };
}

function stepChecks(plan: PlanFileContent, base: string): Array<{ path: PropertyKey[]; message: string }> {
  const out: Array<{ path: PropertyKey[]; message: string }> = [];
  const names = new Map<string, number>();
  plan.steps.forEach((s, i) => {
    const name = (s.name ?? s.object).toLowerCase();
    const first = names.get(name);
    if (first !== undefined) out.push({ path: ['steps', i, s.name ? 'name' : 'object'], message: planMessages.getMessage('duplicateStep', [s.name ?? s.object, first + 1]) });
    else names.set(name, i);
    if (s.operation === 'upsert' && !s.externalId) out.push({ path: ['steps', i, 'operation'], message: planMessages.getMessage('externalIdRequired') });
    if (s.assignmentRuleId && s.operation !== 'insert' && s.operation !== 'upsert') out.push({ path: ['steps', i, 'assignmentRuleId'], message: planMessages.getMessage('assignmentRuleNotAllowed', [s.operation]) });
    if (s.operation !== 'upsert' && s.externalId) out.push({ path: ['steps', i, 'externalId'], message: planMessages.getMessage('externalIdNotAllowed', [s.operation]) });
    if (s.file === undefined && s.files === undefined) out.push({ path: ['steps', i], message: planMessages.getMessage('noFile') });
    if (s.file !== undefined && s.files !== undefined) out.push({ path: ['steps', i, 'files'], message: planMessages.getMessage('fileAndFiles') });
    const listed: Array<[PropertyKey[], string]> = s.files ? s.files.map((f, j) => [['steps', i, 'files', j], f]) : s.file ? [[['steps', i, 'file'], s.file]] : [];
    for (const [path, f] of listed) if (!existsSync(resolve(base, f))) out.push({ path, message: planMessages.getMessage('fileMissing', [resolve(base, f)]) });
  });
  return out;
}

function unknownKey(key: string, path: readonly PropertyKey[]): string {
  const level = path.some((p) => p === 'steps') ? 'steps' : '';
  const allowed = PLAN_KEYS[level];
  const close = closestName(key, allowed);
  return close ? planMessages.getMessage('unknownKeyClose', [key, close]) : planMessages.getMessage('unknownKey', [key, allowed.join(', ')]);
}

function describeIssue(issue: zcore.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if (input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return planMessages.getMessage('missing');
  if (issue.code === 'invalid_value') return planMessages.getMessage('notOneOf', [issue.values.map(String).join(', '), JSON.stringify(input)]);
  if (issue.code === 'invalid_type') return planMessages.getMessage('wrongType', [issue.expected, JSON.stringify(input)]);
  if (issue.code === 'too_small') return planMessages.getMessage('empty');
  return issue.message;
}
