/*
 * A three-step plan of 50,000 rows through the real sf (load --plan, resume, reconcile), killed
 * with -9 between steps, in the middle of steps, and before a step's run begins: resumed each time,
 * every row lands once, with its parent; a planted failed parent's children are skipped and listed,
 * and load once the parent is fixed through a reconcile round.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import type { SfHome } from '../../helpers/sf.js';
import { readCsv } from '../../helpers/csv.js';
import { schemaErrors } from '../../helpers/schema.js';
import { OPPORTUNITY_SEED, writePlanFiles } from '../../helpers/planSeed.js';

type StepJson = { name: string; runId: string; concurrency?: { mode: string; reason: string }; rows: number; successful: number; failed: number; skipped: number; skippedFile?: string; status: string };
type PlanJson = { planRunId: string; status: string; rows: number; successful: number; failed: number; skipped: number; steps: StepJson[] };

describe('sf bulkops load --plan: 50,000 rows, killed with -9 at several points', function () {
  this.timeout(900_000);
  let emu: Emulator;
  let sf: SfHome;
  let linked: LinkedSf;

  before(async () => {
    linked = await sfOnEmulator({ seed: OPPORTUNITY_SEED });
    ({ emu, sf } = linked);
  });

  after(() => linked.stop());

  const killedAt = async (args: string[], crashAt: string): Promise<void> => {
    const run = sf.start(args, { env: { SF_BULKOPS_CRASH_AT: crashAt } });
    const end = await run.done;
    expect(end.signal, `${crashAt}: ${end.stdout}\n${end.stderr}`).to.equal('SIGKILL');
  };

  const byAccount = (object: string): Map<string, number> => {
    const n = new Map<string, number>();
    for (const r of emu.store.all(object)) n.set(String(r.AccountId), (n.get(String(r.AccountId)) ?? 0) + 1);
    return n;
  };

  it('loads every row once across crashes and resumes, skips the children of a failed parent, and loads them after the fix', async () => {
    // 5,000 accounts, 5 contacts and 4 opportunities each: 50,000 rows; account 4,321 fails (no Name).
    const { plan, rows } = writePlanFiles(sf.home, { accounts: 5000, contactsPer: 5, oppsPer: 4, badAccounts: [4321] });
    expect(rows).to.equal(50_000);
    const ledger = join(sf.home, 'runs');
    const common = ['--target-org', 'emu', '--ledger-dir', ledger];
    await killedAt(['bulkops', 'load', '--plan', plan, ...common, '--results-dir', join(sf.home, 'results')], 'plan-step-done:1');
    const planRunId = readdirSync(ledger).find((d) => existsSync(join(ledger, d, 'plan.jsonl')))!;
    expect(planRunId).to.be.a('string');
    // Between steps: the accounts are in, no contact yet.
    expect([...emu.store.all('Account')]).to.have.length(4999);
    expect([...emu.store.all('Contact')]).to.have.length(0);

    // Resumed through the plan's run ID, and killed again: mid-step, before a step's run, mid-step.
    const resume = ['bulkops', 'resume', '--run-id', planRunId, ...common];
    await killedAt(resume, 'mid-upload:2'); // in the middle of the contacts' step
    // A pipeline's retry step, `resume --latest`, goes on with the plan, not only its latest step.
    const latest = ['bulkops', 'resume', '--latest', ...common];
    await killedAt(latest, 'plan-before-step:3'); // the opportunities' run named, not begun
    await killedAt(resume, 'after-close:1'); // in the middle of the opportunities' step
    const done = await sf.run([...latest, '--json']);
    expect(done.code, done.stderr).to.equal(68);
    const result = done.json?.result as PlanJson;
    expect(schemaErrors('bulkops-resume.json', result)).to.deep.equal([]);
    expect(result.steps.map((s) => [s.name, s.status, s.rows, s.successful, s.failed, s.skipped])).to.deep.equal([
      ['accounts', 'Completed', 5000, 4999, 1, 0],
      ['contacts', 'Completed', 25_000, 24_995, 0, 5],
      ['opportunities', 'Completed', 20_000, 19_996, 0, 4],
    ]);
    // Lock-aware per step: auto decided on each step's own parents.
    expect(result.steps.map((s) => s.concurrency?.mode)).to.deep.equal(['parallel', 'grouped', 'grouped']);
    expect(result.steps[1].concurrency?.reason).to.match(/^grouped by Account\.External_Id__c: 25,000 rows share 5,000 Account records/);
    // Every row once, each with its own parent.
    const contacts = [...emu.store.all('Contact')];
    expect(new Set(contacts.map((c) => c.External_Id__c)).size).to.equal(24_995);
    expect(contacts).to.have.length(24_995);
    expect([...emu.store.all('Opportunity')]).to.have.length(19_996);
    const accountId = new Map([...emu.store.all('Account')].map((a) => [String(a.External_Id__c), String(a.Id)]));
    for (const c of contacts) expect(c.AccountId).to.equal(accountId.get(String(c.External_Id__c).replace(/^C-(\d+)-\d+$/, 'A-$1')));
    expect([...byAccount('Opportunity').values()].every((n) => n === 4)).to.equal(true);
    const skipped = readCsv(result.steps[1].skippedFile!);
    expect(skipped.map((r) => [r.sf__Line, r.sf__ParentKey, r.sf__ParentLine, r.External_Id__c])).to.deep.equal(
      [1, 2, 3, 4, 5].map((j) => [String((4321 - 1) * 5 + j + 1), 'A-4321', '4322', `C-4321-${j}`])
    );
    expect(skipped[0].sf__ParentError).to.match(/^REQUIRED_FIELD_MISSING/);

    // The parent fixed through a reconcile round of its step's run, then the plan's reconcile sends its children.
    const fixed = join(sf.home, 'fixed.csv');
    writeFileSync(fixed, 'sf__Line,Name,External_Id__c\n4322,Acct 4321,A-4321\n');
    const round = await sf.run(['bulkops', 'reconcile', '--run-id', result.steps[0].runId, '--fixed-file', fixed, ...common, '--json']);
    expect(round.code, round.stderr).to.equal(0);
    const caught = await sf.run(['bulkops', 'reconcile', '--run-id', planRunId, '--retry', ...common, '--json']);
    expect(caught.code, caught.stderr).to.equal(0);
    const after = caught.json?.result as PlanJson;
    expect(schemaErrors('bulkops-reconcile.json', after)).to.deep.equal([]);
    expect(after.steps.map((s) => [s.name, s.successful, s.failed, s.skipped])).to.deep.equal([
      ['accounts', 5000, 0, 0],
      ['contacts', 25_000, 0, 0],
      ['opportunities', 20_000, 0, 0],
    ]);
    expect([...emu.store.all('Contact')]).to.have.length(25_000);
    expect([...emu.store.all('Opportunity')]).to.have.length(20_000);
    expect(byAccount('Contact').get(accountId.get('A-4321') ?? [...emu.store.all('Account')].find((a) => a.External_Id__c === 'A-4321')!.Id as string)).to.equal(5);
  });

  it('a signal during a step: the command to go on with is the plan\'s, and it loads the steps after it too', async () => {
    const home = join(sf.home, 'signal');
    mkdirSync(home, { recursive: true });
    const { plan } = writePlanFiles(home, { accounts: 40, contactsPer: 2, oppsPer: 1, badAccounts: [], prefix: 'SIG' });
    const ledger = join(home, 'runs');
    const creations = emu.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/jobs/ingest')).length;
    let held = false;
    emu.holdRequest = (entry): Promise<void> | undefined => {
      // The contacts' step's job creation: the accounts' step is done by then.
      if (held || entry.method !== 'POST' || !entry.path.endsWith('/jobs/ingest') || emu.requests.filter((e) => e.method === 'POST' && e.path.endsWith('/jobs/ingest')).length !== creations + 2) return undefined;
      held = true;
      child.child.kill('SIGTERM');
      return child.waitFor(/Stopping/, 'stderr').catch(() => undefined);
    };
    const child = sf.start(['bulkops', 'load', '--plan', plan, '--target-org', 'emu', '--ledger-dir', ledger, '--results-dir', join(home, 'results')]);
    const r = await child.done;
    emu.holdRequest = undefined;
    expect(r.code, r.stdout + r.stderr).to.equal(143);
    const planRunId = readdirSync(ledger).find((d) => existsSync(join(ledger, d, 'plan.jsonl')))!;
    const goOn = /bulkops resume --run-id (\S+)/.exec(r.stderr)?.[1];
    expect(goOn, r.stderr).to.equal(planRunId);
    const resumed = await sf.run(['bulkops', 'resume', '--run-id', goOn!, '--target-org', 'emu', '--ledger-dir', ledger, '--json']);
    expect(resumed.code, resumed.stderr).to.equal(0);
    const result = resumed.json?.result as PlanJson;
    expect(result.steps.map((s) => [s.name, s.status, s.successful])).to.deep.equal([
      ['accounts', 'Completed', 40],
      ['contacts', 'Completed', 80],
      ['opportunities', 'Completed', 40],
    ]);
  });
});
