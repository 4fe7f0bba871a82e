/*
 * The export core against the emulator: a query job's pages streamed to one file that equals the
 * org's own results byte for byte, a page cut mid-body read again without a row twice, JSON lines,
 * the org's refusal of a bad query with its position, a job the org no longer keeps, a stale locator.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { control } from '../emulator/support.js';
import { orgResults, seedAccounts, SOQL, testExport } from '../../helpers/exportTest.js';
import type { ExportEvent, ExportRequest } from '../../../src/core/export/types.js';
import { readExportState } from '../../../src/core/export/pageLedger.js';

const rowsOf = (text: string, delimiter = ','): Array<Record<string, string>> => parse(text, { columns: true, delimiter });

describe('export: a Bulk 2.0 query job streamed to a file', function () {
  this.timeout(60_000);
  let emu: Emulator;
  let work: string;
  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });
  const request = (extra: Partial<ExportRequest> = {}): ExportRequest => ({
    query: SOQL,
    allRows: false,
    output: join(work, `out-${Math.random().toString(36).slice(2, 8)}.csv`),
    format: 'csv',
    columnDelimiter: 'COMMA',
    lineEnding: 'LF',
    maxRecords: 500,
    runId: `run-${Math.random().toString(36).slice(2, 8)}`,
    ledgerDir: join(work, 'runs'),
    ...extra,
  });

  before(async () => {
    emu = await startEmulator();
    seedAccounts(emu, 2300);
    work = mkdtempSync(join(tmpdir(), 'bulkops-export-'));
  });

  after(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  afterEach(() => emu.clearFaults());

  it('writes every page once: the file equals the org results byte for byte, one header, the ledger names each page', async () => {
    const events: ExportEvent[] = [];
    const req = request();
    const result = await testExport(target(), (e) => events.push(e)).start(req);
    const file = readFileSync(req.output, 'utf8');
    expect(file).to.equal(await orgResults(emu, SOQL));
    expect(result).to.include({ records: 2300, pages: 5, jobRecords: 2300, bytes: Buffer.byteLength(file), resumed: false });
    const rows = rowsOf(file);
    expect(rows.map((r) => r.Id)).to.deep.equal([...emu.store.all('Account')].map((a) => a.Id));
    expect(new Set(rows.map((r) => r.Id)).size).to.equal(2300);
    const state = readExportState(join(req.ledgerDir, req.runId))!;
    expect(state.pages.map((p) => p.rows)).to.deep.equal([500, 500, 500, 500, 300]);
    expect(state.pages.at(-1)!.end).to.equal(Buffer.byteLength(file));
    expect(state.pages[0].locator).to.equal(undefined);
    expect(state.pages.slice(1).every((p, i) => p.locator === state.pages[i].next)).to.equal(true);
    expect(events.filter((e) => e.type === 'page').map((e) => (e as { totalRows: number }).totalRows)).to.deep.equal([500, 1000, 1500, 2000, 2300]);
  });

  it('a page cut mid-body is cut off the file and read again: no row twice, none missing', async () => {
    const req = request();
    emu.addFault({ kind: 'cut', method: 'GET', path: '/jobs/query/\\w+/results$', afterBytes: 5000, count: 2 });
    const events: ExportEvent[] = [];
    const result = await testExport(target(), (e) => events.push(e), 1).start(req);
    expect(readFileSync(req.output, 'utf8')).to.equal(await orgResults(emu, SOQL));
    expect(result.records).to.equal(2300);
    expect(emu.requests.filter((r) => r.fault === 'cut')).to.have.length(2);
    expect(events.filter((e) => e.type === 'retry').length).to.be.greaterThan(0);
  });

  it('the same with pages asked for ahead (the faults hit pages not yet being written)', async () => {
    const req = request({ maxRecords: 300 });
    emu.addFault({ kind: 'cut', method: 'GET', path: '/jobs/query/\\w+/results$', afterBytes: 3000, count: 3 });
    emu.addFault({ kind: 'status', status: 503, method: 'GET', path: '/jobs/query/\\w+/results$', count: 1 });
    await testExport(target(), undefined, 4).start(req);
    expect(readFileSync(req.output, 'utf8')).to.equal(await orgResults(emu, SOQL));
  });

  it('--all-rows (queryAll) includes deleted records; a plain query does not', async () => {
    const def = emu.store.describe('Account')!;
    const gone = [...emu.store.all('Account')][10];
    emu.store.softDelete(def, gone);
    try {
      const all = request({ allRows: true, query: 'SELECT Id, IsDeleted FROM Account' });
      await testExport(target()).start(all);
      const rows = rowsOf(readFileSync(all.output, 'utf8'));
      expect(rows).to.have.length(2300);
      expect(rows.find((r) => r.Id === gone.Id)?.IsDeleted).to.equal('true');
      const live = request({ query: 'SELECT Id, IsDeleted FROM Account' });
      await testExport(target()).start(live);
      expect(readFileSync(live.output, 'utf8')).to.not.include(String(gone.Id));
    } finally {
      gone.IsDeleted = false;
    }
  });

  it('--format jsonl: one object per record, the header names as keys, empty values null', async () => {
    const req = request({ format: 'jsonl' });
    const result = await testExport(target()).start(req);
    const lines = readFileSync(req.output, 'utf8').split('\n').filter(Boolean);
    expect(lines).to.have.length(2300);
    expect(result.records).to.equal(2300);
    const records = [...emu.store.all('Account')];
    const first = JSON.parse(lines[0]) as Record<string, unknown>;
    expect(first).to.deep.equal({ Id: records[0].Id, Name: records[0].Name, Description: null, NumberOfEmployees: null, CreatedDate: records[0].CreatedDate });
    expect((JSON.parse(lines[3]) as Record<string, unknown>).Description).to.equal('line one\nline two 3');
  });

  it('a delimiter and line ending of choice come from the org as asked', async () => {
    const req = request({ columnDelimiter: 'SEMICOLON', lineEnding: 'CRLF' });
    await testExport(target()).start(req);
    const text = readFileSync(req.output, 'utf8');
    expect(text.startsWith('"Id";"Name";"Description";"NumberOfEmployees";"CreatedDate"\r\n')).to.equal(true);
    expect(rowsOf(text, ';').length).to.equal(2300);
  });

  it('a bad query: the org refusal, its error code and the position it gives', async () => {
    const refusal = async (query: string): Promise<Error & { errorCode?: string }> =>
      (await testExport(target()).start(request({ query })).catch((x: Error) => x)) as Error & { errorCode?: string };
    const malformed = await refusal('SELECT Id Name FROM Account WHERE');
    expect(malformed.name).to.equal('QueryRefusedError');
    expect(malformed.errorCode).to.equal('MALFORMED_QUERY');
    expect(malformed.message).to.match(/ERROR at Row:1:Column:\d+/);
    const field = await refusal('SELECT Id, Nmae FROM Account');
    expect(field.errorCode).to.equal('INVALID_FIELD');
    expect(field.message).to.match(/No such column 'Nmae' on entity 'Account'/);
  });

  it('resume of a job the org no longer keeps (7 days) says so', async () => {
    const req = request({ maxRecords: 1000 });
    await testExport(target()).start(req).catch(() => undefined);
    const runDir = join(req.ledgerDir, req.runId);
    // Stand for a run stopped after its first page: the done record and the last pages go.
    const ledger = readFileSync(join(runDir, 'export.jsonl'), 'utf8').split('\n');
    writeFileSync(join(runDir, 'export.jsonl'), `${ledger.slice(0, 3).join('\n')}\n`);
    await control(emu, 'POST', '/clock', { advanceDays: 8 });
    const e = (await testExport(target()).resume(runDir).catch((x: Error) => x)) as Error & { jobId?: string };
    expect(e.name).to.equal('QueryJobGoneError');
    expect(e.jobId).to.equal(readExportState(runDir)!.jobId);
  });

  it('resume when the file is shorter than the pages the run wrote: OutputChangedError, nothing written', async () => {
    const req = request({ maxRecords: 1000 });
    await testExport(target()).start(req);
    const runDir = join(req.ledgerDir, req.runId);
    const ledger = readFileSync(join(runDir, 'export.jsonl'), 'utf8').split('\n');
    writeFileSync(join(runDir, 'export.jsonl'), `${ledger.slice(0, 4).join('\n')}\n`);
    truncateSync(req.output, 100);
    const e = (await testExport(target()).resume(runDir).catch((x: Error) => x)) as Error & { expected?: number; found?: number };
    expect(e.name).to.equal('OutputChangedError');
    expect(e.found).to.equal(100);
    expect(e.expected).to.equal(readExportState(runDir)!.pages[1].end);
    expect(statSync(req.output).size).to.equal(100);
  });

  it('--for-load upsert without the external ID column selected: ForLoadColumnError before a byte is written', async () => {
    const req = request({ query: 'SELECT Id, Name FROM Account', forLoad: { operation: 'upsert', externalId: 'External_Id__c' } });
    const e = (await testExport(target()).start(req).catch((x: Error) => x)) as Error & { column?: string };
    expect(e.name).to.equal('ForLoadColumnError');
    expect(e.column).to.equal('External_Id__c');
    expect(statSync(req.output).size).to.equal(0);
  });

  it('--for-load update with columns load cannot write: NotWritableColumnsError names them; a parent column of a writable lookup is fine', async () => {
    const req = request({ query: 'SELECT Id, Name, CreatedDate, Parent.External_Id__c, LastModifiedDate FROM Account', forLoad: { operation: 'update' } });
    const e = (await testExport(target()).start(req).catch((x: Error) => x)) as Error & { columns?: string[] };
    expect(e.name).to.equal('NotWritableColumnsError');
    expect(e.columns).to.deep.equal(['CreatedDate', 'LastModifiedDate']);
    const ok = request({ query: 'SELECT Id, Name, Parent.External_Id__c FROM Account', forLoad: { operation: 'update' }, maxRecords: 1000 });
    expect((await testExport(target()).start(ok)).records).to.equal(2300);
    expect(readFileSync(ok.output, 'utf8').split('\n')[0]).to.equal('Id,Name,Parent.External_Id__c');
  });

  it('a locator the org refuses (stale) ends the export with LocatorRefusedError', async () => {
    await control(emu, 'PATCH', '/settings', { queryLocatorLifetimeMs: 1 });
    try {
      emu.addFault({ kind: 'slow', method: 'GET', path: '/jobs/query/\\w+/results$', delayMs: 30, count: 10 });
      const e = (await testExport(target(), undefined, 1).start(request()).catch((x: Error) => x)) as Error;
      expect(e.name).to.equal('LocatorRefusedError');
    } finally {
      await control(emu, 'PATCH', '/settings', { queryLocatorLifetimeMs: 0 });
    }
  });
});
