/*
 * Adapts an @salesforce/core Connection (the org the user chose with --target-org) to the session
 * our HTTP layer needs: its instance, API version, token, and the refresh the org's auth allows.
 */
import type { Connection } from '@salesforce/core';
import { SessionProvider } from './orgHttp.js';

export function sessionOf(conn: Connection): SessionProvider {
  return {
    instanceUrl: conn.instanceUrl,
    apiVersion: conn.getApiVersion(),
    accessToken: () => conn.accessToken ?? '',
    refresh: async (): Promise<void> => {
      // A request that gets 401 makes jsforce run the refresh-token grant and store the new token.
      await conn.refreshAuth();
    },
    // A login by access token keeps no refresh token nor JWT key: nothing can get it a new token.
    canRefresh: (): boolean => {
      const fields = conn.getAuthInfoFields();
      return Boolean(fields.refreshToken ?? fields.privateKey);
    },
  };
}
