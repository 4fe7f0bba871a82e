/*
 * The commands that read the org and start no run (jobs, audit, monitor, inventory init), when the
 * org misbehaves, through the real `sf` binary against the emulator: one block that says what
 * happened and what to do (the same words as a load's), no HTML and no stack; and a signal during a
 * retry's back-off ends them at once with the signal's exit code and no further request.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { QUICK_RETRY } from '../../helpers/quickRetry.js';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import type { SfHome, SfRun } from '../../helpers/sf.js';
import { addFailedJob } from '../../helpers/monitorSeed.js';
import { seedInventoryText } from '../../helpers/auditSeed.js';
import { smallFileSystem } from '../../helpers/tmpfs.js';

const JOB_LIST = '/jobs/ingest$';

describe('errors that end a read-only command (through the real sf binary)', function () {
  this.timeout(300_000);
  let linked: LinkedSf;
  let emu: Emulator;
  let sf: SfHome;

  before(async () => {
    linked = await sfOnEmulator();
    ({ emu, sf } = linked);
  });

  after(() => linked.stop());

  afterEach(() => {
    emu.clearFaults();
    emu.holdRequest = undefined;
  });

  const historyDir = (): string => mkdtempSync(join(sf.home, 'history-'));
  const jobs = (extra: string[] = [], dir = historyDir()): Promise<SfRun> => sf.run(['bulkops', 'jobs', '--target-org', 'emu', '--history-dir', dir, ...extra], { env: QUICK_RETRY });

  const expectBlock = (r: SfRun, name: string): void => {
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    expect(r.stderr, r.stderr).to.include(`Error (${name})`);
    expect(r.stderr, 'the next step').to.include('Then run the command again: it changed nothing in the org.');
    expect(r.stderr, 'no HTML').not.to.match(/<\/?[a-z!][^>]*>/i);
    expect(r.stderr, 'no stack line').not.to.match(/^\s+at .+:\d+:\d+\)?$/m);
  };

  it('jobs with an access-token session that expired: the logins that refresh named', async () => {
    emu.sessions.expireAll();
    let r: SfRun;
    try {
      r = await jobs();
    } finally {
      await sf.login(emu.url, emu.tokenFor(emu.defaultUsername));
    }
    expectBlock(r, 'SessionExpiredError');
    expect(r.stderr).to.include('INVALID_SESSION_ID');
    for (const login of ['sf org login web', 'sf org login jwt', 'sf org login sfdx-url']) expect(r.stderr).to.include(login);
    expect(r.stderr).to.include(emu.defaultUsername);
  });

  it('audit under a load balancer\'s 503 page past the retry time: its status and title only, in the retry lines and the error', async () => {
    const inventory = join(sf.home, 'inventory.yaml');
    writeFileSync(inventory, seedInventoryText(emu.clock.now()));
    emu.addFault({ kind: 'status', status: 503, path: JOB_LIST, count: 100_000 });
    const r = await sf.run(['bulkops', 'audit', '--target-org', 'emu', '--inventory', inventory, '--history-dir', historyDir()], { env: QUICK_RETRY });
    expectBlock(r, 'OrgUnavailableError');
    expect(r.stderr).to.include('was answered by 503 Service Unavailable, a page that is not the org\'s API');
    expect(r.stdout + r.stderr, 'no HTML in any line').not.to.match(/<\/?[a-z!][^>]*>/i);
  });

  it('jobs with the request allocation used up: how much is used of what, and the rolling 24 hours (--json: the name and actions)', async () => {
    emu.addFault({ kind: 'limit', path: JOB_LIST, count: 100_000 });
    const r = await jobs(['--json']);
    expect(r.code, r.stdout + r.stderr).to.equal(1);
    const json = r.json as unknown as { name: string; message: string; actions: string[] };
    expect(json.name).to.equal('RequestLimitError');
    expect(json.message).to.include('REQUEST_LIMIT_EXCEEDED').and.include('rolling 24 hours').and.match(/DailyApiRequests [\d,]+ of [\d,]+ used/);
    expect(json.actions.join('\n')).to.include('Then run the command again');
  });

  for (const [command, signal, code] of [
    ['monitor', 'SIGINT', 130],
    ['jobs', 'SIGTERM', 143],
    ['audit', 'SIGHUP', 129],
  ] as const) {
    it(`${command} stopped by ${signal} while it backs off (the job list answered 503): exit ${code}, no try after the signal, no stack`, async () => {
      emu.addFault({ kind: 'status', status: 503, path: JOB_LIST, count: 100_000 });
      const inventory = join(sf.home, `inventory-${command}.yaml`);
      writeFileSync(inventory, seedInventoryText(emu.clock.now()));
      let lists = 0;
      let signalledAt = -1;
      emu.holdRequest = (entry): Promise<void> | undefined => {
        if (entry.method !== 'GET' || !entry.path.split('?')[0].endsWith('/jobs/ingest') || ++lists !== 2) return undefined;
        signalledAt = emu.requests.length;
        child.child.kill(signal);
        return child.waitFor(new RegExp(`Stopped on ${signal}`), 'stderr').catch(() => undefined);
      };
      const extra = command === 'monitor' ? ['--dry-run'] : command === 'audit' ? ['--inventory', inventory] : [];
      // The default back-off (500 ms and up): a try after the signal would come well before the command ends on its own.
      const child = sf.start(['bulkops', command, '--target-org', 'emu', '--history-dir', historyDir(), ...extra]);
      const r = await child.done;
      expect(r.code, r.stdout + r.stderr).to.equal(code);
      expect(r.stderr).to.include(`Stopped on ${signal}: nothing was changed in the org.`);
      expect(r.stderr, 'no stack').not.to.match(/ExitError|^\s+at /m);
      expect(signalledAt).to.be.greaterThan(0);
      expect(emu.requests.slice(signalledAt).filter((e) => e.path.includes('/jobs/ingest')), 'no list after the signal').to.have.length(0);
    });
  }

  describe('on a small file system (tmpfs, needs root)', () => {
    const fs = smallFileSystem('16k');

    it('jobs whose history folder fills up: the folder, the space free, the next step', async () => {
      // Enough jobs that their history outgrows 16 KB.
      for (let i = 0; i < 60; i++) addFailedJob(emu, `InvalidBatch : job ${i} ${'x'.repeat(200)}`, 10 + i);
      const r = await jobs([], fs.dir);
      expectBlock(r, 'FileSystemError');
      expect(r.stderr).to.match(/The disk holding \/\S+ is full \(ENOSPC\): \d+ KB free\./);
      expect(r.stderr).to.include('Free space on that disk.');
    });
  });
});
