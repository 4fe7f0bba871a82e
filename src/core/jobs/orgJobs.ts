/*
 * The jobs the org lists now (it keeps them 7 days after they end): every page of Get All Jobs for
 * ingest (Bulk API 2.0 and V1, which it lists as Classic) and query, each job's info for its
 * counters (the list has none), and the users that created them.
 */
import type { OrgHttp } from '../http/orgHttp.js';
import type { Retrier } from '../http/retry.js';
import { JobApi, JobRecord, isoDate } from './types.js';

type ListedJob = { id: string; jobType?: string; object: string; operation: string; state: string; createdById: string; createdDate: string; systemModstamp: string; concurrencyMode?: string };
type JobPage = { records: ListedJob[]; nextRecordsUrl: string | null };
type JobDetail = {
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  totalProcessingTime?: number;
  apexProcessingTime?: number;
  retries?: number;
  errorMessage?: string;
  state?: string;
  systemModstamp?: string;
};

export type OrgUser = { id: string; username: string; name: string; isActive: boolean };

/** Every page of one Get All Jobs resource. */
async function allPages(http: OrgHttp, retry: Retrier, resource: 'ingest' | 'query'): Promise<ListedJob[]> {
  const out: ListedJob[] = [];
  let next: string | null = http.dataPath(`/jobs/${resource}`);
  while (next) {
    const path: string = next;
    // eslint-disable-next-line no-await-in-loop -- each page names the next
    const page = await retry(`list ${resource} jobs`, () => http.json<JobPage>({ method: 'GET', path }));
    out.push(...page.records);
    next = page.nextRecordsUrl;
  }
  return out;
}

/** A V1 job's info is XML for XML and CSV jobs: only its numbers and state are read. */
function v1Detail(xml: string): JobDetail {
  const tag = (name: string): string | undefined => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
  const num = (name: string): number | undefined => (tag(name) === undefined ? undefined : Number(tag(name)));
  return {
    numberRecordsProcessed: num('numberRecordsProcessed'),
    numberRecordsFailed: num('numberRecordsFailed'),
    totalProcessingTime: num('totalProcessingTime'),
    apexProcessingTime: num('apexProcessingTime'),
    retries: num('numberRetries'),
    state: tag('state'),
    systemModstamp: tag('systemModstamp'),
  };
}

async function detail(http: OrgHttp, retry: Retrier, job: ListedJob, api: JobApi): Promise<JobDetail> {
  if (api === 'Classic') {
    const path = `/services/async/${http.apiVersion}/job/${job.id}`;
    const { body } = await retry('job info', () => http.stream({ method: 'GET', path, headers: { Accept: 'application/xml' } }));
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text.trimStart().startsWith('{') ? (JSON.parse(text) as JobDetail) : v1Detail(text);
  }
  const resource = api === 'V2Query' ? 'query' : 'ingest';
  return retry('job info', () => http.json<JobDetail>({ method: 'GET', path: http.dataPath(`/jobs/${resource}/${job.id}`) }));
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T, R>(items: T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      // eslint-disable-next-line no-await-in-loop -- a bounded pool
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

/** The org's jobs now, V1 listed once (both resources list it), with their counters. */
export async function listOrgJobs(http: OrgHttp, retry: Retrier, now = Date.now()): Promise<JobRecord[]> {
  const seen = new Map<string, ListedJob & { api: JobApi }>();
  for (const resource of ['ingest', 'query'] as const) {
    // eslint-disable-next-line no-await-in-loop -- two resources, one after the other
    for (const j of await allPages(http, retry, resource)) {
      const api: JobApi = j.jobType === 'Classic' ? 'Classic' : resource === 'query' ? 'V2Query' : 'V2Ingest';
      if (j.jobType === 'BigObjectIngest' || seen.has(j.id)) continue;
      seen.set(j.id, { ...j, api });
    }
  }
  const observedAt = new Date(now).toISOString();
  return pool([...seen.values()], 4, async (j): Promise<JobRecord> => {
    const d = await detail(http, retry, j, j.api);
    return dropUndefined({
      id: j.id,
      api: j.api,
      object: j.object,
      operation: j.operation,
      state: d.state ?? j.state,
      createdById: j.createdById,
      createdDate: isoDate(j.createdDate),
      systemModstamp: isoDate(d.systemModstamp ?? j.systemModstamp),
      numberRecordsProcessed: d.numberRecordsProcessed,
      numberRecordsFailed: d.numberRecordsFailed,
      totalProcessingTime: d.totalProcessingTime,
      apexProcessingTime: d.apexProcessingTime,
      retries: d.retries,
      errorMessage: d.errorMessage,
      concurrencyMode: j.concurrencyMode,
      from: 'org',
      observedAt,
    });
  });
}

export function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as T;
}

/** A SOQL query through REST, every page. */
export async function queryAll<T>(http: OrgHttp, retry: Retrier, soql: string): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined = http.dataPath(`/query?q=${encodeURIComponent(soql)}`);
  while (next) {
    const path: string = next;
    // eslint-disable-next-line no-await-in-loop -- each page names the next
    const page = await retry('query', () => http.json<{ records: T[]; nextRecordsUrl?: string }>({ method: 'GET', path }));
    out.push(...page.records);
    next = page.nextRecordsUrl;
  }
  return out;
}

/** The users with these Ids (15 or 18 characters), keyed by their 15-character Id. */
export async function usersById(http: OrgHttp, retry: Retrier, ids: Iterable<string>): Promise<Map<string, OrgUser>> {
  const out = new Map<string, OrgUser>();
  for (const u of await usersWhere(http, retry, 'Id', [...ids].map((i) => i.slice(0, 15).replace(/[^A-Za-z0-9]/g, '')))) out.set(u.id.slice(0, 15), u);
  return out;
}

/** The users with these usernames, keyed by the lower-case username. */
export async function usersByUsername(http: OrgHttp, retry: Retrier, usernames: Iterable<string>): Promise<Map<string, OrgUser>> {
  const out = new Map<string, OrgUser>();
  for (const u of await usersWhere(http, retry, 'Username', [...usernames].map((n) => n.replace(/\\/g, '\\\\').replace(/'/g, "\\'")))) out.set(u.username.toLowerCase(), u);
  return out;
}

async function usersWhere(http: OrgHttp, retry: Retrier, field: 'Id' | 'Username', values: string[]): Promise<OrgUser[]> {
  const wanted = [...new Set(values)];
  const out: OrgUser[] = [];
  for (let i = 0; i < wanted.length; i += 200) {
    const list = wanted
      .slice(i, i + 200)
      .map((v) => `'${v}'`)
      .join(',');
    // eslint-disable-next-line no-await-in-loop -- a few hundred users a query
    const rows = await queryAll<{ Id: string; Username: string; Name: string; IsActive: boolean }>(http, retry, `SELECT Id, Username, Name, IsActive FROM User WHERE ${field} IN (${list})`);
    out.push(...rows.map((u) => ({ id: u.Id, username: u.Username, name: u.Name, isActive: u.IsActive })));
  }
  return out;
}
