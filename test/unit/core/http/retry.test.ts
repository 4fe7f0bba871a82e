import { expect } from 'chai';
import { OrgApiError, OrgNetworkError, parseRetryAfter } from '../../../../src/core/http/orgHttp.js';
import { type RetryPolicy, retryDelay, withRetry } from '../../../../src/core/http/retry.js';
import { retrySettings } from '../../../../src/core/org/connection.js';

const limit = (retryAfter?: number): OrgApiError => new OrgApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.', 'GET', '/x', retryAfter);
const half = (): number => 0.5; // no jitter: the back-off is exactly base * 2^n

describe('Retry-After', () => {
  const now = Date.parse('2026-11-28T10:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('120', now)).to.equal(120_000);
    expect(parseRetryAfter(' 0 ', now)).to.equal(0);
    expect(parseRetryAfter('Sat, 28 Nov 2026 10:00:30 GMT', now)).to.equal(30_000);
  });

  it('is nothing when absent or unreadable, and 0 for a date already past', () => {
    expect(parseRetryAfter(null, now)).to.equal(undefined);
    expect(parseRetryAfter('', now)).to.equal(undefined);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
    expect(parseRetryAfter('-5', now)).to.equal(undefined);
    expect(parseRetryAfter('Sat, 28 Nov 2026 09:59:00 GMT', now)).to.equal(0);
  });
});

describe('retry policy', () => {
  const policy: RetryPolicy = { attempts: 10, baseMs: 100, maxMs: 1000, budgetMs: 60_000 };

  it('backs off exponentially up to the longest wait', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(policy, n, limit(), 0, half))).to.deep.equal([100, 200, 400, 800, 1000, 1000]);
  });

  it('waits what Retry-After asks, beyond the longest back-off, or the back-off when that is longer', () => {
    expect(retryDelay(policy, 1, limit(20_000), 0, half)).to.equal(20_000);
    expect(retryDelay(policy, 4, limit(0), 0, half)).to.equal(800);
  });

  it('never waits past the budget, and gives up once it is spent or the attempts are', () => {
    expect(retryDelay(policy, 1, limit(120_000), 0, half)).to.equal(60_000);
    expect(retryDelay(policy, 1, limit(120_000), 50_000, half)).to.equal(10_000);
    expect(retryDelay(policy, 3, limit(), 59_950, half)).to.equal(50);
    expect(retryDelay(policy, 1, limit(), 60_000, half)).to.equal(undefined);
    expect(retryDelay(policy, 10, limit(), 0, half)).to.equal(undefined);
  });

  it('withRetry keeps retrying on the budget, not only the attempts, and stops at it', async () => {
    let clock = 0;
    let calls = 0;
    const waits: number[] = [];
    const err = await withRetry(
      () => {
        calls++;
        return Promise.reject(new OrgNetworkError('nothing from the org for 120 s', 'GET', '/x', 'ETIMEDOUT'));
      },
      {
        now: () => clock,
        sleep: (ms) => {
          waits.push(ms);
          clock += ms;
          return Promise.resolve();
        },
      },
      { attempts: 1000, baseMs: 1000, maxMs: 30_000, budgetMs: 5 * 60_000 }
    ).catch((e: Error) => e);
    expect(err).to.be.instanceOf(OrgNetworkError);
    expect(clock, 'waited the whole budget, no more').to.equal(5 * 60_000);
    expect(calls).to.equal(waits.length + 1);
    expect(Math.max(...waits), 'the longest back-off, give or take its jitter').to.be.at.most(30_000 * 1.25);
  });

  it('takes the budget from --retry-minutes, else SF_BULKOPS_RETRY_MINUTES, else 5 minutes', () => {
    expect(retrySettings({}).budgetMs).to.equal(5 * 60_000);
    expect(retrySettings({ SF_BULKOPS_RETRY_MINUTES: '20' }).budgetMs).to.equal(20 * 60_000);
    expect(retrySettings({ SF_BULKOPS_RETRY_MINUTES: '20' }, 2).budgetMs).to.equal(2 * 60_000);
    expect(retrySettings({ SF_BULKOPS_RETRY_MINUTES: 'x', SF_BULKOPS_RETRY_MS: '10' })).to.include({ budgetMs: 5 * 60_000, baseMs: 10 });
  });
});
