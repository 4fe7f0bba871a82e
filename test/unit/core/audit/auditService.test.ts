/*
 * Who may hard-delete, when the org will not say: no such finding (undefined), not a failed audit;
 * an org error still stops it.
 */
import { expect } from 'chai';
import { hardDeleteUsers } from '../../../../src/core/audit/auditService.js';
import type { OrgHttp } from '../../../../src/core/http/orgHttp.js';

const refusing = (status: number): OrgHttp =>
  ({
    dataPath: (p: string) => `/services/data/v62.0${p}`,
    json: () => Promise.reject(Object.assign(new Error(`HTTP ${status}`), { status })),
  }) as unknown as OrgHttp;

describe('hardDeleteUsers', () => {
  it('undefined when the user may not read permission set assignments; an org error is thrown', async () => {
    expect(await hardDeleteUsers(refusing(403), (_w, fn) => fn())).to.equal(undefined);
    let thrown: unknown;
    try {
      await hardDeleteUsers(refusing(503), (_w, fn) => fn());
    } catch (e) {
      thrown = e;
    }
    expect((thrown as { status?: number }).status).to.equal(503);
  });
});
