/*
 * What an error answer becomes: the API's own error keeps its code and message; a body that is not
 * the API's (a proxy's HTML page, an empty body, JSON cut short) is reduced to its status and title.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { OrgApiError, OrgHttp } from '../../../../src/core/http/orgHttp.js';
import { withoutSessions } from '../../../../src/core/http/answerFile.js';

describe('OrgHttp: error answers', () => {
  let server: Server;
  let answer: { status: number; type: string; body: string };
  let http: OrgHttp;

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(answer.status, { 'Content-Type': answer.type });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    http = new OrgHttp({ instanceUrl: `http://127.0.0.1:${port}`, apiVersion: '66.0', accessToken: (): string => 'token', refresh: (): Promise<void> => Promise.resolve() });
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const refusal = async (status: number, body: string, type = 'text/html'): Promise<OrgApiError> => {
    answer = { status, type, body };
    try {
      await http.json({ method: 'GET', path: '/services/data/v66.0/jobs/ingest' });
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

describe('a page kept for support', () => {
  it('has no session in it: tokens, Bearer values, session headers and cookies are blanked', () => {
    const token = '00D5e000000XyZ1!AQ4AQKx_yZ.abc-123';
    const page = `<p>Your request: Authorization: Bearer ${token}</p><p>X-SFDC-Session: ${token}</p><p>Cookie: sid=${token}; path=/</p><p>token ${token}</p>`;
    const kept = withoutSessions(page);
    expect(kept).not.to.include('AQ4AQKx');
    expect(kept).to.include('Authorization: [removed]').and.include('<p>token [removed]</p>');
  });
});
