/*
 * Conformance: the official `sf` CLI logs in to the emulator (access token, sfdx auth URL with a
 * refresh token) and reads data over REST with `sf data query`, as it would against an org.
 */
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { SfHome } from '../../helpers/sf.js';
import { startTlsFront, write } from './support.js';

type QueryJson = { totalSize: number; done: boolean; records: Array<Record<string, unknown>> };

describe('conformance: sf login and REST query', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let sf: SfHome;

  before(async () => {
    emu = await startEmulator();
    sf = new SfHome();
    await sf.login(emu.url, emu.accessToken, 'emu');
  });

  after(async () => {
    await emu.stop();
    sf.dispose();
  });

  it('sf org login access-token stores the user the token belongs to and the instance URL', async () => {
    // The login handshake the CLI made in before(): userinfo, then the User record on the
    // hard-coded v51.0 path, which gives the stored username (the requests @salesforce/core's org login makes).
    const paths = emu.requests.map((r) => `${r.method} ${r.path} ${r.status}`);
    expect(paths).to.include('GET /services/oauth2/userinfo 200');
    expect(paths).to.include(`GET /services/data/v51.0/sobjects/User/${emu.defaultUserId} 200`);

    const r = await sf.run(['org', 'display', '--target-org', 'emu', '--json']);
    expect(r.code, r.stdout).to.equal(0);
    const org = r.json?.result as Record<string, string>;
    expect(org.username).to.equal('admin@bulkops.emu');
    // plugin-auth stores the --instance-url as a URL object prints it (with a trailing slash).
    expect(new URL(org.instanceUrl).origin).to.equal(emu.url);
    expect(org.id).to.equal(emu.orgId);
    expect(org.alias).to.equal('emu');
    expect(org.connectedStatus).to.equal('Connected');
    expect(org.apiVersion).to.equal('66.0');
  });

  it('sf org login sfdx-url exchanges the refresh token, and the org keeps working after the session expires', async function () {
    const front = await startTlsFront(emu, sf.home);
    if (!front) this.skip();
    try {
      const env = { NODE_EXTRA_CA_CERTS: front.caFile };
      const refreshToken = emu.refreshTokenFor('loader@bulkops.emu');
      const authFile = write(sf.home, 'auth-url.txt', `force://PlatformCLI::${refreshToken}@${front.host}`);
      const before = emu.requests.length;
      const login = await sf.run(['org', 'login', 'sfdx-url', '--sfdx-url-file', authFile, '--alias', 'viaurl', '--json'], { env });
      expect(login.code, login.stdout + login.stderr).to.equal(0);
      const fields = login.json?.result as Record<string, string>;
      expect(fields.username).to.equal('loader@bulkops.emu');
      expect(fields.orgId).to.equal(emu.orgId);
      expect(fields.instanceUrl, 'instance_url from the token response').to.equal(emu.url);
      const loginCalls = emu.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`);
      expect(loginCalls[0]).to.equal('POST /services/oauth2/token 200');

      // Expire the session the refresh gave (not the access-token login's, which cannot refresh).
      for (const s of emu.sessions.list()) if (s.accessToken !== emu.accessToken) s.expired = true;
      emu.insertRecords('Account', [{ Name: 'Refresh Check', External_Id__c: 'RT-1' }]);
      const mark = emu.requests.length;
      const q = await sf.run(['data', 'query', '--query', "SELECT Id, Name FROM Account WHERE External_Id__c = 'RT-1'", '--target-org', 'viaurl', '--json'], { env });
      expect(q.code, q.stdout + q.stderr).to.equal(0);
      const result = q.json?.result as QueryJson;
      expect(result.totalSize).to.equal(1);
      expect(result.records[0].Name).to.equal('Refresh Check');
      const calls = emu.requests.slice(mark);
      // 401 INVALID_SESSION_ID, one refresh-token grant, then the same query again with the new token.
      expect(calls.some((c) => c.status === 401)).to.equal(true);
      expect(calls.filter((c) => c.method === 'POST' && c.path === '/services/oauth2/token' && c.status === 200)).to.have.length(1);
      const loaderId = [...emu.store.all('User')].find((u) => u.Username === 'loader@bulkops.emu')!.Id;
      expect(calls.filter((c) => c.path === '/services/data/v66.0/query' && c.status === 200 && c.userId === loaderId)).to.not.be.empty;
    } finally {
      await front.close();
    }
  });

  it('sf data query returns records with parent fields as REST nests them', async () => {
    const [acct] = emu.insertRecords('Account', [{ Name: 'Parent Co', External_Id__c: 'Q-P1', NumberOfEmployees: 42 }]);
    emu.insertRecords('Contact', [
      { LastName: 'Zeta', FirstName: 'Zoe', AccountId: acct, External_Id__c: 'Q-C1', Email: 'zoe@example.com' },
      { LastName: 'Alpha', FirstName: 'Al', AccountId: null, External_Id__c: 'Q-C2' },
    ]);
    const r = await sf.run([
      'data',
      'query',
      '--query',
      "SELECT Id, LastName, Email, Account.Name, Account.NumberOfEmployees FROM Contact WHERE External_Id__c LIKE 'Q-%' ORDER BY LastName",
      '--target-org',
      'emu',
      '--json',
    ]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const result = r.json?.result as QueryJson;
    expect(result.totalSize).to.equal(2);
    expect(result.done).to.equal(true);
    const [alpha, zeta] = result.records;
    const ids = [...emu.store.all('Contact')].filter((c) => String(c.External_Id__c).startsWith('Q-'));
    expect(alpha).to.deep.equal({
      attributes: { type: 'Contact', url: `/services/data/v66.0/sobjects/Contact/${ids.find((c) => c.LastName === 'Alpha')!.Id as string}` },
      Id: ids.find((c) => c.LastName === 'Alpha')!.Id,
      LastName: 'Alpha',
      Email: null,
      Account: null,
    });
    expect(zeta).to.deep.equal({
      attributes: { type: 'Contact', url: `/services/data/v66.0/sobjects/Contact/${ids.find((c) => c.LastName === 'Zeta')!.Id as string}` },
      Id: ids.find((c) => c.LastName === 'Zeta')!.Id,
      LastName: 'Zeta',
      Email: 'zoe@example.com',
      Account: { attributes: { type: 'Account', url: `/services/data/v66.0/sobjects/Account/${acct}` }, Name: 'Parent Co', NumberOfEmployees: 42 },
    });
  });

  it('sf data query with COUNT() returns the count as totalSize and no records', async () => {
    const r = await sf.run(['data', 'query', '--query', 'select count() from account', '--target-org', 'emu', '--json']);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    const result = r.json?.result as QueryJson;
    expect(result.totalSize).to.equal(emu.store.count('Account'));
    expect(result.totalSize).to.be.greaterThan(0);
    expect(result.records).to.deep.equal([]);
  });

  it('sf data query follows nextRecordsUrl until done and returns every record once', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `Paged ${String(i).padStart(2, '0')}`);
    emu.insertRecords(
      'Account',
      names.map((Name, i) => ({ Name, External_Id__c: `PG-${i}` }))
    );
    const saved = emu.settings.queryPageSize;
    emu.settings.queryPageSize = 5;
    const mark = emu.requests.length;
    try {
      const r = await sf.run(['data', 'query', '--query', "SELECT Name FROM Account WHERE Name LIKE 'Paged%' ORDER BY Name", '--target-org', 'emu', '--json']);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
      const result = r.json?.result as QueryJson;
      expect(result.totalSize).to.equal(12);
      expect(result.done).to.equal(true);
      expect(result.records.map((rec) => rec.Name)).to.deep.equal(names);
    } finally {
      emu.settings.queryPageSize = saved;
    }
    // Three pages: the query itself, then two queryMore calls on the locator the first page gave.
    const more = emu.requests.slice(mark).filter((c) => /^\/services\/data\/v66\.0\/query\/01g\w+-\d+$/.test(c.path));
    expect(more.map((c) => c.path.split('-').pop())).to.deep.equal(['5', '10']);
    expect(more.every((c) => c.status === 200)).to.equal(true);
  });
});
