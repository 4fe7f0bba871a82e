/*
 * Ctrl-C and a CI cancel (SIGINT, SIGTERM) mid-load, through the real `sf` binary against the
 * emulator: the exit code, the one block the user reads (run id, resume command, no stack), no job,
 * upload or close started after the signal (the org's request log), and `sf bulkops resume` then
 * ends with exactly one record per row. The moments are fixed by holding one request in the org
 * until the command says it saw the signal (or for good), never by a delay.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import type { RequestLogEntry } from '../../emulator/server.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import type { SfChild, SfHome } from '../../helpers/sf.js';

const ROWS = 25_000;
/** about 2.5 MB: three parts at --max-job-size 1 */
const csvOf = (tag: string): string => 'Name,External_Id__c\n' + Array.from({ length: ROWS }, (_, i) => `${tag} ${i} ${'x'.repeat(70)},${tag}-${i}`).join('\n') + '\n';

const isCreate = (e: RequestLogEntry): boolean => e.method === 'POST' && e.path.endsWith('/jobs/ingest');
const isUpload = (e: RequestLogEntry): boolean => e.method === 'PUT' && /\/jobs\/ingest\/[^/]+\/batches$/.test(e.path);
const isClose = (e: RequestLogEntry): boolean => e.method === 'PATCH' && /\/jobs\/ingest\/[^/]+$/.test(e.path);

describe('sf bulkops load stopped by a signal (through the real sf binary)', function () {
  this.timeout(300_000);
  let linked: LinkedSf;
  let emu: Emulator;
  let sf: SfHome;

  before(async () => {
    linked = await sfOnEmulator();
    ({ emu, sf } = linked);
  });

  afterEach(() => {
    emu.holdRequest = undefined;
  });

  after(() => linked.stop());

  const accountsOf = (tag: string): string[] => [...emu.store.all('Account')].map((a) => String(a.External_Id__c ?? '')).filter((x) => x.startsWith(`${tag}-`));

  const load = (tag: string, extra: string[]): SfChild => {
    const file = join(sf.home, `${tag}.csv`);
    writeFileSync(file, csvOf(tag));
    return sf.start(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--max-job-size', '1', '--concurrency', 'serial', ...extra]);
  };

  it('SIGTERM while a job creation is in flight: that call finishes, nothing else starts, exit 143 with the resume command; resume then loads every row once and shows the run\'s total', async () => {
    let creations = 0;
    let signalledAt = -1;
    emu.holdRequest = (entry): Promise<void> | undefined => {
      if (!isCreate(entry) || ++creations !== 2) return undefined;
      signalledAt = emu.requests.length;
      child.child.kill('SIGTERM');
      // The org answers the creation once the command says it is stopping: the call was in flight.
      return child.waitFor(/Stopping/, 'stderr').catch(() => undefined);
    };
    // Its first request comes after start() returned: the hook above sees child set.
    const child = load('SIGA', []);
    const r = await child.done;
    const out = r.stdout + r.stderr;
    expect(r.code, out).to.equal(143);
    expect(out).to.not.match(/ExitError|^\s+at /m);
    const runId = /bulkops resume --run-id (\S+)/.exec(r.stderr)?.[1];
    expect(runId, r.stderr).to.be.a('string');
    expect(r.stderr).to.include(`Run ${runId!} stopped on SIGTERM`);
    expect(r.stderr, r.stderr).to.match(/nothing is lost/i);
    // The held creation was answered (its job is in the org); nothing was started after the signal.
    expect(signalledAt, 'the signal came while the second creation was held').to.be.greaterThan(0);
    const after = emu.requests.slice(signalledAt);
    expect(after.filter((e) => isCreate(e) || isUpload(e) || isClose(e)).map((e) => `${e.method} ${e.path}`)).to.deep.equal([]);
    expect(emu.ingest.jobs.list().filter((j) => j.state !== 'Open').map((j) => j.state), 'no job was closed').to.deep.equal([]);
    expect(accountsOf('SIGA')).to.have.length(0);

    const resumed = await sf.run(['bulkops', 'resume', '--run-id', runId!]);
    expect(resumed.code, resumed.stdout + resumed.stderr).to.equal(0);
    const inOrg = accountsOf('SIGA');
    expect(inOrg).to.have.length(ROWS);
    expect(new Set(inOrg).size).to.equal(ROWS);
    // The resumed progress counts against the run's rows, not against 0.
    const totals = [...resumed.stdout.matchAll(/Processed \d+ of (\d+) rows/g)].map((m) => Number(m[1]));
    expect(totals.length, resumed.stdout).to.be.greaterThan(0);
    expect([...new Set(totals)], resumed.stdout).to.deep.equal([ROWS]);
  });

  it('SIGINT under --json: an error object with the run id and the resume command, exit 130; a second SIGINT stops at once, the call in flight still held', async () => {
    let release: () => void = () => {};
    let signalledAt = -1;
    let heldPath = '';
    emu.holdRequest = (entry): Promise<void> | undefined => {
      if (!isClose(entry) || heldPath) return undefined;
      heldPath = entry.path;
      signalledAt = emu.requests.length;
      const c = child;
      c.child.kill('SIGINT');
      // Ctrl-C again once the command says it is stopping: it must not wait for this close.
      void c.waitFor(/Stopping/, 'stderr').then(() => c.child.kill('SIGINT'), () => undefined);
      return new Promise<void>((resolve) => (release = resolve));
    };
    const child = load('SIGB', ['--json']);
    const r = await child.done;
    expect(heldPath, 'the close was still held when the command ended').to.not.equal('');
    expect(r.code, r.stdout + r.stderr).to.equal(130);
    const json = r.json as { name?: string; exitCode?: number; message?: string; actions?: string[]; data?: { runId?: string; signal?: string } } | undefined;
    expect(json, r.stdout + r.stderr).to.not.equal(undefined);
    expect(json).to.include({ name: 'InterruptedError', exitCode: 130 });
    const runId = json!.data?.runId;
    expect(runId).to.be.a('string');
    expect(json!.data?.signal).to.equal('SIGINT');
    expect(json!.actions?.join('\n')).to.include(`bulkops resume --run-id ${runId!}`);
    expect((json!.data as { action?: string; retryable?: boolean }).action).to.equal(`sf bulkops resume --run-id ${runId!}`);
    expect((json!.data as { retryable?: boolean }).retryable).to.equal(true);
    expect((json!.data as { rows?: { inOrg: number } }).rows?.inOrg, 'rows in the org, as the other errors give them').to.be.a('number');
    expect(r.stderr).to.not.match(/ExitError|^\s+at /m);
    const after = emu.requests.slice(signalledAt);
    expect(after.filter((e) => isCreate(e) || isUpload(e) || isClose(e)).map((e) => `${e.method} ${e.path}`)).to.deep.equal([]);

    // The held close is let go; its client is gone before it sent the body, so the emulator drops it
    // (the job stays Open) and the resume closes the job itself.
    release();
    const resumed = await sf.run(['bulkops', 'resume', '--run-id', runId!, '--json']);
    expect(resumed.code, resumed.stdout + resumed.stderr).to.equal(0);
    const inOrg = accountsOf('SIGB');
    expect(inOrg).to.have.length(ROWS);
    expect(new Set(inOrg).size).to.equal(ROWS);
  });

  it('SIGINT while a call before the first job backs off (the describe answered 503): no try after the signal, exit 130, nothing sent, the resume command', async () => {
    const isDescribe = (e: RequestLogEntry): boolean => e.method === 'GET' && e.path.endsWith('/sobjects/Account/describe');
    emu.addFault({ kind: 'status', status: 503, path: '/sobjects/Account/describe$', count: 1000 });
    const startedAt = emu.requests.length;
    let describes = 0;
    let signalledAt = -1;
    emu.holdRequest = (entry): Promise<void> | undefined => {
      if (!isDescribe(entry) || ++describes !== 2) return undefined;
      signalledAt = emu.requests.length;
      child.child.kill('SIGINT');
      // The second try is answered (503) once the command says it is stopping: its back-off starts after the signal.
      return child.waitFor(/Stopping/, 'stderr').catch(() => undefined);
    };
    const child = load('SIGC', []);
    const r = await child.done;
    emu.clearFaults();
    expect(r.code, r.stdout + r.stderr).to.equal(130);
    const runId = /bulkops resume --run-id (\S+)/.exec(r.stderr)?.[1];
    expect(runId, r.stderr).to.be.a('string');
    expect(r.stderr).to.include(`Run ${runId!} stopped on SIGINT: it was still checking the input and the org: nothing was handed to the org for processing.`);
    expect(r.stderr).to.not.match(/ExitError|^\s+at |not answered within/m);
    expect(signalledAt).to.be.greaterThan(0);
    expect(emu.requests.slice(signalledAt).filter(isDescribe), 'no describe tried after the signal').to.have.length(0);
    expect(emu.requests.slice(startedAt).filter(isCreate)).to.have.length(0);
  });

  it('SIGHUP while a reconcile --retry round closes its job: exit 129, the run and its round named with the resume command; resume finishes the round once', async () => {
    const file = join(sf.home, 'SIGD.csv');
    writeFileSync(file, 'Name,External_Id__c\n' + Array.from({ length: 300 }, (_, i) => `SIGD ${i},SIGD-${i}`).join('\n') + '\n');
    // The load's job processes 100 rows and fails: 200 rows are left to send again.
    emu.addJobFailure({ afterRows: 100 });
    const loaded = await sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--json']);
    expect(loaded.code, loaded.stdout + loaded.stderr).to.equal(68);
    const runId = (loaded.json as { result?: { runId?: string } } | undefined)?.result?.runId;
    expect(runId, loaded.stdout).to.be.a('string');
    let signalledAt = -1;
    emu.holdRequest = (entry): Promise<void> | undefined => {
      if (!isClose(entry) || signalledAt >= 0) return undefined;
      signalledAt = emu.requests.length;
      child.child.kill('SIGHUP');
      return child.waitFor(/Stopping/, 'stderr').catch(() => undefined);
    };
    const child = sf.start(['bulkops', 'reconcile', '--run-id', runId!, '--retry']);
    const r = await child.done;
    expect(r.code, r.stdout + r.stderr).to.equal(129);
    expect(r.stderr).to.include(`Run ${runId!} stopped on SIGHUP`);
    // What was sent counts the round's rows (the 200 sent again), not the load's 300.
    expect(r.stderr).to.match(/stopped on SIGHUP: [\d,]+ of 200 rows were handed to the org/);
    expect(r.stderr).to.include(`bulkops resume --run-id ${runId!}`);
    expect(r.stderr, 'no stack').to.not.match(/ExitError|^\s+at /m);
    const after = emu.requests.slice(signalledAt);
    expect(after.filter((e) => isCreate(e) || isUpload(e) || isClose(e)).map((e) => `${e.method} ${e.path}`), 'nothing started after the signal').to.deep.equal([]);

    const resumed = await sf.run(['bulkops', 'resume', '--run-id', runId!, '--json']);
    expect(resumed.code, resumed.stdout + resumed.stderr).to.equal(0);
    const inOrg = accountsOf('SIGD');
    expect(inOrg).to.have.length(300);
    expect(new Set(inOrg).size).to.equal(300);
  });
});
