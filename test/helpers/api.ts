/*
 * One raw HTTP call to the emulator as a client would make it: a bearer token on REST and Bulk 2.0
 * paths, X-SFDC-Session on Bulk V1 paths, nothing on the control API. The JSON body is parsed when
 * there is one.
 */
import type { Emulator } from '../emulator/server.js';

export type RawResponse = { status: number; headers: Headers; text: string; json: unknown };

export type CallOptions = { token?: string; body?: string | Buffer; contentType?: string; accept?: string; headers?: Record<string, string> };

export async function call(emu: Emulator, method: string, path: string, opts: CallOptions = {}): Promise<RawResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token ?? emu.accessToken;
  if (path.startsWith('/services/async/')) headers['X-SFDC-Session'] = token;
  else if (!path.startsWith('/__emulator')) headers.Authorization = `Bearer ${token}`;
  if (opts.contentType) headers['Content-Type'] = opts.contentType;
  if (opts.accept) headers.Accept = opts.accept;
  const res = await fetch(`${emu.url}${path}`, { method, headers, body: opts.body });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? (JSON.parse(text) as unknown) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
