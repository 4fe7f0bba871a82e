import { expect } from 'chai';
import { deliver, type Post, type WebhookAnswer } from '../../../../src/core/monitor/delivery.js';

const URL = 'https://hooks.slack.com/services/T1/B1/secret-token-xyz';

/** A webhook that gives these answers in turn (an Error stands for a network failure); the waits asked for are recorded. */
function scripted(...answers: Array<WebhookAnswer | Error>): { post: Post; calls: number; waits: number[]; sleep: (ms: number) => Promise<void> } {
  const s = {
    calls: 0,
    waits: [] as number[],
    post: (): Promise<WebhookAnswer> => {
      const a = answers[Math.min(s.calls++, answers.length - 1)];
      return a instanceof Error ? Promise.reject(a) : Promise.resolve(a);
    },
    sleep: (ms: number): Promise<void> => {
      s.waits.push(ms);
      return Promise.resolve();
    },
  };
  return s;
}

describe('webhook delivery', () => {
  it('400 invalid_payload is not retried, and the reason holds no URL', async () => {
    const s = scripted({ status: 400, body: 'invalid_payload' });
    const d = await deliver(URL, '{}', s);
    expect(d).to.deep.equal({ delivered: false, attempts: 1, status: 400, reason: 'HTTP 400 invalid_payload' });
    expect(s.calls).to.equal(1);
  });

  it('410 channel_is_archived: not retried, the webhook must be set up again', async () => {
    const d = await deliver(URL, '{}', scripted({ status: 410, body: 'channel_is_archived' }));
    expect(d).to.include({ delivered: false, reconfigure: true });
  });

  it('429 waits out Retry-After in full, then delivers', async () => {
    const s = scripted({ status: 429, body: 'rate_limited', retryAfter: '30' }, { status: 200, body: 'ok' });
    const d = await deliver(URL, '{}', s);
    expect(d).to.deep.equal({ delivered: true, attempts: 2, status: 200 });
    expect(s.waits).to.have.length(1);
    expect(s.waits[0]).to.be.at.least(30_000);
  });

  it('a Retry-After longer than the time left is not cut short: the alert waits for the next run', async () => {
    const s = scripted({ status: 429, body: 'rate_limited', retryAfter: '3600' });
    const d = await deliver(URL, '{}', s, { attempts: 5, baseMs: 10, maxMs: 100, budgetMs: 60_000 });
    expect(d).to.include({ delivered: false, attempts: 1, status: 429 });
    expect(s.waits).to.deep.equal([]);
  });

  it('network failures back off exponentially, up to the attempts; the reason is the error code, not the URL', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED', message: `connect ECONNREFUSED ${URL}` } });
    const s = scripted(refused);
    const d = await deliver(URL, '{}', s, { attempts: 4, baseMs: 100, maxMs: 10_000 });
    expect(d).to.deep.equal({ delivered: false, attempts: 4, reason: 'network error ECONNREFUSED' });
    expect(s.waits).to.have.length(3);
    expect(s.waits[2]).to.be.greaterThan(s.waits[0]);
  });

  it('a body that is not a short error word is left out of the reason', async () => {
    const d = await deliver(URL, '{}', scripted({ status: 403, body: `<html>forbidden ${URL}</html>` }));
    expect(d.reason).to.equal('HTTP 403');
  });
});
