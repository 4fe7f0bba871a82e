import { expect } from 'chai';
import { applyChunk, checkExternalIdField, checkHeader, type JobContext, type Operation, type RowOutcome } from '../../emulator/dml.js';
import type { ObjectSeed } from '../../emulator/schema.js';
import { Store, type SObjectRecord } from '../../emulator/store.js';

/*
 * Account is replaced by a seed with external ID, unique, restricted picklist, number, date and
 * read-only fields; the custom objects cover custom lookups, master-detail and a polymorphic lookup.
 */
const SEEDS: ObjectSeed[] = [
  {
    name: 'Account',
    keyPrefix: '001',
    fields: [
      { name: 'Name', type: 'string', length: 80, nillable: false },
      { name: 'Ext__c', type: 'string', length: 50, externalId: true, unique: true },
      { name: 'Code__c', type: 'string', length: 20, externalId: true },
      { name: 'CaseCode__c', type: 'string', length: 20, unique: true, caseSensitive: true },
      { name: 'Type', type: 'picklist', picklistValues: ['Prospect', 'Customer'] },
      { name: 'Rating__c', label: 'Rating', type: 'picklist', restrictedPicklist: true, picklistValues: ['Hot', 'Warm', 'Cold'] },
      { name: 'Tags__c', type: 'multipicklist', restrictedPicklist: true, picklistValues: ['A', 'B', 'C'] },
      { name: 'AnnualRevenue', label: 'Annual Revenue', type: 'currency', precision: 18, scale: 2 },
      { name: 'NumberOfEmployees', label: 'Employees', type: 'int', precision: 8 },
      { name: 'Score__c', label: 'Score', type: 'double', precision: 5, scale: 2 },
      { name: 'Active__c', type: 'boolean' },
      { name: 'Founded__c', type: 'date' },
      { name: 'LastSeen__c', type: 'datetime' },
      { name: 'Email__c', label: 'Email', type: 'email', length: 80 },
      { name: 'Phone', type: 'phone', length: 40 },
      { name: 'ParentId', label: 'Parent Account ID', type: 'reference', referenceTo: ['Account'], relationshipName: 'Parent' },
      { name: 'Formula__c', type: 'string', createable: false, updateable: false, calculated: true },
      { name: 'Locked__c', type: 'string', updateable: false },
    ],
  },
  { name: 'Ext_Account__c', fields: [{ name: 'Ext__c', type: 'string', length: 50, externalId: true, unique: true }] },
  {
    name: 'Invoice__c',
    fields: [
      { name: 'Key__c', type: 'string', length: 20, externalId: true, unique: true },
      { name: 'Parent__c', type: 'reference', referenceTo: ['Ext_Account__c'], relationshipName: 'Parent__r' },
      { name: 'Total__c', type: 'currency' },
    ],
  },
  {
    name: 'Line__c',
    fields: [
      { name: 'Invoice__c', type: 'reference', referenceTo: ['Invoice__c'], relationshipName: 'Invoice__r', masterDetail: true },
      { name: 'Qty__c', type: 'int' },
    ],
  },
  {
    name: 'Note__c',
    fields: [{ name: 'What__c', type: 'reference', referenceTo: ['Account', 'Contact'], relationshipName: 'What' }],
  },
  { name: 'ReadOnly__c', createable: false, updateable: false, deletable: false, fields: [] },
];

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

let store: Store;
let userId: string;

function ctx(object: string, operation: Operation, externalIdFieldName?: string): JobContext {
  return { object: store.describe(object)!, operation, externalIdFieldName, userId };
}

/** Header check then one chunk; a header failure fails the test. */
function run(object: string, operation: Operation, header: string[], rows: string[][], externalIdFieldName?: string): RowOutcome[] {
  const c = ctx(object, operation, externalIdFieldName);
  const check = checkHeader(store, c, header);
  if (!check.ok) throw new Error(check.message);
  return applyChunk(store, c, check.columns, rows);
}

function headerError(object: string, operation: Operation, header: string[], externalIdFieldName?: string): string {
  const check = checkHeader(store, ctx(object, operation, externalIdFieldName), header);
  if (check.ok) throw new Error('header was accepted');
  return check.message;
}

function account(values: SObjectRecord): SObjectRecord {
  return store.insert(store.describe('Account')!, { Name: 'Acme', ...values }, userId);
}

function get(object: string, id: string): SObjectRecord {
  const rec = store.get(object, id);
  if (!rec) throw new Error(`${object} ${id} not found`);
  return rec;
}

function ok(o: RowOutcome): void {
  expect(o.error, o.error).to.equal('');
}

describe('emulator dml', () => {
  beforeEach(() => {
    store = new Store(SEEDS, () => NOW);
    userId = store.addUser({ username: 'admin@example.com', lastName: 'Admin', email: 'admin@example.com' }).Id as string;
  });

  describe('checkHeader', () => {
    it('fails the job on the first unknown column, named exactly as written (BOM included)', () => {
      expect(headerError('Account', 'insert', ['Name', 'Nope__c', 'Other__c'])).to.equal('InvalidBatch : Field name not found : Nope__c');
      expect(headerError('Account', 'insert', ['\uFEFFName', 'Phone'])).to.equal('InvalidBatch : Field name not found : \uFEFFName');
      expect(headerError('Account', 'insert', [' Name'])).to.equal('InvalidBatch : Field name not found :  Name');
    });

    it('maps plain fields to canonical names and the Id column to the key', () => {
      const check = checkHeader(store, ctx('Account', 'update'), ['id', 'name', 'Parent.Ext__c']);
      expect(check).to.deep.equal({
        ok: true,
        columns: [
          { header: 'id', kind: 'id' },
          { header: 'name', kind: 'field', field: 'Name' },
          { header: 'Parent.Ext__c', kind: 'relationship', field: 'ParentId', parentObject: 'Account', parentField: 'Ext__c' },
        ],
      });
    });

    it('reads only Id for delete and hardDelete, and requires it', () => {
      const check = checkHeader(store, ctx('Account', 'delete'), ['Id', 'Whatever__c']);
      expect(check).to.deep.equal({
        ok: true,
        columns: [
          { header: 'Id', kind: 'id' },
          { header: 'Whatever__c', kind: 'ignored' },
        ],
      });
      expect(headerError('Account', 'hardDelete', ['Name'])).to.equal('InvalidBatch : Field name not found : Id');
    });

    it('needs the upsert key column or Id, and a key that is an external ID or idLookup field', () => {
      expect(checkHeader(store, ctx('Account', 'upsert', 'Ext__c'), ['Ext__c', 'Name']).ok).to.equal(true);
      expect(checkHeader(store, ctx('Account', 'upsert', 'Ext__c'), ['Id', 'Name']).ok).to.equal(true);
      expect(headerError('Account', 'upsert', ['Name'], 'Ext__c')).to.equal('InvalidBatch : Field name not found : Ext__c');
      expect(headerError('Account', 'upsert', ['Name', 'Phone'], 'Phone')).to.equal(
        'InvalidJob : Field name provided, Phone is not an External ID or indexed field for Account'
      );
      expect(headerError('Account', 'upsert', ['Name'])).to.equal(
        'InvalidJob : External ID was blank for Account. An External ID must be specified for upsert.'
      );
      const key = checkExternalIdField(store, store.describe('Account')!, 'id');
      expect(key.ok && key.field.name).to.equal('Id');
    });

    it('checks relationship columns: indexed parent field, type prefix only for polymorphic lookups', () => {
      expect(checkHeader(store, ctx('Contact', 'insert'), ['LastName', 'Account.Ext__c']).ok).to.equal(true);
      expect(checkHeader(store, ctx('Invoice__c', 'insert'), ['Name', 'Parent__r.Ext__c']).ok).to.equal(true);
      expect(checkHeader(store, ctx('Note__c', 'insert'), ['Name', 'Account:What.Ext__c']).ok).to.equal(true);
      expect(checkHeader(store, ctx('Note__c', 'insert'), ['Name', 'contact:what.email']).ok).to.equal(true);
      // Name is neither externalId nor idLookup on this Account
      expect(headerError('Contact', 'insert', ['LastName', 'Account.Name'])).to.equal('InvalidBatch : Field name not found : Account.Name');
      expect(headerError('Contact', 'insert', ['LastName', 'Acct.Ext__c'])).to.equal('InvalidBatch : Field name not found : Acct.Ext__c');
      // polymorphic without the type, or with a type it cannot point to
      expect(headerError('Note__c', 'insert', ['What.Ext__c'])).to.equal('InvalidBatch : Field name not found : What.Ext__c');
      expect(headerError('Note__c', 'insert', ['Lead:What.Email'])).to.equal('InvalidBatch : Field name not found : Lead:What.Email');
      // a type prefix on a lookup that is not polymorphic
      expect(headerError('Account', 'insert', ['Name', 'User:Owner.Username'])).to.include(
        'is not needed for non polymorphic foreign key references'
      );
      expect(checkHeader(store, ctx('Account', 'insert'), ['Name', 'Owner.Username']).ok).to.equal(true);
    });
  });

  describe('value conversion', () => {
    it('checks text length (STRING_TOO_LONG, label first, field last)', () => {
      const long = 'x'.repeat(81);
      const [tooLong, fits] = run('Account', 'insert', ['Name'], [[long], ['y'.repeat(80)]]);
      expect(tooLong).to.deep.equal({
        success: false,
        created: false,
        id: '',
        error: `STRING_TOO_LONG:Name: data value too large: ${long} (max length=80):Name --`,
      });
      ok(fits);
      expect(get('Account', fits.id).Name).to.equal('y'.repeat(80));
      expect(store.count('Account')).to.equal(1);
    });

    it('refuses bad numbers the way the CSV deserialiser does (0-based column)', () => {
      const out = run('Account', 'insert', ['Name', 'NumberOfEmployees', 'AnnualRevenue'], [
        ['A', '1,000', ''],
        ['B', '1.5', ''],
        ['C', '', '12abc'],
        ['D', '', '1 000'],
        ['E', '-12', '+1.5e3'],
      ]);
      expect(out[0].error).to.equal(
        "INVALID_FIELD:Failed to deserialize field at col 1. Due to, '1,000' is not a valid value for the type xsd:int:NumberOfEmployees --"
      );
      expect(out[1].error).to.equal(
        "INVALID_FIELD:Failed to deserialize field at col 1. Due to, '1.5' is not a valid value for the type xsd:int:NumberOfEmployees --"
      );
      expect(out[2].error).to.equal(
        "INVALID_FIELD:Failed to deserialize field at col 2. Due to, '12abc' is not a valid value for the type xsd:double:AnnualRevenue --"
      );
      expect(out[3].success).to.equal(false);
      ok(out[4]);
      const rec = get('Account', out[4].id);
      expect(rec.NumberOfEmployees).to.equal(-12);
      expect(rec.AnnualRevenue).to.equal(1500);
      expect(store.count('Account')).to.equal(1);
    });

    it('enforces precision and rounds to the scale (NUMBER_OUTSIDE_VALID_RANGE)', () => {
      const out = run('Account', 'insert', ['Name', 'NumberOfEmployees', 'Score__c'], [
        ['A', '123456789', ''],
        ['B', '', '1000'],
        ['C', '99999999', '999.994'],
        ['D', '', '-1.005'],
      ]);
      expect(out[0].error).to.equal(
        'NUMBER_OUTSIDE_VALID_RANGE:Employees: value outside of valid range on numeric field: 123456789:NumberOfEmployees --'
      );
      expect(out[1].error).to.equal('NUMBER_OUTSIDE_VALID_RANGE:Score: value outside of valid range on numeric field: 1000:Score__c --');
      ok(out[2]);
      expect(get('Account', out[2].id)).to.include({ NumberOfEmployees: 99_999_999, Score__c: 999.99 });
      ok(out[3]);
      expect(Math.abs(get('Account', out[3].id).Score__c as number)).to.be.closeTo(1.0, 0.011);
    });

    it('reads booleans as true/false/1/0 in any case', () => {
      const out = run('Account', 'insert', ['Name', 'Active__c'], [['A', 'TRUE'], ['B', '0'], ['C', 'False'], ['D', '1'], ['E', 'yes']]);
      expect(out.slice(0, 4).map((o) => get('Account', o.id).Active__c)).to.deep.equal([true, false, false, true]);
      expect(out[4].error).to.equal(
        "INVALID_FIELD:Failed to deserialize field at col 1. Due to, 'yes' is not a valid value for the type xsd:boolean:Active__c --"
      );
    });

    it('reads dates as yyyy-MM-dd only, with real calendar days', () => {
      const out = run('Account', 'insert', ['Name', 'Founded__c'], [['A', '2024-02-29'], ['B', '2023-02-29'], ['C', '6/15/19'], ['D', '2024-01-01T00:00:00Z']]);
      expect(get('Account', out[0].id).Founded__c).to.equal('2024-02-29');
      expect(out[1].error).to.equal(
        "INVALID_FIELD:Failed to deserialize field at col 1. Due to, '2023-02-29' is not a valid value for the type xsd:date:Founded__c --"
      );
      expect(out[2].success).to.equal(false);
      expect(out[3].success).to.equal(false);
    });

    it('normalises datetimes to UTC in the +0000 form', () => {
      const out = run('Account', 'insert', ['Name', 'LastSeen__c'], [
        ['A', '2026-11-28T10:00:00Z'],
        ['B', '2026-11-28T10:00:00.5+02:00'],
        ['C', '2026-01-01T01:30:00.123456-05:30'],
        ['D', '2026-11-28 10:00:00Z'],
        ['E', '2026-11-28T10:00:00'],
        ['F', '2026-11-28T24:00:00Z'],
      ]);
      expect(out.slice(0, 3).map((o) => get('Account', o.id).LastSeen__c)).to.deep.equal([
        '2026-11-28T10:00:00.000+0000',
        '2026-11-28T08:00:00.500+0000',
        '2026-01-01T07:00:00.123+0000',
      ]);
      expect(out[3].error).to.equal(
        "INVALID_FIELD:Failed to deserialize field at col 1. Due to, '2026-11-28 10:00:00Z' is not a valid value for the type xsd:dateTime:LastSeen__c --"
      );
      expect(out[4].success).to.equal(false);
      expect(out[5].success).to.equal(false);
    });

    it('refuses values outside a restricted picklist, but not an open one', () => {
      const out = run('Account', 'insert', ['Name', 'Rating__c', 'Type', 'Tags__c'], [
        ['A', 'Lukewarm', '', ''],
        ['B', 'Hot', 'Anything goes', 'A;C'],
        ['C', '', '', 'A;D'],
      ]);
      expect(out[0].error).to.equal(
        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Rating: bad value for restricted picklist field: Lukewarm:Rating__c --'
      );
      ok(out[1]);
      expect(get('Account', out[1].id)).to.include({ Rating__c: 'Hot', Type: 'Anything goes', Tags__c: 'A;C' });
      expect(out[2].error).to.include('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Tags: bad value for restricted picklist field: D:Tags__c --');
    });

    it('checks email format (INVALID_EMAIL_ADDRESS)', () => {
      const out = run('Account', 'insert', ['Name', 'Email__c'], [['A', 'not-an-email'], ['B', 'a.b+c@example.co.uk'], ['C', 'x@localhost']]);
      expect(out[0].error).to.equal('INVALID_EMAIL_ADDRESS:Email: invalid email address: not-an-email:Email__c --');
      expect(get('Account', out[1].id).Email__c).to.equal('a.b+c@example.co.uk');
      expect(out[2].success).to.equal(false);
    });

    it('checks lookup Ids: malformed, missing, wrong object, deleted', () => {
      const parent = account({ Name: 'Parent' });
      const gone = account({ Name: 'Gone' });
      store.softDelete(store.describe('Account')!, gone);
      const missing = store.ids.next('001'); // well-formed Account Id, no record
      const contact = store.insert(store.describe('Contact')!, { LastName: 'C' }, userId);
      const out = run('Account', 'insert', ['Name', 'ParentId'], [
        ['A', '001abc'],
        ['B', missing],
        ['C', contact.Id as string],
        ['D', gone.Id as string],
        ['E', (parent.Id as string).slice(0, 15)],
      ]);
      expect(out[0].error).to.equal('MALFORMED_ID:Parent Account ID: id value of incorrect type: 001abc:ParentId --');
      expect(out[1].error).to.equal('INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--');
      expect(out[2].error).to.equal(
        `FIELD_INTEGRITY_EXCEPTION:Parent Account ID: id value of incorrect type: ${contact.Id as string}:ParentId --`
      );
      expect(out[3].error).to.equal('ENTITY_IS_DELETED:entity is deleted:--');
      ok(out[4]);
      expect(get('Account', out[4].id).ParentId).to.equal(parent.Id); // 15-char input stored as 18
    });
  });

  describe('empty cells and #N/A', () => {
    it('leaves a field null on insert for an empty cell or #N/A; values are not trimmed', () => {
      const [a, b] = run('Account', 'insert', ['Name', 'Phone', 'Active__c'], [
        [' Acme ', '', ''],
        ['B', '#N/A', '#N/A'],
      ]);
      expect(get('Account', a.id)).to.include({ Name: ' Acme ', Phone: null, Active__c: false });
      expect(get('Account', b.id)).to.include({ Phone: null, Active__c: false });
    });

    it('leaves a field unchanged on update for an empty cell; #N/A clears it', () => {
      const rec = account({ Phone: '555', Type: 'Prospect', Active__c: true });
      const [out] = run('Account', 'update', ['Id', 'Name', 'Phone', 'Type', 'Active__c'], [[rec.Id as string, '', '#N/A', '', '#N/A']]);
      ok(out);
      expect(get('Account', rec.Id as string)).to.include({ Name: 'Acme', Phone: null, Type: 'Prospect', Active__c: false });
    });

    it('refuses #N/A on a field that cannot be null (REQUIRED_FIELD_MISSING on update)', () => {
      const rec = account({});
      const [out] = run('Account', 'update', ['Id', 'Name'], [[rec.Id as string, '#N/A']]);
      expect(out).to.deep.equal({
        success: false,
        created: false,
        id: rec.Id,
        error: 'REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --',
      });
      expect(get('Account', rec.Id as string).Name).to.equal('Acme');
    });
  });

  describe('insert', () => {
    it('creates records with a new Id, created=true, system fields filled', () => {
      const [out] = run('Account', 'insert', ['Name', 'Phone'], [['Acme', '555-0100']]);
      expect(out.success).to.equal(true);
      expect(out.created).to.equal(true);
      expect(out.id).to.match(/^001[a-zA-Z0-9]{15}$/);
      expect(get('Account', out.id)).to.include({ Name: 'Acme', Phone: '555-0100', OwnerId: userId, CreatedById: userId, IsDeleted: false });
    });

    it('reports every missing required field (REQUIRED_FIELD_MISSING)', () => {
      const out = run('Contact', 'insert', ['FirstName', 'LastName'], [['Ann', ''], ['Bob', '#N/A'], ['Cy', 'Smith']]);
      expect(out[0].error).to.equal('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --');
      expect(out[1].error).to.equal('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --');
      ok(out[2]);
      const [lead] = run('Lead', 'insert', ['FirstName'], [['Ann']]);
      expect(lead.error).to.equal('REQUIRED_FIELD_MISSING:Required fields are missing: [LastName, Company]:LastName,Company --');
      expect(store.count('Contact')).to.equal(1);
      expect(store.count('Lead')).to.equal(0);
    });

    it('refuses an Id value on insert', () => {
      const rec = account({});
      const out = run('Account', 'insert', ['Id', 'Name'], [[rec.Id as string, 'Copy'], ['', 'Fresh']]);
      expect(out[0].error).to.equal('INVALID_FIELD_FOR_INSERT_UPDATE:cannot specify Id in an insert call:Id --');
      ok(out[1]);
      expect(store.count('Account')).to.equal(2);
    });

    it('refuses values for fields that are not createable, naming them all', () => {
      const out = run('Account', 'insert', ['Name', 'Formula__c', 'CreatedDate'], [
        ['A', 'x', '2026-01-01T00:00:00Z'],
        ['B', '', ''],
      ]);
      expect(out[0].error).to.equal(
        'INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: Formula__c, CreatedDate. Please check the security settings of this field and verify that it is read/write for your user profile or permission set.:Formula__c,CreatedDate --'
      );
      ok(out[1]); // empty cells set nothing, so nothing is refused
      expect(store.count('Account')).to.equal(1);
    });

    it('refuses inserts into an object that is not createable', () => {
      const [out] = run('ReadOnly__c', 'insert', ['Name'], [['x']]);
      expect(out.error).to.equal('INVALID_TYPE_FOR_OPERATION:entity type cannot be inserted:--');
      expect(store.count('ReadOnly__c')).to.equal(0);
    });

    it('requires master-detail fields', () => {
      const [inv] = run('Invoice__c', 'insert', ['Name'], [['INV-1']]);
      const out = run('Line__c', 'insert', ['Name', 'Invoice__c', 'Qty__c'], [['L1', '', '1'], ['L2', inv.id, '2']]);
      expect(out[0].error).to.equal('REQUIRED_FIELD_MISSING:Required fields are missing: [Invoice__c]:Invoice__c --');
      ok(out[1]);
      expect(get('Line__c', out[1].id)).to.include({ Invoice__c: inv.id, Qty__c: 2 });
    });
  });

  describe('update', () => {
    it('updates by Id, created=false', () => {
      const rec = account({ Phone: '1' });
      const [out] = run('Account', 'update', ['Id', 'Phone'], [[rec.Id as string, '2']]);
      expect(out).to.deep.equal({ success: true, created: false, id: rec.Id, error: '' });
      expect(get('Account', rec.Id as string)).to.include({ Phone: '2', LastModifiedById: userId });
    });

    it('fails rows without an Id (no Id column, or an empty cell) with MISSING_ARGUMENT', () => {
      account({});
      const noColumn = run('Account', 'update', ['Name'], [['X']]);
      expect(noColumn[0]).to.deep.equal({
        success: false,
        created: false,
        id: '',
        error: 'MISSING_ARGUMENT:Id not specified in an update call:--',
      });
      const empty = run('Account', 'update', ['Id', 'Name'], [['', 'X']]);
      expect(empty[0].error).to.equal('MISSING_ARGUMENT:Id not specified in an update call:--');
      expect([...store.all('Account')].map((r) => r.Name)).to.deep.equal(['Acme']);
    });

    it('tells malformed, unknown, deleted and wrong-object Ids apart', () => {
      const gone = account({});
      store.softDelete(store.describe('Account')!, gone);
      const unknown = store.ids.next('001');
      const contact = store.insert(store.describe('Contact')!, { LastName: 'C' }, userId);
      const out = run('Account', 'update', ['Id', 'Name'], [
        ['001xyz', 'X'],
        [unknown, 'X'],
        [gone.Id as string, 'X'],
        [contact.Id as string, 'X'],
      ]);
      expect(out[0]).to.deep.equal({ success: false, created: false, id: '', error: 'MALFORMED_ID:malformed id 001xyz:--' });
      expect(out[1]).to.deep.equal({ success: false, created: false, id: unknown, error: 'INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--' });
      expect(out[2]).to.deep.equal({ success: false, created: false, id: gone.Id, error: 'ENTITY_IS_DELETED:entity is deleted:--' });
      expect(out[3].error).to.equal(`MALFORMED_ID:Account ID: id value of incorrect type: ${contact.Id as string}:Id --`);
      expect(get('Account', gone.Id as string).Name).to.equal('Acme');
    });

    it('refuses values for fields that are not updateable', () => {
      const rec = account({ Locked__c: 'v1' });
      const [out] = run('Account', 'update', ['Id', 'Locked__c'], [[rec.Id as string, 'v2']]);
      expect(out.error).to.match(/^INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create\/update fields: Locked__c\. Please check .*:Locked__c --$/);
      expect(out.id).to.equal(rec.Id);
      expect(get('Account', rec.Id as string).Locked__c).to.equal('v1');
      // the same field is fine on insert
      ok(run('Account', 'insert', ['Name', 'Locked__c'], [['B', 'v']])[0]);
    });
  });

  describe('upsert', () => {
    it('inserts without a match, updates on one match', () => {
      const existing = store.insert(store.describe('Ext_Account__c')!, { Name: 'Old', Ext__c: 'E-1' }, userId);
      const out = run('Ext_Account__c', 'upsert', ['Ext__c', 'Name'], [['e-1', 'Renamed'], ['E-2', 'New']], 'Ext__c');
      expect(out[0]).to.deep.equal({ success: true, created: false, id: existing.Id, error: '' });
      expect(get('Ext_Account__c', existing.Id as string)).to.include({ Name: 'Renamed', Ext__c: 'e-1' });
      expect(out[1].created).to.equal(true);
      expect(get('Ext_Account__c', out[1].id)).to.include({ Name: 'New', Ext__c: 'E-2' });
      expect(store.count('Ext_Account__c')).to.equal(2);
    });

    it('refuses a key that matches several records (DUPLICATE_EXTERNAL_ID)', () => {
      const a = account({ Code__c: 'C1' });
      const b = account({ Name: 'Acme 2', Code__c: 'c1' });
      const [out] = run('Account', 'upsert', ['Code__c', 'Name'], [['C1', 'X']], 'Code__c');
      expect(out).to.deep.equal({
        success: false,
        created: false,
        id: '',
        error: `DUPLICATE_EXTERNAL_ID:Code: more than one record found for external id field: [${a.Id as string}, ${b.Id as string}]:--`,
      });
      expect(get('Account', a.Id as string).Name).to.equal('Acme');
    });

    it('refuses a blank key', () => {
      const out = run('Ext_Account__c', 'upsert', ['Ext__c', 'Name'], [['', 'X'], ['#N/A', 'Y']], 'Ext__c');
      expect(out.map((o) => o.error)).to.deep.equal(['MISSING_ARGUMENT:Ext__c not specified:--', 'MISSING_ARGUMENT:Ext__c not specified:--']);
      expect(store.count('Ext_Account__c')).to.equal(0);
    });

    it('fails every row whose key appears twice in the chunk, the first one too (DUPLICATE_VALUE)', () => {
      const out = run('Ext_Account__c', 'upsert', ['Ext__c', 'Name'], [['D-1', 'first'], ['D-2', 'other'], ['d-1', 'second']], 'Ext__c');
      expect(out[0].error).to.equal('DUPLICATE_VALUE:Duplicate external id specified: D-1:Ext__c --');
      expect(out[2].error).to.equal('DUPLICATE_VALUE:Duplicate external id specified: d-1:Ext__c --');
      ok(out[1]);
      expect([...store.all('Ext_Account__c')].map((r) => r.Ext__c)).to.deep.equal(['D-2']);
    });

    it('keys on Id: a row without Id is created, a row with one updates', () => {
      const rec = account({});
      const out = run('Account', 'upsert', ['Id', 'Name'], [[rec.Id as string, 'Updated'], ['', 'Created']], 'Id');
      expect(out[0]).to.deep.equal({ success: true, created: false, id: rec.Id, error: '' });
      expect(out[1].created).to.equal(true);
      expect(get('Account', rec.Id as string).Name).to.equal('Updated');
      expect(get('Account', out[1].id).Name).to.equal('Created');
    });

    it('applies the insert-side and update-side checks to each side', () => {
      account({ Ext__c: 'K1', Locked__c: 'v1' });
      const out = run('Account', 'upsert', ['Ext__c', 'Name', 'Locked__c'], [['K1', 'A', 'v2'], ['K2', '', 'v2']], 'Ext__c');
      expect(out[0].error).to.match(/^INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create\/update fields: Locked__c\./);
      expect(out[1].error).to.equal('REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --');
    });
  });

  describe('delete and hardDelete', () => {
    it('moves records to the recycle bin; a second delete gets ENTITY_IS_DELETED', () => {
      const rec = account({});
      const out = run('Account', 'delete', ['Id', 'Name'], [[rec.Id as string, 'ignored'], [rec.Id as string, '']]);
      expect(out[0]).to.deep.equal({ success: true, created: false, id: rec.Id, error: '' });
      expect(out[1]).to.deep.equal({ success: false, created: false, id: rec.Id, error: 'ENTITY_IS_DELETED:entity is deleted:--' });
      expect(get('Account', rec.Id as string).IsDeleted).to.equal(true);
      expect(store.count('Account')).to.equal(0);
      expect(store.count('Account', true)).to.equal(1);
    });

    it('reports an Id that matches no record as INVALID_CROSS_REFERENCE_KEY, a malformed one as MALFORMED_ID', () => {
      // Salesforce's own plugin-data NUT deletes 001000000000000AAA and expects this text.
      const out = run('Account', 'delete', ['Id'], [['001000000000000AAA'], ['nope'], ['']]);
      expect(out[0]).to.deep.equal({
        success: false,
        created: false,
        id: '001000000000000AAA',
        error: 'INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--',
      });
      expect(out[1].error).to.equal('MALFORMED_ID:malformed id nope:--');
      expect(out[2].error).to.equal('MISSING_ARGUMENT:Id not specified in a delete call:--');
    });

    it('cascades a delete to master-detail children', () => {
      const inv = store.insert(store.describe('Invoice__c')!, { Name: 'I' }, userId);
      const line = store.insert(store.describe('Line__c')!, { Name: 'L', Invoice__c: inv.Id }, userId);
      ok(run('Invoice__c', 'delete', ['Id'], [[inv.Id as string]])[0]);
      expect(get('Line__c', line.Id as string).IsDeleted).to.equal(true);
    });

    it('hardDelete removes records for good', () => {
      const rec = account({});
      const out = run('Account', 'hardDelete', ['Id'], [[rec.Id as string], [rec.Id as string]]);
      ok(out[0]);
      expect(out[1].error).to.equal('INVALID_CROSS_REFERENCE_KEY:invalid cross reference id:--');
      expect(store.get('Account', rec.Id as string)).to.equal(undefined);
      expect(store.count('Account', true)).to.equal(0);
    });

    it('refuses deletes on an object that is not deletable', () => {
      const rec = store.insert(store.describe('ReadOnly__c')!, { Name: 'x' }, userId);
      const [out] = run('ReadOnly__c', 'delete', ['Id'], [[rec.Id as string]]);
      expect(out.error).to.equal('INVALID_TYPE_FOR_OPERATION:entity type cannot be deleted:--');
      expect(get('ReadOnly__c', rec.Id as string).IsDeleted).to.equal(false);
    });
  });

  describe('unique fields', () => {
    it('refuses a value another record holds (DUPLICATE_VALUE), case-insensitive unless caseSensitive', () => {
      const a = account({ Ext__c: 'U-1', CaseCode__c: 'Abc' });
      const out = run('Account', 'insert', ['Name', 'Ext__c', 'CaseCode__c'], [
        ['B', 'u-1', ''],
        ['C', 'U-2', 'abc'],
        ['D', '', 'Abc'],
      ]);
      expect(out[0].error).to.equal(`DUPLICATE_VALUE:duplicate value found: Ext__c duplicates value on record with id: ${a.Id as string}:--`);
      ok(out[1]);
      expect(out[2].error).to.equal(
        `DUPLICATE_VALUE:duplicate value found: CaseCode__c duplicates value on record with id: ${a.Id as string}:--`
      );
    });

    it('checks updates against other records and rows earlier in the chunk', () => {
      const a = account({ Ext__c: 'A' });
      const b = account({ Name: 'B', Ext__c: 'B' });
      const out = run('Account', 'update', ['Id', 'Ext__c'], [
        [b.Id as string, 'a'],
        [b.Id as string, 'B'], // its own value again is fine
        [a.Id as string, 'Z'],
        [b.Id as string, 'z'],
      ]);
      expect(out[0].error).to.equal(`DUPLICATE_VALUE:duplicate value found: Ext__c duplicates value on record with id: ${a.Id as string}:--`);
      ok(out[1]);
      ok(out[2]);
      expect(out[3].error).to.equal(`DUPLICATE_VALUE:duplicate value found: Ext__c duplicates value on record with id: ${a.Id as string}:--`);
      expect(get('Account', b.Id as string).Ext__c).to.equal('B');
    });
  });

  describe('relationship columns', () => {
    it('resolves Account.Ext__c to the parent Id', () => {
      const parent = account({ Ext__c: 'ACME-1' });
      const out = run('Contact', 'insert', ['LastName', 'Account.Ext__c'], [['Smith', 'acme-1'], ['Jones', 'ACME-9']]);
      ok(out[0]);
      expect(get('Contact', out[0].id).AccountId).to.equal(parent.Id);
      expect(out[1].error).to.equal('INVALID_FIELD:Foreign key external ID: ACME-9 not found for field Ext__c in entity Account:--');
      expect(store.count('Contact')).to.equal(1);
    });

    it('resolves a custom lookup through Parent__r.Ext__c', () => {
      const parent = store.insert(store.describe('Ext_Account__c')!, { Name: 'P', Ext__c: 'P-1' }, userId);
      const [out] = run('Invoice__c', 'insert', ['Name', 'Parent__r.Ext__c'], [['INV', 'P-1']]);
      ok(out);
      expect(get('Invoice__c', out.id).Parent__c).to.equal(parent.Id);
    });

    it('resolves polymorphic Type:Rel.Field against the named type', () => {
      const acc = account({ Ext__c: 'X-1' });
      const con = store.insert(store.describe('Contact')!, { LastName: 'C', Email: 'c@example.com' }, userId);
      const out = run('Note__c', 'insert', ['Name', 'Account:What.Ext__c'], [['N1', 'X-1']]);
      expect(get('Note__c', out[0].id).What__c).to.equal(acc.Id);
      const out2 = run('Note__c', 'insert', ['Name', 'Contact:What.Email'], [['N2', 'C@example.com'], ['N3', 'X-1']]);
      expect(get('Note__c', out2[0].id).What__c).to.equal(con.Id);
      expect(out2[1].error).to.equal('INVALID_FIELD:Foreign key external ID: X-1 not found for field Email in entity Contact:--');
    });

    it('resolves the owner through Owner.Username', () => {
      const other = store.addUser({ username: 'other@example.com', lastName: 'Other' });
      const [out] = run('Account', 'insert', ['Name', 'Owner.Username'], [['A', 'OTHER@example.com']]);
      expect(get('Account', out.id).OwnerId).to.equal(other.Id);
    });

    it('refuses a parent key that matches several records', () => {
      account({ Code__c: 'DUP' });
      account({ Name: 'Acme 2', Code__c: 'dup' });
      const [out] = run('Account', 'insert', ['Name', 'Parent.Code__c'], [['Child', 'DUP']]);
      expect(out.error).to.match(/^DUPLICATE_EXTERNAL_ID:Code: more than one record found for external id field: \[001\w+, 001\w+\]:--$/);
      expect(store.count('Account')).to.equal(2);
    });

    it('clears the reference on #N/A and leaves it alone on an empty cell', () => {
      const parent = account({ Ext__c: 'P' });
      const a = store.insert(store.describe('Contact')!, { LastName: 'A', AccountId: parent.Id }, userId);
      const b = store.insert(store.describe('Contact')!, { LastName: 'B', AccountId: parent.Id }, userId);
      const out = run('Contact', 'update', ['Id', 'Account.Ext__c'], [[a.Id as string, '#N/A'], [b.Id as string, '']]);
      out.forEach(ok);
      expect(get('Contact', a.Id as string).AccountId).to.equal(null);
      expect(get('Contact', b.Id as string).AccountId).to.equal(parent.Id);
    });

    it('sees parents written by earlier rows of the same chunk', () => {
      const out = run('Account', 'upsert', ['Ext__c', 'Name', 'Parent.Ext__c'], [
        ['TOP', 'Top', ''],
        ['MID', 'Mid', 'TOP'],
        ['TOP2', 'Top 2', ''],
        ['MID', 'Mid again', 'TOP2'], // same key twice in the chunk: both MID rows fail
      ], 'Ext__c');
      ok(out[0]);
      expect(out[1].error).to.equal('DUPLICATE_VALUE:Duplicate external id specified: MID:Ext__c --');
      const more = run('Account', 'insert', ['Name', 'Ext__c', 'Parent.Ext__c'], [['Kid', 'KID', 'TOP'], ['Grandkid', 'GK', 'KID']]);
      more.forEach(ok);
      expect(get('Account', more[1].id).ParentId).to.equal(more[0].id);
      expect(get('Account', more[0].id).ParentId).to.equal(out[0].id);
    });
  });

  it('applies rows in order, each seeing the previous ones', () => {
    const rec = account({ Phone: '0' });
    const id = rec.Id as string;
    const out = run('Account', 'update', ['Id', 'Phone'], [[id, '1'], [id, ''], [id, '2']]);
    out.forEach(ok);
    expect(get('Account', id).Phone).to.equal('2');
  });

  it('stays fast on large upsert chunks (indexed external ID lookups)', () => {
    const header = ['Ext__c', 'Name', 'Parent.Ext__c'];
    const rows = (from: number): string[][] =>
      Array.from({ length: 10_000 }, (_, i) => [`K-${from + i}`, `N${from + i}`, from + i > 0 ? `K-${from + i - 1}` : '']);
    const started = Date.now();
    const first = run('Account', 'upsert', header, rows(0), 'Ext__c');
    const second = run('Account', 'upsert', header, rows(5000), 'Ext__c');
    expect(Date.now() - started).to.be.below(10_000);
    expect(first.every((o) => o.success && o.created)).to.equal(true);
    expect(second.filter((o) => o.created)).to.have.length(5000);
    expect(second.every((o) => o.success)).to.equal(true);
    expect(store.count('Account')).to.equal(15_000);
  });
});
