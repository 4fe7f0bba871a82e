/*
 * The bench's generated Account CSV: unique external IDs, realistic text, a quoted name with a comma
 * on every row. Kept between runs (with its row count beside it) so a second run skips the writing.
 */
import { createWriteStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';

/** Writes a CSV of about `bytes` bytes of Accounts; returns its data rows. */
export async function makeAccountsCsv(path: string, bytes: number): Promise<number> {
  if (existsSync(path) && existsSync(`${path}.rows`) && statSync(path).size >= bytes) return Number(readFileSync(`${path}.rows`, 'utf8'));
  const out = createWriteStream(path);
  out.write('Name,External_Id__c,Industry,NumberOfEmployees,BillingCity,Description\n');
  const industries = ['Banking', 'Energy', 'Retail', 'Technology', 'Other'];
  const cities = ['Paris', 'Oslo', 'Rome', 'Lisbon', 'Dublin'];
  let written = 0;
  let rows = 0;
  while (written < bytes) {
    rows++;
    const line = `"Company ${rows}, Ltd",BENCH-${rows},${industries[rows % 5]},${(rows * 7) % 5000},${cities[rows % 5]},Account ${rows} created for the benchmark run\n`;
    written += Buffer.byteLength(line);
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  writeFileSync(`${path}.rows`, String(rows));
  return rows;
}
