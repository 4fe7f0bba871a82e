/*
 * The Bulk 2.0 upload cap is measured on the base64 length of the data (Bulk API Developer Guide: Bulk API 2.0 Limits: 150 MB after
 * base64, about 112 MB raw), here with a small cap so the boundary can be checked exactly.
 */
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';

describe('emulator: Bulk 2.0 upload cap', () => {
  let emu: Emulator;

  before(async () => {
    emu = await startEmulator({ settings: { uploadCapBase64: 1000 } });
  });

  after(async () => {
    await emu.stop();
  });

  const upload = async (bytes: number): Promise<{ status: number; body: string }> => {
    const headers = { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'application/json' };
    const created = await fetch(`${emu.url}/services/data/v66.0/jobs/ingest`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ object: 'Account', operation: 'insert' }),
    });
    const { id } = (await created.json()) as { id: string };
    const csv = `Name\n${'x'.repeat(bytes - 6)}\n`;
    expect(Buffer.byteLength(csv)).to.equal(bytes);
    const res = await fetch(`${emu.url}/services/data/v66.0/jobs/ingest/${id}/batches`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'text/csv' },
      body: csv,
    });
    return { status: res.status, body: await res.text() };
  };

  it('accepts data whose base64 length is within the cap (750 raw bytes = 1,000 base64)', async () => {
    expect((await upload(750)).status).to.equal(201);
  });

  it('refuses data whose raw size is under the cap but whose base64 length is over it', async () => {
    const r = await upload(751); // 751 raw bytes = 1,004 base64 characters
    expect(r.status).to.equal(400);
    const [err] = JSON.parse(r.body) as Array<{ errorCode: string; message: string }>;
    expect(err.errorCode).to.equal('INVALIDBATCH');
    expect(err.message).to.match(/Exceeded max size limit of 1000/);
  });
});
