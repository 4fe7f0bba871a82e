/*
 * A first inventory drafted from the jobs seen (`sf bulkops inventory init`): one entry per source
 * (the user the jobs run as), matched by that user and by the connected apps and client names only
 * it used (a name two sources share would attribute one's jobs to the other), allowed what it was
 * seen doing, with the cadence its jobs kept. Owners are left empty for a person to fill in; the
 * text says so where it matters.
 */
import { Document, isMap, isSeq, YAMLMap } from 'yaml';
import { id15 } from '../jobs/types.js';
import type { JobRecord } from '../jobs/types.js';
import { CADENCE_DAYS, Cadence, Inventory, OPERATIONS, Operation } from '../inventory/schema.js';

/** A job with who ran it: username, connected app name, client name. */
export type SeenJob = Pick<JobRecord, 'id' | 'object' | 'operation' | 'createdDate'> & { username: string; connectedApp?: string; client?: string };

export type DraftEntry = {
  name: string;
  username: string;
  connectedApps: string[];
  clients: string[];
  allowed: Array<{ object: string; operations: Operation[] }>;
  cadence: Cadence;
  jobs: number;
  firstSeen: string;
  lastSeen: string;
};

const DAY = 86_400_000;
/** fewer jobs than this tell no cadence: on-demand */
const MIN_JOBS_FOR_CADENCE = 4;
const REGULAR: Cadence[] = ['hourly', 'daily', 'weekly', 'monthly', 'quarterly', 'yearly'];

/** The cadence of a series of job starts: by the usual gap, widened until it covers the longest. */
export function cadenceOf(starts: number[]): Cadence {
  if (starts.length < MIN_JOBS_FOR_CADENCE) return 'on-demand';
  const sorted = [...starts].sort((a, b) => a - b);
  const gaps = sorted.slice(1).map((t, i) => (t - sorted[i]) / DAY);
  const usual = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
  const longest = Math.max(...gaps);
  const label = usual <= 2 / 24 ? 0 : usual <= 1.5 ? 1 : usual <= 8 ? 2 : usual <= 32 ? 3 : usual <= 93 ? 4 : 5;
  const fit = REGULAR.slice(label).find((c) => (CADENCE_DAYS[c] ?? Infinity) >= longest);
  return fit ?? 'on-demand';
}

/** An entry name from a username: its part before @, in lower case, dashes for the rest. */
function nameOf(username: string, taken: Set<string>): string {
  const base =
    username
      .split('@')[0]
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'source';
  let name = base;
  for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
  taken.add(name);
  return name;
}

export function draftEntries(jobs: SeenJob[]): DraftEntry[] {
  const bySource = new Map<string, SeenJob[]>();
  for (const j of jobs) bySource.set(j.username.toLowerCase(), [...(bySource.get(j.username.toLowerCase()) ?? []), j]);
  // A connected app or client name that two sources used matches neither.
  const usedBy = (pick: (j: SeenJob) => string | undefined): Map<string, Set<string>> => {
    const out = new Map<string, Set<string>>();
    for (const j of jobs) {
      const v = pick(j);
      if (v) out.set(v.toLowerCase(), new Set([...(out.get(v.toLowerCase()) ?? []), j.username.toLowerCase()]));
    }
    return out;
  };
  const appUsers = usedBy((j) => j.connectedApp);
  const clientUsers = usedBy((j) => j.client);
  const own = (list: SeenJob[], pick: (j: SeenJob) => string | undefined, users: Map<string, Set<string>>): string[] =>
    [...new Set(list.map(pick).filter((v): v is string => !!v && users.get(v.toLowerCase())?.size === 1))].sort();

  const taken = new Set<string>();
  return [...bySource.values()]
    .sort((a, b) => a[0].username.localeCompare(b[0].username))
    .map((list) => {
      const sorted = [...list].sort((a, b) => a.createdDate.localeCompare(b.createdDate));
      const ops = new Map<string, Set<Operation>>();
      for (const j of list) if ((OPERATIONS as readonly string[]).includes(j.operation)) ops.set(j.object, new Set([...(ops.get(j.object) ?? []), j.operation as Operation]));
      return {
        name: nameOf(list[0].username, taken),
        username: list[0].username,
        connectedApps: own(list, (j) => j.connectedApp, appUsers),
        clients: own(list, (j) => j.client, clientUsers),
        allowed: [...ops]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([object, set]) => ({ object, operations: OPERATIONS.filter((o) => set.has(o)) })),
        cadence: cadenceOf(list.map((j) => Date.parse(j.createdDate))),
        jobs: list.length,
        firstSeen: sorted[0].createdDate,
        lastSeen: sorted[sorted.length - 1].createdDate,
      };
    });
}

/** The inventory of the entries, as YAML with comments a person reads before filling in the owners. */
export function draftYaml(entries: DraftEntry[], opts: { org?: string; drafted: string; from?: string; to?: string }): string {
  const inventory: Inventory = {
    version: 1,
    ...(opts.org ? { org: opts.org } : {}),
    integrations: entries.map((e) => ({
      name: e.name,
      owner: { team: '', contact: '' },
      purpose: '',
      match: { users: [e.username], ...(e.connectedApps.length ? { connectedApps: e.connectedApps } : {}), ...(e.clients.length ? { clients: e.clients } : {}) },
      allowed: e.allowed,
      cadence: e.cadence,
      status: 'active',
    })),
  };
  const doc = new Document(inventory);
  doc.commentBefore = [
    ` Drafted by "sf bulkops inventory init" on ${opts.drafted} from the jobs seen${opts.from ? ` from ${opts.from.slice(0, 10)} to ${(opts.to ?? '').slice(0, 10)}` : ''}: one entry per source.`,
    ' Before you rely on it: fill in each owner and purpose, merge the entries of one integration, check the',
    ' allowed operations (they are what was seen, not what should be), set "reviewed" to the day you checked it.',
  ].join('\n');
  const seq = doc.get('integrations', true);
  const items = isSeq(seq) ? seq.items : [];
  items.forEach((item, i) => {
    if (!isMap(item)) return;
    const e = entries[i];
    const entry: YAMLMap = item;
    entry.commentBefore = ` ${e.jobs} jobs, first ${e.firstSeen.slice(0, 10)}, last ${e.lastSeen.slice(0, 10)}`;
    const owner = entry.get('owner', true);
    if (isMap(owner)) {
      owner.flow = true;
      owner.comment = ' fill in: the team that answers for these jobs, and how to reach it';
    }
    const match = entry.get('match', true);
    if (isMap(match)) match.flow = true;
    const allowed = entry.get('allowed', true);
    if (isSeq(allowed)) for (const a of allowed.items) if (isMap(a)) a.flow = true;
  });
  return doc.toString({ lineWidth: 0 });
}

/** Jobs whose user the org does not know cannot be drafted (an entry matches by username). */
export function withUsernames(jobs: JobRecord[], users: Map<string, { username: string }>, apps: Map<string, string>): SeenJob[] {
  return jobs.flatMap((j) => {
    const username = users.get(id15(j.createdById))?.username;
    if (!username) return [];
    const connectedApp = j.connectedAppId ? apps.get(id15(j.connectedAppId)) : undefined;
    return [{ id: j.id, object: j.object, operation: j.operation, createdDate: j.createdDate, username, ...(connectedApp ? { connectedApp } : {}), ...(j.client ? { client: j.client } : {}) }];
  });
}
