/*
 * A local webhook receiver for the monitor's tests: records every request, and answers as told
 * (fail the next N requests with a status and headers, or be down altogether).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export type Received = { path: string; headers: Record<string, string | string[] | undefined>; body: string; status: number };
export type Failure = { status: number; body?: string; headers?: Record<string, string> };

export class WebhookReceiver {
  public readonly requests: Received[] = [];
  private failures: Failure[] = [];
  private server?: Server;
  private port = 0;

  /** The URL of a path on this receiver (a test's "secret" path, as Slack's hooks have). */
  public url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The next requests get these answers, one each, in order. */
  public failNext(...failures: Failure[]): void {
    this.failures.push(...failures);
  }

  /** Requests that got a 2xx. */
  public delivered(path?: string): Received[] {
    return this.requests.filter((r) => r.status < 300 && (path === undefined || r.path === path));
  }

  public async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const failure = this.failures.shift();
        const status = failure?.status ?? 200;
        this.requests.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
        res.writeHead(status, { 'Content-Type': 'text/plain', ...(failure?.headers ?? {}) });
        res.end(failure?.body ?? (status < 300 ? 'ok' : 'error'));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops answering (connections are refused) until start(sameport) again. */
  public async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  public get boundPort(): number {
    return this.port;
  }
}

/** Every file under a folder as one text, to look for a secret in (files that vanish meanwhile are passed over). */
export function allFilesText(dir: string): string {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .flatMap((f) => {
      try {
        return statSync(f).isFile() ? [readFileSync(f, 'latin1')] : [];
      } catch {
        return [];
      }
    })
    .join('\n');
}
