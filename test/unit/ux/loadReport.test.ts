import { expect } from 'chai';
import { EXIT_FAILED_ROWS, EXIT_STILL_RUNNING, reportLoad } from '../../../src/ux/loadReport.js';
import type { LoadResult } from '../../../src/core/load/types.js';

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

  it('exits 68 with failed, unprocessed or rejected rows, and shows error codes by frequency', () => {
    expect(run(result({ failed: 1, errorCodes: [{ code: 'UNABLE_TO_LOCK_ROW', count: 1 }] })).out.join('\n')).to.match(/UNABLE_TO_LOCK_ROW 1/);
    expect(run(result({ failed: 1 })).code).to.equal(EXIT_FAILED_ROWS);
    expect(run(result({ unprocessed: 2 })).code).to.equal(EXIT_FAILED_ROWS);
    expect(run(result({ rejected: 1 })).code).to.equal(EXIT_FAILED_ROWS);
  });

  it('exits 69 with the resume command when the wait ran out, and 0 for --wait 0', () => {
    const waited = run(result({ status: 'InProgress', files: undefined }));
    expect(waited.code).to.equal(EXIT_STILL_RUNNING);
    expect(waited.out.join('\n')).to.include('sf bulkops resume --run-id r1');
    expect(run(result({ status: 'InProgress', files: undefined }), false).code).to.equal(0);
  });

  it('warns about a failed job and about rows that could not be joined', () => {
    const { warnings } = run(result({ unmatched: 2, jobs: [{ id: '750x', chunk: 1, rows: 3, firstLine: 2, lastLine: 4, state: 'Failed', processed: 0, failed: 0, errorMessage: 'InvalidBatch : Field name not found : X' }] }));
    expect(warnings.join('\n')).to.match(/750x failed: InvalidBatch/).and.match(/2 result rows could not be matched/);
  });
});
