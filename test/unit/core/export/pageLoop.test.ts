/*
 * The page loop over pages the test makes up: a page that holds other records than the org said it
 * sent (Sforce-NumberOfRecords) stops the export, nothing recorded for it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { OutputFile } from '../../../../src/core/export/outputFile.js';
import { PageLedger, readExportState } from '../../../../src/core/export/pageLedger.js';
import { writePages } from '../../../../src/core/export/pageLoop.js';

describe('export page loop', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bulkops-pageloop-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a page whose records differ from what the org said: RowCountError, the page not recorded', async () => {
    const ledger = new PageLedger(dir);
    ledger.append({ t: 'export', runId: 'r', query: 'q', operation: 'query', output: join(dir, 'out.csv'), format: 'csv', columnDelimiter: 'COMMA', lineEnding: 'LF', org: { orgId: 'o', userId: 'u', username: 'n' } });
    const out = await OutputFile.openAt(join(dir, 'out.csv'), 0);
    const pages = [
      { body: '"Id"\n"1"\n"2"\n', records: 2, next: 'L1' },
      { body: '"Id"\n"3"\n', records: 5 },
    ];
    let n = 0;
    const e = await writePages(
      {
        fetch: () => {
          const p = pages[n++];
          return Promise.resolve({ body: Readable.from([Buffer.from(p.body)]), records: p.records, ...(p.next ? { next: p.next } : {}) });
        },
        retry: (_what, fn) => fn(),
        ledger,
        out,
        format: { format: 'csv', columnDelimiter: 'COMMA', lineEnding: 'LF' },
        ahead: 1,
      },
      []
    ).catch((x: Error) => x);
    await out.close();
    ledger.close();
    expect((e as Error).name).to.equal('RowCountError');
    expect(readExportState(dir)!.pages.map((p) => p.rows)).to.deep.equal([2]);
    expect(readFileSync(join(dir, 'out.csv'), 'utf8').startsWith('"Id"\n"1"\n"2"\n')).to.equal(true);
  });
});
