/*
 * The file-system errors a tiny file system cannot give a root test process (EACCES: root may write
 * anywhere; EMFILE: the open-file limit is the machine's), injected as the fs layer throws them,
 * into the block that ends a run; and the V1 count of rows in the org, batch by batch.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SfError } from '@salesforce/core';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import { replay, type RunSpec } from '../../../src/core/ledger/records.js';
import { rowsInOrg, runEndError, type RunErrorData } from '../../../src/ux/runEndError.js';
import { plannedChunk } from '../../helpers/ledger.js';
import { AmbiguousOrphanError, JobGoneError } from '../../../src/core/runner/jobRunner.js';
import type { JobInfo } from '../../../src/core/bulk/types.js';

const errno = (code: string, syscall: string, path?: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, ...(path ? { path } : {}) });

describe('runEndError: file-system errors of a started run', () => {
  let ledgerDir: string;
  let runDir: string;
  let input: string;
  const runId = '20261207-160000-abcdef';

  const spec = (v1?: RunSpec['v1']): RunSpec => ({
    runId,
    object: 'Account',
    operation: 'insert',
    files: [input],
    resultsDir: runDir,
    org: { username: 'admin@example.com', orgId: '00D000000000001', userId: '005000000000001', instanceUrl: 'https://example.my.salesforce.com' },
    concurrency: 5,
    backup: false,
    ...(v1 ? { v1 } : {}),
  });

  beforeEach(() => {
    ledgerDir = mkdtempSync(join(tmpdir(), 'bulkops-runerr-'));
    runDir = join(ledgerDir, runId);
    input = join(ledgerDir, 'input.csv');
    writeFileSync(input, 'Name\nA\nB\n');
    mkdirSync(runDir);
    const ledger = new Ledger(runDir);
    ledger.append({ t: 'run', ...spec() });
    ledger.append({ t: 'planned', chunks: [plannedChunk(1, 2, 1), plannedChunk(2, 3, 1)], rows: 2, rejected: 0, header: ['Name'], fileSha256: 'x', fileBytes: 9 });
    ledger.append({ t: 'created', chunk: 1, jobId: '750000000000001' });
    ledger.append({ t: 'uploaded', chunk: 1, jobId: '750000000000001' });
  });

  afterEach(() => rmSync(ledgerDir, { recursive: true, force: true }));

  const ended = async (e: Error): Promise<SfError> => (await runEndError(e, { bin: 'sf', ledgerDir, defaultLedger: true, runDir })) as SfError;

  it('EACCES names the folder of the file, the next step and the resume command', async () => {
    const err = await ended(errno('EACCES', 'open', join(runDir, 'success.csv')));
    expect(err.name).to.equal('FileSystemError');
    expect(err.message).to.include(`bulkops may not write to ${runDir} (EACCES)`);
    expect(err.message).to.include(`Run ${runId}: 1 of 2 rows are in jobs the org has`);
    expect(err.actions).to.deep.equal([`Give the user that runs sf write access to ${runDir}.`, `Then go on with: sf bulkops resume --run-id ${runId}`]);
    expect(err.data).to.deep.equal({ runId, runDir, action: `sf bulkops resume --run-id ${runId}`, retryable: false, rows: { total: 2, inOrg: 1 } } satisfies RunErrorData);
  });

  it('EMFILE says what is open too much and how to raise the limit', async () => {
    const err = await ended(errno('EMFILE', 'open', join(runDir, 'results', 'part-1.csv')));
    expect(err.name).to.equal('FileSystemError');
    expect(err.message).to.match(/^Too many files are open \(EMFILE\) while the run worked in \S+results: open /);
    expect(err.actions?.[0]).to.include('ulimit -n');
  });

  it('a write with no path (ENOSPC on an open file) names the run\'s folder', async () => {
    const err = await ended(errno('ENOSPC', 'write'));
    expect(err.message).to.include(`The disk holding ${runDir} is full (ENOSPC)`);
    expect(err.actions?.[0]).to.match(/^Free at least 1 KB on that disk/);
  });

  it('before the run has a ledger, the folder and no resume (there is no run to resume)', async () => {
    const err = (await runEndError(errno('EROFS', 'mkdir', join(ledgerDir, 'other')), { bin: 'sf', ledgerDir, defaultLedger: true, runDir: join(ledgerDir, 'other') })) as SfError;
    expect(err.name).to.equal('FileSystemError');
    expect(err.message).to.include(`${ledgerDir} is on a read-only file system (EROFS)`);
    expect(err.actions?.join(' ')).not.to.include('resume');
  });

  it('counts a V1 part\'s rows batch by batch', () => {
    const dir = join(ledgerDir, 'v1');
    mkdirSync(dir);
    const ledger = new Ledger(dir);
    ledger.append({ t: 'run', ...spec({ concurrencyMode: 'Parallel', batchRows: 4 }) });
    ledger.append({ t: 'planned', chunks: [plannedChunk(1, 2, 10)], rows: 10, rejected: 0, header: ['Name'], fileSha256: 'x', fileBytes: 9 });
    ledger.append({ t: 'created', chunk: 1, jobId: '750000000000002' });
    ledger.append({ t: 'batch-added', chunk: 1, jobId: '750000000000002', batch: 1, batchId: '751000000000001' });
    ledger.append({ t: 'batch-added', chunk: 1, jobId: '750000000000002', batch: 3, batchId: '751000000000003' });
    // batches 1 (4 rows) and 3 (the last 2 rows); batch 2 is not in the org
    expect(rowsInOrg(replay(Ledger.read(dir)))).to.deep.equal({ total: 10, inOrg: 6 });
  });

  it('an error with its own steps (a job gone, ambiguous Open jobs) keeps them and names the run, its rows in the org and its folder', async () => {
    const gone = await ended(new JobGoneError('750000000000001'));
    expect(gone.message).to.include('Job 750000000000001 no longer exists in the org');
    expect(gone.message).to.include(`Run ${runId} stopped here: 1 of 2 rows are in jobs the org has. Its folder: ${runDir}`);
    expect(gone.actions?.join(' '), 'a gone job has no resume').not.to.include('bulkops resume');
    expect(gone.data).to.deep.equal({ runId, runDir, retryable: false, rows: { total: 2, inOrg: 1 } } satisfies RunErrorData);

    const created = '2026-12-07T16:00:00.000Z';
    const candidates = ['750000000000008', '750000000000009'].map((id) => ({ id, createdDate: created }) as JobInfo);
    const orphan = await ended(new AmbiguousOrphanError(2, candidates, []));
    expect(orphan.name).to.equal('AmbiguousOrphanError');
    expect(orphan.message).to.include(`Run ${runId} stopped here`);
    expect(orphan.actions?.at(-1)).to.equal(`Once that is done, go on with: sf bulkops resume --run-id ${runId}`);
    expect((orphan.data as RunErrorData).action).to.equal(`sf bulkops resume --run-id ${runId}`);
  });
});
