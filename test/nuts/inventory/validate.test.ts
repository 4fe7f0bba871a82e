/*
 * `sf bulkops inventory validate` through the real `sf` binary (plugin linked): what a user sees for
 * a valid and a broken file, the exit codes and the JSON shape.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { PROJECT_ROOT, SfHome } from '../../helpers/sf.js';
import { schemaErrors } from '../../helpers/schema.js';

const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures', 'inventory');

describe('sf bulkops inventory validate (through the real sf binary)', function () {
  this.timeout(180_000);
  let sf: SfHome;

  before(async () => {
    sf = new SfHome();
    await sf.linkPlugin();
  });

  after(() => sf.dispose());

  it('the example inventory validates (exit 0)', async () => {
    const r = await sf.run(['bulkops', 'inventory', 'validate', '--file', join(FIXTURES, 'example.yaml')]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('is a valid inventory: 4 integrations, 1 exceptions.');
    const j = await sf.run(['bulkops', 'inventory', 'validate', '--file', join(FIXTURES, 'example.yaml'), '--json']);
    expect(j.json?.status).to.equal(0);
    expect(schemaErrors('bulkops-inventory-validate.json', j.json?.result)).to.deep.equal([]);
    expect(j.json?.result).to.include({ valid: true, integrations: 4, exceptions: 1 });
  });

  it('a broken file: every problem as FILE:LINE:COLUMN with its path, exit 1, and the same in JSON', async () => {
    const r = await sf.run(['bulkops', 'inventory', 'validate', '--file', 'broken.yaml'], { cwd: FIXTURES });
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('broken.yaml:7:29  integrations[0].owner.contacts: unknown field "contacts" (did you mean "contact"?).');
    expect(r.stdout).to.include('broken.yaml:13:5  integrations[0].cadence: must be one of hourly, daily, weekly, monthly, quarterly, yearly, on-demand, not "nightly".');
    expect(r.stdout.trim().split('\n')).to.have.length(8);
    expect(r.stderr).to.include('broken.yaml has 8 problems.');
    const j = await sf.run(['bulkops', 'inventory', 'validate', '--file', 'broken.yaml', '--json'], { cwd: FIXTURES });
    expect(j.code).to.equal(1);
    expect(j.json?.status).to.equal(1);
    const result = j.json?.result as { valid: boolean; problems: Array<{ line: number; path: string }> };
    expect(schemaErrors('bulkops-inventory-validate.json', result)).to.deep.equal([]);
    expect(result.valid).to.equal(false);
    expect(result.problems.map((p) => p.line)).to.deep.equal([4, 7, 9, 11, 13, 14, 15, 18]);
  });

  it('a missing file says so and how to draft one', async () => {
    const r = await sf.run(['bulkops', 'inventory', 'validate', '--file', 'nope.yaml', '--json']);
    expect(r.code).to.equal(1);
    expect(r.json).to.include({ name: 'InventoryFileError' });
    expect(r.json?.message).to.match(/nope\.yaml does not exist/);
  });
});
