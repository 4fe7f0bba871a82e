/*
 * Reconciles a run: the state of every input row (runRows.ts), failures grouped by code and field
 * with what to do about each group (classify.ts), and files a person or a pipeline can act on, in
 * <run folder>/reconcile/:
 * - rows.csv: every input row with its state, Id, error, action, part, job and attempt;
 * - one file per group of failed (or unprocessed) rows, in the layout of failed.csv (unprocessed.csv);
 * - retry.csv: the rows worth sending again as they are, the input columns only.
 * The folder is written anew each time (beside it, then renamed in), so it always matches one reconcile.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { IngestOperation, JobState } from '../bulk/types.js';
import { csvLine, lineNumberText } from '../csv/writer.js';
import { ByteWriter } from '../io/byteWriter.js';
import { Ledger } from '../ledger/ledger.js';
import { ChunkState, RunState, replay } from '../ledger/records.js';
import { createsRecords } from '../run/runState.js';
import { AbandonedRunError } from '../run/errors.js';
import { historyText, RoundHistory, roundDir, roundFiles } from '../run/roundLines.js';
import { roundSummaries } from '../attempts/summary.js';
import type { RoundSummary } from '../run/types.js';
import { jobsOfParts, PartJobs, resultRows, runRows } from '../run/runRows.js';
import type { RowState, RunRow } from '../run/runRow.js';
import { Action, actionFor } from './classify.js';

export const RECONCILE_DIR = 'reconcile';

export type ReconcileCounts = {
  /** every data row of the input files */
  rows: number;
  succeeded: number;
  /** of the succeeded rows (operations that can create records) */
  created?: number;
  updated?: number;
  failed: number;
  unprocessed: number;
  /** left out by the checks before upload (rejected.csv) */
  rejected: number;
  /** sent to a job that has not ended yet (resume finishes it) */
  pending: number;
  /** in a part whose job was never created or never got the upload */
  neverSent: number;
  /** failed or unprocessed rows worth sending again as they are (retry.csv) */
  retryable: number;
};

export type ReconcileGroup = {
  state: 'failed' | 'unprocessed';
  /** Salesforce's error code ('' for unprocessed rows) */
  code: string;
  /** the fields Salesforce names as the cause */
  fields: string[];
  action: Action;
  count: number;
  /** the message of the group's first row, and where that row is */
  message: string;
  firstLine: number;
  firstFile?: string;
  /** the group's rows, in the layout of failed.csv (unprocessed.csv for unprocessed rows) */
  file: string;
};

export type ReconcilePart = {
  part: number;
  inputFile: string;
  rows: number;
  firstLine: number;
  lastLine: number;
  /** the state of the part's last job (NotCreated: it has none yet) */
  state: JobState | 'NotCreated';
  /** every job the part had, in order; a dropped job never processed the part's rows */
  jobs: PartJobs;
};

export type RunReconcile = {
  runId: string;
  runDir: string;
  status: 'Completed' | 'InProgress';
  object: string;
  operation: IngestOperation;
  externalId?: string;
  inputFiles: string[];
  counts: ReconcileCounts;
  groups: ReconcileGroup[];
  errorCodes: Array<{ code: string; count: number }>;
  parts: ReconcilePart[];
  /** the rounds after the load (rows sent again); each row's state above is its latest outcome */
  rounds?: RoundSummary[];
  files: { rows: string; retry: string; folder: string };
};

/** Reads the run folder (ledger and result files; no org needed) and writes <run folder>/reconcile/. */
export async function reconcileRun(runDir: string): Promise<RunReconcile> {
  const records = Ledger.read(runDir);
  const state = replay(records);
  // Nothing of it was sent: its rows are all still only in the input file, and its parts are gone.
  if (state.abandoned) throw new AbandonedRunError(state.spec.runId, state.abandoned.reason);
  const jobs = jobsOfParts(records);
  const frame: RowsFrame = {
    header: state.header,
    fileNames: state.spec.files.length > 1 ? state.spec.files.map((f) => basename(f)) : [],
    creates: createsRecords(state),
    action: (row) => rowAction(row, state),
    attempt: (row) => attemptOf(row.part, jobs),
    ...(state.attempts.length ? { rounds: true } : {}),
  };
  const finalDir = join(runDir, RECONCILE_DIR);
  const rows = state.attempts.length ? withHistory(state, runDir, runRows(state, runDir)) : runRows(state, runDir);
  const out = await writeReconcileFolder(finalDir, frame, rows);
  return {
    runId: state.spec.runId,
    runDir,
    // A round after the load not merged yet is the run still under way (resume finishes it).
    status: state.done && state.attempts.every((a) => a.merged) ? 'Completed' : 'InProgress',
    object: state.spec.object,
    operation: state.spec.operation,
    ...(state.spec.externalId ? { externalId: state.spec.externalId } : {}),
    inputFiles: state.spec.files,
    ...out,
    parts: state.chunks.map((c) => partOf(c, jobs.get(c.chunk.index) ?? [], state)),
    ...(state.attempts.length ? { rounds: roundSummaries(state) } : {}),
  };
}

/** Each row with its outcome in every round that sent it (round 0: the load's outcome, kept before round 1). */
async function* withHistory(state: RunState, runDir: string, rows: AsyncIterable<RunRow>): AsyncGenerator<RunRow> {
  const names = state.spec.files.map((f) => basename(f));
  const fileIndexOf = (name: string | undefined): number => (names.length > 1 ? Math.max(0, names.indexOf(name ?? '')) : 0);
  const rounds = [0, ...state.attempts.filter((a) => a.merged).map((a) => a.round)];
  const history = new RoundHistory(rounds.flatMap((round) => roundFiles(roundDir(runDir, round), round).map(({ file, kind }) => ({ round, source: resultRows(file, undefined, kind, fileIndexOf) }))));
  for await (const row of rows) {
    const outcomes = await history.of(row.fileIndex, row.line);
    // Round 0's copy holds only what did not load; a row sent again succeeded nowhere before.
    if (outcomes.length) row.history = outcomes;
    yield row;
  }
}

/** What the files of a reconcile need to know besides the rows themselves. */
export type RowsFrame = {
  /** the input columns */
  header: string[];
  /** the input files' names when there are several (rows then start with sf__File) */
  fileNames: string[];
  /** the operation can create records: succeeded rows are counted as created or updated */
  creates: boolean;
  /** what to do about a row that did not end loaded (undefined for succeeded rows) */
  action: (row: RunRow) => Action | undefined;
  /** sf__Part, sf__JobId and sf__Attempt of a row */
  attempt: (row: RunRow) => string[];
  /** the run had rounds after its load: rows.csv says which round each outcome is from, and every round's outcome */
  rounds?: boolean;
};

export type ReconcileFolder = {
  counts: ReconcileCounts;
  groups: ReconcileGroup[];
  errorCodes: Array<{ code: string; count: number }>;
  files: { rows: string; retry: string; folder: string };
};

/**
 * Writes the files of a reconcile (rows.csv, a file per failure group, retry.csv) into `finalDir`,
 * from rows in input order: beside it first, then renamed in, so the folder always matches one
 * reconcile. `more` adds files of its own to the folder before it is renamed in.
 */
export async function writeReconcileFolder(finalDir: string, frame: RowsFrame, rows: AsyncIterable<RunRow>, more?: (dir: string) => Promise<void>): Promise<ReconcileFolder> {
  const workDir = `${finalDir}.tmp-${process.pid}`;
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const out = new ReconcileFiles(workDir, frame);
  try {
    for await (const row of rows) await out.add(row);
    await out.close();
    if (more) await more(workDir);
  } catch (e) {
    await out.abort();
    await rm(workDir, { recursive: true, force: true });
    throw e;
  }
  await rm(finalDir, { recursive: true, force: true });
  await rename(workDir, finalDir);

  const inFinal = (p: string): string => join(finalDir, basename(p));
  return {
    counts: out.counts,
    groups: [...out.groups.values()]
      .map(({ group }) => ({ ...group, file: inFinal(group.file) }))
      .sort((a, b) => b.count - a.count || a.firstLine - b.firstLine),
    errorCodes: Object.entries(out.codes)
      .map(([code, count]) => ({ code, count }))
      .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)),
    files: { rows: join(finalDir, 'rows.csv'), retry: join(finalDir, 'retry.csv'), folder: finalDir },
  };
}

type GroupOut = { group: ReconcileGroup; out: ByteWriter };

/** The counts, the groups and the files of a reconcile, row by row. */
class ReconcileFiles {
  public readonly counts: ReconcileCounts;
  public readonly codes: Record<string, number> = {};
  public readonly groups = new Map<string, GroupOut>();
  private readonly names: string[];
  private readonly lead: string[];
  private readonly rowsOut: ByteWriter;
  private readonly retryOut: ByteWriter;

  public constructor(private readonly dir: string, private readonly frame: RowsFrame) {
    this.counts = { rows: 0, succeeded: 0, failed: 0, unprocessed: 0, rejected: 0, pending: 0, neverSent: 0, retryable: 0, ...(frame.creates ? { created: 0, updated: 0 } : {}) };
    this.names = frame.fileNames;
    this.lead = this.names.length ? ['sf__File'] : [];
    this.rowsOut = new ByteWriter(join(dir, 'rows.csv'));
    this.rowsOut.text(csvLine([...this.lead, 'sf__Line', 'sf__State', 'sf__Id', 'sf__Created', 'sf__ErrorCode', 'sf__Error', 'sf__Fields', 'sf__Action', 'sf__Part', 'sf__JobId', 'sf__Attempt', ...(frame.rounds ? ['sf__Round', 'sf__History'] : []), ...frame.header]));
    this.retryOut = new ByteWriter(join(dir, 'retry.csv'));
    this.retryOut.text(csvLine(frame.header));
  }

  public async add(row: RunRow): Promise<void> {
    if (row.state === 'failed') this.codes[row.code!] = (this.codes[row.code!] ?? 0) + 1;
    const action = this.frame.action(row);
    this.tally(row, action);
    const lead = this.names.length ? [this.names[row.fileIndex] ?? ''] : [];
    // A job's results without the input file have no line numbers.
    const line = row.line > 0 ? lineNumberText(row.line) : '';
    const error = [row.code ?? '', row.message ?? '', (row.fields ?? []).join(',')];
    this.rowsOut.text(csvLine([...lead, line, row.state, ...this.outcome(row), ...error, action ?? '', ...this.frame.attempt(row), ...this.rounds(row), ...row.values]));
    if (action === 'retry') this.retryOut.text(csvLine(row.values));
    if (row.state === 'failed' || row.state === 'unprocessed') {
      const g = this.groupOf(row, action!);
      g.group.count++;
      g.out.text(csvLine(row.state === 'failed' ? [...lead, line, row.id ?? '', ...error, ...row.values] : [...lead, line, ...row.values]));
    }
    for (const w of this.writers()) if (w.due) await w.flush();
  }

  /** sf__Round (0: the load) and sf__History (every round's outcome of a row sent again) */
  private rounds(row: RunRow): string[] {
    return this.frame.rounds ? [String(row.round ?? 0), historyText(row.history ?? [])] : [];
  }

  /** sf__Id and sf__Created */
  private outcome(row: RunRow): string[] {
    return [row.id ?? '', row.created === undefined ? '' : String(row.created)];
  }

  public async close(): Promise<void> {
    for (const w of this.writers()) await w.close();
  }

  public async abort(): Promise<void> {
    for (const w of this.writers()) await w.abort();
  }

  private writers(): ByteWriter[] {
    return [this.rowsOut, this.retryOut, ...[...this.groups.values()].map((g) => g.out)];
  }

  private tally(row: RunRow, action: Action | undefined): void {
    const c = this.counts;
    c.rows++;
    c[COUNTED[row.state]] = (c[COUNTED[row.state]] ?? 0) + 1;
    if (row.state === 'succeeded' && row.created !== undefined && c.created !== undefined && c.updated !== undefined) {
      if (row.created) c.created++;
      else c.updated++;
    }
    if (action === 'retry') c.retryable++;
  }

  /** A writer per group until the end: a run has a handful of groups (code and fields), not thousands. */
  private groupOf(row: RunRow, action: Action): GroupOut {
    const state = row.state as 'failed' | 'unprocessed';
    const fields = row.fields ?? [];
    const key = `${state}\u0000${row.code ?? ''}\u0000${fields.join(',')}\u0000${action}`;
    let g = this.groups.get(key);
    if (g) return g;
    const n = String(this.groups.size + 1).padStart(2, '0');
    const label = [n, action, state === 'failed' ? row.code ?? '' : 'unprocessed', ...fields.slice(0, 3)].join('-').replace(/[^\w.-]+/g, '_').slice(0, 120);
    const path = join(this.dir, `${label}.csv`);
    const out = new ByteWriter(path);
    const lead = this.lead;
    out.text(csvLine(state === 'failed' ? [...lead, 'sf__Line', 'sf__Id', 'sf__ErrorCode', 'sf__Error', 'sf__Fields', ...this.frame.header] : [...lead, 'sf__Line', ...this.frame.header]));
    const firstFile = this.names[row.fileIndex];
    g = { group: { state, code: row.code ?? '', fields, action, count: 0, message: row.message ?? '', firstLine: row.line, ...(firstFile ? { firstFile } : {}), file: path }, out };
    this.groups.set(key, g);
    return g;
  }
}

/** sf__Part, sf__JobId and sf__Attempt (the part's how-many-th job) of a run's row */
function attemptOf(part: ChunkState | undefined, jobs: Map<number, PartJobs>): string[] {
  if (!part) return ['', '', ''];
  const n = jobs.get(part.chunk.index)?.length ?? 0;
  return [String(part.chunk.index), part.jobId ?? '', n ? String(n) : ''];
}

/** What to do about a row that did not end loaded (undefined for succeeded rows). */
function rowAction(row: RunRow, state: RunState): Action | undefined {
  switch (row.state) {
    case 'failed':
      return actionFor(row.code ?? '', row.message ?? '', state.spec.operation);
    case 'unprocessed':
      // A job that completed reports every row: no result may still mean saved (never sent again blindly).
      return row.part?.terminal?.state === 'JobComplete' ? 'check-org' : 'retry';
    case 'rejected':
      return 'fix-data';
    default:
      return undefined;
  }
}

const COUNTED: Record<RowState, keyof ReconcileCounts> = {
  succeeded: 'succeeded',
  failed: 'failed',
  unprocessed: 'unprocessed',
  rejected: 'rejected',
  pending: 'pending',
  'never-sent': 'neverSent',
};

function partOf(c: ChunkState, jobs: PartJobs, state: RunState): ReconcilePart {
  return {
    part: c.chunk.index,
    inputFile: state.spec.files[c.chunk.fileIndex] ?? '',
    rows: c.chunk.rows,
    firstLine: c.chunk.firstLine,
    lastLine: c.chunk.lastLine,
    state: (c.terminal?.state ?? (c.closed ? 'UploadComplete' : c.jobId ? 'Open' : 'NotCreated')) as JobState | 'NotCreated',
    jobs,
  };
}
