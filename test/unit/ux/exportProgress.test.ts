/*
 * The export's progress lines: the job, at most one page line a second (records, MB, MB/s from the
 * moment the results are ready), the last line; none under --json.
 */
import { expect } from 'chai';
import { exportProgress } from '../../../src/ux/exportProgress.js';
import type { ExportEvent } from '../../../src/core/export/types.js';

const page = (n: number): ExportEvent => ({ type: 'page', page: n, rows: 1000, bytes: 1024 * 1024, totalRows: n * 1000, totalBytes: n * 1024 * 1024 });

describe('export progress lines', () => {
  it('one page line a second at most, the rate counted from JobComplete', () => {
    let t = 0;
    const lines: string[] = [];
    const p = exportProgress({ json: false, runId: 'R1', log: (l) => lines.push(l), now: () => t });
    p.on({ type: 'job', jobId: '750X', resumed: false });
    t = 5000;
    p.on({ type: 'state', jobId: '750X', state: 'JobComplete' });
    t = 6000;
    p.on(page(1));
    t = 6500;
    p.on(page(2));
    t = 7000;
    p.on(page(3));
    p.done({ runId: 'R1', runDir: '/r', jobId: '750X', file: '/out.csv', format: 'csv', records: 3000, bytes: 3 * 1024 * 1024, pages: 3, jobRecords: 3000, resumed: false, elapsedMs: 7000 });
    expect(lines).to.deep.equal([
      'Export run R1: query job 750X.',
      'Page 1: 1,000 records; 1,000 records, 1.0 MB so far (1.0 MB/s).',
      'Page 3: 1,000 records; 3,000 records, 3.0 MB so far (1.5 MB/s).',
      'Exported 3,000 records (3.0 MB, 3 pages) to /out.csv in 7.0 s.',
    ]);
  });

  it('nothing under --json', () => {
    const lines: string[] = [];
    const p = exportProgress({ json: true, runId: 'R1', log: (l) => lines.push(l) });
    p.on({ type: 'job', jobId: '750X', resumed: false });
    p.on(page(1));
    expect(lines).to.deep.equal([]);
  });
});
