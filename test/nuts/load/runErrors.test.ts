/*
 * The errors that end a load part-way (issue 27; issue 26 point 4), through the real `sf` binary
 * against the emulator: each ends with one block that names the run, says how many rows the org
 * has, and gives the command to go on; no HTML page and no stack in it or in the retry lines. Then
 * that command, once the fault is gone, ends with exactly one record per row.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { QUICK_RETRY } from '../../helpers/quickRetry.js';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import type { SfHome, SfRun } from '../../helpers/sf.js';
import type { FaultSpec } from '../../emulator/faults.js';
import { smallFileSystem } from '../../helpers/tmpfs.js';
import { startTlsFront, write as writeFile } from '../conformance/support.js';


/** A Bulk API 2.0 job's close (PATCH …/jobs/ingest/<id>): the data is in the org by then. */
const CLOSE = { method: 'PATCH', path: '/jobs/ingest/[^/]+$' };

type ErrorJson = { name: string; message: string; exitCode: number; data?: { runId: string; action: string; retryable: boolean; rows: { total?: number; inOrg: number } } };

describe('errors that end a run (through the real sf binary)', function () {
  this.timeout(300_000);
  let linked: LinkedSf;
  let emu: Emulator;
  let sf: SfHome;

  before(async () => {
    linked = await sfOnEmulator();
    ({ emu, sf } = linked);
  });

  after(() => linked.stop());

  afterEach(() => emu.clearFaults());

  const csv = (tag: string, n: number): string => {
    const path = join(sf.home, `${tag}.csv`);
    writeFileSync(path, `Name,External_Id__c\n${Array.from({ length: n }, (_, i) => `${tag} ${i + 1},${tag}-${i + 1}`).join('\n')}\n`);
    return path;
  };

  const ledgerOf = (tag: string): string => {
    const dir = join(sf.home, `ledger-${tag}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  /** The one run in a ledger folder. */
  const onlyRun = (ledgerDir: string): string => {
    const runs = readdirSync(ledgerDir).filter((f) => /^\d{8}-\d{6}-[0-9a-f]{6}$/.test(f));
    expect(runs, 'one run in the ledger folder').to.have.length(1);
    return runs[0];
  };

  const resumeCmd = (runId: string, ledgerDir: string): string => `sf bulkops resume --run-id ${runId} --ledger-dir "${ledgerDir}"`;

  const load = (file: string, ledgerDir: string, extra: string[] = []): Promise<SfRun> =>
    sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--ledger-dir', ledgerDir, ...extra], { env: QUICK_RETRY });

  /** The final message a person reads: the run, the command to go on, no HTML, no stack. */
  const expectRunBlock = (r: SfRun, runId: string, ledgerDir: string): void => {
    const all = r.stdout + r.stderr;
    expect(r.code, all).to.equal(1);
    expect(r.stderr, 'names the run').to.include(`Run ${runId}: `);
    expect(r.stderr, 'says what is safe').to.include('nothing is lost or sent twice by resuming');
    expect(r.stderr, 'the command to go on').to.include(`Then go on with: ${resumeCmd(runId, ledgerDir)}`);
    expect(r.stderr, 'no HTML').not.to.match(/<\/?[a-z!][^>]*>/i);
    expect(r.stderr, 'no stack line').not.to.match(/^\s+at .+:\d+:\d+\)?$/m);
  };

  const expectEveryRowOnce = (tag: string, n: number): void => {
    const ext = [...emu.store.all('Account')].map((a) => a.External_Id__c as string).filter((x) => x?.startsWith(`${tag}-`));
    expect(ext.length, 'one record per row').to.equal(n);
    expect(new Set(ext).size, 'no row twice').to.equal(n);
  };

  const resume = async (runId: string, ledgerDir: string): Promise<void> => {
    const r = await sf.run(['bulkops', 'resume', '--run-id', runId, '--ledger-dir', ledgerDir, '--json'], { env: QUICK_RETRY });
    expect(r.code, r.stdout + r.stderr).to.equal(0);
  };

  /** A load of `rows` rows tagged `tag` under a fault that outlasts the retry time: what it printed, its run and ledger folder. */
  const faultedLoad = async (tag: string, rows: number, fault: FaultSpec): Promise<{ r: SfRun; runId: string; ledgerDir: string }> => {
    const file = csv(tag, rows);
    const ledgerDir = ledgerOf(tag.toLowerCase());
    emu.addFault(fault);
    const r = await load(file, ledgerDir);
    const runId = onlyRun(ledgerDir);
    expectRunBlock(r, runId, ledgerDir);
    return { r, runId, ledgerDir };
  };

  /** The fault gone, resume: every row of `tag` once in the org. */
  const resumeEndsOnce = async (runId: string, ledgerDir: string, tag: string, rows: number): Promise<void> => {
    emu.clearFaults();
    await resume(runId, ledgerDir);
    expectEveryRowOnce(tag, rows);
  };

  it('a load balancer\'s 503 page past the retry time: its status and title only, in the retry lines and the error; resume ends once', async () => {
    const { r, runId, ledgerDir } = await faultedLoad('PAGE', 300, { kind: 'status', status: 503, ...CLOSE, count: 100_000 });
    expect(r.stderr).to.include('503 Service Unavailable');
    expect(r.stderr).to.include(`Run ${runId}: 300 of 300 rows are in jobs the org has`);
    const retries = r.stdout.split('\n').filter((l) => l.includes('503 Service Unavailable'));
    expect(retries.length, r.stdout).to.be.greaterThan(0);
    expect(r.stdout, 'no HTML in the retry lines').not.to.match(/<\/?[a-z!][^>]*>/i);
    // The whole page is kept in the run's folder for support, and the message says where.
    const kept = readdirSync(join(ledgerDir, runId, 'answers'));
    expect(kept).to.have.length(1);
    expect(r.stderr).to.include(join(ledgerDir, runId, 'answers', kept[0]));
    expect(readFileSync(join(ledgerDir, runId, 'answers', kept[0]), 'utf8')).to.include('<title>503 Service Unavailable</title>');
    await resumeEndsOnce(runId, ledgerDir, 'PAGE', 300);
  });

  it('a session that expires under an access-token login: no refresh tried, the logins that refresh named; log in, resume ends once', async () => {
    const file = csv('SESSION', 300);
    const ledgerDir = ledgerOf('session');
    const tokenCalls = emu.requests.filter((q) => q.path === '/services/oauth2/token').length;
    emu.addFault({ kind: 'expire-session', method: 'PUT', path: '/batches$', count: 1 });
    let r: SfRun;
    try {
      r = await load(file, ledgerDir);
    } finally {
      // The org's sessions stay expired: the tests after this one need a login that works.
      await sf.login(emu.url, emu.tokenFor(emu.defaultUsername));
    }
    const runId = onlyRun(ledgerDir);
    expectRunBlock(r, runId, ledgerDir);
    expect(r.stderr).to.include('INVALID_SESSION_ID');
    for (const login of ['sf org login web', 'sf org login jwt', 'sf org login sfdx-url']) expect(r.stderr).to.include(login);
    expect(emu.requests.filter((q) => q.path === '/services/oauth2/token').length, 'no refresh tried').to.equal(tokenCalls);

    await resume(runId, ledgerDir);
    expectEveryRowOnce('SESSION', 300);
  });

  for (const refusal of [
    { what: 'a job creation (Bulk API 2.0)', tag: 'REFC', api: [] as string[], fault: { kind: 'expire-session', method: 'POST', path: '/jobs/ingest$', count: 1 } as FaultSpec },
    { what: 'a V1 batch add', tag: 'REFB', api: ['--bulk-api', 'v1', '--concurrency', 'parallel'], fault: { kind: 'expire-session', method: 'POST', path: '/job/[^/]+/batch$', count: 1 } as FaultSpec },
    { what: 'a V1 batch add, by the allocation', tag: 'REFL', api: ['--bulk-api', 'v1', '--concurrency', 'parallel'], fault: { kind: 'limit', method: 'POST', path: '/job/[^/]+/batch$', count: 100_000 } as FaultSpec },
  ]) {
    it(`${refusal.what} refused by the org: nothing is in doubt, so the resume sends it at once (no wait for the answer bound); every row once`, async () => {
      const file = csv(refusal.tag, 300);
      const ledgerDir = ledgerOf(refusal.tag.toLowerCase());
      emu.addFault(refusal.fault);
      let r: SfRun;
      try {
        r = await load(file, ledgerDir, refusal.api);
      } finally {
        if (refusal.fault.kind === 'expire-session') await sf.login(emu.url, emu.tokenFor(emu.defaultUsername));
      }
      const runId = onlyRun(ledgerDir);
      expectRunBlock(r, runId, ledgerDir);
      emu.clearFaults();
      // The default bound (11 minutes) is in effect: a send left in doubt would hold the resume past its time-out.
      const resumed = await sf.run(['bulkops', 'resume', '--run-id', runId, '--ledger-dir', ledgerDir], { env: QUICK_RETRY });
      expect(resumed.code, resumed.stdout + resumed.stderr).to.equal(0);
      expect(resumed.stdout + resumed.stderr).not.to.include("the org's own answer never came");
      expectEveryRowOnce(refusal.tag, 300);
    });
  }

  it('a session already expired at the load\'s first call: the logins that refresh named, no run to resume', async () => {
    const file = csv('EARLY', 10);
    const ledgerDir = ledgerOf('early');
    emu.sessions.expireAll();
    let r: SfRun;
    try {
      r = await load(file, ledgerDir);
    } finally {
      await sf.login(emu.url, emu.tokenFor(emu.defaultUsername));
    }
    expect(r.code, r.stderr).to.equal(1);
    expect(readdirSync(ledgerDir), 'no run was started').to.deep.equal([]);
    expect(r.stderr).to.include('Error (SessionExpiredError)').and.include('sf org login web').and.include('run the command again');
    expect(r.stderr).not.to.include('bulkops resume');
    expect(r.stderr, 'no stack line').not.to.match(/^\s+at .+:\d+:\d+\)?$/m);
  });

  it('a login that can refresh (SFDX auth URL) whose refresh token was revoked: the refusal said, log in again; resume ends once', async function () {
    const front = await startTlsFront(emu, sf.home);
    // sf org login sfdx-url logs in over https only: without openssl no such login can be made here.
    if (!front) this.skip();
    try {
      const env = { ...QUICK_RETRY, NODE_EXTRA_CA_CERTS: front.caFile };
      const loginByUrl = async (): Promise<void> => {
        const authFile = writeFile(sf.home, 'auth-url.txt', `force://PlatformCLI::${emu.refreshTokenFor()}@${front.host}`);
        const login = await sf.run(['org', 'login', 'sfdx-url', '--sfdx-url-file', authFile, '--alias', 'refreshing', '--json'], { env });
        expect(login.code, login.stdout + login.stderr).to.equal(0);
      };
      await loginByUrl();
      const file = csv('REVOKED', 300);
      const ledgerDir = ledgerOf('revoked');
      const tokenCalls = emu.requests.filter((q) => q.path === '/services/oauth2/token').length;
      emu.addFault({ kind: 'revoke-session', method: 'PUT', path: '/batches$', count: 1 });
      let r: SfRun;
      try {
        r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'refreshing', '--ledger-dir', ledgerDir], { env });
      } finally {
        await sf.login(emu.url, emu.tokenFor(emu.defaultUsername));
      }
      const runId = onlyRun(ledgerDir);
      expectRunBlock(r, runId, ledgerDir);
      expect(emu.requests.filter((q) => q.path === '/services/oauth2/token').length, 'a refresh was tried').to.be.greaterThan(tokenCalls);
      expect(r.stderr).to.include('getting a new one was refused');
      expect(r.stderr, 'no token in the message').not.to.match(/5Aep|00D\w{12}!/);
      await loginByUrl();
      const resumed = await sf.run(['bulkops', 'resume', '--run-id', runId, '--ledger-dir', ledgerDir, '--json'], { env });
      expect(resumed.code, resumed.stdout + resumed.stderr).to.equal(0);
      expectEveryRowOnce('REVOKED', 300);
    } finally {
      await front.close();
    }
  });

  it('the request allocation used up past the retry time: how much is used of what, the rolling 24 hours; --json has runId, action, retryable', async () => {
    const file = csv('LIMIT', 300);
    const ledgerDir = ledgerOf('limit');
    emu.updateSettings({ dailyApiRequests: 5000 });
    emu.addFault({ kind: 'limit', ...CLOSE, count: 100_000 });
    const r = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--ledger-dir', ledgerDir, '--json'], { env: QUICK_RETRY });
    expect(r.code, r.stdout).to.equal(1);
    const runId = onlyRun(ledgerDir);
    const err = r.json as unknown as ErrorJson;
    expect(err.name).to.equal('RequestLimitError');
    expect(err.data).to.deep.include({ runId, action: resumeCmd(runId, ledgerDir), retryable: true, rows: { total: 300, inOrg: 300 } });
    expect(err.message).to.include('REQUEST_LIMIT_EXCEEDED').and.include('rolling 24 hours');
    // What the org's limits resource says now, less this very call.
    const limits = (await (await fetch(`${emu.url}/services/data/v66.0/limits`, { headers: { Authorization: `Bearer ${emu.tokenFor(emu.defaultUsername)}` } })).json()) as { DailyApiRequests: { Max: number; Remaining: number } };
    const used = limits.DailyApiRequests.Max - limits.DailyApiRequests.Remaining - 1;
    expect(err.message).to.include(`DailyApiRequests ${used.toLocaleString('en-US')} of 5,000 used (${(5000 - used).toLocaleString('en-US')} left)`);
    expect(err.message, 'no HTML').not.to.match(/<\/?[a-z!][^>]*>/i);

    emu.updateSettings({ dailyApiRequests: 100_000 });
    await resumeEndsOnce(runId, ledgerDir, 'LIMIT', 300);
  });

  it('the network gone past the retry time: the action line names the run; resume ends once', async () => {
    const { r, runId, ledgerDir } = await faultedLoad('NET', 300, { kind: 'reset', ...CLOSE, count: 100_000 });
    expect(r.stderr).to.include('got no whole answer from the org');
    await resumeEndsOnce(runId, ledgerDir, 'NET', 300);
  });

  it('a reconcile --retry round that loses the network: the block names the run and its round; resume finishes the round once', async () => {
    const file = csv('ROUND', 300);
    const ledgerDir = ledgerOf('round');
    // The load's job processes 100 rows and fails: 200 rows are left to send again.
    emu.addJobFailure({ afterRows: 100 });
    const loaded = await load(file, ledgerDir);
    expect(loaded.code, loaded.stdout + loaded.stderr).to.equal(68);
    const runId = onlyRun(ledgerDir);
    emu.addFault({ kind: 'reset', ...CLOSE, count: 100_000 });
    const r = await sf.run(['bulkops', 'reconcile', '--run-id', runId, '--ledger-dir', ledgerDir, '--retry'], { env: QUICK_RETRY });
    expectRunBlock(r, runId, ledgerDir);
    expect(r.stderr).to.include('got no whole answer from the org');
    expect(r.stderr).to.include(`Run ${runId}: 300 of 300 rows are in jobs the org has`);
    expect(r.stderr).to.include('Round 1, which sends rows again: 200 of its 200 rows are in jobs the org has.');
    await resumeEndsOnce(runId, ledgerDir, 'ROUND', 300);
  });

  describe('on a small file system (tmpfs, needs root)', () => {
    const fs = smallFileSystem('160k');

    it('a full disk: the folder, the space free and needed, the next step; after freeing space, resume ends once', async () => {
      const file = csv('DISK', 3000);
      const ledgerDir = join(fs.dir, 'full');
      mkdirSync(ledgerDir);
      const r = await load(file, ledgerDir);
      const runId = onlyRun(ledgerDir);
      expectRunBlock(r, runId, ledgerDir);
      expect(r.stderr).to.match(/The disk holding \/\S+ is full \(ENOSPC\): \d+ KB free/);
      expect(r.stderr).to.include(ledgerDir);
      expect(r.stderr).to.match(/Free at least \d+ KB on that disk/);

      fs.remount('size=16m');
      await resume(runId, ledgerDir);
      expectEveryRowOnce('DISK', 3000);
    });

    it('a read-only file system under a started run: the folder and the next step; once writable, resume ends once', async () => {
      const file = csv('RO', 300);
      const ledgerDir = join(fs.dir, 'ro');
      mkdirSync(ledgerDir);
      // --wait 0: the jobs are closed and the command ends; the run is finished by resume.
      const started = await load(file, ledgerDir, ['--wait', '0']);
      expect(started.code, started.stdout + started.stderr).to.equal(0);
      const runId = onlyRun(ledgerDir);
      fs.remount('ro');
      const r = await sf.run(['bulkops', 'resume', '--run-id', runId, '--ledger-dir', ledgerDir], { env: QUICK_RETRY });
      fs.remount('rw');
      expectRunBlock(r, runId, ledgerDir);
      expect(r.stderr).to.include('is on a read-only file system (EROFS)');
      await resume(runId, ledgerDir);
      expectEveryRowOnce('RO', 300);
    });
  });
});
