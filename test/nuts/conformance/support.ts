/*
 * Shared pieces for the conformance tests: strict CSV reading (no BOM stripping, so what the
 * emulator wrote is what the test sees), raw calls to the emulator's REST/Bulk surface with a
 * user's token, and a TLS front for the one client flow that insists on https (sfdx auth URLs).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, Server } from 'node:https';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { AuthInfo, Connection } from '@salesforce/core';
import type { Emulator } from '../../helpers/emulator.js';
import { call, type RawResponse } from '../../helpers/api.js';

export const API = 'v66.0';

export type CsvFile = { header: string[]; rows: Array<Record<string, string>>; raw: string };

/** Parses CSV text as RFC 4180; the header row is kept as written (a BOM would stay in it). */
export function parseCsv(raw: string, delimiter = ','): CsvFile {
  const records: string[][] = parse(raw, { bom: false, delimiter, relax_column_count: false });
  const [header = [], ...body] = records;
  const rows = body.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i]])));
  return { header, rows, raw };
}

export function readCsvFile(path: string, delimiter = ','): CsvFile {
  return parseCsv(readFileSync(path, 'utf8'), delimiter);
}

/** Rows keyed by one column; fails on a duplicate key so a test never hides a repeated row. */
export function byKey(rows: Array<Record<string, string>>, key: string): Map<string, Record<string, string>> {
  const map = new Map<string, Record<string, string>>();
  for (const row of rows) {
    const k = row[key];
    if (map.has(k)) throw new Error(`duplicate ${key} ${k} in result rows`);
    map.set(k, row);
  }
  return map;
}

export { call, type RawResponse };

/** Creates an ingest job through the raw API; returns its id. */
export async function createIngestJob(emu: Emulator, body: Record<string, unknown>, token?: string): Promise<string> {
  const r = await call(emu, 'POST', `/services/data/${API}/jobs/ingest`, {
    token,
    body: JSON.stringify(body),
    contentType: 'application/json; charset=UTF-8',
  });
  if (r.status !== 200) throw new Error(`create job: ${r.status} ${r.text}`);
  return (r.json as { id: string }).id;
}

export type JobInfo = {
  id: string;
  state: string;
  errorMessage?: string;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  object: string;
  operation: string;
};

export async function jobInfo(emu: Emulator, id: string, kind: 'ingest' | 'query' = 'ingest'): Promise<JobInfo> {
  const r = await call(emu, 'GET', `/services/data/${API}/jobs/${kind}/${id}`);
  if (r.status !== 200) throw new Error(`job info: ${r.status} ${r.text}`);
  return r.json as JobInfo;
}

/** Polls job info (raw API) until the job leaves Open/UploadComplete/InProgress. */
export async function waitForJob(emu: Emulator, id: string, kind: 'ingest' | 'query' = 'ingest', timeoutMs = 20_000): Promise<JobInfo> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const info = await jobInfo(emu, id, kind);
    if (['JobComplete', 'Failed', 'Aborted'].includes(info.state)) return info;
    if (Date.now() > end) throw new Error(`job ${id} still ${info.state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The first error of a REST/Bulk 2.0 error envelope (a JSON array of {errorCode, message}). */
export function firstError(r: RawResponse): { errorCode: string; message: string } {
  if (!Array.isArray(r.json) || r.json.length === 0) throw new Error(`not an error envelope: ${r.status} ${r.text}`);
  return r.json[0] as { errorCode: string; message: string };
}

export function write(dir: string, name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/**
 * `sf org login sfdx-url` always turns the auth URL's host into an https login URL
 * (sfdx-core AuthInfo.parseSfdxAuthUrl), while the emulator serves plain http. This front answers
 * TLS with a throw-away self-signed certificate (openssl) and passes each request to the emulator
 * unchanged; the token endpoint's `instance_url` then points clients at the emulator itself.
 * Returns undefined when openssl is not available.
 */
export async function startTlsFront(emu: Emulator, dir: string): Promise<{ host: string; caFile: string; close: () => Promise<void> } | undefined> {
  const key = join(dir, 'front.key');
  const cert = join(dir, 'front.crt');
  try {
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore' }
    );
  } catch {
    return undefined;
  }
  const target = new URL(emu.url);
  const server: Server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      }
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return {
    host: `127.0.0.1:${port}`,
    caFile: cert,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** jsforce as @salesforce/core hands it out (Connection.create on an access-token AuthInfo), V1 polls fast. */
export async function jsforceConnection(emu: Emulator, token = emu.accessToken): Promise<Connection> {
  const authInfo = await AuthInfo.create({ accessTokenOptions: { accessToken: token, instanceUrl: emu.url, loginUrl: emu.url } });
  const conn = await Connection.create({ authInfo });
  conn.bulk.pollInterval = 25;
  conn.bulk.pollTimeout = 20_000;
  return conn;
}
