/*
 * The example GitHub Actions workflow carries the history folder from runner to runner with
 * actions/cache. A run cancelled during the monitor leaves monitor.lock in the folder, and the save
 * step (if: always()) keeps it; on the next runner (another host) the lock is never judged stale,
 * so every later monitor would wait out its lock and fail. The workflow drops such a leftover after
 * the restore and before the monitor (its concurrency group makes the run the only one).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { parse } from 'yaml';
import { FileLock, LockHeldError } from '../../../src/core/io/fileLock.js';

type Step = { name?: string; uses?: string; run?: string; if?: string };
const workflow = parse(readFileSync('examples/github-actions/monitor.yml', 'utf8')) as { concurrency?: { group?: string }; jobs: Record<string, { steps: Step[] }> };
const steps = workflow.jobs.monitor.steps;
const at = (test: (s: Step) => boolean): number => steps.findIndex(test);

describe('examples/github-actions/monitor.yml: a lock left by a cancelled run', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-workflow-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a lock from another host is held for good: that is why the workflow must drop it', () => {
    writeFileSync(join(dir, 'monitor.lock'), JSON.stringify({ pid: 4242, host: 'fv-az417-123', started: '1', since: '2026-11-30T06:17:40.000Z' }));
    expect(() => new FileLock(join(dir, 'monitor.lock')).acquire()).to.throw(LockHeldError);
  });

  it('drops monitor.lock after restoring the history and before the monitor, one run at a time', () => {
    const restore = at((s) => (s.uses ?? '').startsWith('actions/cache/restore'));
    const drop = at((s) => (s.run ?? '').includes('monitor.lock'));
    const monitor = at((s) => (s.run ?? '').includes('sf bulkops monitor'));
    expect(restore).to.be.greaterThan(-1);
    expect(drop, 'a step drops monitor.lock').to.be.greaterThan(restore);
    expect(monitor).to.be.greaterThan(drop);
    expect(workflow.concurrency?.group).to.be.a('string');
    // The step's command does what it says on a restored folder.
    const orgDir = join(dir, '.bulkops-history', '00D000000000001');
    mkdirSync(orgDir, { recursive: true });
    writeFileSync(join(orgDir, 'monitor.lock'), '{}');
    writeFileSync(join(orgDir, 'monitor-state.json'), '{}');
    execFileSync('bash', ['-e', '-c', steps[drop].run!], { cwd: dir });
    expect(() => readFileSync(join(orgDir, 'monitor.lock'))).to.throw();
    expect(readFileSync(join(orgDir, 'monitor-state.json'), 'utf8')).to.equal('{}');
  });
});
