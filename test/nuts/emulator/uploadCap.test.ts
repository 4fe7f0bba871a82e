/*
 * The Bulk 2.0 upload cap is measured on the base64 length of the data (Bulk API Developer Guide:
 * Bulk API 2.0 Limits: 150,000,000 bytes after base64, 112,500,000 bytes of CSV), refused in the
 * org's words ("Org max upload file size is 150000000 bytes"): with a small cap so the boundary can
 * be checked exactly, and at the default cap with the largest part --max-job-size allows.
 */
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { MAX_JOB_SIZE_MB, MAX_UPLOAD_CSV_BYTES, UPLOAD_CAP_BASE64_BYTES } from '../../../src/core/bulk/types.js';

const OVER_CAP = /^InvalidJob : Error encountered while processing job: Uploaded batch file size greater than max size\. Org max upload file size is (\d+) bytes$/;

async function upload(emu: Emulator, bytes: number): Promise<{ status: number; body: string }> {
  const headers = { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'application/json' };
  const created = await fetch(`${emu.url}/services/data/v66.0/jobs/ingest`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ object: 'Account', operation: 'insert' }),
  });
  const { id } = (await created.json()) as { id: string };
  const csv = Buffer.alloc(bytes, 'x');
  csv.write('Name\n');
  csv.write('\n', bytes - 1);
  const res = await fetch(`${emu.url}/services/data/v66.0/jobs/ingest/${id}/batches`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'text/csv' },
    body: csv,
  });
  return { status: res.status, body: await res.text() };
}

function refusal(r: { status: number; body: string }): { errorCode: string; cap: number } {
  expect(r.status).to.equal(400);
  const [err] = JSON.parse(r.body) as Array<{ errorCode: string; message: string }>;
  const m = OVER_CAP.exec(err.message);
  expect(m, err.message).to.not.equal(null);
  return { errorCode: err.errorCode, cap: Number(m![1]) };
}

describe('emulator: Bulk 2.0 upload cap', function () {
  this.timeout(60_000);

  describe('a small cap (1,000 base64 bytes)', () => {
    let emu: Emulator;
    before(async () => {
      emu = await startEmulator({ settings: { uploadCapBase64: 1000 } });
    });
    after(() => emu.stop());

    it('accepts data whose base64 length is within the cap (750 raw bytes = 1,000 base64)', async () => {
      expect((await upload(emu, 750)).status).to.equal(201);
    });

    it('refuses data whose raw size is under the cap but whose base64 length is over it, in the org\'s words', async () => {
      // 751 raw bytes = 1,004 base64 characters
      expect(refusal(await upload(emu, 751))).to.deep.equal({ errorCode: 'INVALIDJOB', cap: 1000 });
    });
  });

  describe('the default cap', () => {
    let emu: Emulator;
    before(async () => {
      emu = await startEmulator();
    });
    after(() => emu.stop());

    it('is 150,000,000 bytes after base64: 112,500,000 bytes of CSV pass, one more is refused naming 150000000', async () => {
      expect(MAX_UPLOAD_CSV_BYTES).to.equal(112_500_000);
      expect((await upload(emu, MAX_UPLOAD_CSV_BYTES)).status).to.equal(201);
      expect(refusal(await upload(emu, MAX_UPLOAD_CSV_BYTES + 1))).to.deep.equal({ errorCode: 'INVALIDJOB', cap: UPLOAD_CAP_BASE64_BYTES });
    });

    it('the largest --max-job-size part fits, the next size up does not', async () => {
      const largest = MAX_JOB_SIZE_MB * 1024 * 1024;
      expect(MAX_JOB_SIZE_MB).to.equal(107);
      expect((await upload(emu, largest)).status).to.equal(201);
      expect(refusal(await upload(emu, (MAX_JOB_SIZE_MB + 1) * 1024 * 1024)).cap).to.equal(150_000_000);
    });
  });
});
