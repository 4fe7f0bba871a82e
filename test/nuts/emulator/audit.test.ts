/*
 * The audit seed (test/emulator/seeds/audit-org.json, written by generate-audit-seed.ts): six
 * months of a mid-size org's bulk activity. A real org keeps job records for 7 days only, so Get
 * All Jobs shows the last week while the older history survives in the event logs (EventLogFile
 * BulkApi, BulkApi2, ApiTotalUsage, read through REST query and the LogFile blob).
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { readSeedFile, type Seed } from '../../emulator/seed.js';
import type { AuditSeed, HistoricalJob } from '../../emulator/audit.js';
import { type CsvRows, V, V1, call, ms, readCsv, xmlText } from './support.js';

const SEED_FILE = fileURLToPath(new URL('../../emulator/seeds/audit-org.json', import.meta.url));
const DAY = 86_400_000;

type ElfRecord = { Id: string; EventType: string; LogDate: string; LogFile: string; LogFileLength: number; LogFileFieldNames: string };

describe('emulator audit seed', function () {
  this.timeout(30_000);
  let seed: Seed;
  let audit: AuditSeed;
  let emu: Emulator;
  /** whole days the seed's history was moved by */
  let shift: number;
  const logs = new Map<string, CsvRows>();

  const userId = (username: string): string => seed.users!.find((u) => u.username === username)!.id!;
  const query = async <T>(soql: string): Promise<T[]> => {
    const r = await call(emu, 'GET', `${V}/query?q=${encodeURIComponent(soql)}`);
    expect(r.status, r.text).to.equal(200);
    return (r.json as { records: T[] }).records;
  };
  /** Every row of every log file of a type, read as a client reads them. */
  const eventRows = async (eventType: string): Promise<CsvRows> => {
    if (!logs.has(eventType)) {
      const files = await query<ElfRecord>(`SELECT Id, EventType, LogDate, LogFile, LogFileLength, LogFileFieldNames FROM EventLogFile WHERE EventType = '${eventType}' ORDER BY LogDate`);
      const rows: CsvRows = [];
      for (const f of files) {
        const r = await call(emu, 'GET', f.LogFile);
        expect(r.status).to.equal(200);
        expect(r.headers.get('content-type')).to.equal('text/csv');
        expect(Buffer.byteLength(r.text)).to.equal(f.LogFileLength);
        expect(r.text.slice(0, r.text.indexOf('\n')).replace(/"/g, '')).to.equal(f.LogFileFieldNames);
        rows.push(...readCsv(r.text));
      }
      logs.set(eventType, rows);
    }
    return logs.get(eventType)!;
  };
  const allPages = async (path: string): Promise<Array<{ id: string; createdDate: string; jobType: string }>> => {
    const out: Array<{ id: string; createdDate: string; jobType: string }> = [];
    let next: string | null = `${V}${path}`;
    while (next) {
      const page = (await call(emu, 'GET', next)).json as { records: typeof out; nextRecordsUrl: string | null };
      out.push(...page.records);
      next = page.nextRecordsUrl;
    }
    return out;
  };
  /** The seed's jobs a 7-day retention keeps at the emulator's now (V1: by the youngest batch). */
  const kept = (jobs: HistoricalJob[]): string[] => {
    const cutoff = emu.clock.now() - 7 * DAY;
    return jobs
      .filter((j) => {
        const at = j.jobType === 'Classic' ? Math.max(ms(j.createdDate), ...(j.batches ?? []).map((b) => ms(b.createdDate))) : ms(j.systemModstamp);
        return at + shift >= cutoff;
      })
      .map((j) => j.id);
  };

  before(async () => {
    seed = readSeedFile(SEED_FILE);
    audit = seed.audit!;
    emu = await startEmulator({ seed });
    shift = Math.floor(emu.clock.now() / DAY) * DAY - Math.floor(Date.parse(audit.asOf) / DAY) * DAY;
  });

  after(async () => {
    await emu.stop();
  });

  it('holds about six months of history for 8 to 10 integrations, two admins and connected apps', async () => {
    const first = Math.min(...audit.jobs!.map((j) => ms(j.createdDate)));
    expect(Date.parse(audit.asOf) - first).to.be.within(175 * DAY, 190 * DAY);
    const users = await query<{ Username: string; ProfileName: string; IsActive: boolean }>("SELECT Username, ProfileName, IsActive FROM User WHERE Username LIKE 'int.%'");
    expect(users.length).to.be.within(8, 10);
    expect(users.every((u) => u.ProfileName === 'Salesforce API Only System Integrations' && u.IsActive)).to.equal(true);
    const apps = await query<{ Id: string; Name: string }>('SELECT Id, Name FROM ConnectedApplication ORDER BY Name');
    expect(apps.map((a) => a.Name)).to.include.members(['Salesforce CLI', 'Dataloader Bulkv2']);
    expect(apps.length).to.be.within(5, 12);
    const kinds = new Set(audit.jobs!.map((j) => `${j.jobType}/${j.operation}`));
    expect([...kinds]).to.include.members(['V2Ingest/insert', 'V2Ingest/upsert', 'V2Ingest/hardDelete', 'Classic/upsert', 'V2Query/query']);
  });

  it('Get All Jobs lists only the jobs of the last 7 days, as a real org keeps them', async () => {
    const ingest = audit.jobs!.filter((j) => j.jobType !== 'V2Query');
    const expected = kept(ingest);
    expect(expected.length).to.be.greaterThan(5);
    expect(expected.length).to.be.lessThan(ingest.length / 10);
    const listed = await allPages('/jobs/ingest');
    expect(listed.map((j) => j.id).sort()).to.deep.equal([...expected].sort());
    expect(listed.some((j) => j.jobType === 'Classic')).to.equal(true);
    for (const j of listed) expect(emu.clock.now() - ms(j.createdDate)).to.be.lessThan(8 * DAY);
    const queries = await allPages('/jobs/query');
    expect(queries.map((j) => j.id).sort()).to.deep.equal(kept(audit.jobs!.filter((j) => j.jobType === 'V2Query')).sort());

    // A recent failed job keeps its job info, error included.
    const failed = audit.jobs!.find((j) => j.state === 'Failed' && expected.includes(j.id));
    expect(failed, 'a failed job in the last 7 days').to.not.equal(undefined);
    const info = (await call(emu, 'GET', `${V}/jobs/ingest/${failed!.id}`)).json as Record<string, unknown>;
    expect(info).to.include({ state: 'Failed', errorMessage: failed!.errorMessage, numberRecordsProcessed: failed!.numberRecordsProcessed });
  });

  it('an integration that stopped three months ago is found only in the event logs', async () => {
    const legacy = userId('int.legacycrm@northwind.example');
    const jobs = audit.jobs!.filter((j) => j.createdById === legacy);
    expect(jobs.length).to.be.greaterThan(5);
    expect(jobs.every((j) => j.jobType === 'Classic' && j.concurrencyMode === 'Serial')).to.equal(true);
    const last = jobs[jobs.length - 1];
    expect(emu.clock.now() - (ms(last.systemModstamp) + shift)).to.be.greaterThan(85 * DAY);

    const v1 = await call(emu, 'GET', `${V1}/job/${last.id}`);
    expect(v1.status).to.equal(400);
    expect(xmlText(v1.text, 'exceptionCode')).to.equal('InvalidJob');
    expect((await allPages('/jobs/ingest')).some((j) => jobs.some((x) => x.id === j.id))).to.equal(false);

    const rows = (await eventRows('BulkApi')).filter((r) => r.USER_ID === legacy.slice(0, 15));
    expect(new Set(rows.map((r) => r.JOB_ID))).to.deep.equal(new Set(jobs.map((j) => j.id.slice(0, 15))));
    const lastSeen = Math.max(...rows.map((r) => Date.parse(r.TIMESTAMP_DERIVED)));
    expect(emu.clock.now() - lastSeen).to.be.within(85 * DAY, 100 * DAY);
    // The dates moved with the history: TIMESTAMP and TIMESTAMP_DERIVED agree.
    const r0 = rows[0];
    expect(r0.TIMESTAMP).to.equal(new Date(Date.parse(r0.TIMESTAMP_DERIVED)).toISOString().replace(/[-:T]/g, '').replace(/Z$/, ''));
  });

  it('ApiTotalUsage names the client and the connected app; two unknown sources carry neither', async () => {
    const rows = await eventRows('ApiTotalUsage');
    const apps = new Set((await query<{ Id: string }>('SELECT Id FROM ConnectedApplication')).map((a) => a.Id.slice(0, 15)));
    const byUser = new Map<string, { clients: Set<string>; apps: Set<string> }>();
    for (const r of rows) {
      const u = byUser.get(r.USER_ID) ?? { clients: new Set(), apps: new Set() };
      u.clients.add(r.CLIENT_NAME);
      u.apps.add(r.CONNECTED_APP_ID);
      byUser.set(r.USER_ID, u);
      if (r.CONNECTED_APP_ID) expect(apps.has(r.CONNECTED_APP_ID), r.CONNECTED_APP_ID).to.equal(true);
    }
    const erp = byUser.get(userId('int.erp@northwind.example').slice(0, 15))!;
    expect([...erp.clients]).to.deep.equal(['AcmeERP/4.2']);
    const unknown = [...byUser.entries()].filter(([, u]) => [...u.clients].every((c) => c === '') && [...u.apps].every((a) => a === '')).map(([id]) => id);
    expect(unknown.sort()).to.deep.equal([userId('svc.reporting@northwind.example'), userId('j.doe@northwind.example')].map((id) => id.slice(0, 15)).sort());
    // Some integrations have no connected app but do name their client.
    const appless = [...byUser.values()].filter((u) => [...u.apps].every((a) => a === '') && [...u.clients].some((c) => c !== ''));
    expect(appless.length).to.be.greaterThan(0);
  });

  it('the logs show hardDelete, failed and long-running jobs, V2 ingest, V1 and query jobs; async Apex shows failures', async () => {
    const v2 = await eventRows('BulkApi2');
    const purge = userId('int.purge@northwind.example').slice(0, 15);
    expect(v2.some((r) => r.OPERATION_TYPE === 'hardDelete' && r.USER_ID === purge)).to.equal(true);
    const purgeUser = await query<{ PermissionsBulkApiHardDelete: boolean }>("SELECT PermissionsBulkApiHardDelete FROM User WHERE Username = 'int.purge@northwind.example'");
    expect(purgeUser[0].PermissionsBulkApiHardDelete).to.equal(true);
    expect(v2.filter((r) => r.JOB_STATUS === 'Failed').length).to.be.greaterThan(2);
    expect(v2.some((r) => r.JOB_STATUS === 'Aborted')).to.equal(true);
    expect(v2.some((r) => r.OPERATION_TYPE === 'query' && r.JOB_STATUS === 'JobComplete')).to.equal(true);
    expect(Math.max(...v2.map((r) => Number(r.RUN_TIME)))).to.be.greaterThan(3_600_000);
    expect((await eventRows('BulkApi')).length).to.be.greaterThan(50);
    for (const r of v2.slice(0, 50)) expect(r.JOB_ID).to.have.length(15);

    const failures = await query<{ ApexClass: { Name: string }; Status: string; ExtendedStatus: string; NumberOfErrors: number }>(
      "SELECT ApexClass.Name, Status, ExtendedStatus, NumberOfErrors FROM AsyncApexJob WHERE Status = 'Failed'"
    );
    expect(failures.length).to.be.greaterThan(3);
    for (const f of failures) {
      expect(f.ExtendedStatus).to.match(/^First error: /);
      expect(f.NumberOfErrors).to.be.greaterThan(0);
    }
  });

  it('without Event Monitoring the org has no event log files', async () => {
    const plain = await startEmulator({ seed, settings: { eventMonitoring: false } });
    try {
      const r = await call(plain, 'GET', `${V}/query?q=${encodeURIComponent('SELECT Id FROM EventLogFile')}`);
      expect(r.status).to.equal(200);
      expect((r.json as { totalSize: number }).totalSize).to.equal(0);
      const some = audit.eventLogFiles![0].id;
      expect((await call(plain, 'GET', `${V}/sobjects/EventLogFile/${some}/LogFile`)).status).to.equal(404);
      // The rest of the history is there.
      expect((await call(plain, 'GET', `${V}/query?q=${encodeURIComponent("SELECT Id FROM AsyncApexJob WHERE Status = 'Failed'")}`)).status).to.equal(200);
    } finally {
      await plain.stop();
    }
  });
});
