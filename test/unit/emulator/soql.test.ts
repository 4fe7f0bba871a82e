import { expect } from 'chai';
import { Store } from '../../emulator/store.js';
import type { SObjectRecord } from '../../emulator/store.js';
import { SoqlError, columnValue, executeSoql, parseSoql, restRecord } from '../../emulator/soql.js';

const DAY = 86_400_000;
/** A fixed "now" for relative date literals: Wednesday 2026-11-25 12:00 UTC. */
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function expectError(fn: () => unknown, code: string, message?: string | RegExp): SoqlError {
  try {
    fn();
  } catch (e) {
    expect(e).to.be.instanceOf(SoqlError);
    const err = e as SoqlError;
    expect(err.errorCode).to.equal(code);
    if (typeof message === 'string') expect(err.message).to.equal(message);
    else if (message) expect(err.message).to.match(message);
    return err;
  }
  expect.fail('expected a SoqlError');
}

describe('emulator soql', () => {
  let store: Store;
  let userId: string;
  let otherUserId: string;
  let acme: SObjectRecord;
  let globex: SObjectRecord;
  let initech: SObjectRecord;
  let contacts: SObjectRecord[];

  const names = (soql: string, opts?: Parameters<typeof executeSoql>[2]): unknown[] =>
    executeSoql(store, soql, { now: () => NOW, ...opts }).records.map((r) => r.Name ?? r.LastName);

  beforeEach(() => {
    store = new Store([
      {
        name: 'Project__c',
        fields: [
          { name: 'Account__c', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account__r' },
          { name: 'Budget__c', type: 'double' },
        ],
      },
    ]);
    userId = store.addUser({ username: 'admin@example.com', lastName: 'Admin' }).Id as string;
    otherUserId = store.addUser({ username: 'other@example.com', lastName: 'Other' }).Id as string;
    const account = store.describe('Account')!;
    const contact = store.describe('Contact')!;
    acme = store.insert(account, { Name: 'Acme', Industry: 'Energy', AnnualRevenue: 1000, NumberOfEmployees: 50, BillingCity: 'Paris' }, userId);
    globex = store.insert(account, { Name: 'Globex', Industry: 'Retail', AnnualRevenue: 250.5, BillingCity: null }, otherUserId);
    initech = store.insert(account, { Name: 'Initech 100%_off', Industry: null, AnnualRevenue: null, ParentId: acme.Id }, userId);
    contacts = [
      store.insert(contact, { AccountId: acme.Id, FirstName: 'Ann', LastName: 'Archer', Birthdate: '1990-05-01', Email: 'ann@acme.com' }, userId),
      store.insert(contact, { AccountId: globex.Id, FirstName: 'Bob', LastName: 'Baker', Birthdate: '1985-12-31' }, userId),
      store.insert(contact, { AccountId: null, FirstName: 'Cy', LastName: 'Cole', Birthdate: null, HasOptedOutOfEmail: true }, userId),
    ];
    // Spread creation times so datetime filters have something to bite on.
    contacts[0].CreatedDate = '2026-11-25T08:00:00.000+0000'; // today
    contacts[1].CreatedDate = '2026-11-24T23:30:00.000+0000'; // yesterday
    contacts[2].CreatedDate = '2026-10-01T10:00:00.000+0000'; // last month
  });

  describe('SELECT and FROM', () => {
    it('returns canonical columns in select order and all live records', () => {
      const res = executeSoql(store, 'select id, NAME, industry from account');
      expect(res.object.name).to.equal('Account');
      expect(res.columns).to.deep.equal(['Id', 'Name', 'Industry']);
      expect(res.records).to.deep.equal([acme, globex, initech]);
      expect(res.totalSize).to.equal(3);
      expect(res.isCount).to.equal(false);
    });

    it('accepts keywords in any case and spread over lines', () => {
      const res = executeSoql(store, 'SeLeCt Id\n  FrOm Contact\n  WhErE LastName = \'Cole\'');
      expect(res.records).to.deep.equal([contacts[2]]);
    });

    it('resolves parent paths through relationshipName, one or more levels', () => {
      const res = executeSoql(store, 'SELECT Name, account.name, Account.Owner.Username, Owner.Name FROM Contact ORDER BY LastName');
      expect(res.columns).to.deep.equal(['Name', 'Account.Name', 'Account.Owner.Username', 'Owner.Name']);
      const c = store.describe('Contact')!;
      expect(columnValue(store, c, res.records[0], 'Account.Name')).to.equal('Acme');
      expect(columnValue(store, c, res.records[1], 'account.owner.username')).to.equal('other@example.com');
      expect(columnValue(store, c, res.records[2], 'Account.Name')).to.equal(null);
      expect(columnValue(store, c, res.records[2], 'Account.Owner.Username')).to.equal(null);
      expect(columnValue(store, c, res.records[0], 'LastName')).to.equal('Archer');
    });

    it('resolves custom relationships with __r and self lookups', () => {
      const project = store.insert(store.describe('Project__c')!, { Name: 'P1', Account__c: globex.Id, Budget__c: 5 }, userId);
      const res = executeSoql(store, 'SELECT Name, Account__r.Name, Account__r.Industry FROM Project__c');
      expect(res.columns).to.deep.equal(['Name', 'Account__r.Name', 'Account__r.Industry']);
      expect(res.records).to.deep.equal([project]);
      expect(columnValue(store, res.object, project, 'Account__r.Name')).to.equal('Globex');
      expect(names("SELECT Name FROM Account WHERE Parent.Name = 'acme'")).to.deep.equal(['Initech 100%_off']);
    });

    it('accepts a FROM alias and the object name as a field prefix', () => {
      const res = executeSoql(store, "SELECT a.Name, Account.Industry FROM Account a WHERE a.Name = 'Acme'");
      expect(res.columns).to.deep.equal(['Name', 'Industry']);
      expect(res.records).to.deep.equal([acme]);
    });

    it('supports COUNT()', () => {
      const res = executeSoql(store, 'SELECT COUNT() FROM Contact WHERE AccountId != null');
      expect(res).to.include({ isCount: true, totalSize: 2 });
      expect(res.columns).to.deep.equal([]);
      expect(res.records).to.deep.equal([]);
      expect(executeSoql(store, 'select count() from Account limit 2').totalSize).to.equal(2);
    });

    it('rejects unknown objects with INVALID_TYPE', () => {
      expectError(
        () => executeSoql(store, 'SELECT Id FROM Foo'),
        'INVALID_TYPE',
        "sObject type 'Foo' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names."
      );
    });

    it('rejects unknown fields with INVALID_FIELD, wherever they appear', () => {
      const msg =
        "No such column 'Foo' on entity 'Account'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
      expectError(() => executeSoql(store, 'SELECT Id, Foo FROM Account'), 'INVALID_FIELD', msg);
      expectError(() => executeSoql(store, "SELECT Id FROM Account WHERE Foo = 'x'"), 'INVALID_FIELD', msg);
      expectError(() => executeSoql(store, 'SELECT Id FROM Account ORDER BY Foo'), 'INVALID_FIELD', msg);
      expectError(() => executeSoql(store, 'SELECT Account.Foo FROM Contact'), 'INVALID_FIELD', msg);
      expectError(() => executeSoql(store, 'SELECT Bogus.Name FROM Contact'), 'INVALID_FIELD', /Didn't understand relationship 'Bogus'/);
      // a relationship name is not a column, and a lookup field name is not a relationship
      expectError(() => executeSoql(store, 'SELECT Account FROM Contact'), 'INVALID_FIELD', /No such column 'Account' on entity 'Contact'/);
      expectError(() => executeSoql(store, 'SELECT AccountId.Name FROM Contact'), 'INVALID_FIELD', /relationship 'AccountId'/);
    });

    it('rejects duplicate columns', () => {
      expectError(() => executeSoql(store, 'SELECT Name, name FROM Account'), 'MALFORMED_QUERY', /duplicate field selected: Name/);
    });
  });

  describe('WHERE', () => {
    it('compares strings case-insensitively with = != <>', () => {
      expect(names("SELECT Name FROM Account WHERE Name = 'ACME'")).to.deep.equal(['Acme']);
      expect(names("SELECT Name FROM Account WHERE Name != 'acme'")).to.deep.equal(['Globex', 'Initech 100%_off']);
      expect(names("SELECT Name FROM Account WHERE Name <> 'acme'")).to.deep.equal(['Globex', 'Initech 100%_off']);
    });

    it('orders strings with < > <= >=', () => {
      expect(names("SELECT Name FROM Account WHERE Name < 'b'")).to.deep.equal(['Acme']);
      expect(names("SELECT Name FROM Account WHERE Name >= 'GLOBEX'")).to.deep.equal(['Globex', 'Initech 100%_off']);
    });

    it('compares numbers numerically and leaves nulls out of ordering comparisons', () => {
      expect(names('SELECT Name FROM Account WHERE AnnualRevenue > 300')).to.deep.equal(['Acme']);
      expect(names('SELECT Name FROM Account WHERE AnnualRevenue <= 250.5')).to.deep.equal(['Globex']);
      expect(names('SELECT Name FROM Account WHERE AnnualRevenue < 1000')).to.deep.equal(['Globex']);
      expect(names('SELECT Name FROM Account WHERE AnnualRevenue >= -5')).to.deep.equal(['Acme', 'Globex']);
      expect(names('SELECT Name FROM Account WHERE NumberOfEmployees = 50')).to.deep.equal(['Acme']);
    });

    it('handles null like SOQL: = null, != null, and != value keeps nulls', () => {
      expect(names('SELECT Name FROM Account WHERE Industry = null')).to.deep.equal(['Initech 100%_off']);
      expect(names('SELECT Name FROM Account WHERE Industry != NULL')).to.deep.equal(['Acme', 'Globex']);
      expect(names("SELECT Name FROM Account WHERE Industry != 'Energy'")).to.deep.equal(['Globex', 'Initech 100%_off']);
      expect(names("SELECT Name FROM Account WHERE BillingCity = ''")).to.deep.equal(['Globex', 'Initech 100%_off']);
    });

    it('supports booleans', () => {
      expect(names('SELECT LastName FROM Contact WHERE HasOptedOutOfEmail = true')).to.deep.equal(['Cole']);
      expect(names('SELECT LastName FROM Contact WHERE HasOptedOutOfEmail = FALSE')).to.deep.equal(['Archer', 'Baker']);
    });

    it('supports IN and NOT IN, including null in the list', () => {
      expect(names("SELECT Name FROM Account WHERE Industry IN ('energy', 'RETAIL')")).to.deep.equal(['Acme', 'Globex']);
      expect(names("SELECT Name FROM Account WHERE Industry NOT IN ('Energy')")).to.deep.equal(['Globex', 'Initech 100%_off']);
      expect(names("SELECT Name FROM Account WHERE Industry IN ('Energy', null)")).to.deep.equal(['Acme', 'Initech 100%_off']);
      expect(names('SELECT Name FROM Account WHERE NumberOfEmployees IN (1, 50)')).to.deep.equal(['Acme']);
    });

    it('supports LIKE with % and _ wildcards, case-insensitively, and escaped wildcards', () => {
      expect(names("SELECT Name FROM Account WHERE Name LIKE 'a%'")).to.deep.equal(['Acme']);
      expect(names("SELECT Name FROM Account WHERE Name LIKE '%E%'")).to.deep.equal(['Acme', 'Globex', 'Initech 100%_off']);
      expect(names("SELECT Name FROM Account WHERE Name LIKE 'gl_bex'")).to.deep.equal(['Globex']);
      expect(names("SELECT Name FROM Account WHERE Name LIKE 'gl_b'")).to.deep.equal([]);
      expect(names("SELECT Name FROM Account WHERE Name LIKE '%100\\%\\_off'")).to.deep.equal(['Initech 100%_off']);
      expect(names("SELECT Name FROM Account WHERE Name LIKE '%1\\%\\_off'")).to.deep.equal([]);
      // regex metacharacters in the pattern are literal
      expect(names("SELECT Name FROM Account WHERE Name LIKE 'Acm.'")).to.deep.equal([]);
      expect(names("SELECT Name FROM Account WHERE Industry LIKE '%'")).to.deep.equal(['Acme', 'Globex']);
      expect(names("SELECT Name FROM Account WHERE NOT Name LIKE 'a%'")).to.deep.equal(['Globex', 'Initech 100%_off']);
    });

    it('decodes backslash escapes in strings', () => {
      const account = store.describe('Account')!;
      store.insert(account, { Name: "O'Brien \\ Sons" }, userId);
      expect(names("SELECT Name FROM Account WHERE Name = 'o\\'brien \\\\ sons'")).to.deep.equal(["O'Brien \\ Sons"]);
      expectError(() => executeSoql(store, "SELECT Id FROM Account WHERE Name = 'a\\qb'"), 'MALFORMED_QUERY', /Illegal character sequence '\\q'/);
    });

    it('combines with AND, OR, NOT and parentheses', () => {
      expect(names("SELECT Name FROM Account WHERE Industry = 'Energy' OR Industry = 'Retail' OR Name = 'x'")).to.deep.equal(['Acme', 'Globex']);
      expect(names('SELECT Name FROM Account WHERE Industry != null AND AnnualRevenue < 500')).to.deep.equal(['Globex']);
      expect(names("SELECT Name FROM Account WHERE (Industry = 'Energy' OR Industry = null) AND NOT (Name LIKE 'I%')")).to.deep.equal(['Acme']);
      expect(names("SELECT Name FROM Account WHERE NOT Industry = 'Energy'")).to.deep.equal(['Globex', 'Initech 100%_off']);
      expect(names("SELECT Name FROM Account WHERE ((Name = 'Acme'))")).to.deep.equal(['Acme']);
    });

    it('refuses AND and OR mixed without parentheses, as SOQL does', () => {
      expectError(() => executeSoql(store, "SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'"), 'MALFORMED_QUERY', /unexpected token: 'OR'/);
    });

    it('filters on parent paths', () => {
      expect(names("SELECT LastName FROM Contact WHERE Account.Industry = 'retail'")).to.deep.equal(['Baker']);
      expect(names("SELECT LastName FROM Contact WHERE Account.Owner.Username LIKE 'admin@%'")).to.deep.equal(['Archer']);
      // a missing parent reads as null
      expect(names('SELECT LastName FROM Contact WHERE Account.Name = null')).to.deep.equal(['Cole']);
    });

    it('compares IDs in 15- or 18-char form', () => {
      const id18 = acme.Id as string;
      const id15 = id18.slice(0, 15);
      expect(names(`SELECT Name FROM Account WHERE Id = '${id15}'`)).to.deep.equal(['Acme']);
      expect(names(`SELECT Name FROM Account WHERE Id = '${id18}'`)).to.deep.equal(['Acme']);
      expect(names(`SELECT Name FROM Account WHERE Id IN ('${id15}', '${globex.Id as string}')`)).to.deep.equal(['Acme', 'Globex']);
      expect(names(`SELECT LastName FROM Contact WHERE AccountId = '${id15}'`)).to.deep.equal(['Archer']);
      expect(names(`SELECT Name FROM Account WHERE Id != '${id15}'`)).to.deep.equal(['Globex', 'Initech 100%_off']);
      expectError(() => executeSoql(store, "SELECT Id FROM Account WHERE Id = 'nope'"), 'MALFORMED_QUERY', /invalid ID field: nope/);
    });

    it('compares date literals with date fields', () => {
      expect(names('SELECT LastName FROM Contact WHERE Birthdate = 1990-05-01')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE Birthdate > 1985-12-31')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE Birthdate <= 1985-12-31')).to.deep.equal(['Baker']);
      expect(names('SELECT LastName FROM Contact WHERE Birthdate = null')).to.deep.equal(['Cole']);
    });

    it('compares datetime literals with stored +0000 values, honouring offsets', () => {
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = 2026-11-25T08:00:00Z')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = 2026-11-25T09:00:00+01:00')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = 2026-11-25T03:00:00-0500')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = 2026-11-25T08:00:00.000Z')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate >= 2026-11-24T23:30:00Z')).to.deep.equal(['Archer', 'Baker']);
      // 2026-11-25T00:00:00+01:00 is 23:00 UTC on the 24th, before Baker's 23:30
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate > 2026-11-25T00:00:00+01:00')).to.deep.equal(['Archer', 'Baker']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate < 2026-11-01T00:00:00Z')).to.deep.equal(['Cole']);
    });

    it('supports TODAY, YESTERDAY and LAST_N_DAYS:n relative to now', () => {
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = TODAY')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = YESTERDAY')).to.deep.equal(['Baker']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate < TODAY')).to.deep.equal(['Baker', 'Cole']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate >= yesterday')).to.deep.equal(['Archer', 'Baker']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate > TODAY')).to.deep.equal([]);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = LAST_N_DAYS:1')).to.deep.equal(['Archer', 'Baker']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = LAST_N_DAYS:0')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = LAST_N_DAYS:60')).to.deep.equal(['Archer', 'Baker', 'Cole']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate < LAST_N_DAYS:30')).to.deep.equal(['Cole']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = LAST_MONTH')).to.deep.equal(['Cole']);
      expect(names('SELECT LastName FROM Contact WHERE CreatedDate = THIS_MONTH')).to.deep.equal(['Archer', 'Baker']);
    });

    it('applies relative literals to date fields by day', () => {
      contacts[0].Birthdate = '2026-11-25';
      contacts[1].Birthdate = '2026-11-24';
      expect(names('SELECT LastName FROM Contact WHERE Birthdate = TODAY')).to.deep.equal(['Archer']);
      expect(names('SELECT LastName FROM Contact WHERE Birthdate = YESTERDAY')).to.deep.equal(['Baker']);
      expect(names('SELECT LastName FROM Contact WHERE Birthdate = NEXT_N_DAYS:3')).to.deep.equal([]);
    });

    it('uses the real clock by default', () => {
      contacts[0].CreatedDate = new Date(Date.now()).toISOString().replace('Z', '+0000');
      contacts[1].CreatedDate = new Date(Date.now() - 3 * DAY).toISOString().replace('Z', '+0000');
      const res = executeSoql(store, 'SELECT LastName FROM Contact WHERE CreatedDate = TODAY');
      expect(res.records).to.deep.equal([contacts[0]]);
      expect(executeSoql(store, 'SELECT LastName FROM Contact WHERE CreatedDate = LAST_N_DAYS:7').records).to.deep.equal([contacts[0], contacts[1]]);
    });

    it('refuses literals of the wrong type for the field', () => {
      expectError(() => executeSoql(store, 'SELECT Id FROM Account WHERE Name = 5'), 'INVALID_FIELD', "value of filter criterion for field 'Name' must be of type string and should be enclosed in quotes");
      expectError(() => executeSoql(store, "SELECT Id FROM Account WHERE AnnualRevenue = '5'"), 'INVALID_FIELD', /must be of type double and should not be enclosed in quotes/);
      expectError(() => executeSoql(store, 'SELECT Id FROM Account WHERE CreatedDate > 2026-01-01'), 'INVALID_FIELD', /'CreatedDate' must be of type dateTime/);
      expectError(() => executeSoql(store, 'SELECT Id FROM Contact WHERE Birthdate > 2026-01-01T00:00:00Z'), 'INVALID_FIELD', /'Birthdate' must be of type date/);
      expectError(() => executeSoql(store, "SELECT Id FROM Contact WHERE HasOptedOutOfEmail = 'true'"), 'INVALID_FIELD', /must be of type boolean/);
      expectError(() => executeSoql(store, 'SELECT Id FROM Account WHERE Name = TODAY'), 'INVALID_FIELD', /must be of type string/);
      expectError(() => executeSoql(store, "SELECT Id FROM Account WHERE AnnualRevenue LIKE '1%'"), 'INVALID_FIELD', /LIKE/);
    });
  });

  describe('ORDER BY, LIMIT, OFFSET', () => {
    it('sorts ascending with nulls first by default and descending with nulls last', () => {
      expect(names('SELECT Name FROM Account ORDER BY Industry')).to.deep.equal(['Initech 100%_off', 'Acme', 'Globex']);
      expect(names('SELECT Name FROM Account ORDER BY Industry DESC')).to.deep.equal(['Globex', 'Acme', 'Initech 100%_off']);
      expect(names('SELECT Name FROM Account ORDER BY Industry ASC NULLS LAST')).to.deep.equal(['Acme', 'Globex', 'Initech 100%_off']);
      expect(names('SELECT Name FROM Account ORDER BY Industry DESC NULLS FIRST')).to.deep.equal(['Initech 100%_off', 'Globex', 'Acme']);
    });

    it('sorts numbers numerically, text case-insensitively, and by several keys', () => {
      expect(names('SELECT Name FROM Account ORDER BY AnnualRevenue DESC')).to.deep.equal(['Acme', 'Globex', 'Initech 100%_off']);
      store.insert(store.describe('Account')!, { Name: 'acme', Industry: 'Retail' }, userId);
      expect(names('SELECT Name FROM Account ORDER BY Name')).to.deep.equal(['Acme', 'acme', 'Globex', 'Initech 100%_off']);
      expect(names('SELECT Name FROM Account ORDER BY Name, Industry DESC')).to.deep.equal(['acme', 'Acme', 'Globex', 'Initech 100%_off']);
      expect(names('SELECT Name FROM Account ORDER BY Industry DESC NULLS LAST, Name DESC')).to.deep.equal(['Globex', 'acme', 'Acme', 'Initech 100%_off']);
    });

    it('sorts by parent paths and dates', () => {
      expect(names('SELECT LastName FROM Contact ORDER BY Account.Name DESC NULLS LAST')).to.deep.equal(['Baker', 'Archer', 'Cole']);
      expect(names('SELECT LastName FROM Contact ORDER BY CreatedDate')).to.deep.equal(['Cole', 'Baker', 'Archer']);
      expect(names('SELECT LastName FROM Contact ORDER BY Birthdate DESC')).to.deep.equal(['Archer', 'Baker', 'Cole']);
    });

    it('pages with LIMIT and OFFSET after sorting', () => {
      expect(names('SELECT Name FROM Account ORDER BY Name LIMIT 2')).to.deep.equal(['Acme', 'Globex']);
      expect(names('SELECT Name FROM Account ORDER BY Name LIMIT 2 OFFSET 1')).to.deep.equal(['Globex', 'Initech 100%_off']);
      expect(names('SELECT Name FROM Account ORDER BY Name OFFSET 2')).to.deep.equal(['Initech 100%_off']);
      expect(names('SELECT Name FROM Account LIMIT 0')).to.deep.equal([]);
      const res = executeSoql(store, 'SELECT Name FROM Account ORDER BY Name LIMIT 1 OFFSET 1');
      expect(res.totalSize).to.equal(1);
    });
  });

  describe('deleted records', () => {
    it('hides IsDeleted records unless includeDeleted (queryAll)', () => {
      store.softDelete(store.describe('Account')!, globex);
      expect(names('SELECT Name FROM Account')).to.deep.equal(['Acme', 'Initech 100%_off']);
      expect(names('SELECT Name FROM Account', { includeDeleted: true })).to.deep.equal(['Acme', 'Globex', 'Initech 100%_off']);
      expect(names('SELECT Name FROM Account WHERE IsDeleted = true', { includeDeleted: true })).to.deep.equal(['Globex']);
      expect(executeSoql(store, 'SELECT COUNT() FROM Account', { includeDeleted: true }).totalSize).to.equal(3);
    });
  });

  describe('syntax errors', () => {
    const malformedQueries = [
      '',
      'SELECT',
      'SELECT FROM Account',
      'SELECT Id, FROM Account',
      'SELECT Id Account',
      'SELECT Id FROM',
      'SELECT Id FROM Account WHERE',
      "SELECT Id FROM Account WHERE Name = 'unterminated",
      'SELECT Id FROM Account WHERE Name =',
      "SELECT Id FROM Account WHERE Name 'x'",
      'SELECT Id FROM Account WHERE Name = Acme',
      "SELECT Id FROM Account WHERE (Name = 'x'",
      'SELECT Id FROM Account WHERE Name IN ()',
      "SELECT Id FROM Account WHERE Name NOT LIKE 'x'",
      'SELECT Id FROM Account ORDER Name',
      'SELECT Id FROM Account ORDER BY Name NULLS',
      'SELECT Id FROM Account LIMIT x',
      'SELECT Id FROM Account LIMIT -1',
      'SELECT Id FROM Account LIMIT 1.5',
      'SELECT Id FROM Account OFFSET 1 LIMIT 1',
      'SELECT Id FROM Account LIMIT 1 extra',
      'SELECT COUNT(), Id FROM Account',
      'SELECT COUNT(Id) FROM Account',
      'SELECT Id, (SELECT Id FROM Contacts) FROM Account',
      'SELECT Id FROM Contact WHERE AccountId IN (SELECT Id FROM Account)',
      'SELECT Id FROM Account WHERE CreatedDate > 2026-01-01T00:00:00',
      'SELECT Id FROM Account WHERE CreatedDate > 2026-02-30T00:00:00Z',
      'SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS',
      'SELECT Id FROM Account WHERE Name = $x',
    ];
    for (const soql of malformedQueries) {
      it(`MALFORMED_QUERY: ${soql || '(empty)'}`, () => {
        expectError(() => executeSoql(store, soql), 'MALFORMED_QUERY');
      });
    }

    it('points at the offending token like Salesforce does', () => {
      const err = expectError(() => executeSoql(store, 'SELECT Id FROM Account WHERE Name = Acme'), 'MALFORMED_QUERY');
      expect(err.message).to.contain('ERROR at Row:1:Column:37');
      expect(err.message).to.contain("unexpected token: 'Acme'");
      expect(err.message).to.contain('\n                                    ^\n');
      const eof = expectError(() => executeSoql(store, 'SELECT Id\nFROM'), 'MALFORMED_QUERY');
      expect(eof.message).to.contain('ERROR at Row:2:Column:5');
      expect(eof.message).to.contain('<EOF>');
    });

    it('exposes the parsed query', () => {
      const q = parseSoql("SELECT Id, Account.Name FROM Contact c WHERE NOT (Name LIKE 'a%') ORDER BY Name DESC LIMIT 5 OFFSET 2");
      expect(q).to.deep.include({ count: false, fields: ['Id', 'Account.Name'], from: 'Contact', alias: 'c', limit: 5, offset: 2 });
      expect(q.orderBy).to.deep.equal([{ field: 'Name', descending: true, nullsFirst: false }]);
      expect(q.where?.kind).to.equal('not');
    });
  });

  describe('restRecord', () => {
    it('renders fields and nested parents with attributes, following the columns', () => {
      const res = executeSoql(store, 'SELECT Id, LastName, Account.Name, Account.Owner.Username, AccountId FROM Contact ORDER BY LastName');
      const [ann, bob, cy] = res.records.map((r) => restRecord(store, res.object, r, res.columns, '62.0'));
      expect(ann).to.deep.equal({
        attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${contacts[0].Id as string}` },
        Id: contacts[0].Id,
        LastName: 'Archer',
        Account: {
          attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${acme.Id as string}` },
          Name: 'Acme',
          Owner: {
            attributes: { type: 'User', url: `/services/data/v62.0/sobjects/User/${userId}` },
            Username: 'admin@example.com',
          },
        },
        AccountId: acme.Id,
      });
      expect(Object.keys(ann)).to.deep.equal(['attributes', 'Id', 'LastName', 'Account', 'AccountId']);
      expect((bob.Account as Record<string, unknown>).Name).to.equal('Globex');
      expect(cy).to.deep.equal({
        attributes: { type: 'Contact', url: `/services/data/v62.0/sobjects/Contact/${contacts[2].Id as string}` },
        Id: contacts[2].Id,
        LastName: 'Cole',
        Account: null,
        AccountId: null,
      });
    });

    it('accepts a version with its leading v and renders only the given columns', () => {
      const rec = restRecord(store, store.describe('Account')!, globex, ['Name', 'Owner.Name'], 'v60.0');
      expect(rec).to.deep.equal({
        attributes: { type: 'Account', url: `/services/data/v60.0/sobjects/Account/${globex.Id as string}` },
        Name: 'Globex',
        Owner: { attributes: { type: 'User', url: `/services/data/v60.0/sobjects/User/${otherUserId}` }, Name: 'Other' },
      });
    });
  });
});
