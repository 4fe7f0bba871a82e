/*
 * What an error answer becomes: the API's own error keeps its code and message; a body that is not
 * the API's (a proxy's HTML page, an empty body, JSON cut short) is reduced to its status and title.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { BulkV1 } from '../../../../src/core/bulk/bulkV1.js';
import { isTransient } from '../../../../src/core/http/retry.js';
import { OrgApiError, OrgHttp, OrgNetworkError } from '../../../../src/core/http/orgHttp.js';
import { withoutSessions } from '../../../../src/core/http/answerFile.js';

type Answer = { status: number; type: string; body: string };

/** A server that gives every request the answer set last, and an OrgHttp to it. */
function answeringOrg(): { http: OrgHttp; answer: (a: Answer) => void } {
  let server: Server;
  let answer: Answer = { status: 200, type: 'application/json', body: '{}' };
  const org = { http: undefined as unknown as OrgHttp, answer: (a: Answer): void => void (answer = a) };
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(answer.status, { 'Content-Type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    org.http = new OrgHttp({ instanceUrl: `http://127.0.0.1:${port}`, apiVersion: '66.0', accessToken: (): string => 'token', refresh: (): Promise<void> => Promise.resolve() });
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return org;
}

describe('OrgHttp: error answers', () => {
  const org = answeringOrg();

  const refusal = async (status: number, body: string, type = 'text/html'): Promise<OrgApiError> => {
    org.answer({ status, type, body });
    try {
      await org.http.json({ method: 'GET', path: '/services/data/v66.0/jobs/ingest' });
    } catch (e) {
      return e as OrgApiError;
    }
    throw new Error('no error');
  };

  it('a load balancer\'s HTML page: its status and title, not the page', async () => {
    const e = await refusal(503, '<html>\n<head><title>503 Service Unavailable</title></head>\n<body><h1>503 Service Unavailable</h1></body>\n</html>\n');
    expect(e).to.include({ status: 503, errorCode: 'HTTP_503', message: '503 Service Unavailable', fromApi: false });
  });

  it('a page whose title has no status gets the status in front', async () => {
    const e = await refusal(502, '<html><head><title>Bad Gateway</title></head><body>nginx</body></html>');
    expect(e).to.include({ message: '502 Bad Gateway', fromApi: false });
  });

  it('an empty body, and JSON cut short: the status and its reason phrase', async () => {
    expect(await refusal(504, '')).to.include({ message: '504 Gateway Timeout', fromApi: false });
    expect(await refusal(500, '[{"errorCode":"UNKNOWN_EXC', 'application/json')).to.include({ errorCode: 'HTTP_500', message: '500 Internal Server Error', fromApi: false });
  });

  it('the API\'s own errors keep their code and message (REST JSON, Bulk API V1 XML)', async () => {
    expect(await refusal(403, '[{"errorCode":"REQUEST_LIMIT_EXCEEDED","message":"TotalRequests Limit exceeded."}]', 'application/json')).to.include({
      errorCode: 'REQUEST_LIMIT_EXCEEDED',
      message: 'TotalRequests Limit exceeded.',
      fromApi: true,
    });
    const xml = '<?xml version="1.0" encoding="UTF-8"?><error xmlns="http://www.force.com/2009/06/asyncapi/dataload"><exceptionCode>InvalidBatch</exceptionCode><exceptionMessage>Records not processed</exceptionMessage></error>';
    expect(await refusal(400, xml, 'application/xml')).to.include({ errorCode: 'InvalidBatch', message: 'Records not processed', fromApi: true });
  });
});

describe('OrgHttp: a success status whose body is not the API\'s answer', () => {
  const org = answeringOrg();

  const failure = async (call: () => Promise<unknown>): Promise<Error> => {
    try {
      await call();
    } catch (e) {
      return e as Error;
    }
    throw new Error('no error');
  };
  const getJson = (status: number, body: string, type = 'text/html'): Promise<Error> => {
    org.answer({ status, type, body });
    return failure(() => org.http.json({ method: 'GET', path: '/services/data/v66.0/jobs/ingest/750x' }));
  };

  it('an HTML page answered with 200: a transient network error naming the status and title, not a SyntaxError', async () => {
    const e = await getJson(200, '<html><head><title>Scheduled maintenance</title></head><body><p>back soon</p></body></html>');
    expect(e).to.be.instanceOf(OrgNetworkError);
    expect(e.message).to.equal("the answer was not the API's (200 Scheduled maintenance)");
    expect(isTransient(e)).to.equal(true);
  });

  it('JSON cut short, and an empty body to a GET: the same (a job read as {} would be polled for ever)', async () => {
    const cut = await getJson(200, '{"id":"750x","state":"InProg', 'application/json');
    expect(cut).to.be.instanceOf(OrgNetworkError);
    expect(cut.message).to.equal("the answer was not the API's (200 OK)");
    const empty = await getJson(200, '', 'application/json');
    expect(empty).to.be.instanceOf(OrgNetworkError);
    expect(empty.message).to.equal("the answer was not the API's (200 OK, empty)");
  });

  it('an empty answer to a DELETE (204 No Content) is no error', async () => {
    org.answer({ status: 204, type: 'application/json', body: '' });
    expect(await org.http.json({ method: 'DELETE', path: '/services/data/v66.0/jobs/ingest/750x' })).to.deep.equal({});
  });

  it('Bulk API V1: a page in place of a jobInfo or batchInfo is not read as a job with no id', async () => {
    const v1 = new BulkV1(org.http);
    org.answer({ status: 200, type: 'text/html', body: '<html><head><title>Login</title></head></html>' });
    const job = await failure(() => v1.info('750x'));
    expect(job).to.be.instanceOf(OrgNetworkError);
    expect(job.message).to.equal("the answer was not the API's (200 Login)");
    expect(await failure(() => v1.addBatch('750x', Buffer.from('Name\nA\n')))).to.be.instanceOf(OrgNetworkError);
    expect(await failure(() => v1.batches('750x'))).to.be.instanceOf(OrgNetworkError);
  });
});

describe('a page kept for support', () => {
  it('has no session in it: tokens, Bearer values, session headers and cookies are blanked', () => {
    const token = '00D5e000000XyZ1!AQ4AQKx_yZ.abc-123';
    const page = `<p>Your request: Authorization: Bearer ${token}</p><p>X-SFDC-Session: ${token}</p><p>Cookie: sid=${token}; path=/</p><p>token ${token}</p>`;
    const kept = withoutSessions(page);
    expect(kept).not.to.include('AQ4AQKx');
    expect(kept).to.include('Authorization: [removed]').and.include('<p>token [removed]</p>');
  });

  it('has no token in a URL or form either: URL-encoded (! as %21) and as OAuth parameters', () => {
    const encoded = '00D5e000000XyZ1%21AQ4AQKx_yZ.abc-123';
    const page = `<a href="/secur/frontdoor.jsp?sid=${encoded}">x</a> <form>access_token=${encoded}&amp;x=1 refresh_token=5Aep861TSESvWeug_xvFHRBTTbf_YrTWgEyjBJrhVkA&scope=api oauth_token=${encoded}</form>`;
    const kept = withoutSessions(page);
    expect(kept).not.to.include('AQ4AQKx').and.not.to.include('5Aep861');
    expect(kept).to.include('access_token=[removed]').and.include('refresh_token=[removed]').and.include('oauth_token=[removed]');
  });

  it('has no token in a JSON or XML body, nor one whose ! is an HTML entity', () => {
    const page = '<pre>{"access_token": "opaque-value-1", "refresh_token":"5Aep861TSESvWeug"}</pre><soapenv:Body><sessionId>opaque-value-2</sessionId></soapenv:Body><p>00D5e000000XyZ1&#33;AQ4AQKx_yZ</p>';
    const kept = withoutSessions(page);
    expect(kept).not.to.include('opaque-value').and.not.to.include('5Aep861').and.not.to.include('AQ4AQKx');
    expect(kept).to.include('"access_token": "[removed]"').and.include('<sessionId>[removed]</sessionId>');
  });
});
