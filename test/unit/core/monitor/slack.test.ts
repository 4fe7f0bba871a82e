import { expect } from 'chai';
import { MAX_BLOCKS_CHARS, slackDigest } from '../../../../src/core/monitor/slack.js';
import type { Problem } from '../../../../src/core/monitor/problems.js';

const ctx = { orgId: '00D000000000001', org: 'ops@example.com', since: '2026-12-01T00:00:00.000Z', until: '2026-12-02T00:00:00.000Z', bin: 'sf' };

function problem(i: number, error = 'INVALID_EMAIL_ADDRESS: Email: invalid email address: x@'): Problem {
  const id = `7505e00000A${String(i).padStart(4, '0')}AAA`;
  return {
    key: `failed:${id.slice(0, 15)}`,
    kind: 'failed',
    jobId: id,
    api: 'V2Ingest',
    object: 'Contact',
    operation: 'upsert',
    state: 'Failed',
    user: 'int.erp@example.com',
    integration: 'erp',
    createdDate: '2026-12-01T02:00:00.000Z',
    processed: 100,
    failed: 100,
    firstError: error,
    message: `Bulk job ${id.slice(0, 15)} (upsert on Contact) by int.erp@example.com failed: ${error}`,
    action: `Reconcile it: sf bulkops reconcile --job-id ${id} --target-org ops@example.com`,
  };
}

describe('Slack digest', () => {
  it('one problem: what failed, object, operation, counts, user, integration, first error and the command, in one section', () => {
    const m = slackDigest([problem(1)], ctx);
    expect(m.text).to.equal('bulkops monitor: 1 problem in org ops@example.com (00D000000000001): 1 failed');
    const section = m.blocks.find((b) => b.text?.text.includes('7505e00000A0001AAA'))!.text!.text;
    for (const part of ['*Failed*', 'upsert Contact', 'User: int.erp@example.com', 'Integration: erp', 'Records: 100 processed, 100 failed', 'First error: INVALID_EMAIL_ADDRESS', '`Reconcile it: sf bulkops reconcile --job-id 7505e00000A0001AAA --target-org ops@example.com`']) {
      expect(section).to.include(part);
    }
    expect(m.blocks.at(-1)!.text!.text).to.include('sf bulkops jobs --target-org ops@example.com --review-only');
  });

  it('many problems stay one message within Slack limits: N of M shown, the action kept', () => {
    const long = 'x'.repeat(5000);
    const m = slackDigest(
      Array.from({ length: 300 }, (_, i) => problem(i, long)),
      ctx
    );
    expect(m.blocks.length).to.be.at.most(50);
    for (const b of m.blocks) expect(b.text?.text.length ?? 0).to.be.at.most(3000);
    const total = m.blocks.reduce((n, b) => n + (b.text?.text.length ?? 0) + (b.elements ?? []).reduce((k, e) => k + e.text.length, 0), 0);
    expect(total).to.be.at.most(MAX_BLOCKS_CHARS);
    const shown = m.blocks.filter((b) => b.text?.text.startsWith('*Failed*')).length;
    expect(shown).to.be.greaterThan(0);
    expect(m.blocks.some((b) => b.elements?.[0].text === `${shown} of 300 shown`)).to.equal(true);
    expect(m.blocks.at(-1)!.text!.text).to.include('--review-only');
    expect(m.text).to.include('300 problems');
  });

  it('escapes what Slack reads as markup', () => {
    const m = slackDigest([problem(2, 'bad value <script> & more')], ctx);
    const text = m.blocks.map((b) => b.text?.text ?? '').join('\n');
    expect(text).to.include('bad value &lt;script&gt; &amp; more');
    expect(text).to.not.include('<script>');
  });
});
