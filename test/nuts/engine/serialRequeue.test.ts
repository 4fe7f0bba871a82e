/*
 * A serial run whose first part's job ends holding nothing (aborted by someone else) sends that
 * part again through the in-flight gate, after the next part already went to the org. When the
 * wait runs out on that next part, the first part gets no new job: a serial run never has two jobs
 * in the org at once (resume sends it, once the other job ended).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine } from '../../helpers/engine.js';
import { call } from '../../helpers/api.js';
import { Ledger } from '../../../src/core/ledger/ledger.js';
import type { LedgerRecord } from '../../../src/core/ledger/records.js';

describe('load engine: a serial run sends a part again for a new job, past its wait', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    // A closed job waits 3 s before processing starts.
    emu = await startEmulator({ settings: { processingDelayMs: 3000 } });
    work = mkdtempSync(join(tmpdir(), 'bulkops-rev2-'));
  });

  afterEach(async () => {
    emu.onRequest = undefined;
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('never closes a job while another job of the same serial run is still in the org', async () => {
    const file = join(work, 'contacts.csv');
    const lines = ['LastName,External_Id__c'];
    for (let i = 1; i <= 200; i++) lines.push(`Name${i},C-${i}`);
    writeFileSync(file, lines.join('\n') + '\n');
    const req = contactLoad(file, work, { maxJobBytes: 1024, concurrency: 1, waitMs: 1500 });
    let aborted = false;
    emu.onRequest = (entry): void => {
      const first = emu.ingest.jobs.list()[0];
      if (!aborted && first && entry.method === 'GET' && entry.path.endsWith(first.id) && first.state === 'UploadComplete') {
        aborted = true;
        // Someone else aborts part 1's job after its close, before it processes anything.
        void call(emu, 'PATCH', `/services/data/v66.0/jobs/ingest/${first.id}`, { body: JSON.stringify({ state: 'Aborted' }), headers: { 'Content-Type': 'application/json' } });
      }
    };
    const result = await testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }).engine.start(req);
    emu.onRequest = undefined;
    expect(aborted, 'the fault fired').to.equal(true);
    const records: LedgerRecord[] = Ledger.read(result.runDir);
    const trace = records.filter((r) => ['closed', 'terminal', 'job-dropped'].includes(r.t)).map((r) => `${r.t}:${(r as { chunk: number }).chunk}:${(r as { jobId: string }).jobId}`);
    console.log(trace.join('\n'));
    console.log('org:', emu.ingest.jobs.list().map((j) => `${j.id}=${j.state}`).join(' '));
    expect(records.some((r) => r.t === 'job-dropped' && r.reason === 'never-held'), 'part 1 was requeued').to.equal(true);
    // Every job closed: each job closed before it has ended (a terminal record) by then.
    const closed: string[] = [];
    for (const r of records) {
      if (r.t !== 'closed') continue;
      for (const other of closed) {
        const ended = records.findIndex((x) => x.t === 'terminal' && x.jobId === other);
        expect(ended >= 0 && ended < records.indexOf(r), `job ${r.jobId} (part ${r.chunk}) closed while job ${other} had not ended`).to.equal(true);
      }
      closed.push(r.jobId);
    }
    const inOrg = emu.ingest.jobs.list().filter((j) => j.state === 'UploadComplete' || j.state === 'InProgress');
    expect(inOrg.length, 'jobs handed to the org and not ended').to.be.at.most(1);
  });
});
