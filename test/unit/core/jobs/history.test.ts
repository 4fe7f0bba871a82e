import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { coverageGaps, JobHistory } from '../../../../src/core/jobs/history.js';
import { reviewJobs } from '../../../../src/core/jobs/review.js';
import { parseSince } from '../../../../src/core/jobs/period.js';
import type { JobRecord } from '../../../../src/core/jobs/types.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const job = (id: string, startMs: number, minutes: number, extra: Partial<JobRecord> = {}): JobRecord => ({
  id,
  api: 'V2Ingest',
  object: 'Invoice__c',
  operation: 'insert',
  state: 'JobComplete',
  createdById: '0053h0000000001AAA',
  createdDate: new Date(startMs).toISOString(),
  systemModstamp: new Date(startMs + minutes * 60_000).toISOString(),
  from: 'org',
  observedAt: new Date(startMs + minutes * 60_000).toISOString(),
  ...extra,
});

describe('job history', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'bulkops-h-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is append-only and de-duplicated: a job is written again only when its state changes, the latest state wins', () => {
    const h = new JobHistory(dir, '00D5e0000000EmuEAE');
    const running = job('7503h000000001AAA1', T0, 0, { state: 'InProgress' });
    expect(h.append([running], [])).to.deep.equal({ added: 1, changed: 0 });
    expect(h.append([{ ...running, observedAt: new Date(T0 + 1000).toISOString() }], [])).to.deep.equal({ added: 0, changed: 0 });
    const done = job('7503h000000001AAA1', T0, 30, { numberRecordsProcessed: 10 });
    expect(h.append([done], [])).to.deep.equal({ added: 0, changed: 1 });
    // an older snapshot read later (from the event logs, 15-character Id) does not undo it, but adds its client
    const fromLogs = job('7503h000000001A', T0, 0, { state: 'InProgress', from: 'eventlog', client: 'AcmeERP/4.2' });
    h.append([fromLogs], []);
    expect(readFileSync(join(h.dir, 'jobs.jsonl'), 'utf8').trim().split('\n')).to.have.length(3);
    const latest = h.jobs().get('7503h000000001A')!;
    expect(latest).to.include({ id: '7503h000000001AAA1', state: 'JobComplete', numberRecordsProcessed: 10, client: 'AcmeERP/4.2' });
  });

  it('gaps: the days no listing (7 days back) and no event log covered', () => {
    const gaps = coverageGaps([{ kind: 'org', at: new Date(T0 + 7 * DAY).toISOString() }, { kind: 'eventlog', day: '2026-11-12', eventType: 'BulkApi2', fileId: 'x' }], T0, T0 + 14 * DAY);
    expect(gaps).to.deep.equal([
      { from: '2026-11-09', to: '2026-11-11', days: 3 },
      { from: '2026-11-13', to: '2026-11-14', days: 2 },
    ]);
    expect(coverageGaps([{ kind: 'eventlogs', from: '2026-11-01', to: '2026-11-14' }], T0, T0 + 14 * DAY)).to.deep.equal([]);
  });

  it('a job is long against the same source on that object: 3 times its usual duration, 10 minutes more, 5 jobs to compare', () => {
    const past = [0, 1, 2, 3, 4].map((d) => job(`7503h00000000${d}AAAA`, T0 + d * DAY, 20));
    const now = T0 + 10 * DAY;
    const [long, fine, other] = reviewJobs(
      [job('7503h00000009LAAAA', T0 + 9 * DAY, 70), job('7503h00000009FAAAA', T0 + 9 * DAY, 55), job('7503h00000009OAAAA', T0 + 9 * DAY, 70, { object: 'Account' })],
      { history: past, users: new Map(), now }
    );
    expect(long.signals).to.deep.equal(['long']);
    expect(long.typicalMs).to.equal(20 * 60_000);
    expect(fine.signals).to.deep.equal([]);
    expect(other.signals).to.deep.equal([]);
    expect(reviewJobs([job('7503h00000009LAAAA', T0, 70)], { history: past.slice(0, 4), users: new Map(), now })[0].signals).to.deep.equal([]);
  });

  it('--since reads spans and days', () => {
    expect(parseSince('12h', T0)).to.equal(T0 - 12 * 3_600_000);
    expect(parseSince('2w', T0)).to.equal(T0 - 14 * DAY);
    expect(parseSince('2026-10-01', T0)).to.equal(Date.parse('2026-10-01T00:00:00Z'));
    expect(parseSince('yesterday', T0)).to.equal(undefined);
  });
});
