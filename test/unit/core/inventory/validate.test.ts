import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { checkInventoryFile, checkInventoryText, InventoryFileError } from '../../../../src/core/inventory/validate.js';
import { inventoryJsonSchema } from '../../../../src/core/inventory/schema.js';
import { PROJECT_ROOT } from '../../../helpers/sf.js';

const EXAMPLE = join(PROJECT_ROOT, 'test', 'fixtures', 'inventory', 'example.yaml');
const BROKEN = join(PROJECT_ROOT, 'test', 'fixtures', 'inventory', 'broken.yaml');

describe('inventory validation', () => {
  it('the example inventory (the format sketch) is valid, its field names kept', () => {
    const check = checkInventoryFile(EXAMPLE);
    expect(check.problems).to.deep.equal([]);
    expect(check.inventory?.integrations.map((i) => i.name)).to.deep.equal(['erp-nightly-accounts', 'marketing-lead-import', 'data-retention-purge', 'legacy-billing-sync']);
    expect(check.inventory?.integrations[0].match).to.deep.equal({ users: ['integration.erp@example.com.prod'], connectedApps: ['ERP Connector'], clients: ['erp-sync/4.2'] });
    expect(check.inventory?.exceptions?.[0]).to.deep.include({ reason: 'Admins run ad-hoc loads with sf bulkops load; reviewed monthly.', until: '2027-01-31' });
    expect(check.inventory?.reviewed).to.equal('2026-10-01');
  });

  it('reports every problem of a broken file with its line, column and path', () => {
    const check = checkInventoryFile(BROKEN);
    expect(check.inventory).to.equal(undefined);
    expect(check.problems.map((p) => [p.line, p.path, p.message])).to.deep.equal([
      [4, 'reviewed', 'must be a day written YYYY-MM-DD, not "2026-13-01".'],
      [7, 'integrations[0].owner.contacts', 'unknown field "contacts" (did you mean "contact"?).'],
      [9, 'integrations[0].match', 'needs at least one of users, connectedApps or clients: without them no job can be attributed to it.'],
      [11, 'integrations[0].allowed[0].operations[1]', 'must be one of insert, update, upsert, delete, hardDelete, query, queryAll, not "merge".'],
      [13, 'integrations[0].cadence', 'must be one of hourly, daily, weekly, monthly, quarterly, yearly, on-demand, not "nightly".'],
      [14, 'integrations[1].cadence', 'required, but missing.'],
      [15, 'integrations[1].match.users', 'must be a list, not string "svc@example.com".'],
      [18, 'exceptions[0].reason', 'required, but missing.'],
    ]);
  });

  it('a YAML syntax error is reported at its line, and nothing else is checked', () => {
    const { problems } = checkInventoryText('version: 1\nintegrations:\n  - name: a\n    match: { users: [x]\n    cadence: daily\n');
    expect(problems).to.have.length.greaterThan(0);
    expect(problems[0].line).to.be.within(4, 6);
    expect(problems[0].path).to.equal('');
  });

  it('names must be unique and a source may belong to one integration only', () => {
    const text = [
      'version: 1',
      'integrations:',
      '  - { name: erp, match: { users: [int.erp@x.com] }, cadence: daily }',
      '  - name: ERP',
      '    match: { users: [INT.ERP@x.com], clients: [c1] }',
      '    cadence: weekly',
      '',
    ].join('\n');
    expect(checkInventoryText(text).problems.map((p) => [p.line, p.path, p.message])).to.deep.equal([
      [4, 'integrations[1].name', 'integration name "ERP" is used again (first at line 3): names must be unique.'],
      [5, 'integrations[1].match.users[0]', 'users "INT.ERP@x.com" is also matched by integration "erp": a job from it could not be attributed to one integration.'],
    ]);
  });

  it('an empty file or a wrong version says what an inventory needs', () => {
    expect(checkInventoryText('').problems[0].message).to.match(/needs at least "version: 1"/);
    const v2 = checkInventoryText('version: 2\nintegrations: []\n').problems;
    expect(v2).to.deep.equal([{ line: 1, column: 1, path: 'version', message: 'must be 1 (the only inventory version so far).' }]);
  });

  it('a missing file is an error that says how to draft one', () => {
    expect(() => checkInventoryFile('/nonexistent/inv.yaml')).to.throw(InventoryFileError, 'Inventory file /nonexistent/inv.yaml does not exist.');
  });

  it('the committed JSON schema for editors is the one the core rules generate', () => {
    const committed = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'inventory', 'bulkops-inventory.schema.json'), 'utf8')) as unknown;
    expect(committed).to.deep.equal(inventoryJsonSchema());
  });
});
