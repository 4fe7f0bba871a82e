/*
 * Faults on demand (README: "The org emulator", Faults on demand), each set through the control API or
 * `emu.addFault`, and each checked as a client sees it on the wire: status, headers, body, a reset
 * connection, an expired session until the refresh-token grant, a job that fails mid-way, and the
 * daily batch allocation running out.
 */
import { request as httpRequest } from 'node:http';
import { expect } from 'chai';
import { Emulator, startEmulator } from '../../helpers/emulator.js';
import { NS, V, V1, call, control, runIngest, runV1, submitIngest, waitForIngest, xmlText } from './support.js';

const contactsCsv = (n: number, prefix = 'F'): string =>
  'LastName,External_Id__c\n' + Array.from({ length: n }, (_, i) => `Name ${i + 1},${prefix}-${i + 1}`).join('\n') + '\n';

const createBody = JSON.stringify({ object: 'Contact', operation: 'insert', lineEnding: 'LF' });

describe('emulator faults on demand', function () {
  this.timeout(30_000);
  let emu: Emulator;

  beforeEach(async () => {
    emu = await startEmulator();
  });

  afterEach(async () => {
    await emu.stop();
  });

  const ingestJobs = (): number => emu.ingest.jobs.list().length;

  describe('the control API', () => {
    it('adds, lists with remaining counts and clears faults; refuses a spec it cannot honour', async () => {
      const added = await control(emu, 'POST', '/faults', { kind: 'status', status: 503, path: '/jobs/ingest$', method: 'post', count: 2 });
      expect(added.status).to.equal(200);
      const id = (added.json as { id: string }).id;
      expect(id).to.be.a('string');
      await control(emu, 'POST', '/faults/job-failure', { afterRows: 5 });

      await call(emu, 'POST', `${V}/jobs/ingest`, { body: createBody, contentType: 'application/json' });
      const listed = (await control(emu, 'GET', '/faults')).json as { faults: Array<Record<string, unknown>>; jobFailures: Array<Record<string, unknown>> };
      expect(listed.faults).to.deep.equal([{ id, kind: 'status', path: '/jobs/ingest$', method: 'POST', count: 2, remaining: 1, status: 503, when: 'before' }]);
      expect(listed.jobFailures).to.have.length(1);
      expect(listed.jobFailures[0]).to.include({ afterRows: 5 });

      expect((await control(emu, 'DELETE', '/faults')).status).to.equal(200);
      expect((await control(emu, 'GET', '/faults')).json).to.deep.equal({ faults: [], jobFailures: [] });

      for (const bad of [{ kind: 'explode', path: '.' }, { kind: 'status', path: '(' }, { kind: 'status', status: 404, path: '.' }, { kind: 'slow', path: '.', when: 'after' }, { kind: 'limit', path: '.', count: 0 },
        { kind: 'cut', path: '.' }, { kind: 'cut', path: '.', afterBytes: -1 }, { kind: 'stall', path: '.', afterBytes: 1.5 }, { kind: 'status', path: '.', afterBytes: 3 },
        { kind: 'cut', path: '.', afterBytes: 3, delayMs: 10 }, { kind: 'status', status: 500, path: '.', retryAfter: 5 }, { kind: 'reset', path: '.', retryAfter: 5 },
        { kind: 'limit', path: '.', retryAfter: -1 }, { kind: 'status', status: 503, path: '.', retryAfter: 'soon' }]) {
        const r = await control(emu, 'POST', '/faults', bad);
        expect(r.status, JSON.stringify(bad)).to.equal(400);
        expect((r.json as Array<{ errorCode: string }>)[0].errorCode).to.equal('INVALID_FAULT');
      }
    });

    it('hits only the method and path asked for, the number of times asked for, and never the control API', async () => {
      emu.addFault({ kind: 'status', status: 500, method: 'GET', path: '/limits$', count: 2 });
      expect((await call(emu, 'GET', `${V}/sobjects`)).status).to.equal(200);
      expect((await control(emu, 'GET', '/health')).status).to.equal(200);
      expect((await call(emu, 'GET', `${V}/limits`)).status).to.equal(500);
      expect((await call(emu, 'GET', `${V}/limits`)).status).to.equal(500);
      expect((await call(emu, 'GET', `${V}/limits`)).status).to.equal(200);
      expect(emu.requests.filter((r) => r.fault === 'status').map((r) => [r.path, r.status])).to.deep.equal([
        [`${V}/limits`, 500],
        [`${V}/limits`, 500],
      ]);
    });
  });

  describe('HTTP errors and resets', () => {
    it('500 before handling: the REST error envelope with an ErrorId, and no job created', async () => {
      emu.addFault({ kind: 'status', status: 500, method: 'POST', path: '/jobs/ingest$' });
      const r = await call(emu, 'POST', `${V}/jobs/ingest`, { body: createBody, contentType: 'application/json' });
      expect(r.status).to.equal(500);
      expect(r.headers.get('content-type')).to.equal('application/json;charset=UTF-8');
      const body = r.json as Array<{ errorCode: string; message: string }>;
      expect(body).to.have.length(1);
      expect(body[0].errorCode).to.equal('UNKNOWN_EXCEPTION');
      expect(body[0].message).to.match(/^An unexpected error occurred\. Please include this ErrorId if you contact support: \d+-\d+ \(-\d+\)$/);
      expect(ingestJobs()).to.equal(0);
    });

    it('500 after handling: the job exists although the client got an error', async () => {
      emu.addFault({ kind: 'status', status: 500, when: 'after', method: 'POST', path: '/jobs/ingest$' });
      const r = await call(emu, 'POST', `${V}/jobs/ingest`, { body: createBody, contentType: 'application/json' });
      expect(r.status).to.equal(500);
      expect((r.json as Array<{ errorCode: string }>)[0].errorCode).to.equal('UNKNOWN_EXCEPTION');
      expect(ingestJobs()).to.equal(1);
      expect(emu.ingest.jobs.list()[0].state).to.equal('Open');
    });

    for (const status of [502, 503] as const) {
      it(`${status}: an HTML page from the load balancer, not JSON`, async () => {
        emu.addFault({ kind: 'status', status, path: '/jobs/ingest/\\w+$', method: 'GET' });
        const id = await submitIngest(emu, 'Contact', 'insert', contactsCsv(3));
        const r = await call(emu, 'GET', `${V}/jobs/ingest/${id}`);
        expect(r.status).to.equal(status);
        expect(r.headers.get('content-type')).to.equal('text/html');
        expect(r.text).to.match(/^<html>/);
        expect(r.text).to.contain(status === 502 ? '502 Bad Gateway' : '503 Service Unavailable');
        expect(r.json).to.equal(undefined);
        expect((await waitForIngest(emu, id)).state).to.equal('JobComplete');
      });
    }

    it('500 on Bulk V1 comes in the V1 envelope', async () => {
      emu.addFault({ kind: 'status', status: 500, path: '^/services/async/' });
      const r = await call(emu, 'POST', `${V1}/job`, { body: `<jobInfo xmlns="${NS}"><operation>insert</operation><object>Contact</object></jobInfo>`, contentType: 'application/xml' });
      expect(r.status).to.equal(500);
      expect(xmlText(r.text, 'exceptionCode')).to.equal('Unknown');
      expect(xmlText(r.text, 'exceptionMessage')).to.match(/^An unexpected error occurred\. Please include this ErrorId/);
    });

    it('a reset before handling: the connection is reset (ECONNRESET) and nothing happened', async () => {
      emu.addFault({ kind: 'reset', method: 'POST', path: '/jobs/ingest$' });
      const err = await fetch(`${emu.url}${V}/jobs/ingest`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'application/json' },
        body: createBody,
      }).then(
        () => undefined,
        (e: Error) => e
      );
      expect((err?.cause as { code?: string } | undefined)?.code).to.equal('ECONNRESET');
      expect(ingestJobs()).to.equal(0);
      // The next call goes through.
      expect((await call(emu, 'POST', `${V}/jobs/ingest`, { body: createBody, contentType: 'application/json' })).status).to.equal(200);
    });

    it('a reset after handling: the upload was stored, the client only lost the answer', async () => {
      const created = await call(emu, 'POST', `${V}/jobs/ingest`, { body: createBody, contentType: 'application/json' });
      const id = (created.json as { id: string }).id;
      emu.addFault({ kind: 'reset', when: 'after', method: 'PUT', path: '/batches$' });
      const code = await new Promise<string | undefined>((resolve) => {
        const req = httpRequest(`${emu.url}${V}/jobs/ingest/${id}/batches`, {
          method: 'PUT',
          headers: { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'text/csv' },
        });
        req.on('response', () => resolve('answered'));
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
        req.end(contactsCsv(4));
      });
      expect(code).to.equal('ECONNRESET');
      // A second upload is refused as a duplicate: the first one got through.
      const again = await call(emu, 'PUT', `${V}/jobs/ingest/${id}/batches`, { body: contactsCsv(4), contentType: 'text/csv' });
      expect(again.status).to.equal(400);
      expect((again.json as Array<{ errorCode: string; message: string }>)[0].message).to.match(/^Found multiple contents for job/);
      await call(emu, 'PATCH', `${V}/jobs/ingest/${id}`, { body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json' });
      expect(await waitForIngest(emu, id)).to.include({ state: 'JobComplete', numberRecordsProcessed: 4 });
    });
  });

  describe('limits, slowness and sessions', () => {
    it('REQUEST_LIMIT_EXCEEDED: 403 with Salesforce\'s wording on REST, ExceededQuota on V1', async () => {
      emu.addFault({ kind: 'limit', path: '.', count: 2 });
      const rest = await call(emu, 'GET', `${V}/jobs/ingest`);
      expect(rest.status).to.equal(403);
      expect(rest.json).to.deep.equal([{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }]);
      const v1 = await call(emu, 'GET', `${V1}/job/7505e0000000001AAA`);
      expect(v1.status).to.equal(403);
      expect(xmlText(v1.text, 'exceptionCode')).to.equal('ExceededQuota');
      expect(xmlText(v1.text, 'exceptionMessage')).to.equal('TotalRequests Limit exceeded.');
      expect((await call(emu, 'GET', `${V}/jobs/ingest`)).status).to.equal(200);
    });

    it('a slow response: the answer comes after the delay, and it is the real one', async () => {
      emu.addFault({ kind: 'slow', delayMs: 400, path: '/limits$' });
      const started = Date.now();
      const r = await call(emu, 'GET', `${V}/limits`);
      expect(Date.now() - started).to.be.at.least(390);
      expect(r.status).to.equal(200);
      expect((r.json as Record<string, unknown>).DailyApiRequests).to.be.an('object');
    });

    it('an expired session: 401 INVALID_SESSION_ID on REST and 400 InvalidSessionId on V1 until the refresh-token grant gives a new token', async () => {
      const refreshToken = emu.refreshTokenFor();
      const old = emu.accessToken;
      emu.addFault({ kind: 'expire-session', method: 'GET', path: '/jobs/ingest$' });
      const first = await call(emu, 'GET', `${V}/jobs/ingest`);
      expect(first.status).to.equal(401);
      expect(first.headers.get('www-authenticate')).to.equal('Token');
      expect(first.json).to.deep.equal([{ errorCode: 'INVALID_SESSION_ID', message: 'Session expired or invalid' }]);
      // It stays expired, for every API, without any further fault.
      expect((await call(emu, 'GET', `${V}/limits`)).status).to.equal(401);
      const v1 = await call(emu, 'GET', `${V1}/job/7505e0000000001AAA`);
      expect(v1.status).to.equal(400);
      expect(xmlText(v1.text, 'exceptionCode')).to.equal('InvalidSessionId');

      const grant = await fetch(`${emu.url}/services/oauth2/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
      });
      expect(grant.status).to.equal(200);
      const fresh = ((await grant.json()) as { access_token: string }).access_token;
      expect(fresh).to.not.equal(old);
      expect((await call(emu, 'GET', `${V}/jobs/ingest`, { token: fresh })).status).to.equal(200);
      expect((await call(emu, 'GET', `${V}/jobs/ingest`, { token: old })).status).to.equal(401);
    });
  });

  describe('broken transfers and Retry-After', () => {
    /** A raw GET as a streaming client reads it: status, headers, the bytes that came, and how it ended. */
    const rawGet = (path: string): Promise<{ status: number; headers: Record<string, unknown>; bytes: number; ended: string }> =>
      new Promise((resolve, reject) => {
        const req = httpRequest(`${emu.url}${path}`, { headers: { Authorization: `Bearer ${emu.accessToken}`, Accept: 'text/csv' } });
        req.on('error', reject);
        req.on('response', (res) => {
          let bytes = 0;
          const done = (ended: string): void => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, ended });
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => done(res.complete ? 'complete' : 'short'));
          res.on('error', (e: NodeJS.ErrnoException) => done(`error ${e.code ?? e.message}`));
        });
        req.end();
      });

    it('cut: the real status and headers, the first afterBytes bytes of the real body, then the connection closes', async () => {
      const run = await runIngest(emu, 'Contact', 'insert', contactsCsv(200));
      const path = `${V}/jobs/ingest/${run.info.id}/successfulResults`;
      const whole = await call(emu, 'GET', path, { accept: 'text/csv' });
      emu.addFault({ kind: 'cut', method: 'GET', path: '/successfulResults$', afterBytes: 1000 });
      const cut = await rawGet(path);
      expect(cut.status).to.equal(200);
      expect(cut.headers['content-type']).to.equal('text/csv');
      expect(Number(cut.headers['content-length'])).to.equal(Buffer.byteLength(whole.text));
      expect(cut.bytes).to.equal(1000);
      expect(cut.ended).to.equal('error ECONNRESET');
      expect(emu.requests.filter((r) => r.fault === 'cut').map((r) => r.status)).to.deep.equal([200]);
      // The fault is used up: the next download is whole.
      expect((await rawGet(path)).ended).to.equal('complete');
    });

    it('stall: headers and afterBytes bytes, then nothing until delayMs has passed, then the rest', async () => {
      const run = await runIngest(emu, 'Contact', 'insert', contactsCsv(50));
      const path = `${V}/jobs/ingest/${run.info.id}/successfulResults`;
      const whole = await call(emu, 'GET', path, { accept: 'text/csv' });
      emu.addFault({ kind: 'stall', method: 'GET', path: '/successfulResults$', afterBytes: 100, delayMs: 200 });
      const slow = await rawGet(path);
      expect(slow).to.include({ status: 200, bytes: Buffer.byteLength(whole.text), ended: 'complete' });
    });

    it('stall without delayMs: afterBytes bytes, then nothing until the client gives up; the work was done', async () => {
      emu.addFault({ kind: 'stall', method: 'POST', path: '/jobs/ingest$', afterBytes: 5 });
      const stalled = await new Promise<{ status: number; head: string }>((resolve, reject) => {
        const req = httpRequest(`${emu.url}${V}/jobs/ingest`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${emu.accessToken}`, 'Content-Type': 'application/json' },
        });
        req.on('error', reject);
        req.on('response', (res) => {
          let head = '';
          res.on('error', () => undefined);
          res.on('data', (c: Buffer) => {
            head += c.toString('utf8');
            // The first bytes came; the rest never does: the client gives up.
            resolve({ status: res.statusCode ?? 0, head });
            req.destroy();
          });
        });
        req.end(createBody);
      });
      expect(stalled).to.deep.equal({ status: 200, head: '{"id"' });
      expect(ingestJobs()).to.equal(1);
      expect(emu.ingest.jobs.list()[0].state).to.equal('Open');
    });

    it('Retry-After on a 503 and on REQUEST_LIMIT_EXCEEDED, only when asked for', async () => {
      emu.addFault({ kind: 'status', status: 503, retryAfter: 7, method: 'GET', path: '/limits$' });
      emu.addFault({ kind: 'limit', retryAfter: 30, method: 'GET', path: '/jobs/ingest$' });
      emu.addFault({ kind: 'limit', method: 'GET', path: '/jobs/ingest$' });
      const unavailable = await call(emu, 'GET', `${V}/limits`);
      expect(unavailable.status).to.equal(503);
      expect(unavailable.headers.get('retry-after')).to.equal('7');
      expect(unavailable.headers.get('content-type')).to.equal('text/html');
      const limited = await call(emu, 'GET', `${V}/jobs/ingest`);
      expect(limited.status).to.equal(403);
      expect(limited.headers.get('retry-after')).to.equal('30');
      expect(limited.json).to.deep.equal([{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }]);
      const plain = await call(emu, 'GET', `${V}/jobs/ingest`);
      expect(plain.status).to.equal(403);
      expect(plain.headers.get('retry-after')).to.equal(null);
    });
  });

  describe('jobs that fail', () => {
    it('a job that fails mid-way: Failed as a job out of retries, the first n rows processed, the rest unprocessed in order', async () => {
      const r = await control(emu, 'POST', '/faults/job-failure', { afterRows: 40 });
      expect(r.status).to.equal(200);
      const run = await runIngest(emu, 'Contact', 'insert', contactsCsv(300));
      expect(run.info).to.include({ state: 'Failed', errorMessage: 'InternalServerError : Retried more than 20 times', numberRecordsProcessed: 40, numberRecordsFailed: 0 });
      expect(run.info.retries).to.be.at.least(20);
      expect(run.successful.map((s) => s.External_Id__c).sort()).to.deep.equal(Array.from({ length: 40 }, (_, i) => `F-${i + 1}`).sort());
      expect(run.failed).to.have.length(0);
      expect(run.unprocessed.map((u) => u.External_Id__c)).to.deep.equal(Array.from({ length: 260 }, (_, i) => `F-${i + 41}`));
      expect(emu.store.count('Contact')).to.equal(40);
      // The failure was used up: the next job completes.
      expect((await runIngest(emu, 'Contact', 'insert', contactsCsv(5, 'G'))).info.state).to.equal('JobComplete');
    });

    it('a job-failure can name its job', async () => {
      const created = await call(emu, 'POST', `${V}/jobs/ingest`, { body: createBody, contentType: 'application/json' });
      const named = (created.json as { id: string }).id;
      emu.addJobFailure({ afterRows: 2, jobId: named });
      const other = await runIngest(emu, 'Contact', 'insert', contactsCsv(10, 'O'));
      expect(other.info.state).to.equal('JobComplete');
      await call(emu, 'PUT', `${V}/jobs/ingest/${named}/batches`, { body: contactsCsv(10, 'N'), contentType: 'text/csv' });
      await call(emu, 'PATCH', `${V}/jobs/ingest/${named}`, { body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json' });
      const info = await waitForIngest(emu, named);
      expect(info).to.include({ state: 'Failed', numberRecordsProcessed: 2 });
    });

    it('the daily batch allocation running out: a 2.0 job fails with its remaining chunks unprocessed, a V1 batch is refused', async () => {
      emu.settings.dailyBulkApiBatches = 1;
      // 15,000 rows = two chunks; the allocation has room for one.
      const run = await runIngest(emu, 'Contact', 'insert', contactsCsv(15_000));
      expect(run.info.state).to.equal('Failed');
      expect(run.info.errorMessage).to.equal('ExceededQuota : ApiBatchItems Limit exceeded.');
      expect(run.info.numberRecordsProcessed).to.equal(10_000);
      expect(run.successful.length + run.failed.length).to.equal(10_000);
      expect(run.unprocessed).to.have.length(5000);
      const limits = (await call(emu, 'GET', `${V}/limits`)).json as { DailyBulkApiBatches: { Max: number; Remaining: number } };
      expect(limits.DailyBulkApiBatches).to.deep.equal({ Max: 1, Remaining: 0 });

      const err = await runV1(emu, 'Contact', 'insert', 'Parallel', ['LastName\nRefused\n']).then(
        () => undefined,
        (e: Error) => e
      );
      expect(err?.message).to.match(/^V1 batch: 400 .*<exceptionCode>ExceededQuota<\/exceptionCode><exceptionMessage>ApiBatchItems Limit exceeded\.<\/exceptionMessage>/);
      expect(emu.store.count('Contact')).to.equal(10_000);
    });
  });
});
