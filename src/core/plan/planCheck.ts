/*
 * --dry-run of a plan (and `plan validate` with an org): every step checked as a load's dry run
 * (headers, rows, against the describe; nothing sent, no run recorded), and every child row's
 * parent key looked for in what the earlier steps will load (their files) or, failing that, in the
 * org (a query on the key field, a hundred keys at a time). The earlier steps' keys are held in
 * memory while the plan is checked.
 */
import { join } from 'node:path';
import type { OrgHttp } from '../http/orgHttp.js';
import type { LoadEngine } from '../load/engine.js';
import { mappedSource, parentRefs, type ParentRef } from './parents.js';
import type { Plan, ResolvedStep } from './planFile.js';
import type { PlanResult, PlanStepResult } from './planResult.js';
import { stepRequest } from './planRun.js';

export type PlanCheckDeps = { engine: LoadEngine; http?: OrgHttp; now?: () => number };

const EXAMPLES = 10;
const KEYS_PER_QUERY = 100;

export async function checkPlan(deps: PlanCheckDeps, plan: Plan, opts: { ledgerDir: string; resultsDir: string }): Promise<PlanResult> {
  const now = deps.now ?? Date.now;
  const started = now();
  const steps: PlanStepResult[] = [];
  for (const step of plan.steps) {
    const resultsDir = join(opts.resultsDir, `${step.index}-${step.name.replace(/[^\w.-]/g, '_')}`);
    // eslint-disable-next-line no-await-in-loop -- step by step, as the plan runs
    const check = await deps.engine.check(stepRequest({}, step, `check-${step.index}`, [], resultsDir, opts.ledgerDir, 0));
    // eslint-disable-next-line no-await-in-loop -- the earlier steps' keys
    const missing = await missingParents(deps, step, await parentRefs(step, plan.steps.slice(0, step.index - 1), deps.engine.describe));
    steps.push({
      step: step.index,
      name: step.name,
      object: step.object,
      operation: step.operation,
      ...(step.externalId ? { externalId: step.externalId } : {}),
      status: 'Checked',
      rows: check.rows,
      successful: 0,
      failed: 0,
      unprocessed: 0,
      rejected: check.rejected,
      skipped: 0,
      resultsDir,
      missingParents: missing.rows,
      missingParentExamples: missing.examples,
      check,
    });
  }
  const finished = now();
  const sum = (k: 'rows' | 'rejected'): number => steps.reduce((n, s) => n + s[k], 0);
  return {
    status: 'Checked',
    planFile: plan.file,
    runDir: '',
    steps,
    rows: sum('rows'),
    successful: 0,
    failed: 0,
    unprocessed: 0,
    rejected: sum('rejected'),
    skipped: 0,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date(finished).toISOString(),
    elapsedMs: finished - started,
  };
}

/** The child rows whose parent key no earlier step's file holds and the org does not have. */
async function missingParents(deps: PlanCheckDeps, step: ResolvedStep, refs: ParentRef[]): Promise<{ rows: number; examples: Array<{ line: number; column: string; key: string }> }> {
  let rows = 0;
  const examples: Array<{ line: number; column: string; key: string }> = [];
  for (const ref of refs) {
    // eslint-disable-next-line no-await-in-loop -- one parent column at a time
    const known = await columnValues(ref.parent, ref.parentColumn);
    const unknown = new Map<string, Array<{ line: number }>>();
    for (const file of step.files) {
      // eslint-disable-next-line no-await-in-loop -- file by file
      const source = await mappedSource(step.transform, file);
      const at = source.header.findIndex((h) => h.toLowerCase() === ref.column.toLowerCase());
      for await (const batch of source.batches) {
        for (const r of batch) {
          const key = r.fields[at] ?? '';
          if (key === '' || known.has(key)) continue;
          const lines = unknown.get(key) ?? [];
          lines.push({ line: r.line });
          unknown.set(key, lines);
        }
      }
    }
    // eslint-disable-next-line no-await-in-loop -- the org's answer for this column's unknown keys
    const inOrg = await orgHas(deps.http, ref.parent.object, ref.parentColumn, [...unknown.keys()]);
    for (const [key, lines] of unknown) {
      if (inOrg.has(key)) continue;
      rows += lines.length;
      for (const l of lines) if (examples.length < EXAMPLES) examples.push({ line: l.line, column: ref.column, key });
    }
  }
  examples.sort((a, b) => a.line - b.line);
  return { rows, examples };
}

async function columnValues(step: ResolvedStep, column: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const file of step.files) {
    // eslint-disable-next-line no-await-in-loop -- file by file
    const source = await mappedSource(step.transform, file);
    const at = source.header.findIndex((h) => h.toLowerCase() === column.toLowerCase());
    for await (const batch of source.batches) for (const r of batch) if (r.fields[at]) out.add(r.fields[at]);
  }
  return out;
}

/** Which of the keys the org's records of `object` have in `field` (none asked without an org). */
async function orgHas(http: OrgHttp | undefined, object: string, field: string, keys: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (!http || !/^\w+$/.test(object) || !/^\w+$/.test(field)) return found;
  for (let i = 0; i < keys.length; i += KEYS_PER_QUERY) {
    const list = keys
      .slice(i, i + KEYS_PER_QUERY)
      .map((k) => `'${k.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
      .join(',');
    const q = `SELECT ${field} FROM ${object} WHERE ${field} IN (${list})`;
    // eslint-disable-next-line no-await-in-loop -- a hundred keys a query
    const page = await http.json<{ records: Array<Record<string, unknown>> }>({ method: 'GET', path: http.dataPath(`/query?q=${encodeURIComponent(q)}`) });
    for (const r of page.records) {
      const v = Object.entries(r).find(([k]) => k.toLowerCase() === field.toLowerCase())?.[1];
      if (typeof v === 'string') found.add(v);
    }
  }
  return found;
}
