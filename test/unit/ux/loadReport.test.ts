import { expect } from 'chai';
import { SfError } from '@salesforce/core';
import { EXIT_FAILED_ROWS, EXIT_STILL_RUNNING, loadErrorToSfError, reportLoad } from '../../../src/ux/loadReport.js';
import { CsvInputError } from '../../../src/core/csv/errors.js';
import type { LoadResult } from '../../../src/core/run/types.js';

function result(extra: Partial<LoadResult>): LoadResult {
  return {
    runId: 'r1',
    status: 'Completed',
    object: 'Account',
    operation: 'insert',
    file: 'a.csv',
    inputFiles: ['a.csv'],
    rows: 3,
    rejected: 0,
    processed: 3,
    successful: 3,
    failed: 0,
    unprocessed: 0,
    retryable: 0,
    unmatched: 0,
    errorCodes: [],
    jobs: [],
    runDir: '/tmp/r1',
    files: { success: 's.csv', failed: 'f.csv', unprocessed: 'u.csv', retry: 'r.csv' },
    startedAt: '',
    finishedAt: '',
    elapsedMs: 1,
    ...extra,
  };
}

describe('load report: exit codes and what is printed', () => {
  const run = (r: LoadResult, waited = true): { code: number; out: string[]; warnings: string[] } => {
    const out: string[] = [];
    const warnings: string[] = [];
    const code = reportLoad({ log: (l) => out.push(l), warn: (w) => warnings.push(w), config: { bin: 'sf' } }, r, { waited, ledgerDir: '/l', defaultLedger: true });
    return { code, out, warnings };
  };

  it('exits 0 when every row loaded, and lists the result files', () => {
    const { code, out } = run(result({}));
    expect(code).to.equal(0);
    expect(out.join('\n')).to.match(/3 rows, 3 succeeded, 0 failed/).and.match(/s\.csv/);
  });

  it('says a V1 load was sent with Bulk API V1, in which mode, in how many jobs and batches', () => {
    const jobs = [1, 2].map((chunk) => ({ id: `750${chunk}`, chunk, rows: 10, firstLine: 2, lastLine: 11, state: 'JobComplete' as const, processed: 10, failed: 0, batches: chunk + 1 }));
    const { code, out } = run(result({ bulkApi: 'v1', v1: { concurrencyMode: 'Serial', batchRows: 5 }, jobs }));
    expect(code).to.equal(0);
    expect(out).to.include('Sent with Bulk API V1, Serial: 2 job(s), 5 batch(es) of up to 5 rows.');
    expect(run(result({ bulkApi: 'v2' })).out.join('\n')).to.not.match(/Bulk API V1/);
  });

  it('exits 68 with failed, unprocessed or rejected rows, and shows error codes by frequency', () => {
    expect(run(result({ failed: 1, errorCodes: [{ code: 'UNABLE_TO_LOCK_ROW', count: 1 }] })).out.join('\n')).to.match(/UNABLE_TO_LOCK_ROW 1/);
    expect(run(result({ failed: 1 })).code).to.equal(EXIT_FAILED_ROWS);
    expect(run(result({ unprocessed: 2 })).code).to.equal(EXIT_FAILED_ROWS);
    expect(run(result({ rejected: 1 })).code).to.equal(EXIT_FAILED_ROWS);
  });

  it('shows each round of rows sent again after the summary', () => {
    const rounds: LoadResult['rounds'] = [
      { round: 1, kind: 'lock-retry', rows: 120, serial: true, status: 'Completed', succeeded: 118, failed: 2, unprocessed: 0, stillLocked: 2 },
      { round: 2, kind: 'lock-retry', rows: 2, serial: true, status: 'Completed', succeeded: 2, failed: 0, unprocessed: 0, stillLocked: 0 },
    ];
    const { code, out } = run(result({ rounds }));
    expect(code).to.equal(0);
    const text = out.join('\n');
    expect(text).to.include('Round 1 (lock failures, one job at a time): 120 rows sent again, 118 succeeded, 2 failed, 0 not processed; lock failures left in the run: 2.');
    expect(text).to.include('Round 2 (lock failures, one job at a time): 2 rows sent again, 2 succeeded, 0 failed, 0 not processed; lock failures left in the run: 0.');
  });

  it('exits 69 with the resume command when the wait ran out, and 0 for --wait 0', () => {
    const waited = run(result({ status: 'InProgress', files: undefined }));
    expect(waited.code).to.equal(EXIT_STILL_RUNNING);
    expect(waited.out.join('\n')).to.include('sf bulkops resume --run-id r1');
    expect(run(result({ status: 'InProgress', files: undefined }), false).code).to.equal(0);
  });

  it('warns about a failed job and about rows that could not be joined', () => {
    const { warnings, code } = run(
      result({
        unmatched: 2,
        unmatchedJobs: [{ chunk: 1, jobId: '750x', unmatched: 2 }],
        jobs: [{ id: '750x', chunk: 1, rows: 3, firstLine: 2, lastLine: 4, state: 'Failed', processed: 0, failed: 0, errorMessage: 'InvalidBatch : Field name not found : X' }],
      })
    );
    expect(warnings.join('\n')).to.match(/750x failed: InvalidBatch/).and.match(/2 result rows could not be joined/).and.match(/part 1 \(job 750x\): 2/);
    expect(code).to.equal(68);
  });
});

describe('load report: the result files block', () => {
  const lines = (r: LoadResult): string[] => {
    const out: string[] = [];
    reportLoad({ log: (l) => out.push(l), warn: (w) => out.push(w), config: { bin: 'sf' } }, r, { waited: true, ledgerDir: '/l', defaultLedger: true });
    return out;
  };

  it('indents every file line alike, left out included', () => {
    const out = lines(result({ rejected: 1, retryable: 1, files: { success: 's.csv', failed: 'f.csv', unprocessed: 'u.csv', retry: 'r.csv', rejected: 'x.csv' } }));
    const files = out.slice(out.indexOf('Results, each row with its input line number:') + 1);
    expect(files).to.have.length(5);
    for (const l of files) expect(l).to.match(/^ {2}[a-z ]+: +\S+\.csv/);
    expect(files[4]).to.match(/^ {2}left out: {6}x\.csv/);
    expect(files[3]).to.equal('  to retry:      r.csv (load it again as it is)');
  });

  it('does not offer an empty retry.csv to load again', () => {
    expect(lines(result({ retryable: 0 }))).to.include('  to retry:      r.csv (empty: no row is worth loading again)');
  });

  it('counts header problems apart from row problems', () => {
    const preflight = {
      file: 'a.csv',
      object: 'Account',
      operation: 'insert' as const,
      ok: false,
      jobProblems: 1,
      rowsChecked: 6,
      problemRows: 2,
      problems: 3,
      kinds: [],
    };
    expect(lines(result({ status: 'Checked', preflight }))[0]).to.equal('1 problem(s) in the header, and 2 problem(s) in 2 of 6 rows, of a.csv:');
    expect(lines(result({ status: 'Checked', preflight: { ...preflight, problems: 1, problemRows: 0 } }))[0]).to.equal(
      '1 problem(s) in the header of a.csv (6 rows checked, none with a problem):'
    );
  });
});

describe('load report: --duplicates', () => {
  it('says which row of an external ID was sent, and how many were left out', () => {
    const out: string[] = [];
    const preflight = {
      file: 'a.csv',
      object: 'Contact',
      operation: 'upsert' as const,
      ok: false,
      duplicates: 'first' as const,
      jobProblems: 0,
      rowsChecked: 3,
      problemRows: 2,
      problems: 2,
      kinds: [{ kind: 'duplicate-external-id' as const, scope: 'row' as const, count: 2, examples: [] }],
    };
    reportLoad({ log: (l) => out.push(l), warn: (w) => out.push(w), config: { bin: 'sf' } }, result({ rejected: 2, preflight }), { waited: true, ledgerDir: '/l', defaultLedger: true });
    expect(out).to.include('--duplicates first: of rows sharing an external ID, the first was sent; the 2 others are in rejected.csv.');
  });
});

describe('load report: errors with the advice that fits them', () => {
  it('suggests delimiter, line ending or encoding only where they can be the cause', () => {
    const actions = (kind: ConstructorParameters<typeof CsvInputError>[0]): string => {
      const e = loadErrorToSfError(new CsvInputError(kind, 'a.csv', 1, 'detail'), { bin: 'sf', ledgerDir: '/l' }) as SfError;
      expect(e.name).to.equal('CsvInputError');
      return (e.actions ?? []).join('\n');
    };
    expect(actions('empty-file')).to.match(/right file/).and.not.match(/--column-delimiter|--line-ending|--encoding/);
    expect(actions('encoding')).to.match(/--encoding/).and.not.match(/--column-delimiter|--line-ending/);
    expect(actions('header-mismatch')).to.match(/same columns/).and.not.match(/--column-delimiter|--line-ending|--encoding/);
    expect(actions('quote')).to.match(/quote/);
  });
});

describe('load report: the plan, the estimate and what the org reported', () => {
  const run = (r: LoadResult): { out: string[] } => {
    const out: string[] = [];
    reportLoad({ log: (l) => out.push(l), warn: () => {}, config: { bin: 'sf' } }, r, { waited: true, ledgerDir: '/l', defaultLedger: true });
    return { out };
  };

  it('prints what the org reported (processing time a row, automation, lock failures, throttling) after the summary', () => {
    const out = run(result({ observed: { processed: 3, lockFailures: 1, lockRate: 0.3333, throttled: 2, inFlightChanges: 0, processingMs: 30, msPerRow: 10, apexMsPerRow: 8 } })).out.join('\n');
    expect(out).to.match(/10 ms of processing a row \(8\.0 ms of it automation\); 33\.3% of rows failed on a lock; 2 call\(s\) throttled/);
    // An org that reported no processing time: no such line.
    expect(run(result({ observed: { processed: 3, lockFailures: 0, lockRate: 0, throttled: 0, inFlightChanges: 0 } })).out.join('\n')).to.not.match(/processing a row/);
  });

  it('--dry-run prints the plan, priced when an earlier run measured the object, and says how to get a measurement when none did', () => {
    const plan = { rows: 200_000, parts: 3, maxJobBytes: 100 * 1024 * 1024, jobsAtOnce: 5 };
    const checked = { status: 'Checked' as const, files: undefined, plan };
    const bare = run(result(checked)).out.join('\n');
    expect(bare).to.match(/Plan: 200,000 rows to send in 3 part\(s\) of at most 100\.0 MB, up to 5 jobs at once\./);
    expect(bare).to.match(/No earlier insert of this object in this org was measured: the load measures it on its first part when it has 4 parts or more\./);
    const estimate = { source: 'earlier-runs' as const, msPerRow: 12, apexMsPerRow: 8, lockRate: 0.02, rows: 200_000, parts: 3, jobsAtOnce: 5, processingMs: 2_400_000, wallMs: 120_000 };
    const priced = run(result({ ...checked, estimate })).out.join('\n');
    expect(priced).to.match(/earlier run on this org and object \(earlier-runs\): 12 ms of org processing a row \(8\.0 ms of it automation\), 2\.0% of rows failed on a lock\. This plan: about 40m 0s of org processing, 2m 0s of the org's time at the least, if the org processes their chunks side by side\./);
    const learnt = run(result({ ...checked, estimate: { ...estimate, wallMs: 600_000, chunksAtOnce: 4, chunksAtOnceFrom: 'earlier-runs' as const } })).out.join('\n');
    expect(learnt).to.match(/This plan: about 40m 0s of org processing, 10m 0s of the org's time with 4 chunks processed at once, as the org did for an earlier run\./);
  });
});
