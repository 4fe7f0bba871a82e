/*
 * Loads whose input is read, checked and split on worker threads (SF_BULKOPS_SPLIT_THREADS_MIN_MB=0
 * sends every input through them; by default only inputs of 64 MB and more go). Against the emulator:
 * the same records, result files and rejected rows as the one-thread split of the same file; two
 * files with their columns in different orders; a kill -9 while parts are sent, then resume.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import type { LoadEvent, LoadRequest, LoadResult } from '../../../src/core/run/types.js';
import { readCsv } from '../../helpers/csv.js';
import { threadsSuite } from '../../helpers/splitThreads.js';

describe('load engine: the split on worker threads', function () {
  this.timeout(180_000);
  const suite = threadsSuite('bulkops-threads-');
  const { target } = suite;

  /** Contacts with quoted names over two lines, a name with a quote, accents, and every 50th row without its required LastName. */
  const contacts = (rows: number, file = join(suite.work(), 'contacts.csv')): string => {
    const lines = ['LastName,FirstName,External_Id__c'];
    for (let i = 1; i <= rows; i++) {
      const last = i % 50 === 0 ? '' : i % 7 === 0 ? `"Name ${i}\nsecond line"` : i % 11 === 0 ? `"Say ""${i}"""` : `Nämé${i}`;
      lines.push(`${last},First ${i},C-${i}`);
    }
    writeFileSync(file, lines.join('\r\n') + '\r\n');
    return file;
  };

  const load = async (req: LoadRequest, threads: boolean): Promise<{ result: LoadResult; events: LoadEvent[] }> => {
    suite.threads(threads);
    const events: LoadEvent[] = [];
    const result = await testEngine(target(), (e) => events.push(e)).engine.start(req);
    return { result, events };
  };

  /**
   * The result files, each record's Id blanked: the org numbers records in the order it processes
   * them, and parallel jobs are processed in no fixed order (the rows, lines and outcomes must match).
   */
  const resultFiles = (result: LoadResult): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [name, path] of Object.entries(result.files ?? {})) out[name] = readFileSync(path, 'utf8').replace(/\b003[0-9A-Za-z]{15}\b/g, '003<id>');
    return out;
  };

  it('loads every row once, rejects what preflight rejects, and writes the result files the one-thread split writes', async () => {
    const file = contacts(3000);
    const one = await load(contactLoad(file, join(suite.work(), 'one'), { maxJobBytes: 20_000, resultsDir: join(suite.work(), 'one-results') }), false);
    expect(one.events.find((e) => e.type === 'split')).to.deep.equal({ type: 'split', threads: 0 });
    const oneFiles = resultFiles(one.result);
    // The org's records in no particular order: parallel jobs land in the order the org processes them.
    const oneRecords = [...suite.emu().store.all('Contact')].map((r) => String(r.LastName)).sort();
    await suite.restart();
    const threaded = await load(contactLoad(file, join(suite.work(), 'threads'), { maxJobBytes: 20_000, resultsDir: join(suite.work(), 'threads-results') }), true);
    expect(threaded.events.find((e) => e.type === 'split')).to.deep.equal({ type: 'split', threads: 2 });
    expect(threaded.result).to.include({ status: 'Completed', successful: 2940, failed: 0, rejected: 60 });
    expect(threaded.result.jobs.length).to.be.greaterThan(3);
    expect([...suite.emu().store.all('Contact')].map((r) => String(r.LastName)).sort()).to.deep.equal(oneRecords);
    const threadedFiles = resultFiles(threaded.result);
    expect(threadedFiles).to.deep.equal(oneFiles);
    expect(threadedFiles.success.match(/003<id>/g) ?? [], 'each successful row has its record Id').to.have.length(2940);
    // rejected.csv names the lines: every 50th row, its line counting the quoted line breaks before it.
    const rejected = readCsv(threaded.result.files!.rejected!);
    expect(rejected).to.have.length(60);
    expect(rejected[0].sf__Line).to.equal(String(50 + 1 + Math.floor(49 / 7)));
    expect(rejected[0]['External_Id__c']).to.equal('C-50');
  });

  it('two files with their columns in different orders load as one, on threads', async () => {
    const a = contacts(400, join(suite.work(), 'a.csv'));
    const b = join(suite.work(), 'b.csv');
    writeFileSync(b, 'External_Id__c,LastName,FirstName\n' + Array.from({ length: 300 }, (_, i) => `D-${i},"B ""${i}""",F${i}`).join('\n') + '\n');
    const { result, events } = await load(contactLoad(a, suite.work(), { files: [a, b], maxJobBytes: 8000 }), true);
    expect(events.find((e) => e.type === 'split')).to.deep.equal({ type: 'split', threads: 2 });
    expect(result).to.include({ status: 'Completed', successful: 392 + 300, rejected: 8 });
    const names = [...suite.emu().store.all('Contact')].map((r) => `${String(r.External_Id__c)}=${String(r.LastName)}`);
    expect(names).to.include('D-7=B "7"');
    expect(names).to.include('C-7=Name 7\nsecond line');
    expect(new Set(names).size).to.equal(692);
  });

  it('killed while its parts are sent (split on threads), then resumed: every row loaded once, no job left Open', async () => {
    suite.threads(true);
    const req = contactLoad(contacts(3000), suite.work(), { maxJobBytes: 20_000 });
    const child = await runCrashChild({ target: target(), request: req }, 'after-upload:2');
    expect(child.signal, child.stderr + child.stdout).to.equal('SIGKILL');
    const result = await testEngine(target()).engine.resume(join(req.ledgerDir, req.runId), 120_000);
    expect(result).to.include({ status: 'Completed', successful: 2940, rejected: 60 });
    const ids = [...suite.emu().store.all('Contact')].map((r) => String(r.External_Id__c));
    expect(ids).to.have.length(2940);
    expect(new Set(ids).size).to.equal(2940);
    expect(suite.emu().ingest.jobs.list().filter((j) => j.state === 'Open')).to.deep.equal([]);
  });
});
