/*
 * The machine's journal of job creations: what each intent got, which intents are unresolved, which
 * jobs are claimed, and a line torn by a crash that never glues itself to the next entry.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { CreationJournal } from '../../../../src/core/runner/creationJournal.js';

describe('creation journal', () => {
  let dir: string;
  let journal: CreationJournal;
  const key = { orgId: '00D000000000001AAA', userId: '005000000000001AAA', object: 'Contact', operation: 'insert' };
  const wait = { sleep: (): Promise<void> => Promise.resolve(), pollMs: 1, maxWaitMs: 10 };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-journal-'));
    journal = new CreationJournal(dir, key);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('tells each intent’s outcome, the unresolved intents and the claimed jobs', async () => {
    await journal.exclusive(() => {
      journal.intent('/runs/a', 1, '2026-12-01T10:00:00.000Z');
      journal.resolved('/runs/a', 1, '750000000000001AAA');
      journal.intent('/runs/a', 2, '2026-12-01T10:00:01.000Z');
      journal.intent('/runs/b', 1, '2026-12-01T10:00:02.000Z');
      journal.resolved('/runs/b', 1, undefined);
      return Promise.resolve();
    }, wait);
    expect(journal.outcome('/runs/a', 1, '2026-12-01T10:00:00.000Z')).to.deep.equal({ resolved: true, jobId: '750000000000001AAA' });
    expect(journal.outcome('/runs/a', 2, '2026-12-01T10:00:01.000Z')).to.deep.equal({ resolved: false });
    expect(journal.outcome('/runs/b', 1, '2026-12-01T10:00:02.000Z')).to.deep.equal({ resolved: true });
    // An intent older than the ledger's says nothing about the ledger's intent: its request was never sent.
    expect(journal.outcome('/runs/a', 2, '2026-12-01T11:00:00.000Z')).to.equal(undefined);
    expect(journal.unresolved()).to.deep.equal([{ run: '/runs/a', chunk: 2, at: '2026-12-01T10:00:01.000Z' }]);
    expect([...journal.claimed().entries()]).to.deep.equal([['750000000000001', { run: '/runs/a', chunk: 1 }]]);
  });

  it('ends a line torn by a crash before the next entry, so the next entry is read', async () => {
    await journal.exclusive(() => Promise.resolve(journal.intent('/runs/a', 1, '2026-12-01T10:00:00.000Z')), wait);
    appendFileSync(journal.path, '{"t":"job","run":"/runs/a","ch');
    await journal.exclusive(() => Promise.resolve(journal.resolved('/runs/a', 1, '750000000000009AAA')), wait);
    expect(readFileSync(journal.path, 'utf8').split('\n').filter(Boolean)).to.have.length(3);
    expect(journal.outcome('/runs/a', 1, '2026-12-01T10:00:00.000Z')).to.deep.equal({ resolved: true, jobId: '750000000000009AAA' });
  });
});
