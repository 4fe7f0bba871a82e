/*
 * The row transform of the split path: a mapping's renames, several fields from one column,
 * constants, ignored columns, blanks as #N/A, decimal commas, and the reason of a cell that does
 * not convert (its column, value and the form expected).
 */
import { expect } from 'chai';
import { RowTransform } from '../../../../src/core/load/transform.js';
import type { FieldDescribe } from '../../../../src/core/preflight/describe.js';

const fields = [
  { name: 'Name', type: 'string' },
  { name: 'Amount', type: 'currency' },
  { name: 'CloseDate', type: 'date' },
  { name: 'Description', type: 'textarea' },
] as unknown as FieldDescribe[];

describe('the row transform', () => {
  it('maps, adds constants, leaves columns out, sends blanks as #N/A and converts cells', () => {
    const t = RowTransform.create(
      { mapping: { columns: { Nom: ['Name', 'Description'], Montant: 'Amount', Date: 'CloseDate' }, ignore: ['Notes'], constants: { StageName: 'Prospecting' } }, formats: { dateFormat: 'dd/MM/yyyy', decimalSeparator: ',', blankAsNull: true } },
      ['Nom', 'Montant', 'Notes', 'Date'],
      fields,
      'x.csv',
      1
    );
    expect(t.header).to.deep.equal(['Name', 'Description', 'Amount', 'CloseDate', 'StageName']);
    const row: { line: number; fields: string[]; convertError?: string } = { line: 2, fields: ['Acme', '1.234,5', 'n', ''] };
    t.apply(row);
    expect(row.fields).to.deep.equal(['Acme', 'Acme', '1234.5', '#N/A', 'Prospecting']);
    expect(row.convertError).to.equal(undefined);
    const bad: { line: number; fields: string[]; convertError?: string } = { line: 3, fields: ['B', '1', 'n', '30/02/2026'] };
    t.apply(bad);
    expect(bad.convertError).to.equal('column Date: "30/02/2026" is not a date in the form dd/MM/yyyy');
  });

  it('refuses a mapping that names a column the file does not have, with the closest one', () => {
    expect(() => RowTransform.create({ mapping: { columns: { Nmo: 'Name' } } }, ['Nom'], fields, 'x.csv', 1)).to.throw('x.csv:1: the mapping names the column "Nmo", which the file does not have (closest: "Nom")');
  });
});
