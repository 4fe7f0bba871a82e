/*
 * The org's clock. The windows that jobs, monitor, audit and inventory init measure (--since, an
 * audit's period, a job open for too long) are spans of the org's time: the org stamps every job's
 * CreatedDate and SystemModstamp with its own clock. A runner whose clock is off by hours (a CI
 * container, a laptop woken from sleep) would otherwise look at the wrong hours and miss or double
 * count jobs. Every answer carries the server's time in its Date header (RFC 9110, section 6.6.1:
 * Date), read here from one small GET of the API's resources (REST API Developer Guide: Resources by
 * Version).
 */
import { OrgHttp } from './orgHttp.js';
import type { Retrier } from './retry.js';

export type OrgTime = {
  /** the org's time now, in ms since the epoch */
  now: number;
  /** the org's clock minus this machine's, in ms (positive: the runner is behind the org) */
  offsetMs: number;
  /** 'local' when the answer had no readable Date header: this machine's clock is used */
  source: 'org' | 'local';
};

/**
 * The org's time now. The Date header has whole seconds: the middle of that second, at the middle
 * of the request's round trip, is taken, within a second of the org's clock, which is finer than
 * any window the commands measure.
 */
export async function orgNow(http: OrgHttp, retry: Retrier, localNow: () => number = Date.now): Promise<OrgTime> {
  const sent = localNow();
  const date = await retry('read the org\'s time', async () => {
    const answer = await http.stream({ method: 'GET', path: http.dataPath('/') });
    answer.body.resume();
    return answer.headers.get('date');
  });
  const received = localNow();
  const org = date ? Date.parse(date) : NaN;
  if (Number.isNaN(org)) return { now: received, offsetMs: 0, source: 'local' };
  const offsetMs = org + 500 - (sent + received) / 2;
  return { now: received + offsetMs, offsetMs, source: 'org' };
}
