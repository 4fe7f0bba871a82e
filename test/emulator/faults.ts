/*
 * Faults on demand (README: "The org emulator", Faults on demand): tests ask for a failure on chosen routes, a
 * chosen number of times, through `POST /__emulator/faults` or `emu.addFault(spec)`, and clients
 * see it as they would from Salesforce or the network in front of it.
 *
 * kinds (a fault applies to requests whose method matches, if given, and whose URL pathname the
 * `path` regular expression matches; `count` requests, 1 by default; the oldest matching fault wins):
 * - status: HTTP 500 in the API's error envelope (REST: UNKNOWN_EXCEPTION with an ErrorId; V1:
 *   exceptionCode Unknown), or 502/503 with the HTML page a load balancer sends. `when: 'before'`
 *   (default) answers without handling the request; 'after' handles it (the job is created, the
 *   upload is stored…) and then answers the error instead of the real response.
 * - reset: the TCP connection is reset (RST), before or after handling as above.
 * - limit: 403 REQUEST_LIMIT_EXCEEDED "TotalRequests Limit exceeded." (observed REST wording); V1
 *   gets ExceededQuota with the same message [UNVERIFIED for V1].
 * - retryAfter (status 503 and limit only): whole seconds, sent as a `Retry-After` header. A 503 may
 *   carry one (RFC 9110 §15.6.4); Salesforce documents none on REQUEST_LIMIT_EXCEEDED (its daily
 *   allocation is a rolling 24 hours) [UNVERIFIED], so it is only there when a test asks for it.
 * - slow: the request waits `delayMs` real ms, then is handled normally.
 * - hold: the org reads the whole request, then holds it until the test releases it
 *   (`emu.releaseHeld()`) or, with `delayMs`, for that many real ms; then handles it as usual, whether
 *   or not the client is still there (Salesforce finishes a request it has fully received), and
 *   answers whoever is left. `emu.onHeld` is told as a request starts being held: a test can kill the
 *   client there, knowing the org has the whole request ("killed while the org was answering slowly").
 * - cut: the request is handled (the org did the work), then the client gets the real status and
 *   headers (Content-Length of the whole body) and the first `afterBytes` bytes of the real body,
 *   and the connection is closed: a transfer that broke off mid-body. A body of `afterBytes` bytes or
 *   fewer arrives whole before the close.
 * - stall: the request is handled, then the client gets the real status and headers and the first
 *   `afterBytes` bytes of the body (default 0), then nothing for `delayMs` real ms (default: until
 *   the client gives up and closes the connection), then the rest: a transfer that hangs.
 * - expire-session: every session of the org expires at that request (so it gets 401
 *   INVALID_SESSION_ID, V1 400 InvalidSessionId) and stays expired: only a new token from the
 *   refresh-token grant works again.
 * - revoke-session: as expire-session, and every refresh token is revoked too (a user's tokens
 *   revoked in Setup, a password reset under a policy that revokes them): the refresh-token grant
 *   answers 400 invalid_grant, so only a new login works again.
 * Job failures (`POST /__emulator/faults/job-failure`): the next Bulk 2.0 ingest job to start
 * processing (or the one named) processes its first `afterRows` rows, then fails as a job whose
 * chunk ran out of retries; the rest stays in unprocessedrecords.
 * Request hook (in-process tests only, no control call): `emu.onRequest = (entry) => …` sees each
 * API request as it arrives, before faults and handling, e.g. to kill -9 a client process at its
 * k-th job creation so that "a crash during creation" happens at the same request on every run.
 * Request hold (in-process tests only): `emu.holdRequest = (entry) => promise | undefined` keeps a
 * request waiting until the promise settles, then handles it as usual.
 */
import { randomBytes } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './http.js';

export type FaultKind = 'status' | 'reset' | 'limit' | 'slow' | 'hold' | 'expire-session' | 'revoke-session' | 'cut' | 'stall';

export type FaultSpec = {
  kind: FaultKind;
  /** regular expression source, matched against the URL pathname */
  path: string;
  method?: string;
  /** how many requests it hits (default 1) */
  count?: number;
  /** status only: 500, 502 or 503 (default 500) */
  status?: 500 | 502 | 503;
  /** status and reset only: answer instead of handling ('before', default) or after handling ('after') */
  when?: 'before' | 'after';
  /** slow: real ms to wait before handling; hold: real ms to hold (default: until released); stall: real ms without a byte (default: until the client gives up) */
  delayMs?: number;
  /** cut and stall: bytes of the body sent before the cut or the stall (cut: required; stall: default 0) */
  afterBytes?: number;
  /** status 503 and limit only: whole seconds for a Retry-After header */
  retryAfter?: number;
};

export type Fault = {
  id: string;
  kind: FaultKind;
  path: string;
  method?: string;
  count: number;
  remaining: number;
  status?: 500 | 502 | 503;
  when?: 'before' | 'after';
  delayMs?: number;
  afterBytes?: number;
  retryAfter?: number;
};

export type JobFailureSpec = { afterRows: number; jobId?: string };
export type JobFailure = { id: string; afterRows: number; jobId?: string };

const KINDS: ReadonlySet<string> = new Set(['status', 'reset', 'limit', 'slow', 'hold', 'expire-session', 'revoke-session', 'cut', 'stall']);

export class FaultBook {
  private faults: Array<Fault & { pattern: RegExp }> = [];
  private jobFailures: JobFailure[] = [];
  private seq = 0;

  /** Checks and stores a fault; throws ApiError 400 for a spec it cannot honour. */
  public add(spec: FaultSpec): Fault {
    const bad = (message: string): ApiError => new ApiError(400, 'INVALID_FAULT', message);
    if (!spec || typeof spec !== 'object') throw bad('A fault is a JSON object');
    if (!KINDS.has(spec.kind)) throw bad(`kind must be one of ${[...KINDS].join(', ')}`);
    if (typeof spec.path !== 'string' || !spec.path) throw bad('path (a regular expression source) is required');
    let pattern: RegExp;
    try {
      pattern = new RegExp(spec.path);
    } catch (e) {
      throw bad(`path is not a regular expression: ${(e as Error).message}`);
    }
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw bad('count must be a positive integer');
    const fault: Fault = { id: `fault-${++this.seq}`, kind: spec.kind, path: spec.path, count, remaining: count };
    if (spec.method !== undefined) {
      if (typeof spec.method !== 'string') throw bad('method must be a string');
      fault.method = spec.method.toUpperCase();
    }
    if (spec.kind === 'status') {
      const status = spec.status ?? 500;
      if (status !== 500 && status !== 502 && status !== 503) throw bad('status must be 500, 502 or 503');
      fault.status = status;
    }
    if (spec.kind === 'status' || spec.kind === 'reset') {
      const when = spec.when ?? 'before';
      if (when !== 'before' && when !== 'after') throw bad("when must be 'before' or 'after'");
      fault.when = when;
    } else if (spec.when !== undefined) {
      throw bad('when applies to status and reset faults only');
    }
    const wholeNumber = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    if (spec.kind === 'slow' || spec.kind === 'stall' || spec.kind === 'hold') {
      const delayMs = spec.delayMs ?? (spec.kind === 'slow' ? 1000 : undefined);
      if (delayMs !== undefined) {
        if (typeof delayMs !== 'number' || !(delayMs >= 0)) throw bad('delayMs must be a number of ms');
        fault.delayMs = delayMs;
      }
    } else if (spec.delayMs !== undefined) {
      throw bad('delayMs applies to slow, hold and stall faults only');
    }
    if (spec.kind === 'cut' || spec.kind === 'stall') {
      const afterBytes = spec.afterBytes ?? (spec.kind === 'stall' ? 0 : undefined);
      if (!wholeNumber(afterBytes)) throw bad('afterBytes must be a whole number of bytes (0 or more)');
      fault.afterBytes = afterBytes;
    } else if (spec.afterBytes !== undefined) {
      throw bad('afterBytes applies to cut and stall faults only');
    }
    if (spec.retryAfter !== undefined) {
      if (!(spec.kind === 'limit' || (spec.kind === 'status' && fault.status === 503))) throw bad('retryAfter applies to status 503 and limit faults only');
      if (!wholeNumber(spec.retryAfter)) throw bad('retryAfter must be a whole number of seconds');
      fault.retryAfter = spec.retryAfter;
    }
    this.faults.push({ ...fault, pattern });
    return fault;
  }

  public list(): Fault[] {
    return this.faults.map(({ pattern, ...f }) => {
      void pattern;
      return f;
    });
  }

  public clear(): void {
    this.faults = [];
    this.jobFailures = [];
  }

  /** The fault a request hits, counted down; faults used up are dropped. */
  public take(method: string, path: string): Fault | undefined {
    const i = this.faults.findIndex((f) => (!f.method || f.method === method) && f.pattern.test(path));
    if (i < 0) return undefined;
    const f = this.faults[i];
    f.remaining--;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    const { pattern, ...fault } = f;
    void pattern;
    return fault;
  }

  public addJobFailure(spec: JobFailureSpec): JobFailure {
    const n = spec?.afterRows;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new ApiError(400, 'INVALID_FAULT', 'afterRows must be a whole number of rows (0 or more)');
    }
    if (spec.jobId !== undefined && typeof spec.jobId !== 'string') throw new ApiError(400, 'INVALID_FAULT', 'jobId must be a job id');
    const failure: JobFailure = { id: `job-failure-${++this.seq}`, afterRows: n, ...(spec.jobId ? { jobId: spec.jobId } : {}) };
    this.jobFailures.push(failure);
    return failure;
  }

  public listJobFailures(): JobFailure[] {
    return [...this.jobFailures];
  }

  /** The failure a starting job gets: one that names it, else the oldest that names no job. */
  public takeJobFailure(jobId: string): JobFailure | undefined {
    const same = (a: string, b: string): boolean => a.slice(0, 15) === b.slice(0, 15);
    let i = this.jobFailures.findIndex((f) => f.jobId !== undefined && same(f.jobId, jobId));
    if (i < 0) i = this.jobFailures.findIndex((f) => f.jobId === undefined);
    if (i < 0) return undefined;
    return this.jobFailures.splice(i, 1)[0];
  }
}

/** Salesforce's text for an internal error, with an ErrorId as support would ask for. */
export function unknownExceptionMessage(): string {
  const n = (digits: number): number => parseInt(randomBytes(4).toString('hex'), 16) % 10 ** digits;
  return `An unexpected error occurred. Please include this ErrorId if you contact support: ${n(10)}-${n(5)} (${-n(10)})`;
}

/** The page a load balancer in front of the org sends for 502/503: HTML, not the API's JSON. */
export function gatewayPage(status: 502 | 503): string {
  const title = status === 502 ? '502 Bad Gateway' : '503 Service Unavailable';
  const text =
    status === 502
      ? 'The server received an invalid response from an upstream server.'
      : 'No server is available to handle this request.';
  return `<html>\n<head><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<p>${text}</p>\n</body>\n</html>\n`;
}

/** What a handler answered while muzzled: status, headers and the whole body. */
export type Captured = { status: number; headers: Record<string, string>; body: Buffer };

/**
 * Swallows what a handler writes (keeping it), so a fault can answer instead after the request was
 * handled, or send the real answer its own way. Returns the call that gives the response its real
 * methods back and hands over what was kept.
 */
export function muzzle(res: ServerResponse): () => Captured {
  const self = res as unknown as Record<string, unknown>;
  const kept: Captured = { status: 200, headers: {}, body: Buffer.alloc(0) };
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(res.getHeaders())) if (value !== undefined) kept.headers[name] = String(value);
  const keep = (chunk: unknown): void => {
    if (typeof chunk === 'string' || chunk instanceof Uint8Array) parts.push(Buffer.from(chunk));
  };
  self.writeHead = (status: number, ...rest: unknown[]): ServerResponse => {
    kept.status = status;
    const headers = rest.find((r) => r && typeof r === 'object') as Record<string, unknown> | undefined;
    for (const [name, value] of Object.entries(headers ?? {})) kept.headers[name.toLowerCase()] = String(value);
    return res;
  };
  self.setHeader = (name: string, value: unknown): ServerResponse => {
    kept.headers[name.toLowerCase()] = String(value);
    return res;
  };
  self.write = (chunk: unknown): boolean => {
    keep(chunk);
    return true;
  };
  self.end = (...args: unknown[]): ServerResponse => {
    if (typeof args[0] !== 'function') keep(args[0]);
    const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
    if (cb) setImmediate(cb);
    return res;
  };
  return () => {
    for (const k of ['writeHead', 'setHeader', 'write', 'end']) Reflect.deleteProperty(self, k);
    kept.body = Buffer.concat(parts);
    return kept;
  };
}

/**
 * Sends a handled answer as a broken transfer: the real status and headers (with the whole body's
 * Content-Length) and the first `afterBytes` bytes; then, for a cut, the connection closes; for a
 * stall, nothing comes for `delayMs` (or until the client closes), then the rest.
 */
export async function sendBroken(res: ServerResponse, answer: Captured, fault: Fault): Promise<void> {
  const { 'content-length': ignored, 'transfer-encoding': ignoredToo, ...headers } = answer.headers;
  void ignored;
  void ignoredToo;
  res.writeHead(answer.status, { ...headers, 'Content-Length': String(answer.body.length) });
  const head = answer.body.subarray(0, fault.afterBytes ?? 0);
  await new Promise<void>((resolve) => (head.length ? res.write(head, () => resolve()) : (res.flushHeaders(), resolve())));
  if (fault.kind === 'cut') {
    res.socket?.destroy();
    return;
  }
  await new Promise<void>((resolve) => {
    const timer = fault.delayMs === undefined ? undefined : setTimeout(resolve, fault.delayMs);
    res.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (!res.destroyed && !res.writableEnded) res.end(answer.body.subarray(head.length));
}

/** Resets the client's TCP connection (RST), as a network fault would. */
export function resetConnection(req: IncomingMessage): void {
  const socket = req.socket;
  if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket.destroy();
}
