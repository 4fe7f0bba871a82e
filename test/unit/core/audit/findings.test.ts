/*
 * The audit's rules on small, hand-made periods: severities, the failing threshold, inactive users
 * and what --fail-on makes of them.
 */
import { expect } from 'chai';
import { audit, atOrAbove, type AuditInput, type AuditJob } from '../../../../src/core/audit/findings.js';
import type { AuditReport } from '../../../../src/core/audit/auditService.js';
import { auditCsv, auditExitCode } from '../../../../src/ux/auditReport.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

function job(over: Partial<AuditJob>): AuditJob {
  return {
    id: '750000000000001AAA',
    api: 'V2Ingest',
    object: 'Account',
    operation: 'insert',
    state: 'JobComplete',
    createdById: '005000000000001AAA',
    createdDate: new Date(NOW - 2 * DAY).toISOString(),
    systemModstamp: new Date(NOW - 2 * DAY + 60_000).toISOString(),
    numberRecordsProcessed: 100,
    numberRecordsFailed: 0,
    from: 'org',
    observedAt: new Date(NOW).toISOString(),
    durationMs: 60_000,
    signals: [],
    ...over,
  };
}

function input(over: Partial<AuditInput>): AuditInput {
  return {
    inventory: { version: 1, reviewed: '2026-11-30', integrations: [{ name: 'erp', owner: { team: 'Finance' }, match: { users: ['erp@x.example'] }, cadence: 'weekly' }] },
    since: NOW - 90 * DAY,
    now: NOW,
    jobs: [],
    lastSeen: new Map([['erp', new Date(NOW - DAY).toISOString()]]),
    asyncApex: [],
    users: new Map(),
    usersByName: new Map(),
    gaps: [],
    ...over,
  };
}

describe('audit findings', () => {
  it('an orphan that hard-deletes is critical; one that queries is high', () => {
    const { findings } = audit(
      input({
        jobs: [job({ username: 'x@x.example', operation: 'hardDelete', object: 'Case' }), job({ id: '750000000000002AAA', username: 'y@x.example', operation: 'query' })],
      })
    );
    expect(findings.map((f) => `${f.severity} ${f.kind} ${f.user}`)).to.deep.equal(['critical orphan x@x.example', 'high orphan y@x.example']);
  });

  it('failing at 5% of records failed even without a failed job; not below', () => {
    const at = (failed: number): string[] =>
      audit(input({ jobs: [job({ integration: 'erp', numberRecordsProcessed: 1000, numberRecordsFailed: failed })] })).findings.map((f) => f.kind);
    expect(at(50)).to.deep.equal(['failing']);
    expect(at(49)).to.deep.equal([]);
  });

  it('an inactive user of an integration, an integration never seen, and an inventory never reviewed', () => {
    const inv = input({}).inventory;
    const { findings } = audit(
      input({
        inventory: { ...inv, reviewed: undefined },
        lastSeen: new Map(),
        usersByName: new Map([['erp@x.example', { id: '005', username: 'erp@x.example', name: 'ERP', isActive: false }]]),
      })
    );
    expect(findings.map((f) => f.kind)).to.deep.equal(['dormant', 'inactive-user', 'stale-inventory']);
    expect(findings[0].message).to.equal('Integration erp runs weekly, but no job of it is known (the history begins 2026-09-02 or later).');
    expect(findings[2].message).to.equal('The inventory has no "reviewed" day: nobody has said it is up to date.');
  });

  it('--fail-on: 68 for a finding at or above the severity; CSV quotes what needs it', () => {
    expect(atOrAbove('critical', 'high')).to.equal(true);
    expect(atOrAbove('medium', 'high')).to.equal(false);
    const { findings } = audit(input({ jobs: [job({ username: 'x@x.example', object: 'Case', operation: 'delete' })] }));
    const report = { findings } as AuditReport;
    expect(auditExitCode(report, 'high')).to.equal(68);
    expect(auditExitCode(report, 'critical')).to.equal(0);
    expect(auditCsv(report).split('\n')[1]).to.match(/^high,orphan,,x@x\.example,,,Case,delete,.*"x@x\.example ran 1 jobs \(delete on Case; 100 records\) from 2026-11-29 to 2026-11-29, and no inventory entry names it \(it deletes: delete\)\.",/);
  });
});
