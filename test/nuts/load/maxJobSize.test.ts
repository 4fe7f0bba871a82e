/*
 * --max-job-size against the Bulk API 2.0 upload cap (150,000,000 bytes after base64, 112,500,000
 * bytes of CSV; Bulk API Developer Guide: Bulk API 2.0 Limits): above what fits (107 MB) the load is
 * refused before anything is read or sent, with an error naming the limit; 107 is planned as asked.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { schemaErrors } from '../../helpers/schema.js';

describe('sf bulkops load --max-job-size and the upload cap (through the real sf binary)', function () {
  this.timeout(120_000);
  let linked: LinkedSf;
  let file: string;

  before(async () => {
    linked = await sfOnEmulator();
    file = join(linked.sf.home, 'few.csv');
    writeFileSync(file, 'Name\nOne\nTwo\n');
  });

  after(() => linked.stop());

  const load = (size: string, ...extra: string[]): ReturnType<LinkedSf['sf']['run']> =>
    linked.sf.run(['bulkops', 'load', '--sobject', 'Account', '--file', file, '--target-org', 'emu', '--max-job-size', size, '--json', ...extra]);

  it('108 is refused (exit 2) naming 150,000,000 bytes after base64 and 107 as the most; nothing is sent', async () => {
    const jobsBefore = linked.emu.ingest.jobs.list().length;
    const r = await load('108');
    expect(r.code, r.stderr).to.equal(2);
    expect(r.json?.name).to.equal('MaxJobSizeOverCapError');
    expect(r.json?.message).to.equal(
      '--max-job-size 108 is over what one Bulk API 2.0 upload may hold: 150,000,000 bytes after base64 encoding (Bulk API Developer Guide: Bulk API 2.0 Limits; the org refuses more with "Org max upload file size is 150000000 bytes"), that is 112,500,000 bytes of CSV. Use 107 or less.'
    );
    expect((r.json as { actions?: string[] } | undefined)?.actions).to.deep.equal(['Use --max-job-size 107, or leave it out: the input is then cut into parts of at most 100 MB.']);
    expect(linked.emu.ingest.jobs.list().length).to.equal(jobsBefore);
    expect(linked.emu.requests.filter((q) => q.path.includes('/jobs/ingest'))).to.deep.equal([]);
  });

  it('107 is accepted: the plan has parts of 107 MB, whose base64 fits under the cap', async () => {
    const r = await load('107', '--dry-run');
    expect(r.code, r.stderr).to.equal(0);
    expect(schemaErrors('bulkops-load.json', r.json?.result)).to.deep.equal([]);
    const plan = (r.json?.result as { plan: { maxJobBytes: number; parts: number } }).plan;
    expect(plan).to.include({ maxJobBytes: 107 * 1024 * 1024, parts: 1 });
    expect(Math.ceil(plan.maxJobBytes / 3) * 4).to.be.at.most(150_000_000);
  });
});
