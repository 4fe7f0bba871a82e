/*
 * Event Monitoring for the jobs that run against the emulator (Object Reference: EventLogFile;
 * Bulk API 2.0, Bulk API, Bulk API Request and API Total Usage Event Types): nothing the day the
 * jobs run; once the day is over (and the publishing delay passed on the simulated clock), one
 * Daily EventLogFile per event type whose LogFile rows tell each job: BulkApi2 a row per state step
 * with its 21 documented columns (no client name), BulkApi a row per V1 batch, BulkApiRequest and
 * ApiTotalUsage a row per call with CLIENT_NAME and CONNECTED_APP_ID.
 */
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { INT_USER, SYNC_APP, startEventLogOrg } from '../../helpers/eventLogOrg.js';
import { type CsvRows, V, call, control, readCsv, runV1, submitIngest, waitForIngest, waitForV1 } from './support.js';

const HOUR = 3_600_000;
const APP = SYNC_APP.id;

type ElfRecord = { Id: string; EventType: string; LogDate: string; Interval: string; LogFile: string; LogFileFieldNames: string; CreatedDate: string };

describe('emulator: event log files of the jobs that ran, a day later', function () {
  this.timeout(30_000);
  let emu: Emulator;
  let token: string;

  before(async () => {
    emu = await startEventLogOrg();
    token = emu.tokenFor(INT_USER);
  });

  after(() => emu.stop());

  const headers = { 'Sforce-Call-Options': 'client=SyncTool/3.1' };
  const files = async (): Promise<ElfRecord[]> => {
    const q = encodeURIComponent('SELECT Id, EventType, LogDate, Interval, LogFile, LogFileFieldNames, CreatedDate FROM EventLogFile ORDER BY EventType');
    return ((await call(emu, 'GET', `${V}/query?q=${q}`)).json as { records: ElfRecord[] }).records;
  };
  const rows = async (f: ElfRecord): Promise<CsvRows> => readCsv((await call(emu, 'GET', f.LogFile)).text);

  it('publishes BulkApi2, BulkApi, BulkApiRequest and ApiTotalUsage files for the day, with the jobs and their client and connected app', async () => {
    const ran = emu.clock.now();
    const v2 = await submitIngest(emu, 'Account', 'insert', 'Name\nLogged One\nLogged Two\n', {}, { token, headers });
    await waitForIngest(emu, v2);
    const { jobId: v1, batchIds } = await runV1(emu, 'Account', 'insert', 'Parallel', ['Name\nLogged V1\n'], { token, headers });
    await waitForV1(emu, v1);
    expect(await files()).to.deep.equal([]);

    // The day is over, the files not yet out; then they are.
    const dayEnd = Math.floor(ran / 86_400_000 + 1) * 86_400_000;
    await control(emu, 'POST', '/clock', { advanceMs: dayEnd - emu.clock.now() + HOUR });
    expect(await files()).to.deep.equal([]);
    await control(emu, 'POST', '/clock', { advanceMs: 2 * HOUR + 60_000 });
    const published = await files();
    expect(published.map((f) => f.EventType)).to.deep.equal(['ApiTotalUsage', 'BulkApi', 'BulkApi2', 'BulkApiRequest']);
    for (const f of published) {
      expect(f.Interval).to.equal('Daily');
      expect(Date.parse(f.LogDate.replace('+0000', 'Z'))).to.equal(dayEnd - 86_400_000);
      expect(Date.parse(f.CreatedDate.replace('+0000', 'Z'))).to.equal(dayEnd + 3 * HOUR);
    }
    const byType = new Map(published.map((f) => [f.EventType, f]));
    const intUser = [...emu.store.all('User')].find((u) => u.Username === INT_USER)!.Id as string;

    const bulkApi2 = byType.get('BulkApi2')!;
    expect(bulkApi2.LogFileFieldNames.split(',')).to.have.length(21);
    expect(bulkApi2.LogFileFieldNames.split(',')).to.not.include.members(['CLIENT_NAME', 'CONNECTED_APP_ID']);
    const steps = (await rows(bulkApi2)).filter((r) => r.JOB_ID === v2.slice(0, 15));
    expect(steps.map((r) => r.JOB_STATUS)).to.deep.equal(['Open', 'UploadComplete', 'InProgress', 'JobComplete']);
    expect(steps[3]).to.include({ ENTITY_TYPE: 'Account', OPERATION_TYPE: 'insert', RECORDS_PROCESSED: '2', RECORDS_FAILED: '0', USER_ID: intUser.slice(0, 15), USER_ID_DERIVED: intUser, URI_ID_DERIVED: v2 });

    const batches = (await rows(byType.get('BulkApi')!)).filter((r) => r.JOB_ID === v1.slice(0, 15));
    expect(batches.map((r) => [r.BATCH_ID, r.ROWS_PROCESSED, r.SUCCESS])).to.deep.equal([[batchIds[0].slice(0, 15), '1', 'true']]);

    // The integration user's requests (the polls are the admin's).
    const requests = (await rows(byType.get('BulkApiRequest')!)).filter((r) => r.JOB_ID === v1.slice(0, 15) && r.USER_ID === intUser.slice(0, 15));
    expect(requests.map((r) => r.REQUEST_PATH.replace(v1, '{job}').replace(batchIds[0], '{batch}'))).to.include.members(['/services/async/66.0/job', '/services/async/66.0/job/{job}/batch', '/services/async/66.0/job/{job}']);
    for (const r of requests) expect(r).to.include({ CLIENT_NAME: 'SyncTool/3.1', CONNECTED_APP_ID: APP.slice(0, 15), ENTITY_TYPE: 'Account', OPERATION_TYPE: 'insert', CONCURRENCY_MODE: 'Parallel', SUCCESS: 'true' });

    // The integration user's calls (the polls are the admin's, with no client name).
    const usage = (await rows(byType.get('ApiTotalUsage')!)).filter((r) => r.API_RESOURCE.includes(v2) && r.USER_NAME === INT_USER);
    expect(usage.map((r) => [r.HTTP_METHOD, r.API_RESOURCE])).to.deep.equal([
      ['PUT', `/v66.0/jobs/ingest/${v2}/batches`],
      ['PATCH', `/v66.0/jobs/ingest/${v2}`],
    ]);
    for (const r of usage) expect(r).to.include({ API_FAMILY: 'REST', CLIENT_NAME: 'SyncTool/3.1', CONNECTED_APP_ID: APP.slice(0, 15), CONNECTED_APP_NAME: 'Sync Connector', USER_NAME: INT_USER });
    // The session's token is never written, not even in part.
    for (const f of published) expect((await call(emu, 'GET', f.LogFile)).text).to.not.include(token.slice(18, 40));
  });
});
