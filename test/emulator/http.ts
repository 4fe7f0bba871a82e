/*
 * Small HTTP helpers shared by every route: Salesforce's error envelopes, body reading, replies.
 */
import { IncomingMessage, ServerResponse } from 'node:http';

/** An error a route throws; the server renders it in the envelope of the API that was called. */
export class ApiError extends Error {
  public constructor(
    public readonly status: number,
    public readonly errorCode: string,
    message: string,
    public readonly headers: Record<string, string> = {}
  ) {
    super(message);
  }
}

export const notFound = (): ApiError => new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');

/** Bodies a fault read before the request was handled (hold): readBody gives them out in place of the stream. */
export const readAhead = new WeakMap<IncomingMessage, Buffer>();

export async function readBody(req: IncomingMessage, limitBytes = Number.MAX_SAFE_INTEGER): Promise<Buffer> {
  const ahead = readAhead.get(req);
  if (ahead) {
    readAhead.delete(req);
    if (ahead.length > limitBytes) throw new ApiError(413, 'REQUEST_ENTITY_TOO_LARGE', `Request body of ${ahead.length} bytes exceeds the limit`);
    return ahead;
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    // Keep reading to the end so the client sees our answer, but stop storing past the cap.
    if (size <= limitBytes) parts.push(buf);
  }
  if (size > limitBytes) throw new ApiError(413, 'REQUEST_ENTITY_TOO_LARGE', `Request body of ${size} bytes exceeds the limit`);
  return Buffer.concat(parts);
}

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const text = (await readBody(req)).toString('utf8');
  if (!text.trim()) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new ApiError(400, 'JSON_PARSER_ERROR', 'The request body is not valid JSON');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': contentType, ...headers });
  res.end(body);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, headers);
  res.end();
}

/** REST and Bulk 2.0 envelope: a JSON array of {errorCode, message}. */
export function sendRestError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, [{ errorCode: err.errorCode, message: err.message }], err.headers);
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
