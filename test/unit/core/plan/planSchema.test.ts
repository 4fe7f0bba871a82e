/*
 * The plan file's JSON schema in schemas/plan/ is the one the core's rules make (npm run snapshots
 * writes it), and a plan with every key the README shows passes both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { planJsonSchema } from '../../../../src/core/plan/schema.js';
import { checkPlanText } from '../../../../src/core/plan/planFile.js';
import { PROJECT_ROOT } from '../../../helpers/sf.js';

describe('the load plan schema', () => {
  it('in schemas/plan/ is the one the core checks with', () => {
    const onDisk = JSON.parse(readFileSync(join(PROJECT_ROOT, 'schemas', 'plan', 'bulkops-plan.schema.json'), 'utf8')) as unknown;
    expect(onDisk).to.deep.equal(planJsonSchema());
  });

  it("takes the README's plan example (only its files are not here)", () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('#### Load plans'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1];
    const { problems } = checkPlanText(yaml, join(PROJECT_ROOT, 'no-such-folder'));
    expect(problems.map((p) => p.path)).to.deep.equal(['steps[0].file', 'steps[1].file', 'steps[2].file']);
    expect(problems.every((p) => p.message.endsWith('does not exist.'))).to.equal(true);
  });

  it('takes mapping, formats and concurrency per step, and names a bad decimal separator with its line', () => {
    const text = [
      'steps:',
      '  - object: Account',
      '    operation: upsert',
      '    externalId: External_Id__c',
      '    file: package.json',
      '    mapping: { columns: { Nom: Name }, constants: { Type: Customer }, ignore: [Notes], formats: { Since__c: { date: dd/MM/yyyy } } }',
      '    timeZone: Europe/Paris',
      '    decimalSeparator: ";"',
      '',
    ].join('\n');
    const { problems } = checkPlanText(text, PROJECT_ROOT);
    expect(problems.map((p) => [p.line, p.path])).to.deep.equal([[8, 'steps[0].decimalSeparator']]);
    expect(checkPlanText(text.replace('";"', '","'), PROJECT_ROOT).problems).to.deep.equal([]);
  });
});
