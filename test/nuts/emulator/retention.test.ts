/*
 * Retention (Bulk API Developer Guide: Job States; Bulk API Limits): jobs in a terminal state are deleted 7 days after they end;
 * V1 jobs 7 days after their youngest batch. Measured on the emulator's clock, which the control
 * API advances.
 */
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { V, V1, call, control, runIngest, runV1, waitForV1, xmlText } from './support.js';

describe('emulator retention: jobs older than 7 simulated days', function () {
  this.timeout(30_000);
  let emu: Emulator;

  before(async () => {
    emu = await startEmulator();
  });

  after(async () => {
    await emu.stop();
  });

  const listed = async (path: string): Promise<string[]> => {
    const r = await call(emu, 'GET', `${V}${path}`);
    expect(r.status).to.equal(200);
    return (r.json as { records: Array<{ id: string }> }).records.map((j) => j.id);
  };

  it('are gone from Get All Jobs and job info; younger ones stay', async () => {
    const old = (await runIngest(emu, 'Account', 'insert', 'Name\nOld One\nOld Two\n')).info;
    const { jobId: v1Job } = await runV1(emu, 'Account', 'insert', 'Parallel', ['Name\nOld V1\n']);
    await waitForV1(emu, v1Job);
    const q = await call(emu, 'POST', `${V}/jobs/query`, { body: JSON.stringify({ operation: 'query', query: 'SELECT Id, Name FROM Account' }), contentType: 'application/json' });
    const queryJob = (q.json as { id: string }).id;
    const until = Date.now() + 5000;
    while (!(await call(emu, 'GET', `${V}/jobs/query/${queryJob}`)).text.includes('"JobComplete"')) {
      if (Date.now() > until) throw new Error('query job did not complete');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    expect(await listed('/jobs/ingest')).to.include.members([old.id, v1Job]);
    expect(await listed('/jobs/query')).to.include(queryJob);

    await control(emu, 'POST', '/clock', { advanceDays: 2 });
    const young = (await runIngest(emu, 'Account', 'insert', 'Name\nYoung\n')).info;

    // 6 days later: the first jobs ended 8 days ago, the young one 6 days ago.
    const moved = (await control(emu, 'POST', '/clock', { advanceDays: 6 })).json as { now: string };
    expect(Date.parse(moved.now) - Date.parse(old.systemModstamp.replace('+0000', 'Z'))).to.be.greaterThan(8 * 86_400_000 - 60_000);

    const ingest = await listed('/jobs/ingest');
    expect(ingest).to.not.include(old.id);
    expect(ingest).to.not.include(v1Job);
    expect(ingest).to.include(young.id);
    expect(await listed('/jobs/ingest?jobType=Classic')).to.deep.equal([]);
    expect(await listed('/jobs/query')).to.not.include(queryJob);

    const info = await call(emu, 'GET', `${V}/jobs/ingest/${old.id}`);
    expect(info.status).to.equal(404);
    expect(info.json).to.deep.equal([{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }]);
    expect((await call(emu, 'GET', `${V}/jobs/ingest/${old.id}/successfulResults`)).status).to.equal(404);
    expect((await call(emu, 'GET', `${V}/jobs/query/${queryJob}`)).status).to.equal(404);
    const v1 = await call(emu, 'GET', `${V1}/job/${v1Job}`);
    expect(v1.status).to.equal(400);
    expect(xmlText(v1.text, 'exceptionCode')).to.equal('InvalidJob');

    // The records the jobs wrote stay, of course.
    expect([...emu.store.all('Account')].map((a) => a.Name).sort()).to.deep.equal(['Old One', 'Old Two', 'Old V1', 'Young']);
    expect((await call(emu, 'GET', `${V}/jobs/ingest/${young.id}`)).status).to.equal(200);
  });
});
