/*
 * `sf bulkops reconcile` through the real `sf` binary (plugin linked) against the emulator org:
 * after a load with failed and left-out rows, the table, the files, the Markdown report, the JSON
 * (against its schema), exit 68, and an all-loaded run that exits 0; the errors users see.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import { SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';
import { readCsv } from '../../helpers/csv.js';
import { call } from '../../helpers/api.js';

type ReconcileJson = {
  runId: string;
  status: string;
  counts: { rows: number; succeeded: number; failed: number; rejected: number; unprocessed: number; retryable: number };
  groups: Array<{ code: string; fields: string[]; action: string; advice: string; count: number; file: string }>;
  files: { rows: string; retry: string; folder: string };
  report?: string;
};

describe('sf bulkops reconcile (through the real sf binary)', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let sf: SfHome;

  let linked: LinkedSf;

  before(async () => {
    linked = await sfOnEmulator();
    ({ emu, sf } = linked);
    emu.insertRecords('Contact', [{ LastName: 'Taken', External_Id__c: 'REC-3' }]);
  });

  after(() => linked.stop());

  const write = (name: string, text: string): string => {
    const path = join(sf.home, name);
    writeFileSync(path, text);
    return path;
  };

  it('prints the states and the failure groups with what to do, writes the files and the report, and exits 68', async () => {
    // Line 4 duplicates an external ID the org holds (DUPLICATE_VALUE on insert); line 5 has no LastName (left out).
    const file = write('contacts.csv', 'LastName,External_Id__c\nOne,REC-1\nTwo,REC-2\nThree,REC-3\n,REC-4\nFive,REC-5\n');
    const load = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--json']);
    expect(load.code, load.stdout).to.equal(68);
    const runId = (load.json?.result as { runId: string }).runId;

    const text = await sf.run(['bulkops', 'reconcile', '--run-id', runId, '--report', 'reconcile.md']);
    expect(text.code, text.stderr).to.equal(68);
    expect(text.stdout).to.contain(`Run ${runId} (insert Contact, Completed): 5 rows: 3 succeeded, 1 failed, 0 unprocessed, 1 left out by the checks, 0 pending, 0 never sent.`);
    expect(text.stdout).to.contain('DUPLICATE_VALUE');
    expect(text.stdout).to.contain('The records exist already: load with --operation upsert --external-id External_Id__c, or leave these rows out.');
    expect(text.stdout).to.contain('rows.csv: every input row');
    const report = readFileSync(join(sf.home, 'reconcile.md'), 'utf8');
    expect(report).to.contain(`# Reconcile of run ${runId}`);
    expect(report).to.match(/\| 1 \| DUPLICATE_VALUE \| External_Id__c \| The records exist already/);

    const json = await sf.run(['bulkops', 'reconcile', '--latest', '--json']);
    expect(json.code).to.equal(68);
    const result = json.json?.result as ReconcileJson;
    expect(schemaErrors('bulkops-reconcile.json', result)).to.deep.equal([]);
    expect(result).to.include({ runId, status: 'Completed' });
    expect(result.counts).to.include({ rows: 5, succeeded: 3, failed: 1, rejected: 1, unprocessed: 0, retryable: 0 });
    expect(result.groups).to.have.length(1);
    expect(result.groups[0]).to.include({ code: 'DUPLICATE_VALUE', action: 'use-upsert', count: 1 });
    expect(readCsv(result.groups[0].file)).to.deep.equal([
      { sf__Line: '4', sf__Id: '', sf__ErrorCode: 'DUPLICATE_VALUE', sf__Error: `duplicate value found: External_Id__c duplicates value on record with id: ${emu.store.findBy(emu.store.describe('Contact')!, emu.store.field(emu.store.describe('Contact')!, 'External_Id__c')!, 'REC-3')[0].Id as string}`, sf__Fields: 'External_Id__c', LastName: 'Three', External_Id__c: 'REC-3' },
    ]);
    const rows = readCsv(result.files.rows);
    expect(rows.map((r) => [r.sf__Line, r.sf__State])).to.deep.equal([
      ['2', 'succeeded'],
      ['3', 'succeeded'],
      ['4', 'failed'],
      ['5', 'rejected'],
      ['6', 'succeeded'],
    ]);
    for (const r of rows.filter((x) => x.sf__State === 'succeeded')) expect(emu.store.get('Contact', r.sf__Id)?.External_Id__c).to.equal(r.External_Id__c);
  });

  it('--retry and --fixed-file: sends only what may go again, refuses the rest with the reason, and shows each round', async () => {
    // Line 4 duplicates an external ID the org holds; line 5 has no LastName (left out by the checks).
    const file = write('fixable.csv', 'LastName,External_Id__c\nOne,FIX-1\nTwo,FIX-2\nThree,REC-3\n,FIX-4\n');
    const load = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--json']);
    expect(load.code, load.stdout).to.equal(68);
    const { runId, files } = load.json?.result as { runId: string; files: { failed: string; rejected: string } };

    // Nothing worth sending again as it is: said so, nothing sent.
    const retry = await sf.run(['bulkops', 'reconcile', '--run-id', runId, '--retry']);
    expect(retry.code, retry.stderr).to.equal(68);
    expect(retry.stdout).to.contain('No row is worth sending again as it is: nothing was sent.');

    // failed.csv corrected: the duplicate gets its own external ID.
    const failed = readFileSync(files.failed, 'utf8').replace(',REC-3', ',FIX-3');
    const fixed = await sf.run(['bulkops', 'reconcile', '--run-id', runId, '--fixed-file', write('failed-fixed.csv', failed), '--json']);
    expect(fixed.code, fixed.stdout).to.equal(68);
    const result = fixed.json?.result as ReconcileJson & { resend: { kind: string; round: number; sent: number; refused: number }; rounds: Array<{ round: number; kind: string; succeeded: number }> };
    expect(schemaErrors('bulkops-reconcile.json', result)).to.deep.equal([]);
    expect(result.resend).to.include({ kind: 'fixed', round: 1, sent: 1, refused: 0 });
    expect(result.rounds).to.deep.equal([{ round: 1, kind: 'fixed', rows: 1, serial: false, status: 'Completed', succeeded: 1, failed: 0, unprocessed: 0, stillLocked: 0 }]);
    expect(result.counts).to.include({ succeeded: 3, failed: 0, rejected: 1 });

    // rejected.csv corrected, with a line that loaded the first time (line 2): that one is refused.
    const rejected = readFileSync(files.rejected, 'utf8').replace(/\n5,([^,]*),,FIX-4/, '\n5,$1,Four,FIX-4') + '2,,One again,FIX-1\n';
    const last = await sf.run(['bulkops', 'reconcile', '--run-id', runId, '--fixed-file', write('rejected-fixed.csv', rejected)]);
    expect(last.code, last.stderr).to.equal(0);
    expect(last.stdout).to.contain('Sent 1 corrected rows, in round 2.');
    expect(last.stdout).to.contain('1 rows refused');
    expect(last.stdout).to.contain('line 2: not a row of this run that failed, was not processed or was left out by the checks');
    expect(last.stdout).to.contain('Round 2 (corrected rows): 1 rows sent again, 1 succeeded, 0 failed, 0 not processed; lock failures left in the run: 0.');
    expect(last.stdout).to.contain('Every row is loaded.');
    // One record per input row: FIX-1 once (line 2 was not sent again), the corrected lines once each.
    const ids = [...emu.store.all('Contact')].map((c) => c.External_Id__c as string).filter((x) => x?.startsWith('FIX-'));
    expect(ids.sort()).to.deep.equal(['FIX-1', 'FIX-2', 'FIX-3', 'FIX-4']);
    const rows = readCsv(result.files.rows); // written anew by the last reconcile
    expect(rows.map((x) => [x.sf__Line, x.sf__State, x.sf__Round, x.sf__History])).to.deep.equal([
      ['2', 'succeeded', '0', ''],
      ['3', 'succeeded', '0', ''],
      ['4', 'succeeded', '1', '0:failed:DUPLICATE_VALUE 1:succeeded'],
      ['5', 'succeeded', '2', '0:rejected 2:succeeded'],
    ]);
  });

  it('exits 0 when every row is loaded, and says so', async () => {
    const file = write('clean.csv', 'LastName,External_Id__c\nA,CLEAN-1\nB,CLEAN-2\n');
    const load = await sf.run(['bulkops', 'load', '--sobject', 'Contact', '--file', file, '--target-org', 'emu', '--json']);
    expect(load.code, load.stdout).to.equal(0);
    const r = await sf.run(['bulkops', 'reconcile', '--latest']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain('Every row is loaded.');
  });

  it('--job-id --file: joins the shuffled results of a job made by sf data import bulk to every line of its file, repeated rows included', async () => {
    emu.insertRecords('Contact', [{ LastName: 'Held', External_Id__c: 'IMPJ-TAKEN' }]);
    // 40 rows: most load; lines 11 to 13 are the same row (three identical records are created);
    // lines 20 and 21 are the same row without LastName (both fail alike); line 30 takes an external ID the org holds.
    const expected = new Map<number, string>();
    const lines = ['LastName,Email,External_Id__c'];
    for (let i = 1; i <= 40; i++) {
      const line = i + 1;
      if (line >= 11 && line <= 13) lines.push('Same,same@example.com,');
      else if (line === 20 || line === 21) lines.push(',nobody@example.com,');
      else if (line === 30) lines.push('Taken,taken@example.com,IMPJ-TAKEN');
      else lines.push(`Imp ${i},imp${i}@example.com,IMPJ-${i}`);
      expected.set(line, line === 20 || line === 21 || line === 30 ? 'failed' : 'succeeded');
    }
    const file = write('imported.csv', `${lines.join('\n')}\n`);
    expect(lines[10]).to.equal(lines[12]);
    emu.settings.processingDelayMs = 0;
    const imp = await sf.run(['data', 'import', 'bulk', '--file', file, '--sobject', 'Contact', '--wait', '2', '--target-org', 'emu', '--json']);
    expect(imp.code, imp.stdout).to.equal(1); // plugin-data reports failed rows as an error
    const jobId = (imp.json as unknown as { data: { jobId: string } }).data.jobId;
    expect(jobId).to.match(/^750/);

    const r = await sf.run(['bulkops', 'reconcile', '--job-id', jobId, '--file', file, '--target-org', 'emu', '--output-dir', 'rec-job', '--report', 'job.md', '--json']);
    expect(r.code, r.stdout).to.equal(68);
    const result = r.json?.result as ReconcileJson & { jobs: Array<{ jobId: string; state: string }>; file: string; unmatched: number };
    expect(schemaErrors('bulkops-reconcile.json', result)).to.deep.equal([]);
    expect(result.jobs).to.have.length(1);
    expect(result.jobs[0]).to.include({ jobId, state: 'JobComplete' });
    expect(result.file).to.equal(file);
    expect(result.unmatched).to.equal(0);
    expect(result.counts).to.include({ rows: 40, succeeded: 37, failed: 3, unprocessed: 0, retryable: 0 });
    expect(result.files.folder).to.equal(join(sf.home, 'rec-job'));

    const rows = readCsv(result.files.rows);
    expect(rows.map((x) => [Number(x.sf__Line), x.sf__State])).to.deep.equal([...expected.entries()]);
    const byLine = new Map(rows.map((x) => [Number(x.sf__Line), x]));
    // Every row carries its own line's values, and every succeeded row's Id is a record with those values.
    lines.slice(1).forEach((text, i) => expect([byLine.get(i + 2)!.LastName, byLine.get(i + 2)!.Email, byLine.get(i + 2)!.External_Id__c].join(','), `line ${i + 2}`).to.equal(text));
    const ids = rows.filter((x) => x.sf__State === 'succeeded').map((x) => x.sf__Id);
    expect(new Set(ids).size).to.equal(37);
    for (const x of rows.filter((y) => y.sf__State === 'succeeded')) {
      expect(emu.store.get('Contact', x.sf__Id), `line ${x.sf__Line}`).to.include({ LastName: x.LastName, Email: x.Email });
      expect(x).to.include({ sf__Created: 'true', sf__JobId: jobId });
    }
    expect(byLine.get(20)).to.include({ sf__ErrorCode: 'REQUIRED_FIELD_MISSING', sf__Fields: 'LastName', sf__Action: 'fix-data' });
    expect(byLine.get(21)).to.include({ sf__ErrorCode: 'REQUIRED_FIELD_MISSING', sf__Fields: 'LastName', sf__Action: 'fix-data' });
    expect(byLine.get(30)).to.include({ sf__ErrorCode: 'DUPLICATE_VALUE', sf__Action: 'use-upsert' });
    const groups = new Map(result.groups.map((g) => [g.code, g]));
    expect(groups.get('REQUIRED_FIELD_MISSING')).to.include({ count: 2, action: 'fix-data', advice: 'Fix the value of LastName in these rows, then load them again.' });
    expect(readCsv(groups.get('DUPLICATE_VALUE')!.file).map((x) => x.sf__Line)).to.deep.equal(['30']);
    expect(readFileSync(join(sf.home, 'job.md'), 'utf8')).to.contain(`# Reconcile of job ${jobId}`);

    // What a person reads.
    const text = await sf.run(['bulkops', 'reconcile', '--job-id', jobId, '--file', file, '--target-org', 'emu', '--output-dir', 'rec-job']);
    expect(text.code, text.stderr).to.equal(68);
    expect(text.stdout).to.contain(`Job ${jobId} (insert Contact, JobComplete): 40 rows: 37 succeeded, 3 failed, 0 unprocessed.`);
    expect(text.stdout).to.contain(`Each result is joined to its line in ${file}.`);

    // Without the file: the same outcomes, without line numbers.
    const bare = await sf.run(['bulkops', 'reconcile', '--job-id', jobId, '--target-org', 'emu', '--output-dir', 'rec-bare', '--json']);
    expect(bare.code, bare.stdout).to.equal(68);
    const bareResult = bare.json?.result as ReconcileJson;
    expect(bareResult.counts).to.include({ rows: 40, succeeded: 37, failed: 3 });
    const bareRows = readCsv(bareResult.files.rows);
    expect(bareRows.every((x) => x.sf__Line === '')).to.equal(true);
    expect(bareRows.filter((x) => x.sf__State === 'succeeded').map((x) => x.sf__Id).sort()).to.deep.equal([...ids].sort());

    // A file that is not the one loaded: result rows that match no line are kept and counted, never guessed at.
    const other = write('other.csv', `${lines.slice(0, 21).join('\n')}\nSomeone else,else@example.com,ELSE-1\n`);
    const wrong = await sf.run(['bulkops', 'reconcile', '--job-id', jobId, '--file', other, '--target-org', 'emu', '--output-dir', 'rec-other', '--json']);
    const wrongResult = wrong.json?.result as ReconcileJson & { unmatched: number; files: { unmatched: string } };
    expect(wrongResult.unmatched).to.equal(20);
    expect(readCsv(wrongResult.files.unmatched)).to.have.length(20);
    // The row of other.csv no result names: a completed job reports every row, so it may be in the org under another job.
    expect(readCsv(wrongResult.files.rows).find((x) => x.sf__Line === '22')).to.include({ sf__State: 'unprocessed', sf__Action: 'check-org' });

    // Past the org's retention (7 days after the job ended) the job is gone: said plainly, with what to do.
    const moved = await call(emu, 'POST', '/__emulator/clock', { body: JSON.stringify({ advanceDays: 8 }), contentType: 'application/json' });
    expect(moved.status).to.equal(200);
    const gone = await sf.run(['bulkops', 'reconcile', '--job-id', jobId, '--file', file, '--target-org', 'emu', '--json']);
    expect(gone.code, gone.stdout).to.equal(1);
    expect(gone.json?.name).to.equal('JobNotFoundError');
    expect(gone.json?.message).to.contain(`Job ${jobId} is not in the org: Salesforce deletes a job and its results 7 days after it ends`);
  });

  it('--job-id twice --file: the jobs one file was split into are joined to its lines together', async () => {
    const all = ['LastName,External_Id__c'];
    for (let i = 1; i <= 20; i++) all.push(i === 15 ? `,SPLIT-${i}` : `Split ${i},SPLIT-${i}`);
    const file = write('split.csv', `${all.join('\n')}\n`);
    const half1 = write('split-1.csv', `${all.slice(0, 11).join('\n')}\n`);
    const half2 = write('split-2.csv', `${[all[0], ...all.slice(11)].join('\n')}\n`);
    emu.settings.processingDelayMs = 0;
    const jobs: string[] = [];
    for (const half of [half1, half2]) {
      const imp = await sf.run(['data', 'import', 'bulk', '--file', half, '--sobject', 'Contact', '--wait', '2', '--target-org', 'emu', '--json']);
      jobs.push((imp.json as unknown as { data?: { jobId: string }; result?: { jobId: string } }).data?.jobId ?? (imp.json as unknown as { result: { jobId: string } }).result.jobId);
    }
    const r = await sf.run(['bulkops', 'reconcile', '--job-id', jobs[0], '--job-id', jobs[1], '--file', file, '--target-org', 'emu', '--output-dir', 'rec-split', '--json']);
    expect(r.code, r.stdout).to.equal(68);
    const result = r.json?.result as ReconcileJson & { unmatched: number };
    expect(result.unmatched).to.equal(0);
    expect(result.counts).to.include({ rows: 20, succeeded: 19, failed: 1 });
    const rows = readCsv(result.files.rows);
    expect(rows.map((x) => [x.sf__Line, x.sf__State, x.External_Id__c])).to.deep.equal(all.slice(1).map((_, i) => [String(i + 2), i === 14 ? 'failed' : 'succeeded', `SPLIT-${i + 1}`]));
    for (const x of rows.filter((y) => y.sf__State === 'succeeded')) expect(emu.store.get('Contact', x.sf__Id)?.External_Id__c).to.equal(x.External_Id__c);
  });

  it('--job-id --file: a Bulk API V1 job (batches in shuffled order, columns reordered, repeated rows, a batch never processed) joined to every line', async () => {
    const V1 = '/services/async/66.0';
    const xml = (text: string, name: string): string => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)![1];
    const v1 = async (method: string, path: string, body?: string, contentType = 'application/xml'): Promise<string> => {
      const r = await call(emu, method, `${V1}${path}`, { body, contentType });
      expect(r.status, r.text).to.be.below(300);
      return r.text;
    };
    emu.insertRecords('Contact', [{ LastName: 'Held', External_Id__c: 'V1J-TAKEN' }]);
    // 30 lines: 5 and 6 the same row; 9 has no LastName; 17 takes an external ID the org holds.
    const row = (line: number): string[] => {
      if (line === 5 || line === 6) return ['Twin', 'twin@example.com', ''];
      if (line === 9) return ['', 'nobody@example.com', ''];
      if (line === 17) return ['Taken', 'taken@example.com', 'V1J-TAKEN'];
      return [`V1 ${line}`, `v1.${line}@example.com`, `V1J-${line}`];
    };
    const lines = Array.from({ length: 30 }, (_, i) => i + 2);
    const file = write('v1.csv', `LastName,Email,External_Id__c\n${lines.map((l) => row(l).join(',')).join('\n')}\n`);
    // Batches hold the file's lines out of order; the second names its columns in another order.
    const batches = [
      [20, 3, 17, 9, 5, 28, 11, 2, 14],
      [6, 25, 31, 8, 13, 22, 4, 19, 10, 7],
      [30, 12, 26, 15, 29, 16, 18, 21],
      [23, 24, 27],
    ];
    expect(batches.flat().sort((a, b) => a - b)).to.deep.equal(lines);
    const jobId = xml(await v1('POST', '/job', '<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><operation>insert</operation><object>Contact</object><contentType>CSV</contentType></jobInfo>'), 'id');
    emu.settings.processingDelayMs = 0;
    for (const [b, ls] of batches.slice(0, 3).entries()) {
      const body = b === 1 ? `Email,External_Id__c,LastName\n${ls.map((l) => { const [n, e, x] = row(l); return [e, x, n].join(','); }).join('\n')}\n` : `LastName,Email,External_Id__c\n${ls.map((l) => row(l).join(',')).join('\n')}\n`;
      await v1('POST', `/job/${jobId}/batch`, body, 'text/csv');
    }
    const until = Date.now() + 30_000;
    while (/<state>(Queued|InProgress)<\/state>/.test(await v1('GET', `/job/${jobId}/batch`))) {
      if (Date.now() > until) throw new Error('batches did not end');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // The last batch waits in the queue until the job is aborted: it is never processed.
    emu.settings.processingDelayMs = 600_000;
    await v1('POST', `/job/${jobId}/batch`, `LastName,Email,External_Id__c\n${batches[3].map((l) => row(l).join(',')).join('\n')}\n`, 'text/csv');
    await v1('POST', `/job/${jobId}`, '<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><state>Aborted</state></jobInfo>');
    emu.settings.processingDelayMs = 0;

    const r = await sf.run(['bulkops', 'reconcile', '--job-id', jobId, '--file', file, '--target-org', 'emu', '--output-dir', 'rec-v1', '--json']);
    expect(r.code, r.stdout).to.equal(68);
    const result = r.json?.result as ReconcileJson & { jobs: Array<{ jobId: string; state: string; jobType: string }>; unmatched: number };
    expect(schemaErrors('bulkops-reconcile.json', result)).to.deep.equal([]);
    expect(result.jobs[0]).to.include({ jobId, jobType: 'Classic', state: 'Aborted' });
    expect(result.unmatched).to.equal(0);
    expect(result.counts).to.include({ rows: 30, succeeded: 25, failed: 2, unprocessed: 3, retryable: 3 });
    const rows = readCsv(result.files.rows);
    expect(rows.map((x) => Number(x.sf__Line))).to.deep.equal(lines);
    for (const x of rows) {
      const line = Number(x.sf__Line);
      expect([x.LastName, x.Email, x.External_Id__c], `line ${line}`).to.deep.equal(row(line));
      const state = line === 9 || line === 17 ? 'failed' : batches[3].includes(line) ? 'unprocessed' : 'succeeded';
      expect(x.sf__State, `line ${line}`).to.equal(state);
      if (state === 'succeeded') expect(emu.store.get('Contact', x.sf__Id), `line ${line}`).to.include({ LastName: x.LastName, Email: x.Email });
      // never processed: safe to send again as it is
      if (state === 'unprocessed') expect(x.sf__Action).to.equal('retry');
    }
    expect(new Set(rows.filter((x) => x.sf__State === 'succeeded').map((x) => x.sf__Id)).size).to.equal(25);
    expect(rows.find((x) => x.sf__Line === '9')).to.include({ sf__ErrorCode: 'REQUIRED_FIELD_MISSING', sf__Fields: 'LastName' });
    expect(rows.find((x) => x.sf__Line === '17')).to.include({ sf__ErrorCode: 'DUPLICATE_VALUE', sf__Action: 'use-upsert' });
    expect(readCsv(result.files.retry).map((x) => x.External_Id__c).sort()).to.deep.equal(batches[3].map((l) => row(l)[2]).sort());
  });

  it('refuses an unknown run, and a run whose result file was deleted, with the action', async () => {
    const none = await sf.run(['bulkops', 'reconcile', '--run-id', 'no-such-run', '--json']);
    expect(none.code).to.equal(1);
    expect(none.json?.name).to.equal('NoRunError');
    const both = await sf.run(['bulkops', 'reconcile', '--run-id', 'x', '--latest']);
    expect(both.code).to.equal(2);

    const latest = (await sf.run(['bulkops', 'reconcile', '--latest', '--json'])).json?.result as ReconcileJson;
    const success = join(latest.files.folder, '..', 'success.csv');
    rmSync(success);
    const gone = await sf.run(['bulkops', 'reconcile', '--latest', '--json']);
    expect(gone.code).to.equal(1);
    expect(gone.json?.name).to.equal('RunFileMissingError');
    expect(gone.json?.message).to.contain('success.csv is gone');
  });
});
