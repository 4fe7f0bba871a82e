/*
 * Who we are in the org: the user that creates jobs (to find our own jobs again after a crash)
 * and the org's ID (to recognise a second load of the same file into the same org).
 */
import { OrgHttp } from '../http/orgHttp.js';

export type Identity = { userId: string; orgId: string; username: string; instanceUrl: string };

export async function fetchIdentity(http: OrgHttp): Promise<Identity> {
  const info = await http.json<{ user_id: string; organization_id: string; preferred_username: string }>({
    method: 'GET',
    path: '/services/oauth2/userinfo',
  });
  return { userId: info.user_id, orgId: info.organization_id, username: info.preferred_username, instanceUrl: http.instanceUrl };
}
