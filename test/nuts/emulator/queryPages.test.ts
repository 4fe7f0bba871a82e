/*
 * Bulk API 2.0 query results in pages (Bulk API Developer Guide: Get Results for a Query Job):
 * maxRecords, Sforce-Locator ('null' at the end) and Sforce-NumberOfRecords, queryAll with the
 * recycle bin's rows, a locator that goes stale, and a page whose transfer breaks off mid-body.
 */
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { V, call, control, readCsv } from './support.js';

async function queryJob(emu: Emulator, query: string, operation = 'query', extra: Record<string, unknown> = {}): Promise<string> {
  const created = await call(emu, 'POST', `${V}/jobs/query`, { body: JSON.stringify({ operation, query, ...extra }), contentType: 'application/json' });
  expect(created.status, created.text).to.equal(200);
  const id = (created.json as { id: string }).id;
  const until = Date.now() + 5000;
  while (!(await call(emu, 'GET', `${V}/jobs/query/${id}`)).text.includes('"JobComplete"')) {
    if (Date.now() > until) throw new Error('query job did not complete');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return id;
}

const page = (emu: Emulator, id: string, params: Record<string, string>): ReturnType<typeof call> =>
  call(emu, 'GET', `${V}/jobs/query/${id}/results?${new URLSearchParams(params).toString()}`, { accept: 'text/csv' });

describe('emulator Bulk 2.0 query result pages', function () {
  this.timeout(30_000);
  let emu: Emulator;

  before(async () => {
    emu = await startEmulator();
    emu.insertRecords(
      'Account',
      Array.from({ length: 25 }, (_, i) => ({ Name: i === 3 ? 'Quote "and", comma\nnewline' : `Acct ${i}`, External_Id__c: `Q-${i}` }))
    );
  });

  after(async () => {
    await emu.stop();
  });

  it('maxRecords pages: each has the header, its rows, the next locator, the last says null', async () => {
    const id = await queryJob(emu, 'SELECT Id, Name, External_Id__c FROM Account ORDER BY External_Id__c');
    const names: string[] = [];
    const counts: string[] = [];
    let locator = '';
    for (let n = 0; n < 10; n++) {
      const r = await page(emu, id, { maxRecords: '10', ...(locator ? { locator } : {}) });
      expect(r.status).to.equal(200);
      expect(r.text.split('\n')[0]).to.equal('"Id","Name","External_Id__c"');
      names.push(...readCsv(r.text).map((row) => row.Name));
      counts.push(r.headers.get('sforce-numberofrecords') ?? '');
      locator = r.headers.get('sforce-locator') ?? '';
      if (locator === 'null') break;
    }
    expect(counts).to.deep.equal(['10', '10', '5']);
    expect(names).to.have.length(25);
    expect(names).to.include('Quote "and", comma\nnewline');
  });

  it('queryAll returns the recycle bin rows with IsDeleted true; query does not', async () => {
    const def = emu.store.describe('Account')!;
    const gone = [...emu.store.all('Account')].find((a) => a.External_Id__c === 'Q-7')!;
    emu.store.softDelete(def, gone);
    const rows = async (operation: string): Promise<Array<Record<string, string>>> =>
      readCsv((await page(emu, await queryJob(emu, 'SELECT Id, IsDeleted FROM Account', operation), {})).text);
    const all = await rows('queryAll');
    expect(all).to.have.length(25);
    expect(all.find((r) => r.Id === gone.Id)?.IsDeleted).to.equal('true');
    expect((await rows('query')).map((r) => r.Id)).to.not.include(gone.Id);
  });

  it('a locator of another job, a made-up one, or one older than queryLocatorLifetimeMs is refused: 400 INVALID_QUERY_LOCATOR', async () => {
    const a = await queryJob(emu, 'SELECT Id FROM Account');
    const b = await queryJob(emu, 'SELECT Id FROM Account');
    const next = (await page(emu, a, { maxRecords: '5' })).headers.get('sforce-locator')!;
    expect((await page(emu, a, { maxRecords: '5', locator: next })).status).to.equal(200);
    const other = await page(emu, b, { maxRecords: '5', locator: next });
    expect(other.status).to.equal(400);
    expect(other.json).to.deep.equal([{ errorCode: 'INVALID_QUERY_LOCATOR', message: 'invalid query locator' }]);
    expect((await page(emu, a, { locator: 'MTAwMDA' })).status).to.equal(400);
    expect((await page(emu, a, { maxRecords: '0' })).status).to.equal(400);

    await control(emu, 'PATCH', '/settings', { queryLocatorLifetimeMs: 60_000 });
    try {
      const fresh = (await page(emu, a, { maxRecords: '5' })).headers.get('sforce-locator')!;
      expect((await page(emu, a, { maxRecords: '5', locator: fresh })).status).to.equal(200);
      await control(emu, 'POST', '/clock', { advanceMs: 120_000 });
      const stale = await page(emu, a, { maxRecords: '5', locator: fresh });
      expect(stale.status).to.equal(400);
      expect((stale.json as Array<{ errorCode: string }>)[0].errorCode).to.equal('INVALID_QUERY_LOCATOR');
      // The job's first page needs no locator: it is still there.
      expect((await page(emu, a, { maxRecords: '5' })).status).to.equal(200);
    } finally {
      await control(emu, 'PATCH', '/settings', { queryLocatorLifetimeMs: 0 });
    }
  });

  it('a page cut mid-body (cut fault): the headers and the first bytes, then the connection closes; the same locator then gives the whole page', async () => {
    const id = await queryJob(emu, 'SELECT Id, Name FROM Account');
    const first = await page(emu, id, { maxRecords: '10' });
    const locator = first.headers.get('sforce-locator')!;
    const whole = await page(emu, id, { maxRecords: '10', locator });
    emu.addFault({ kind: 'cut', method: 'GET', path: '/jobs/query/\\w+/results$', afterBytes: 100 });
    const cut = await new Promise<{ locator: string; bytes: number; ended: string }>((resolve, reject) => {
      const req = httpRequest(`${emu.url}${V}/jobs/query/${id}/results?maxRecords=10&locator=${locator}`, { headers: { Authorization: `Bearer ${emu.accessToken}` } });
      req.on('error', reject);
      req.on('response', (res) => {
        let bytes = 0;
        const done = (ended: string): void => resolve({ locator: String(res.headers['sforce-locator']), bytes, ended });
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => done(res.complete ? 'complete' : 'short'));
        res.on('error', (e: NodeJS.ErrnoException) => done(`error ${e.code ?? e.message}`));
      });
      req.end();
    });
    expect(cut.bytes).to.equal(100);
    expect(cut.ended).to.equal('error ECONNRESET');
    expect(Buffer.from(cut.locator, 'base64url').toString().split(':')[0]).to.equal('20');
    const again = await page(emu, id, { maxRecords: '10', locator });
    expect(again.text).to.equal(whole.text);
  });
});
