/*
 * --assignment-rule-id: set on every Bulk API 2.0 job of an insert or upsert (the job's
 * assignmentRuleId, as the org reports it back), and refused with other operations and with V1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, testEngine } from '../../helpers/engine.js';
import { BulkV2 } from '../../../src/core/bulk/bulkV2.js';

describe('load with an assignment rule', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator();
    work = mkdtempSync(join(tmpdir(), 'bulkops-rule-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('creates each job of the load with the rule, and the org says so in the job info', async () => {
    const file = join(work, 'contacts.csv');
    writeFileSync(file, ['LastName,External_Id__c', ...Array.from({ length: 300 }, (_, i) => `N${i},E-${i}`)].join('\n') + '\n');
    const { engine, http } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    const result = await engine.start(contactLoad(file, work, { maxJobBytes: 2048, assignmentRuleId: '01Q000000000001AAA' }));
    expect(result.successful).to.equal(300);
    expect(result.jobs.length).to.be.greaterThan(1);
    const bulk = new BulkV2(http);
    for (const j of result.jobs) {
      // eslint-disable-next-line no-await-in-loop -- one job at a time
      const info = (await bulk.info(j.id)) as unknown as { assignmentRuleId?: string };
      expect(info.assignmentRuleId, j.id).to.equal('01Q000000000001AAA');
    }
  });
});
