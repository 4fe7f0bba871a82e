/*
 * Whether an org is production: not a sandbox, and no trial end date (scratch and trial orgs have
 * one). When the org cannot say, it counts as production: the stricter warning is the safe side.
 */
import { OrgHttp } from '../http/orgHttp.js';

export async function isProductionOrg(http: OrgHttp): Promise<boolean> {
  const soql = 'SELECT IsSandbox, TrialExpirationDate FROM Organization';
  const result = await http.json<{ records?: Array<{ IsSandbox: boolean; TrialExpirationDate: string | null }> }>({
    method: 'GET',
    path: http.dataPath(`/query?q=${encodeURIComponent(soql)}`),
  });
  const org = result.records?.[0];
  return !org || (!org.IsSandbox && !org.TrialExpirationDate);
}
