/*
 * A pipeline whose webhook secret is missing (the variable set but empty) runs the monitor with no
 * destination: the problems are printed and remembered as reported, so no later run sends them.
 * That must not pass in silence: the run warns, through the real sf.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { addFailedJob } from '../../helpers/monitorSeed.js';

describe('sf bulkops monitor: no webhook given', function () {
  this.timeout(300_000);
  let linked: LinkedSf;
  let dir: string;
  before(async () => {
    linked = await sfOnEmulator();
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-notarget-'));
  });
  after(async () => {
    await linked.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('warns that the problems are only printed and will not be sent later', async () => {
    addFailedJob(linked.emu);
    const r = await linked.sf.run(['bulkops', 'monitor', '--target-org', 'emu', '--history-dir', dir, '--json'], { env: { BULKOPS_SLACK_WEBHOOK: '', BULKOPS_WEBHOOK: '' } });
    expect(r.code, r.stderr).to.equal(68);
    expect((r.json as { warnings?: string[] }).warnings?.join('\n')).to.match(/No webhook was given .* 1 problems are only printed here/s);
    const quiet = await linked.sf.run(['bulkops', 'monitor', '--target-org', 'emu', '--history-dir', dir, '--json']);
    expect(quiet.code).to.equal(0);
    expect((quiet.json as { warnings?: string[] }).warnings ?? []).to.deep.equal([]);
  });
});
