/*
 * HTTP to the org, with the session supplied by the caller (an @salesforce/core Connection in the
 * commands, anything with a token in tests). Every call goes through node:http: responses can be
 * streamed, so result files of any size pass through in flat memory (jsforce buffers them, and
 * fetch reads ahead of a slow reader), and one transport keeps one set of time-outs.
 *
 * Every request is bounded: a connect time-out, and an idle time-out (no byte sent or received for
 * that long) that also runs while a streamed body is read. A time-out, a reset, or a body that
 * breaks off before its end is an OrgNetworkError, transient: the caller's retry sends the request
 * again and reads the whole body again from its start.
 */
import { Readable } from 'node:stream';
import { ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { answerTitle } from './answerTitle.js';

export type SessionProvider = {
  instanceUrl: string;
  apiVersion: string;
  accessToken(): string;
  /** gets a new access token (refresh-token grant); rejects when the session cannot be refreshed */
  refresh(): Promise<void>;
  /**
   * false when the login holds nothing to get a new token with (an access-token login): an expired
   * session then ends the run at once, with no refresh tried (absent: a refresh is tried)
   */
  canRefresh?(): boolean;
};

/**
 * An upload's body: blocks of bytes, each of which the source may overwrite once it asks for the
 * next (see fileBlocks): each block is written out before the next one is taken. A factory, so a
 * retry can open the source again.
 */
export type UploadBody = () => AsyncIterable<Buffer>;

export type HttpRequest = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** a path from the instance root, e.g. /services/data/v66.0/jobs/ingest */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
};

/** An upload: its body streams from a source that a retry opens again. */
export type UploadRequest = Omit<HttpRequest, 'body'> & { body: UploadBody };

/** How long a request may wait: for its connection, and for the next byte either way. */
export type HttpTimeouts = { connectMs: number; idleMs: number };

/**
 * For a real org: a connection is made in well under a second, so 30 s means the network is down;
 * the org sends a result file as it reads it from storage, and a two-minute silence means the
 * transfer is dead (a slow one still sends something).
 */
export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 30_000, idleMs: 120_000 };

/** An error answer from the org: HTTP status plus Salesforce's errorCode and message. */
export class OrgApiError extends Error {
  public constructor(
    public readonly status: number,
    public readonly errorCode: string,
    message: string,
    public readonly method: string,
    public readonly path: string,
    /** the wait the org asked for in a Retry-After header, in ms */
    public readonly retryAfterMs?: number,
    /**
     * false when the body was not the API's own error (an HTML page from a proxy or load balancer,
     * an empty or cut body): the message is then only the status and its title
     */
    public readonly fromApi = true
  ) {
    super(message);
    this.name = 'OrgApiError';
  }

  /**
   * A body that is not the API's own, as it came (at most 64 KB), for the run's folder (see
   * answerFile.ts); not enumerable, so that no output that prints the error shows it.
   */
  public get page(): string | undefined {
    return pages.get(this);
  }

  public withPage(body: string): this {
    pages.set(this, body.slice(0, 64 * 1024));
    return this;
  }
}

const pages = new WeakMap<OrgApiError, string>();

/** A network failure: no answer (reset, refused, time-out), or an answer whose body broke off. */
export class OrgNetworkError extends Error {
  public constructor(message: string, public readonly method: string, public readonly path: string, public readonly code?: string) {
    super(message);
    this.name = 'OrgNetworkError';
  }
}

/**
 * The session expired and no new one could be had: the login cannot refresh (an access token), or
 * the refresh was refused (the refresh token revoked, the connected app's policy). Not transient.
 */
export class SessionExpiredError extends Error {
  public constructor(
    public readonly refreshable: boolean,
    /** why the refresh failed, when one was tried */
    public readonly refreshError?: string
  ) {
    super(refreshError ?? 'Session expired or invalid');
    this.name = 'SessionExpiredError';
  }
}

export const CLIENT_NAME = 'bulkops';

/** A response whose body is read as it arrives; reading it throws OrgNetworkError if it breaks off. */
type Answer = { status: number; headers: Headers; body: Readable };

export class OrgHttp {
  /** one refresh at a time: parallel requests that all got 401 share it */
  private refreshing?: Promise<void>;

  public constructor(private readonly session: SessionProvider, private readonly timeouts: HttpTimeouts = DEFAULT_TIMEOUTS) {}

  public get apiVersion(): string {
    return this.session.apiVersion;
  }

  public get instanceUrl(): string {
    return this.session.instanceUrl;
  }

  public dataPath(rest: string): string {
    return `/services/data/v${this.session.apiVersion}${rest}`;
  }

  /** A call with a small JSON answer (or none). */
  public async json<T>(req: HttpRequest): Promise<T> {
    const res = await this.send({ ...req, headers: { Accept: 'application/json', ...req.headers } });
    const text = (await readAll(res.body)).toString('utf8');
    if (res.status >= 400) throw apiError(res, text, req);
    // A GET always answers a body; a POST, PATCH or DELETE may answer none (204 No Content).
    if (!text) {
      if (req.method === 'GET') throw notTheApis(res, text, req);
      return {} as T;
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw notTheApis(res, text, req);
    }
  }

  /**
   * A GET whose body is read as a stream, for result files and query pages: a slow reader holds
   * the socket back (TCP backpressure) instead of the body piling up in memory. Reading the body
   * throws OrgNetworkError if it breaks off (reset, cut, idle time-out): read it again from a new
   * request.
   */
  public async stream(req: HttpRequest & { method: 'GET' }): Promise<{ body: Readable; headers: Headers }> {
    const res = await this.send({ ...req, body: undefined });
    if (res.status >= 400) throw apiError(res, (await readAll(res.body)).toString('utf8'), req);
    return { body: res.body, headers: res.headers };
  }

  /**
   * Sends a streamed body (an upload) a block at a time: a read stream piped into the request would
   * make a new buffer per read, which piles up between GCs while several uploads run.
   */
  public async upload(req: UploadRequest): Promise<void> {
    const res = await this.send(req);
    const text = (await readAll(res.body)).toString('utf8');
    if (res.status >= 400) throw apiError(res, text, req);
  }

  /** A call answered in XML (Bulk API V1) whose document element is `root` (jobInfo, batchInfo, batchInfoList). */
  public async xml(req: HttpRequest | UploadRequest, root: string): Promise<string> {
    const res = await this.send(req);
    const text = (await readAll(res.body)).toString('utf8');
    if (res.status >= 400) throw apiError(res, text, req);
    if (!new RegExp(`<${root}[\\s>]`).test(text)) throw notTheApis(res, text, req);
    return text;
  }

  /** One request, with one refresh and resend when the session has expired. */
  private async send(req: HttpRequest | UploadRequest): Promise<Answer> {
    const token = this.session.accessToken();
    const res = await this.request(req);
    if (res.status === 400 && req.path.startsWith('/services/async/')) {
      // Bulk API V1 answers an expired session with 400 InvalidSessionId, not 401 (Bulk API Developer Guide: Bulk API Status Codes).
      const text = await readAll(res.body);
      if (!text.toString('utf8').includes('InvalidSessionId')) return { ...res, body: Readable.from([text]) };
    } else if (res.status !== 401) {
      return res;
    } else {
      res.body.resume();
    }
    // Another request may have refreshed the session meanwhile: then only send again.
    if (this.session.accessToken() === token) await this.refresh();
    return this.request(req);
  }

  private request(req: HttpRequest | UploadRequest): Promise<Answer> {
    const url = new URL(req.path, this.session.instanceUrl);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const { connectMs, idleMs } = this.timeouts;
    const network = (message: string, code?: string): OrgNetworkError => new OrgNetworkError(message, req.method, req.path, code);
    return new Promise((resolve, reject) => {
      const r = send(url, { method: req.method, headers: this.headers(req) });
      // Why the request was given up, when we gave it up: the body's reader gets this, not "aborted".
      let cause: Error | undefined;
      const giveUp = (e: Error): void => {
        cause ??= e;
        r.destroy(e);
      };
      r.on('error', (e: NodeJS.ErrnoException) => reject(cause ?? network(e.message, e.code)));
      r.on('socket', (socket) => {
        if (!socket.connecting) return; // a kept-alive connection
        const timer = setTimeout(() => giveUp(network(`no connection to the org within ${connectMs / 1000} s`, 'ETIMEDOUT')), connectMs);
        const stop = (): void => clearTimeout(timer);
        socket.once('connect', stop);
        r.once('close', stop);
      });
      r.setTimeout(idleMs, () => giveUp(network(`nothing from the org for ${idleMs / 1000} s`, 'ETIMEDOUT')));
      r.on('response', (res: IncomingMessage) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
        resolve({ status: res.statusCode ?? 0, headers, body: guardedBody(res, () => cause, network) });
      });
      if (typeof req.body === 'function') {
        // A failure of our own source (a file read) is not the network's: it is not retried.
        writeBlocks(r, req.body()).catch((e: Error) => giveUp(e));
      } else {
        r.end(req.body);
      }
    });
  }

  private async refresh(): Promise<void> {
    if (this.session.canRefresh?.() === false) throw new SessionExpiredError(false);
    this.refreshing ??= this.session.refresh().catch((e: Error) => {
      throw new SessionExpiredError(true, e.message);
    }).finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  /** Every request names the session and our client (Sforce-Call-Options shows in the org's job list). */
  private headers(req: { path?: string; headers?: Record<string, string> }): Record<string, string> {
    const token = this.session.accessToken();
    return {
      Authorization: `Bearer ${token}`,
      // Bulk API V1 (/services/async/) reads the session from its own header.
      ...(req.path?.startsWith('/services/async/') ? { 'X-SFDC-Session': token } : {}),
      'Sforce-Call-Options': `client=${CLIENT_NAME}`,
      'User-Agent': CLIENT_NAME,
      ...req.headers,
    };
  }
}

/**
 * A response body that either ends where the org ended it or throws OrgNetworkError: a socket
 * closed mid-body (reset, cut, our idle time-out) surfaces as one, never as a short body.
 */
function guardedBody(res: IncomingMessage, cause: () => Error | undefined, network: (message: string, code?: string) => OrgNetworkError): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of res) yield chunk as Buffer;
    } catch (e) {
      const why = cause();
      if (why instanceof OrgNetworkError) throw why;
      const err = e as NodeJS.ErrnoException;
      throw network(`the answer broke off: ${err.message}`, err.code);
    }
    if (!res.complete) throw network('the answer broke off before its end');
  }
  return Readable.from(chunks(), { objectMode: false });
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A success status whose body is not the API's answer (a proxy's HTML page, an empty or cut body):
 * the call's outcome is unknown, as when the answer breaks off, so it is a network error (transient;
 * a send that is not idempotent is checked before it is sent again). Only the status and title show.
 */
function notTheApis(res: Answer, text: string, req: { method: string; path: string }): OrgNetworkError {
  const what = text ? answerTitle(res.status, text) : `${answerTitle(res.status, '')}, empty`;
  return new OrgNetworkError(`the answer was not the API's (${what})`, req.method, req.path, 'EBADANSWER');
}

function apiError(res: Answer, text: string, req: { method: string; path: string }): OrgApiError {
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), Date.now());
  const own = apiErrorBody(text);
  if (!own) return new OrgApiError(res.status, `HTTP_${res.status}`, answerTitle(res.status, text), req.method, req.path, retryAfterMs, false).withPage(text);
  return new OrgApiError(res.status, own.errorCode ?? `HTTP_${res.status}`, own.message ?? answerTitle(res.status, text), req.method, req.path, retryAfterMs);
}

/**
 * The API's own error in a body: REST's JSON ([{errorCode, message}], or OAuth's {error,
 * error_description}), or Bulk API V1's <error><exceptionCode/><exceptionMessage/></error> (Bulk
 * API Developer Guide: Errors). Undefined for anything else (an HTML page, an empty body, JSON cut
 * short): such a body is not shown, only its status and title.
 */
function apiErrorBody(text: string): { errorCode?: string; message?: string } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text) as unknown;
  } catch {
    const code = /<exceptionCode>([^<]*)<\/exceptionCode>/.exec(text)?.[1];
    const why = /<exceptionMessage>([^<]*)<\/exceptionMessage>/.exec(text)?.[1];
    return code ?? why ? { errorCode: code, message: why } : undefined;
  }
  const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { errorCode?: unknown; message?: unknown; error?: unknown; error_description?: unknown } | null | undefined;
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
  const errorCode = str(first?.errorCode) ?? str(first?.error);
  const message = str(first?.message) ?? str(first?.error_description);
  return errorCode ?? message ? { errorCode, message } : undefined;
}

/**
 * A `Retry-After` header as ms to wait from `now`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Undefined when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP-date names its day and month ("Sat, 28 Nov 2026 10:00:30 GMT"); "-5" is no date.
  const at = /[a-z]/i.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Writes each block and waits until the socket is done with it, so that its buffer can be reused. */
async function writeBlocks(request: ClientRequest, blocks: AsyncIterable<Buffer>): Promise<void> {
  for await (const block of blocks) {
    await new Promise<void>((resolve, reject) => request.write(block, (e) => (e ? reject(e) : resolve())));
  }
  request.end();
}
