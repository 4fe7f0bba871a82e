/*
 * A V1 batch the org ended Failed after it processed some of its rows, whose result the org does not
 * give (InvalidBatch): those rows may have loaded. They must never be listed as never processed and
 * worth sending again (retry.csv), which would load them twice.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { planChunks } from '../../../../src/core/split/planner.js';
import { joinJob, partPaths } from '../../../../src/core/results/join.js';
import { OrgApiError } from '../../../../src/core/http/orgHttp.js';
import { BatchResultMissingError, V1Jobs } from '../../../../src/core/runner/v1Jobs.js';
import type { BulkV1, V1BatchInfo } from '../../../../src/core/bulk/bulkV1.js';
import type { BulkV2 } from '../../../../src/core/bulk/bulkV2.js';
import type { ChunkState } from '../../../../src/core/ledger/records.js';


/** These tests leave no add in doubt: the clock is never read. */
const NO_DOUBT = { now: Date.now, sleep: (): Promise<void> => Promise.resolve(), pollMs: 1, boundMs: 0, emit: (): void => {} };
describe('V1: a Failed batch that processed rows and gives no result', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-v1failed-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('never lists its rows as never processed (retry.csv): the join stops and names the batch', async () => {
    const header = ['LastName'];
    const plan = await planChunks(Readable.from([Array.from({ length: 40 }, (_, i) => ({ line: i + 2, fields: [`Name${i}`] }))]), { dir, header });
    const chunk = plan.chunks[0];
    const batches: V1BatchInfo[] = [
      { id: '751A', jobId: '750J', state: 'Completed', createdDate: '', numberRecordsProcessed: 20, numberRecordsFailed: 0 },
      // The org says it processed 20 rows of the second batch, then failed it.
      { id: '751B', jobId: '750J', state: 'Failed', stateMessage: 'InternalServerError : Retried more than 10 times', createdDate: '', numberRecordsProcessed: 20, numberRecordsFailed: 0 },
    ];
    const fake = {
      batches: () => Promise.resolve(batches),
      batchResult: (_job: string, id: string) => {
        if (id === '751B') return Promise.reject(new OrgApiError(400, 'InvalidBatch', 'Batch not completed', 'GET', '/result'));
        const lines = ['"Id","Success","Created","Error"', ...Array.from({ length: 20 }, (_, i) => `"003${i}","true","true",""`)];
        return Promise.resolve(Readable.from([Buffer.from(lines.join('\n') + '\n')]));
      },
    } as unknown as BulkV1;
    const v1 = new V1Jobs(fake, {} as BulkV2, { concurrencyMode: 'Serial', batchRows: 20 }, NO_DOUBT);
    const c: ChunkState = { chunk, jobId: '750J', batches: ['751A', '751B'] } as ChunkState;
    const state = await v1.joinState(c, 'Failed');
    const parts = partPaths(dir, 1);
    let error: unknown;
    const counts = await joinJob(chunk, state, (kind) => v1.results(c, kind), parts).catch((e: unknown) => {
      error = e;
      return undefined;
    });
    expect(counts, 'rows the org says it processed were joined as never processed').to.equal(undefined);
    expect(error).to.be.instanceOf(BatchResultMissingError);
    expect((error as Error).message).to.match(/batch 751B of job 750J failed after the org processed 20 of its rows, and its result gives 0/);
    expect(existsSync(parts.retry), 'no retry part written').to.equal(false);
  });

  it('a Failed batch whose result covers every row it processed: the rest are never processed, and in retry.csv', async () => {
    const plan = await planChunks(Readable.from([Array.from({ length: 40 }, (_, i) => ({ line: i + 2, fields: [`Name${i}`] }))]), { dir, header: ['LastName'] });
    const chunk = plan.chunks[0];
    const batches: V1BatchInfo[] = [{ id: '751A', jobId: '750J', state: 'Failed', createdDate: '', numberRecordsProcessed: 15, numberRecordsFailed: 0 }];
    const fake = {
      batches: () => Promise.resolve(batches),
      batchResult: () => Promise.resolve(Readable.from([Buffer.from(['"Id","Success","Created","Error"', ...Array.from({ length: 15 }, (_, i) => `"003${i}","true","true",""`)].join('\n') + '\n')])),
    } as unknown as BulkV1;
    const v1 = new V1Jobs(fake, {} as BulkV2, { concurrencyMode: 'Serial', batchRows: 40 }, NO_DOUBT);
    const c: ChunkState = { chunk, jobId: '750J', batches: ['751A'] } as ChunkState;
    const parts = partPaths(dir, 1);
    const counts = await joinJob(chunk, await v1.joinState(c, 'Failed'), (kind) => v1.results(c, kind), parts);
    expect(counts).to.include({ successful: 15, unprocessed: 25, retryable: 25 });
    expect(readFileSync(parts.retry, 'utf8').split('\n').filter(Boolean)).to.have.length(25);
  });
});
