import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MonitorStore, REPORTED_KEEP_DAYS } from '../../../../src/core/monitor/state.js';
import { syncWatch } from '../../../../src/core/io/durable.js';

const DAY = 86_400_000;

describe('monitor state', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-monitor-state-'));
  });
  afterEach(() => {
    syncWatch.onSync = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('is written aside and fsynced, then renamed and the folder fsynced: a crash mid-write leaves the old state', () => {
    const store = new MonitorStore(dir);
    const now = Date.parse('2026-12-01T00:00:00Z');
    store.write({ version: 1, lastCheck: '2026-11-30T00:00:00.000Z', reported: { 'failed:7505e00000B0001': '2026-11-30T00:00:00.000Z' }, pending: {} }, now);
    const synced: string[] = [];
    syncWatch.onSync = (p): void => {
      synced.push(p);
    };
    store.write({ version: 1, lastCheck: '2026-12-01T00:00:00.000Z', reported: {}, pending: {} }, now);
    expect(synced).to.have.length(2);
    expect(synced[0]).to.match(/monitor-state\.json\.tmp-\d+$/);
    expect(synced[1]).to.equal(dir);
    expect(readdirSync(dir)).to.deep.equal(['monitor-state.json']);

    // A crash while the next state was being written aside: the file read is the last whole one.
    writeFileSync(`${store.file}.tmp-999999`, '{"version":1,"lastCheck":"20');
    expect(store.read().lastCheck).to.equal('2026-12-01T00:00:00.000Z');
  });

  it('forgets reported keys after REPORTED_KEEP_DAYS, and keeps no empty pending list', () => {
    const store = new MonitorStore(dir);
    const now = Date.parse('2026-12-01T00:00:00Z');
    const old = new Date(now - (REPORTED_KEEP_DAYS + 1) * DAY).toISOString();
    const recent = new Date(now - DAY).toISOString();
    store.write({ version: 1, reported: { 'failed:A': old, 'failed:B': recent }, pending: { slack: [], webhook: [] } }, now);
    expect(store.read()).to.deep.equal({ version: 1, lastCheck: undefined, reported: { 'failed:B': recent }, pending: {} });
  });
});
