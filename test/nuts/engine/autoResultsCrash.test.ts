/*
 * A grouped (auto) load of two files whose values hold quotes, commas and line breaks,
 * with failed rows, killed mid-results and before the merge, then resumed: its result files must be
 * those of a one-job-at-a-time load of the same files (bar the Ids the org made), in input order.
 * From the fourth review (the result merge that copies row bytes instead of parsing fields).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { contactLoad, runCrashChild, testEngine } from '../../helpers/engine.js';
import { scrambledParents } from '../../helpers/skew.js';
import type { LoadRequest, LoadResult } from '../../../src/core/run/types.js';

const CHUNK = 1000;
const SKEW = [1500, 900, 400, 200];

describe('load engine: grouped load result files after a crash, against a serial load', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let work: string;
  let accounts: string[];

  const fresh = async (lockTimeoutMs = 500): Promise<void> => {
    if (emu) await emu.stop();
    emu = await startEmulator({ settings: { chunkSize: CHUNK, lockTimeoutMs } });
    accounts = emu.insertRecords('Account', SKEW.map((_, i) => ({ Name: `Parent ${i}` })));
  };
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'bulkops-rev4-'));
  });
  afterEach(async () => {
    await emu?.stop();
    emu = undefined as unknown as Emulator;
    rmSync(work, { recursive: true, force: true });
  });

  const writeFiles = (): string[] => {
    const parents = scrambledParents(SKEW);
    const half = parents.length / 2;
    const name = (i: number): string => (i % 5 === 0 ? `"Ann ""A"", Jr\nline ${i}"` : i % 5 === 1 ? `Zoë ${i}` : i % 5 === 2 ? `"C${i}, x"` : `"plain${i}"`);
    const email = (i: number): string => `c${i}@example.com`;
    const parent = (i: number, a: number): string => (i % 13 === 0 ? '0015e0000000999AAA' : accounts[a]);
    const rows = (from: number, to: number): string =>
      parents.slice(from, to).map((a, k) => `${name(from + k)},${email(from + k)},${parent(from + k, a)}`).join('\r\n') + '\r\n';
    const files = [join(work, 'contacts a.csv'), join(work, 'contacts, b.csv')];
    writeFileSync(files[0], 'LastName,Email,AccountId\r\n' + rows(0, half));
    writeFileSync(files[1], 'LastName,Email,AccountId\r\n' + rows(half, parents.length));
    return files;
  };
  const request = (files: string[], extra: Partial<LoadRequest> = {}): LoadRequest => ({
    ...contactLoad(files[0], work, { waitMs: 240_000, maxJobBytes: 2000 * 42, chunkRows: CHUNK, ...extra }),
    files,
  });
  /** A result file's text with the sf__Id column (the org's) blanked. */
  const noIds = (path: string): string => {
    const text = readFileSync(path, 'utf8');
    const header = text.slice(0, text.indexOf('\n')).split(',');
    const at = header.indexOf('sf__Id');
    if (at < 0) return text;
    return text.replace(/([^\n]*?)(\d{3}[A-Za-z0-9]{12,15})/g, (m, pre: string, id: string) => `${pre}${id.startsWith('003') ? 'ID' : id}`);
  };
  const filesOf = (r: LoadResult): Record<string, string> => ({
    success: noIds(r.files!.success),
    failed: noIds(r.files!.failed),
    unprocessed: noIds(r.files!.unprocessed),
    retry: readFileSync(r.files!.retry, 'utf8'),
  });

  for (const at of ['mid-results:2', 'before-merge']) {
    it(`same result files after kill -9 at ${at} then resume`, async () => {
      await fresh(600_000);
      const files = writeFiles();
      const { engine } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
      const serial = await engine.start(request(files, { concurrency: 1 }));
      expect(serial.failed, 'some rows fail').to.be.greaterThan(0);
      const want = filesOf(serial);

      await fresh();
      const req = request(files, { autoConcurrency: true, force: true });
      const child = await runCrashChild({ target: { instanceUrl: emu.url, accessToken: emu.accessToken }, request: req }, at);
      expect(child.signal, child.stderr).to.equal('SIGKILL');
      const { engine: again } = testEngine({ instanceUrl: emu.url, accessToken: emu.accessToken });
      const auto = await again.resume(join(req.ledgerDir, req.runId), 240_000);
      expect(auto.concurrency?.decision.mode).to.equal('grouped');
      expect(auto).to.include({ status: serial.status, successful: serial.successful, failed: serial.failed });
      const got = filesOf(auto);
      for (const k of Object.keys(want)) expect(got[k], k).to.equal(want[k]);
    });
  }
});
