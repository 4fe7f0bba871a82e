import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { CsvRecord } from '../../../../src/core/csv/reader.js';
import { sortedByKey, type KeyedRecord } from '../../../../src/core/concurrency/externalSort.js';

async function* batches(records: CsvRecord[], size = 7): AsyncGenerator<CsvRecord[]> {
  for (let i = 0; i < records.length; i += size) yield await Promise.resolve(records.slice(i, i + size));
}

async function collect(it: AsyncIterable<KeyedRecord[]>): Promise<KeyedRecord[]> {
  const out: KeyedRecord[] = [];
  for await (const b of it) out.push(...b);
  return out;
}

describe('external sort by parent key', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bulkops-sort-'));
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  // 3,000 rows over 37 parents in a scrambled order, some without a parent, some with quotes and non-ASCII text.
  const rows: CsvRecord[] = Array.from({ length: 3000 }, (_, i) => {
    const parent = i % 11 === 0 ? '' : `P${String((i * 7919) % 37).padStart(2, '0')}`;
    const fields = [parent, `Name ${i}`, i % 5 === 0 ? 'say "hi", Zoë' : 'plain'];
    return { line: i + 2, fields, ...(i % 3 === 0 ? { text: fields.map((f) => (f.includes('"') || f.includes(',') ? `"${f.replace(/"/g, '""')}"` : f)).join(',') } : {}) };
  });
  const expected = [...rows]
    .map((r) => ({ key: r.fields[0], line: r.line }))
    .sort((a, b) => (a.key === b.key ? a.line - b.line : a.key < b.key ? -1 : 1));

  for (const [label, runBytes, fanIn] of [
    ['in memory (one run)', undefined, undefined],
    ['through runs on disk and rounds of 2-way merges', 2000, 2],
    ['through runs on disk and one merge', 5000, 64],
  ] as const) {
    it(`orders rows by key, then line, keeping each row's line and text: ${label}`, async () => {
      const dir = join(work, 'sort');
      const sorted = await collect(sortedByKey(batches(rows), { dir, key: (r) => r.fields[0] || undefined, runBytes, fanIn }));
      expect(sorted.map((r) => ({ key: r.key, line: r.line }))).to.deep.equal(expected);
      for (const r of sorted) {
        const i = r.line - 2;
        const want = rows[i].text ?? rows[i].fields.map((f) => (/[",]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f)).join(',');
        expect(r.text).to.equal(want);
        expect(r.fileIndex).to.equal(0);
      }
      expect(existsSync(dir), 'the runs are removed').to.equal(false);
    });
  }

  it('keeps the rows of each input file together, in file order', async () => {
    const two: CsvRecord[] = rows.slice(0, 400).map((r, i) => ({ ...r, fileIndex: i % 2 }));
    const sorted = await collect(sortedByKey(batches(two), { dir: join(work, 's2'), key: (r) => r.fields[0], runBytes: 1000, fanIn: 3 }));
    expect(sorted).to.have.length(400);
    const firstOfSecond = sorted.findIndex((r) => r.fileIndex === 1);
    expect(sorted.slice(0, firstOfSecond).every((r) => r.fileIndex === 0)).to.equal(true);
    expect(sorted.slice(firstOfSecond).every((r) => r.fileIndex === 1)).to.equal(true);
    expect(firstOfSecond).to.equal(200);
  });

  it('removes its runs when the reader stops early', async () => {
    const dir = join(work, 's3');
    for await (const batch of sortedByKey(batches(rows), { dir, key: (r) => r.fields[0], runBytes: 1000 })) {
      expect(batch.length).to.be.greaterThan(0);
      expect(readdirSync(dir).length).to.be.greaterThan(1);
      break;
    }
    expect(existsSync(dir)).to.equal(false);
  });
});
