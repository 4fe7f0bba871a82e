/*
 * The drill's org: an emulator with Event Monitoring, the integration users (each through its own
 * connected app), a skewed parent Account, and the simulated calendar the drill moves along.
 */
import { to18 } from '../emulator/ids.js';
import { Emulator, startEmulator } from '../helpers/emulator.js';
import { call } from '../helpers/api.js';

export const DAY = 86_400_000;
export const HOUR = 3_600_000;

export type Source = { key: string; username: string; app: { id: string; name: string } };

/** Every source of bulk jobs in the drill's org. */
export const SOURCES = {
  crm: { key: 'crm-sync', username: 'int.crm@drill.emu', app: { id: to18('0H45e000000Drl1'), name: 'CRM Connector' } },
  erp: { key: 'erp-feed', username: 'int.erp@drill.emu', app: { id: to18('0H45e000000Drl2'), name: 'ERP Connector' } },
  legacy: { key: 'legacy-export', username: 'int.legacy@drill.emu', app: { id: to18('0H45e000000Drl3'), name: 'Legacy ETL' } },
  marketing: { key: 'marketing-sync', username: 'int.mkt@drill.emu', app: { id: to18('0H45e000000Drl4'), name: 'Marketing Connect' } },
} satisfies Record<string, Source>;

export const ADMIN = 'admin@bulkops.emu';

export type DrillOrg = { emu: Emulator; day0: number; skewedParent: string };

export async function startDrillOrg(): Promise<DrillOrg> {
  const sources = Object.values(SOURCES);
  const emu = await startEmulator({
    seed: {
      settings: { eventMonitoring: true },
      users: [
        { username: ADMIN, firstName: 'Ada', lastName: 'Admin', hardDelete: true, manageDataIntegrations: true },
        ...sources.map((s) => ({ username: s.username, firstName: 'Int', lastName: s.key, connectedAppId: s.app.id, hardDelete: s === SOURCES.crm })),
      ],
      audit: { asOf: new Date().toISOString().slice(0, 10), connectedApps: sources.map((s) => ({ ...s.app, createdDate: '2026-01-05T00:00:00.000Z' })) },
    },
  });
  const [skewedParent] = emu.insertRecords('Account', [{ Name: 'Skewed Parent Holdings' }]);
  // Day 0 starts at the next midnight of the org's clock.
  const day0 = Math.floor(emu.clock.now() / DAY + 1) * DAY;
  return { emu, day0, skewedParent };
}

/** Moves the org's clock to `hour` (fractional) of simulated day `day` (never backwards). */
export function moveTo(org: DrillOrg, day: number, hour: number): void {
  const target = org.day0 + day * DAY + hour * HOUR;
  const now = org.emu.clock.now();
  if (target > now) org.emu.clock.advance(target - now);
}

const FINISHED = new Set(['JobComplete', 'Failed', 'Aborted']);

/** A Bulk API 2.0 ingest job sent as another tool would (raw calls, no plugin); resolves with its Id once finished. */
export async function rawJob(emu: Emulator, username: string, spec: { object: string; operation: string; csv: string; externalIdFieldName?: string }): Promise<{ id: string; state: string }> {
  const token = emu.tokenFor(username);
  const base = '/services/data/v66.0/jobs/ingest';
  const created = await call(emu, 'POST', base, {
    token,
    body: JSON.stringify({ object: spec.object, operation: spec.operation, contentType: 'CSV', lineEnding: 'LF', ...(spec.externalIdFieldName ? { externalIdFieldName: spec.externalIdFieldName } : {}) }),
    contentType: 'application/json',
  });
  const id = (created.json as { id?: string })?.id;
  if (!id) throw new Error(`raw job not created: ${created.status} ${created.text}`);
  await call(emu, 'PUT', `${base}/${id}/batches`, { token, body: spec.csv, contentType: 'text/csv' });
  await call(emu, 'PATCH', `${base}/${id}`, { token, body: JSON.stringify({ state: 'UploadComplete' }), contentType: 'application/json' });
  return { id, state: await finished(emu, token, id) };
}

/** Polls a job (at real time, while the org's clock runs fast through its processing) until it is finished. */
export async function finished(emu: Emulator, token: string, id: string): Promise<string> {
  for (let i = 0; i < 3000; i++) {
    // eslint-disable-next-line no-await-in-loop -- one poll after another, as a client does
    const r = await call(emu, 'GET', `/services/data/v66.0/jobs/ingest/${id}`, { token });
    const state = (r.json as { state: string }).state;
    if (FINISHED.has(state)) return state;
    // eslint-disable-next-line no-await-in-loop
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`job ${id} did not finish`);
}

/** Records of an object in the org whose field starts with a prefix. */
export function recordsWith(emu: Emulator, object: string, field: string, prefix: string): Array<Record<string, unknown>> {
  return [...emu.store.all(object)].filter((r) => String(r[field] ?? '').startsWith(prefix));
}
