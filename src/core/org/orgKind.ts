/*
 * Whether an org is production: not a sandbox, and no trial end date (scratch and trial orgs have
 * one). When the org cannot say, it counts as production: the stricter warning is the safe side.
 */
import type { Connection } from '@salesforce/core';

export async function isProductionOrg(conn: Connection): Promise<boolean> {
  const result = await conn.query<{ IsSandbox: boolean; TrialExpirationDate: string | null }>('SELECT IsSandbox, TrialExpirationDate FROM Organization');
  const org = result.records[0];
  return !org || (!org.IsSandbox && !org.TrialExpirationDate);
}
