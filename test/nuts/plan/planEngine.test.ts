/*
 * A load plan run through the core (PlanRunner over the load engine, against the emulator): steps
 * in order as one run, children of a parent that did not load skipped and listed, and loaded once
 * the parent is fixed through a reconcile round; resume goes on where a plan stopped.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { testEngine } from '../../helpers/engine.js';
import { readCsv } from '../../helpers/csv.js';
import { OPPORTUNITY_SEED, writePlanFiles } from '../../helpers/planSeed.js';
import { planClaimPath, PlanRunner } from '../../../src/core/plan/planRun.js';
import { checkPlan } from '../../../src/core/plan/planCheck.js';
import { readPlanFile, PlanFileError } from '../../../src/core/plan/planFile.js';
import { readPlan } from '../../../src/core/plan/planLedger.js';
import { resend } from '../../../src/core/reconcile/resend.js';
import { DuplicateRunError } from '../../../src/core/load/duplicateGuard.js';
import { FileLock } from '../../../src/core/io/fileLock.js';

function writeAccount(dir: string): string {
  const file = join(dir, 'old-accounts.csv');
  writeFileSync(file, 'Name,External_Id__c\nOld,OLD-1\n');
  return file;
}

describe('load plans through the core', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;

  beforeEach(async () => {
    emu = await startEmulator({ seed: OPPORTUNITY_SEED });
    work = mkdtempSync(join(tmpdir(), 'bulkops-plan-'));
  });

  afterEach(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const runner = (): PlanRunner => new PlanRunner({ engine: testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }).engine });
  const accountOf = (externalId: string): unknown => [...emu.store.all('Account')].find((a) => a.External_Id__c === externalId)?.Id;

  it('loads the steps in order as one run; children of a rejected parent are skipped, listed, and loaded after the parent is fixed', async () => {
    const { plan } = writePlanFiles(work, { accounts: 30, contactsPer: 2, oppsPer: 1, badAccounts: [7] });
    const ledgerDir = join(work, 'runs');
    const result = await runner().start({ plan: readPlanFile(plan), planRunId: 'plan-1', ledgerDir, waitMs: 60_000 });
    expect(result.status).to.equal('Completed');
    expect(result.steps.map((s) => [s.name, s.rows, s.successful, s.failed, s.skipped])).to.deep.equal([
      ['accounts', 30, 29, 1, 0],
      ['contacts', 60, 58, 0, 2],
      ['opportunities', 30, 29, 0, 1],
    ]);
    expect([...emu.store.all('Contact')]).to.have.length(58);
    for (const c of emu.store.all('Contact')) expect(c.AccountId, String(c.External_Id__c)).to.equal(accountOf(String(c.External_Id__c).replace(/^C-(\d+)-\d+$/, 'A-$1')));
    const skipped = readCsv(result.steps[1].skippedFile!);
    expect(skipped.map((r) => [r.sf__Line, r.sf__ParentStep, r.sf__ParentKey, r.sf__ParentLine, r.External_Id__c])).to.deep.equal([
      ['14', 'accounts', 'A-7', '8', 'C-7-1'],
      ['15', 'accounts', 'A-7', '8', 'C-7-2'],
    ]);
    expect(skipped[0].sf__ParentError).to.match(/^REQUIRED_FIELD_MISSING: /);

    // The parent is fixed through a reconcile round of its step's run; then the plan's reconcile sends its children.
    const fixed = join(work, 'fixed.csv');
    writeFileSync(fixed, 'sf__Line,Name,External_Id__c\n8,Acct 7,A-7\n');
    const engine = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken }).engine;
    await resend(engine, join(ledgerDir, result.steps[0].runId!), { kind: 'fixed', file: fixed }, 60_000);
    expect(accountOf('A-7')).to.be.a('string');
    const after = await runner().sendSkipped(join(ledgerDir, 'plan-1'), 60_000);
    expect(after.steps.map((s) => [s.name, s.successful, s.skipped])).to.deep.equal([
      ['accounts', 30, 0],
      ['contacts', 60, 0],
      ['opportunities', 30, 0],
    ]);
    expect([...emu.store.all('Contact')]).to.have.length(60);
    expect([...emu.store.all('Opportunity')]).to.have.length(30);
    const sevens = [...emu.store.all('Contact')].filter((c) => String(c.External_Id__c).startsWith('C-7-'));
    expect(sevens.map((c) => c.AccountId)).to.deep.equal([accountOf('A-7'), accountOf('A-7')]);
    // Nothing more to send: a second reconcile round starts no run.
    const again = await runner().sendSkipped(join(ledgerDir, 'plan-1'), 60_000);
    expect(again.steps[1].catchUps).to.have.length(1);
  });

  it('--on-parent-failure stop: the plan stops before the child step, naming the row and its parent', async () => {
    const { plan } = writePlanFiles(work, { accounts: 5, contactsPer: 1, oppsPer: 0, badAccounts: [3], extra: 'onParentFailure: stop' });
    const ledgerDir = join(work, 'runs');
    const err = await runner()
      .start({ plan: readPlanFile(plan), planRunId: 'plan-stop', ledgerDir, waitMs: 60_000 })
      .then(() => undefined, (e: Error) => e);
    expect(err?.name).to.equal('ParentFailedError');
    expect(err?.message).to.match(/contacts\.csv line 4 points to Account\.External_Id__c A-3, which did not load in step accounts \(line 4/);
    expect([...emu.store.all('Contact')]).to.have.length(0);
    expect(readPlan(join(ledgerDir, 'plan-stop')).steps.map((s) => s.done)).to.deep.equal([true, false, false]);
  });

  it('refuses a second start of the same plan while one holds it, naming it', async () => {
    const { plan } = writePlanFiles(work, { accounts: 3, contactsPer: 1, oppsPer: 1 });
    const ledgerDir = join(work, 'runs');
    const parsed = readPlanFile(plan);
    // The first run's claim, as its live process holds it while its steps run.
    const held = new FileLock(planClaimPath(ledgerDir, emu.orgId, parsed.sha256), 'claim plan-a');
    held.acquire();
    const err = await runner()
      .start({ plan: parsed, planRunId: 'plan-b', ledgerDir, waitMs: 60_000 })
      .then(() => undefined, (e: Error) => e);
    expect(err).to.be.instanceOf(DuplicateRunError);
    expect((err as DuplicateRunError).earlierRunId).to.equal('plan-a');
    expect(existsSync(join(ledgerDir, 'plan-b'))).to.equal(false);
    expect([...emu.store.all('Account')]).to.have.length(0);
    held.release();
    expect((await runner().start({ plan: parsed, planRunId: 'plan-b', ledgerDir, waitMs: 60_000 })).status).to.equal('Completed');
  });

  it('--dry-run checks every step and finds a parent key that neither an earlier step nor the org has; nothing is sent', async () => {
    const { plan } = writePlanFiles(work, { accounts: 4, contactsPer: 1, oppsPer: 1 });
    // A contact of an account already in the org (found by a query), and one of an account nowhere.
    writeFileSync(join(work, 'contacts.csv'), 'LastName,External_Id__c,Account.External_Id__c\nA,C-1,A-1\nB,C-2,OLD-1\nC,C-3,A-404\n');
    const engine = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
    await engine.engine.start({ object: 'Account', operation: 'insert', files: [writeAccount(work)], runId: 'seed', ledgerDir: join(work, 'seed-runs'), waitMs: 60_000, concurrency: 1 });
    const before = [...emu.store.all('Account')].length;
    const result = await checkPlan({ engine: engine.engine, http: engine.http }, readPlanFile(plan), { ledgerDir: join(work, 'runs'), resultsDir: join(work, 'check') });
    expect(result.status).to.equal('Checked');
    expect(result.steps.map((s) => [s.name, s.rows, s.missingParents])).to.deep.equal([
      ['accounts', 4, 0],
      ['contacts', 3, 1],
      ['opportunities', 4, 0],
    ]);
    expect(result.steps[1].missingParentExamples).to.deep.equal([{ line: 4, column: 'Account.External_Id__c', key: 'A-404' }]);
    expect([...emu.store.all('Account')]).to.have.length(before);
    expect([...emu.store.all('Contact')]).to.have.length(0);
  });

  it('reports a plan file problem with its line and column, and the closest key', () => {
    const file = join(work, 'bad.yaml');
    writeFileSync(file, 'steps:\n  - object: Account\n    operaton: insert\n    file: nowhere.csv\n');
    const err = ((): PlanFileError | undefined => {
      try {
        readPlanFile(file);
      } catch (e) {
        return e as PlanFileError;
      }
    })();
    expect(err).to.be.instanceOf(PlanFileError);
    expect(err!.message).to.include(`${file}:3:5 steps[0].operaton: unknown key "operaton"; did you mean "operation"?`);
    expect(err!.message).to.include(`${file}:2:5 steps[0].operation: required, but missing.`);
  });
});
