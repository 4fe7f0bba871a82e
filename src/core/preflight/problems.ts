/*
 * What preflight finds, and the summary a user reads: how many of each kind, with a few examples
 * each, so a file with a million bad rows gives a short report and not a million lines.
 */
import type { IngestOperation } from '../bulk/types.js';

export type ProblemKind =
  // header (scope 'job'): Salesforce would fail the whole job, or every row
  | 'operation-not-allowed'
  | 'unknown-field'
  | 'not-createable'
  | 'not-updateable'
  | 'missing-id-column'
  | 'missing-external-id-column'
  | 'external-id-not-indexed'
  | 'bad-relationship'
  // 'missing-required' is a header problem when the column is absent, a row problem when the cell is empty
  | 'missing-required'
  // rows (scope 'row'): Salesforce would fail that row
  | 'ragged-row'
  | 'duplicate-external-id'
  | 'missing-external-id'
  | 'missing-id'
  | 'malformed-id'
  | 'id-on-insert'
  | 'bad-number'
  | 'number-out-of-range'
  | 'bad-date'
  | 'bad-datetime'
  | 'bad-boolean'
  | 'too-long'
  | 'bad-picklist'
  | 'bad-email';

export type ProblemScope = 'job' | 'row';

export type Problem = {
  kind: ProblemKind;
  /** 'job': found in the header, the load must not start; 'row': only this row would fail */
  scope: ProblemScope;
  /** the input line (the header's line for job problems) */
  line: number;
  /** the header column, as written in the file */
  field?: string;
  /** the cell, cut to a readable length */
  value?: string;
  /** what is wrong and what to do, without the location (e.g. for a reason column next to the row) */
  detail: string;
  /** the whole text a user reads: `file:line (field): detail` */
  message: string;
};

export type ProblemExample = Pick<Problem, 'line' | 'field' | 'value' | 'message'>;

export type KindSummary = {
  kind: ProblemKind;
  scope: ProblemScope;
  count: number;
  examples: ProblemExample[];
};

export type PreflightReport = {
  file: string;
  object: string;
  operation: IngestOperation;
  externalId?: string;
  /** true when neither the header nor any row checked has a problem */
  ok: boolean;
  /** rows sharing an external ID: which one was kept (absent: none, every such row is a problem) */
  duplicates?: 'first' | 'last';
  /** header problems; any means the load must not start */
  jobProblems: number;
  rowsChecked: number;
  /** rows with at least one problem */
  problemRows: number;
  /** all problems counted, header and rows */
  problems: number;
  /** header kinds first, then row kinds from most to least frequent */
  kinds: KindSummary[];
};

/** Values longer than this are cut in messages: a 32,000-character description helps nobody. */
const SHOWN_VALUE_CHARS = 80;

export function shownValue(value: string): string {
  return value.length <= SHOWN_VALUE_CHARS ? value : `${value.slice(0, SHOWN_VALUE_CHARS)}…`;
}

/** A cell as shown inside a message: quoted, and cut when long. */
export function quoted(value: string): string {
  return `"${shownValue(value)}"`;
}

/** Why a row is left out: its problems in one text (the rejected file's reason column). */
export function reasonOf(problems: Problem[]): string {
  return problems.map((p) => (p.field !== undefined ? `${p.field}: ${p.detail}` : p.detail)).join('; ');
}

/** The CsvInputError layout (`file:line (field): detail`), so every input problem reads alike. */
export function problemMessage(file: string, line: number, field: string | undefined, detail: string): string {
  return `${file}:${line}${field !== undefined ? ` (${field})` : ''}: ${detail}`;
}

/** Examples kept per kind while counting; report() can show fewer. */
export const EXAMPLES_KEPT = 100;

/** Counts problems per kind and keeps the first few of each, in flat memory whatever the file size. */
export class ProblemTally {
  /** keyed by scope and kind: 'missing-required' is counted apart for the header and for rows */
  private readonly byKind = new Map<string, KindSummary>();
  private total = 0;

  public add(p: Problem): void {
    this.total++;
    const key = `${p.scope}:${p.kind}`;
    let summary = this.byKind.get(key);
    if (!summary) {
      summary = { kind: p.kind, scope: p.scope, count: 0, examples: [] };
      this.byKind.set(key, summary);
    }
    summary.count++;
    if (summary.examples.length < EXAMPLES_KEPT) {
      summary.examples.push({
        line: p.line,
        ...(p.field !== undefined ? { field: p.field } : {}),
        ...(p.value !== undefined ? { value: p.value } : {}),
        message: p.message,
      });
    }
  }

  public get count(): number {
    return this.total;
  }

  public summaries(capPerKind: number): KindSummary[] {
    const cap = Math.max(0, Math.min(capPerKind, EXAMPLES_KEPT));
    return [...this.byKind.values()]
      .sort((a, b) => (a.scope === b.scope ? b.count - a.count : a.scope === 'job' ? -1 : 1))
      .map((s) => ({ ...s, examples: s.examples.slice(0, cap) }));
  }
}

/** One report for several files checked one after the other (counts add up, examples are kept up to the cap). */
export function mergeReports(reports: PreflightReport[], capPerKind = 5): PreflightReport {
  if (reports.length === 1) return reports[0];
  const kinds = new Map<string, KindSummary>();
  for (const r of reports) {
    for (const k of r.kinds) {
      const seen = kinds.get(k.kind);
      if (!seen) kinds.set(k.kind, { ...k, examples: k.examples.slice(0, capPerKind) });
      else {
        seen.count += k.count;
        seen.examples = [...seen.examples, ...k.examples].slice(0, capPerKind);
      }
    }
  }
  const first = reports[0];
  return {
    ...first,
    file: reports.map((r) => r.file).join(', '),
    ok: reports.every((r) => r.ok),
    jobProblems: reports.reduce((n, r) => n + r.jobProblems, 0),
    rowsChecked: reports.reduce((n, r) => n + r.rowsChecked, 0),
    problemRows: reports.reduce((n, r) => n + r.problemRows, 0),
    problems: reports.reduce((n, r) => n + r.problems, 0),
    kinds: [...kinds.values()].sort((a, b) => (a.scope === b.scope ? b.count - a.count : a.scope === 'job' ? -1 : 1)),
  };
}

