/*
 * kill -9 during an export, then resume: the file is the org's results byte for byte, no row twice,
 * none missing. The export runs in a child that SF_BULKOPS_CRASH_AT kills at a chosen page (the
 * crash points of src/core/runtime/crashPoints.ts); the resume runs here.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { orgResults, runExportChild, seedAccounts, SOQL, testExport } from '../../helpers/exportTest.js';
import { readExportState } from '../../../src/core/export/pageLedger.js';
import type { ExportEvent, ExportRequest } from '../../../src/core/export/types.js';

describe('export: kill -9 at a page boundary or mid-page, then resume', function () {
  this.timeout(120_000);
  let emu: Emulator;
  let work: string;
  let expected: string;
  const target = (): { instanceUrl: string; accessToken: string } => ({ instanceUrl: emu.url, accessToken: emu.accessToken });
  const request = (): ExportRequest => {
    const runId = `run-${Math.random().toString(36).slice(2, 8)}`;
    return { query: SOQL, allRows: false, output: join(work, `${runId}.csv`), format: 'csv', columnDelimiter: 'COMMA', lineEnding: 'LF', maxRecords: 2000, runId, ledgerDir: join(work, 'runs') };
  };

  before(async () => {
    emu = await startEmulator();
    seedAccounts(emu, 7000);
    work = mkdtempSync(join(tmpdir(), 'bulkops-export-crash-'));
    expected = await orgResults(emu, SOQL);
  });

  after(async () => {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Crashes the export at `point`, checks what was on disk then, resumes, and returns the resume's events. */
  async function crashThenResume(point: string): Promise<{ sizeAtCrash: number; pagesAtCrash: number[]; pageEnds: number[]; events: ExportEvent[] }> {
    const req = request();
    const exit = await runExportChild({ target: target(), request: req }, point);
    expect(exit.signal, exit.stderr).to.equal('SIGKILL');
    const runDir = join(req.ledgerDir, req.runId);
    const before = readExportState(runDir)!;
    const sizeAtCrash = statSync(req.output).size;
    const events: ExportEvent[] = [];
    const result = await testExport(target(), (e) => events.push(e)).resume(runDir);
    expect(result).to.include({ records: 7000, pages: 4, jobRecords: 7000, resumed: true, jobId: before.jobId });
    expect(readFileSync(req.output, 'utf8')).to.equal(expected);
    const after = readExportState(runDir)!;
    expect(after.pages.map((p) => p.n)).to.deep.equal([0, 1, 2, 3]);
    expect(after.done).to.equal(true);
    return { sizeAtCrash, pagesAtCrash: before.pages.map((p) => p.end), pageEnds: after.pages.map((p) => p.end), events };
  }

  it('after page 2 is recorded: resume asks for page 3 from its locator and writes it after page 2', async () => {
    const { sizeAtCrash, pagesAtCrash, events } = await crashThenResume('after-page:1');
    expect(pagesAtCrash).to.have.length(2);
    expect(sizeAtCrash).to.equal(pagesAtCrash[1]);
    expect(events.find((e) => e.type === 'resumed')).to.deep.equal({ type: 'resumed', pages: 2, rows: 4000, bytes: pagesAtCrash[1], cutBytes: 0 });
    expect(events.filter((e) => e.type === 'page').map((e) => (e as { page: number }).page)).to.deep.equal([3, 4]);
  });

  it('page 2 written but not recorded: resume cuts its bytes off and writes it again, once', async () => {
    const { sizeAtCrash, pagesAtCrash, events } = await crashThenResume('page-written:1');
    expect(pagesAtCrash).to.have.length(1);
    expect(sizeAtCrash).to.be.greaterThan(pagesAtCrash[0]);
    expect(events.find((e) => e.type === 'resumed')).to.include({ pages: 1, rows: 2000, cutBytes: sizeAtCrash - pagesAtCrash[0] });
  });

  it('mid-page: part of page 3 on disk; resume cuts it off and goes on from the last whole page', async () => {
    const { sizeAtCrash, pagesAtCrash, pageEnds } = await crashThenResume('mid-page:2');
    expect(pagesAtCrash).to.have.length(2);
    // More than two pages and less than three: the crash came mid-page.
    expect(sizeAtCrash).to.be.greaterThan(pagesAtCrash[1]);
    expect(sizeAtCrash).to.be.lessThan(pageEnds[2]);
  });

  it('on the first page, before anything was recorded: resume starts the file again from the same job', async () => {
    const { sizeAtCrash, pagesAtCrash, pageEnds } = await crashThenResume('mid-page:0');
    expect(pagesAtCrash).to.deep.equal([]);
    expect(sizeAtCrash).to.be.greaterThan(0).and.lessThan(pageEnds[0]);
  });

  it('a resume of a finished run gives its result again without asking the org', async () => {
    const req = request();
    await testExport(target()).start(req);
    const asked = emu.requests.length;
    const again = await testExport(target()).resume(join(req.ledgerDir, req.runId));
    expect(again).to.include({ records: 7000, resumed: true });
    expect(emu.requests.length).to.equal(asked);
  });
});
