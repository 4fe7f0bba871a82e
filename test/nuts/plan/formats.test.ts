/*
 * Mapping and formats through the real sf: a Data Loader .sdl mapping read as it is, and a file of
 * dd/MM/yyyy HH:mm date-times in Europe/Paris across both daylight saving changes of 2026, with
 * decimal commas: each cell reaches the org in Salesforce's form, the right instant in UTC. A date
 * that cannot be (31 February) and a time the clocks skipped are rejected with their line and
 * column, and never sent.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Emulator } from '../../helpers/emulator.js';
import { type LinkedSf, sfOnEmulator } from '../../helpers/sfOnEmulator.js';
import type { SfHome } from '../../helpers/sf.js';
import { readCsv } from '../../helpers/csv.js';

const MEETING_SEED = {
  objects: [
    {
      name: 'Meeting__c',
      label: 'Meeting',
      fields: [
        { name: 'Subject__c', type: 'string', length: 80, nillable: false },
        { name: 'Starts_At__c', type: 'datetime' },
        { name: 'Day__c', type: 'date' },
        { name: 'Fee__c', type: 'currency' },
        { name: 'City__c', type: 'string', length: 40 },
      ],
    },
  ],
};

type LoadJson = { rows: number; successful: number; rejected: number; processed: number; files: { rejected: string; success: string } };

describe('sf bulkops load --mapping (.sdl) with date-time formats in a time zone', function () {
  this.timeout(300_000);
  let emu: Emulator;
  let sf: SfHome;
  let linked: LinkedSf;

  before(async () => {
    linked = await sfOnEmulator({ seed: MEETING_SEED as never });
    ({ emu, sf } = linked);
  });

  after(() => linked.stop());

  it('converts each cell while streaming, across the DST changes, and rejects an impossible date with its line and column', async () => {
    const file = join(sf.home, 'meetings.csv');
    writeFileSync(
      file,
      [
        'Sujet;Début;Jour;Montant;Notes',
        'Avant;28/03/2026 12:00;28/03/2026;1.234,56;x',
        'Après;29/03/2026 03:30;29/03/2026;10,5;x',
        'Sautée;29/03/2026 02:30;29/03/2026;1;x',
        'Double;25/10/2026 02:30;25/10/2026;2;x',
        'Hiver;26/10/2026 09:15;26/10/2026;3;x',
        'Impossible;31/02/2026 10:00;31/02/2026;4;x',
        '',
      ].join('\n')
    );
    const sdl = join(sf.home, 'meetings.sdl');
    writeFileSync(sdl, '#Mapping values\n#Mon Dec 07 10:00:00 CET 2026\nSujet=Name, Subject__c\nD\\u00e9but=Starts_At__c\nJour=Day__c\nMontant=Fee__c\nNotes=\n"Paris"=City__c\n'.replace('D\\u00e9but', 'Début'));
    const r = await sf.run([
      'bulkops', 'load', '--sobject', 'Meeting__c', '--file', file, '--mapping', sdl,
      '--datetime-format', 'dd/MM/yyyy HH:mm', '--date-format', 'dd/MM/yyyy', '--time-zone', 'Europe/Paris', '--decimal-separator', ',',
      '--target-org', 'emu', '--results-dir', join(sf.home, 'out'), '--json',
    ]);
    expect(r.code, r.stderr + r.stdout).to.equal(68);
    const result = r.json?.result as LoadJson;
    expect(result).to.include({ rows: 6, successful: 4, rejected: 2, processed: 4 });
    const inOrg = [...emu.store.all('Meeting__c')].map((m) => [m.Subject__c, m.Starts_At__c, m.Day__c, m.Fee__c, m.City__c]);
    expect(inOrg.map((x) => x.map(String))).to.deep.equal([
      ['Avant', '2026-03-28T11:00:00.000+0000', '2026-03-28', '1234.56', 'Paris'],
      ['Après', '2026-03-29T01:30:00.000+0000', '2026-03-29', '10.5', 'Paris'],
      ['Double', '2026-10-25T00:30:00.000+0000', '2026-10-25', '2', 'Paris'],
      ['Hiver', '2026-10-26T08:15:00.000+0000', '2026-10-26', '3', 'Paris'],
    ]);
    const rejected = readCsv(result.files.rejected);
    expect(rejected.map((x) => [x.sf__Line, x.sf__Reason])).to.deep.equal([
      ['4', 'column Début: "29/03/2026 02:30" is a time that does not exist in Europe/Paris (the clocks skipped it at a daylight saving change)'],
      ['7', 'column Début: "31/02/2026 10:00" is not a date-time in the form dd/MM/yyyy HH:mm'],
    ]);
  });

  it('sf bulkops plan validate names each problem of a plan file with its line and column (exit 1), and a valid one exits 0', async () => {
    const dir = sf.home;
    writeFileSync(join(dir, 'a.csv'), 'Name\nx\n');
    const bad = join(dir, 'bad-plan.yaml');
    writeFileSync(bad, 'steps:\n  - object: Account\n    operation: upsert\n    file: a.csv\n    timeZon: Europe/Paris\n');
    const r = await sf.run(['bulkops', 'plan', 'validate', '--plan', bad, '--json']);
    expect(r.code, r.stdout).to.equal(1);
    expect(r.json?.name).to.equal('PlanFileError');
    expect(r.json?.message).to.include(`${bad}:5:5 steps[0].timeZon: unknown key "timeZon"; did you mean "timeZone"?`);
    // The keys right, what ties them together is checked: an upsert needs its external ID.
    writeFileSync(bad, 'steps:\n  - object: Account\n    operation: upsert\n    file: a.csv\n    timeZone: Europe/Paris\n');
    const again = await sf.run(['bulkops', 'plan', 'validate', '--plan', bad, '--json']);
    expect(again.code, again.stdout).to.equal(1);
    expect(again.json?.message).to.include(`${bad}:3:5 steps[0].operation: an upsert step needs "externalId"`);
    const good = join(dir, 'good-plan.yaml');
    writeFileSync(good, 'steps:\n  - object: Account\n    operation: insert\n    file: a.csv\n    dateFormat: dd/MM/yyyy\n');
    const ok = await sf.run(['bulkops', 'plan', 'validate', '--plan', good, '--json']);
    expect(ok.code, ok.stdout).to.equal(0);
    expect(ok.json?.result).to.deep.include({ valid: true });
  });
});
