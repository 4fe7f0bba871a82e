/*
 * The pure parts of a V1 load: how a part is cut into batches, and how a V1 job's state reads as
 * the runner's (Bulk API 2.0) states.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { asJobInfo, cutBatches } from '../../../../src/core/runner/v1Jobs.js';
import type { V1JobInfo } from '../../../../src/core/bulk/bulkV1.js';

describe('v1Jobs', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-v1unit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const part = (text: string): string => {
    const f = join(dir, 'part.csv');
    writeFileSync(f, text);
    return f;
  };
  const rowsOf = (file: string, r: { start: number; end: number }): string => readFileSync(file).subarray(r.start, r.end).toString('utf8');

  it('cuts a part into batches of at most maxRows rows, each row whole (a quoted line break stays in its row)', async () => {
    const f = part('Name,Note\na,1\n"b\nb",2\nc,3\nd,4\ne,5\n');
    const { header, ranges } = await cutBatches(f, 2, 10_000_000);
    expect(header.toString()).to.equal('Name,Note\n');
    expect(ranges.map((r) => r.rows)).to.deep.equal([2, 2, 1]);
    expect(ranges.map((r) => rowsOf(f, r))).to.deep.equal(['a,1\n"b\nb",2\n', 'c,3\nd,4\n', 'e,5\n']);
  });

  it('cuts before a batch would pass maxBytes with its header, and refuses a row that alone would', async () => {
    const f = part('H\n' + ['aaaa', 'bbbb', 'cccc'].join('\n') + '\n');
    // header 2 bytes + rows of 5: two rows make 12 bytes, over 11.
    const { ranges } = await cutBatches(f, 100, 11);
    expect(ranges.map((r) => rowsOf(f, r))).to.deep.equal(['aaaa\n', 'bbbb\n', 'cccc\n']);
    const again = await cutBatches(f, 100, 12);
    expect(again.ranges.map((r) => r.rows)).to.deep.equal([2, 1]);
    let error: Error | undefined;
    await cutBatches(f, 100, 6).catch((e: Error) => (error = e));
    expect(error?.message).to.match(/larger than a Bulk API batch may be/);
  });

  it('gives the same batches every time (a resume sends exactly what is missing)', async () => {
    const f = part('Name\n' + Array.from({ length: 95 }, (_, i) => `row ${i}`).join('\n') + '\n');
    const a = await cutBatches(f, 10, 60);
    const b = await cutBatches(f, 10, 60);
    expect(a.ranges).to.deep.equal(b.ranges);
    expect(a.ranges.reduce((n, r) => n + r.rows, 0)).to.equal(95);
  });

  describe('asJobInfo', () => {
    const job = (over: Partial<V1JobInfo>): V1JobInfo => ({
      id: '750x',
      operation: 'insert',
      object: 'Contact',
      createdById: '005x',
      createdDate: '2026-12-01T10:00:00.000Z',
      state: 'Closed',
      concurrencyMode: 'Serial',
      numberBatchesQueued: 0,
      numberBatchesInProgress: 0,
      numberBatchesCompleted: 3,
      numberBatchesFailed: 0,
      numberBatchesTotal: 3,
      numberRecordsProcessed: 30,
      numberRecordsFailed: 1,
      numberRetries: 0,
      totalProcessingTime: 5,
      apiActiveProcessingTime: 4,
      apexProcessingTime: 3,
      ...over,
    });

    it('Open stays Open; Closed with batches queued or running is InProgress', () => {
      expect(asJobInfo(job({ state: 'Open' })).state).to.equal('Open');
      expect(asJobInfo(job({ numberBatchesQueued: 1, numberBatchesCompleted: 2 })).state).to.equal('InProgress');
      expect(asJobInfo(job({ state: 'Aborted', numberBatchesInProgress: 1, numberBatchesCompleted: 2 })).state).to.equal('InProgress');
    });

    it('Closed with every batch Completed is JobComplete; a Failed or NotProcessed batch makes it Failed', () => {
      expect(asJobInfo(job({})).state).to.equal('JobComplete');
      expect(asJobInfo(job({ numberBatchesCompleted: 2, numberBatchesFailed: 1 })).state).to.equal('Failed');
      // NotProcessed batches are counted in the total only.
      expect(asJobInfo(job({ numberBatchesCompleted: 2 })).state).to.equal('Failed');
      expect(asJobInfo(job({ state: 'Aborted', numberBatchesCompleted: 1 })).state).to.equal('Aborted');
    });

    it('keeps the counts and processing times the runner records', () => {
      expect(asJobInfo(job({}))).to.include({ id: '750x', jobType: 'Classic', numberRecordsProcessed: 30, numberRecordsFailed: 1, totalProcessingTime: 5, apiActiveProcessingTime: 4, apexProcessingTime: 3 });
    });
  });
});
