/*
 * HTTP to the org, with the session supplied by the caller (an @salesforce/core Connection in the
 * commands, anything with a token in tests). Responses can be streamed, so result files of any
 * size pass through in flat memory, which jsforce's buffered responses cannot do.
 */
import { Readable } from 'node:stream';
import { ClientRequest, IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export type SessionProvider = {
  instanceUrl: string;
  apiVersion: string;
  accessToken(): string;
  /** gets a new access token (refresh-token grant); rejects when the session cannot be refreshed */
  refresh(): Promise<void>;
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

/** An error answer from the org: HTTP status plus Salesforce's errorCode and message. */
export class OrgApiError extends Error {
  public constructor(
    public readonly status: number,
    public readonly errorCode: string,
    message: string,
    public readonly method: string,
    public readonly path: string
  ) {
    super(message);
    this.name = 'OrgApiError';
  }
}

/** A network failure before any answer (reset, refused, timeout). */
export class OrgNetworkError extends Error {
  public constructor(message: string, public readonly method: string, public readonly path: string, public readonly code?: string) {
    super(message);
    this.name = 'OrgNetworkError';
  }
}

export const CLIENT_NAME = 'bulkops';

export class OrgHttp {
  /** one refresh at a time: parallel requests that all got 401 share it */
  private refreshing?: Promise<void>;

  public constructor(private readonly session: SessionProvider) {}

  public get apiVersion(): string {
    return this.session.apiVersion;
  }

  public get instanceUrl(): string {
    return this.session.instanceUrl;
  }

  public dataPath(rest: string): string {
    return `/services/data/v${this.session.apiVersion}${rest}`;
  }

  /** Sends a request; on 401 refreshes the session once and sends again. */
  public async send(req: HttpRequest): Promise<Response> {
    const token = this.session.accessToken();
    let res = await this.sendOnce(req);
    if (res.status === 401) {
      await res.body?.cancel();
      // Another request may have refreshed the session meanwhile: then only send again.
      if (this.session.accessToken() === token) await this.refresh();
      res = await this.sendOnce(req);
    }
    if (res.status >= 400) throw await toApiError(res, req);
    return res;
  }

  public async json<T>(req: HttpRequest): Promise<T> {
    const res = await this.send({ ...req, headers: { Accept: 'application/json', ...req.headers } });
    const text = await res.text();
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * A GET whose body is read as a Node stream, for result files and query pages. It goes through
   * node:http rather than fetch: a slow reader then holds the socket back (TCP backpressure),
   * where fetch would buffer a whole 100 MB result file in memory.
   */
  public async stream(req: HttpRequest & { method: 'GET' }): Promise<{ body: Readable; headers: Headers }> {
    const res = await this.nodeSend({ ...req, body: undefined });
    const headers = new Headers();
    for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
    if ((res.statusCode ?? 0) >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      throw await toApiError(new Response(Buffer.concat(chunks), { status: res.statusCode, headers }), req);
    }
    return { body: res, headers };
  }

  /**
   * Sends a streamed body (an upload) through node:http, a block at a time: fetch would read a
   * 100 MB upload into memory ahead of the socket, and a read stream piped into the request would
   * make a new buffer per read, which piles up between GCs while several uploads run.
   */
  public async upload(req: UploadRequest): Promise<void> {
    const res = await this.nodeSend(req);
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    if ((res.statusCode ?? 0) >= 400) {
      throw await toApiError(new Response(Buffer.concat(chunks), { status: res.statusCode }), req);
    }
  }

  /** nodeRequest, with one refresh and resend on 401 (as send() does for fetch). */
  private async nodeSend(req: HttpRequest | UploadRequest): Promise<IncomingMessage> {
    const token = this.session.accessToken();
    const res = await this.nodeRequest(req);
    if (res.statusCode !== 401) return res;
    res.resume();
    if (this.session.accessToken() === token) await this.refresh();
    return this.nodeRequest(req);
  }

  private nodeRequest(req: HttpRequest | UploadRequest): Promise<IncomingMessage> {
    const url = new URL(req.path, this.session.instanceUrl);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const r = send(url, { method: req.method, headers: this.headers(req) });
      const fail = (e: NodeJS.ErrnoException): void => reject(new OrgNetworkError(e.message, req.method, req.path, e.code));
      r.on('error', fail);
      r.on('response', resolve);
      if (typeof req.body === 'function') {
        writeBlocks(r, req.body()).catch((e: Error) => r.destroy(e));
      } else {
        r.end(req.body);
      }
    });
  }

  private async refresh(): Promise<void> {
    this.refreshing ??= this.session.refresh().finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  /** Every request names the session and our client (Sforce-Call-Options shows in the org's job list). */
  private headers(req: { headers?: Record<string, string> }): Record<string, string> {
    return {
      Authorization: `Bearer ${this.session.accessToken()}`,
      'Sforce-Call-Options': `client=${CLIENT_NAME}`,
      'User-Agent': CLIENT_NAME,
      ...req.headers,
    };
  }

  private async sendOnce(req: HttpRequest): Promise<Response> {
    try {
      return await fetch(new URL(req.path, this.session.instanceUrl), { method: req.method, headers: this.headers(req), body: req.body });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      throw new OrgNetworkError(cause?.message ?? (e as Error).message, req.method, req.path, cause?.code);
    }
  }
}

async function toApiError(res: Response, req: { method: string; path: string }): Promise<OrgApiError> {
  const text = await res.text().catch(() => '');
  let errorCode = `HTTP_${res.status}`;
  let message = text.slice(0, 500) || res.statusText;
  try {
    const parsed = JSON.parse(text) as unknown;
    const first = (Array.isArray(parsed) ? parsed[0] : parsed) as { errorCode?: string; message?: string; error?: string; error_description?: string } | undefined;
    if (first?.errorCode) errorCode = first.errorCode;
    else if (first?.error) errorCode = first.error;
    if (first?.message ?? first?.error_description) message = (first.message ?? first.error_description)!;
  } catch {
    // not JSON: keep the text
  }
  return new OrgApiError(res.status, errorCode, message, req.method, req.path);
}

/** Writes each block and waits until the socket is done with it, so that its buffer can be reused. */
async function writeBlocks(request: ClientRequest, blocks: AsyncIterable<Buffer>): Promise<void> {
  for await (const block of blocks) {
    await new Promise<void>((resolve, reject) => request.write(block, (e) => (e ? reject(e) : resolve())));
  }
  request.end();
}

