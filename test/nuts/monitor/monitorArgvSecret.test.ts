/*
 * A webhook URL that lost its flag name on the command line (a positional argument, or the value
 * after a flag whose own value was empty: `--slack-webhook $UNSET --webhook $URL`) makes oclif
 * answer "Unexpected argument: <the URL>": through the real sf, that answer must not repeat it, in
 * the output, --json or sf's log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { allFilesText } from '../../helpers/webhookReceiver.js';

const URL1 = 'https://hooks.slack.com/services/T0ARGV/B0ARGV/argv-secret-1a2b3c';
const URL2 = 'https://hooks.example.com/argv-secret-4d5e6f';

describe('sf bulkops monitor: a webhook URL without its flag name', function () {
  this.timeout(300_000);
  let linked: LinkedSf;
  let dir: string;
  before(async () => {
    linked = await sfOnEmulator();
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-argv-'));
  });
  after(async () => {
    await linked.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is named "<webhook URL>" in the error, never repeated, with --json or without', async () => {
    const json = await linked.sf.run(['bulkops', 'monitor', '--target-org', 'emu', '--history-dir', dir, '--json', URL1]);
    expect(json.code, json.stdout).to.equal(2);
    expect(json.json?.message).to.match(/^Unexpected argument: <webhook URL>/);
    const text = await linked.sf.run(['bulkops', 'monitor', '--target-org', 'emu', '--history-dir', dir, '--dry-run', URL2]);
    expect(text.code, text.stderr).to.equal(2);
    expect(text.stderr).to.include('Unexpected argument: <webhook URL>');
    const everything = [json.stdout, json.stderr, text.stdout, text.stderr, allFilesText(linked.sf.home), allFilesText(dir)].join('\n');
    expect(everything).to.not.include('argv-secret');
  });
});
