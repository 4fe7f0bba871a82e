import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expect } from 'chai';
import { scanRecords } from '../../../../src/core/csv/recordScanner.js';
import { fileBlocks } from '../../../../src/core/io/fileBlocks.js';
import { csvLine } from '../../../../src/core/csv/writer.js';

async function records(bytes: Buffer, cut: number): Promise<string[]> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += cut) chunks.push(bytes.subarray(i, i + cut));
  const out: string[] = [];
  await scanRecords(Readable.from(chunks), (buf, start, end) => {
    out.push(buf.toString('utf8', start, end));
  });
  return out;
}

describe('record scanner', () => {
  it('cuts what csvLine wrote back into the same records, however the bytes are chunked', async () => {
    const rows = [
      ['plain', 'row'],
      ['with, comma', 'say "hi"'],
      ['two\nlines', '"\n"'],
      ['', ''],
      ['€uro', 'x'.repeat(300)],
      ['""', 'end'],
    ];
    const lines = rows.map((r) => csvLine(r));
    const bytes = Buffer.from(lines.join(''));
    for (const cut of [1, 2, 3, 7, 64, bytes.length]) {
      expect(await records(bytes, cut), `chunks of ${cut}`).to.deep.equal(lines.map((l) => l.slice(0, -1)));
    }
  });

  it('visits a last record that has no line end, and waits for a visitor that returns a promise', async () => {
    const seen: string[] = [];
    await scanRecords(Readable.from([Buffer.from('a,b\n"c\nd",e')]), async (buf, start, end) => {
      await new Promise((r) => setImmediate(r));
      seen.push(buf.toString('utf8', start, end));
    });
    expect(seen).to.deep.equal(['a,b', '"c\nd",e']);
  });

  it('reads a file through one reused block without mixing records up across blocks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bulkops-scan-'));
    try {
      const lines = Array.from({ length: 500 }, (_, i) => csvLine([`row ${i}`, i % 3 ? 'a\nb' : 'x,y', '€'.repeat(i % 11)]));
      const file = join(dir, 'part.csv');
      writeFileSync(file, lines.join(''));
      const seen: string[] = [];
      await scanRecords(fileBlocks(file, 100), (buf, start, end) => {
        seen.push(buf.toString('utf8', start, end));
      });
      expect(seen).to.deep.equal(lines.map((l) => l.slice(0, -1)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
