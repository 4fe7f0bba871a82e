/*
 * An emulated org with Event Monitoring and an integration user whose sessions come through a
 * connected app: the jobs it runs are in the event log files the org publishes a day later.
 */
import { to18 } from '../emulator/ids.js';
import { Emulator, startEmulator } from './emulator.js';

export const SYNC_APP = { id: to18('0H45e000000Emu1'), name: 'Sync Connector' };
export const INT_USER = 'int.sync@bulkops.emu';

export function startEventLogOrg(): Promise<Emulator> {
  return startEmulator({
    seed: {
      settings: { eventMonitoring: true },
      users: [{ username: INT_USER, firstName: 'Int', lastName: 'Sync', connectedAppId: SYNC_APP.id }],
      audit: { asOf: new Date().toISOString().slice(0, 10), connectedApps: [{ ...SYNC_APP, createdDate: '2026-01-05T00:00:00.000Z' }] },
    },
  });
}
