import { expect } from 'chai';
import { describeFromObjects, normalizeDescribe } from '../../../../src/core/preflight/describe.js';
import { planHeader } from '../../../../src/core/preflight/headerPlan.js';
import { ParentCensus, parentColumns, type ColumnShape, type DataShape } from '../../../../src/core/concurrency/parents.js';
import { decideConcurrency } from '../../../../src/core/concurrency/decide.js';

const ACCOUNT = normalizeDescribe({
  name: 'Account',
  createable: true,
  updateable: true,
  fields: [
    { name: 'Id', type: 'id' },
    { name: 'Name', type: 'string', createable: true, updateable: true, nillable: false },
    { name: 'External_Id__c', type: 'string', externalId: true, createable: true, updateable: true },
  ],
});
const CONTACT = normalizeDescribe({
  name: 'Contact',
  createable: true,
  updateable: true,
  fields: [
    { name: 'Id', type: 'id' },
    { name: 'LastName', type: 'string', createable: true, updateable: true, nillable: false },
    { name: 'AccountId', type: 'reference', referenceTo: ['Account'], relationshipName: 'Account', createable: true, updateable: true },
    { name: 'ReportsToId', type: 'reference', referenceTo: ['Contact'], relationshipName: 'ReportsTo', createable: true, updateable: true },
    { name: 'OwnerId', type: 'reference', referenceTo: ['User'], relationshipName: 'Owner', createable: true, updateable: true },
    { name: 'Invoice__c', type: 'reference', referenceTo: ['Account'], relationshipName: 'Invoice__r', relationshipOrder: 0, createable: true },
  ],
});
const describeSource = describeFromObjects([ACCOUNT, CONTACT]);

const columnsOf = async (header: string[]): Promise<ReturnType<typeof parentColumns>> =>
  parentColumns(await planHeader({ object: CONTACT, operation: 'insert', header, describe: describeSource }));

const column = (over: Partial<ColumnShape>): ColumnShape => ({
  index: 0,
  header: 'AccountId',
  field: 'AccountId',
  kind: 'lookup',
  parentObject: 'Account',
  matchedOn: 'Id',
  rowsWithParent: 100_000,
  parents: 20,
  sharedRows: 100_000,
  largest: 40_000,
  oversized: 2,
  oversizedRows: 70_000,
  exact: true,
  ...over,
});
const shape = (columns: ColumnShape[], over: Partial<DataShape> = {}): DataShape => ({ rows: 100_000, files: 1, chunkRows: 10_000, columns, ...over });

describe('data shape for --concurrency auto', () => {
  describe('parent columns', () => {
    it('finds lookups and master-details by Id and by external ID, not lookups to User', async () => {
      const cols = await columnsOf(['LastName', 'AccountId', 'OwnerId', 'ReportsTo.Id', 'Invoice__r.External_Id__c']);
      expect(cols.map((c) => [c.index, c.header, c.field, c.kind, c.parentObject, c.matchedOn])).to.deep.equal([
        [1, 'AccountId', 'AccountId', 'lookup', 'Account', 'Id'],
        [3, 'ReportsTo.Id', 'ReportsToId', 'lookup', 'Contact', 'Id'],
        [4, 'Invoice__r.External_Id__c', 'Invoice__c', 'master-detail', 'Account', 'External_Id__c'],
      ]);
    });

    it('keys cells as the org compares them: 15-character Ids, external IDs ignoring case', async () => {
      const [byId, byExt] = await columnsOf(['AccountId', 'Account.External_Id__c']);
      expect(byId.key('001000000000001AAA')).to.equal(byId.key('001000000000001'));
      expect(byExt.key('Ext-1')).to.equal(byExt.key('EXT-1'));
    });
  });

  describe('census', () => {
    const record = (fields: string[], line: number): { line: number; fields: string[] } => ({ line, fields });

    it('counts children per parent exactly under its capacity; blanks and #N/A set no parent', async () => {
      const cols = await columnsOf(['LastName', 'Account.External_Id__c']);
      const census = new ParentCensus(cols, 10);
      const parents = ['A', 'a', 'B', '', '#N/A', 'C', 'A', 'B'];
      parents.forEach((p, i) => census.add(record([`n${i}`, p], i + 2)));
      const [s] = census.shape({ files: 1, chunkRows: 2 }).columns;
      expect(s).to.include({ rowsWithParent: 6, parents: 3, sharedRows: 5, largest: 3, oversized: 1, oversizedRows: 3, exact: true });
      expect(census.count(0, 'a')).to.equal(3);
      expect(census.count(0, 'zz')).to.equal(0);
    });

    it('past its capacity keeps every heavy parent with a bounded error, and says it is not exact', async () => {
      const cols = await columnsOf(['AccountId']);
      const census = new ParentCensus(cols, 100);
      // 5 heavy parents of 2,000 rows each among 10,000 parents of one row.
      let line = 2;
      const heavy = (i: number): string => `0010000000000${String(i).padStart(2, '0')}`;
      for (let r = 0; r < 20_000; r++) {
        census.add(record([r % 2 === 0 ? heavy(r % 10) : `003${String(r).padStart(12, '0')}`], line++));
      }
      const [s] = census.shape({ files: 1, chunkRows: 1500 }).columns;
      expect(s.exact).to.equal(false);
      expect(census.count(0, heavy(0))).to.equal(undefined);
      expect(s.rowsWithParent).to.equal(20_000);
      // Each heavy count is low by at most rows / (capacity + 1); largest is an upper bound.
      expect(s.largest).to.be.within(2000, 2000 + 20_000 / 101);
      expect(s.oversized).to.equal(5);
      expect(s.sharedRows).to.be.within(10_000 - 5 * (20_000 / 101), 10_000);
    });
  });

  describe('decision', () => {
    it('parallel when no column locks a parent', () => {
      const d = decideConcurrency(shape([]), { maxInFlight: 5 });
      expect(d).to.deep.equal({ mode: 'parallel', reason: 'parallel: no lookup or master-detail column, so no row locks a parent', maxInFlight: 5 });
    });

    it('parallel when every row fits in one chunk of one file', () => {
      const d = decideConcurrency(shape([column({ rowsWithParent: 9000 })], { rows: 9000 }), { maxInFlight: 5 });
      expect(d.mode).to.equal('parallel');
      expect(d.reason).to.match(/9,000 rows fit in one 10,000-row chunk/);
      // Two files are two jobs: they can contend.
      expect(decideConcurrency(shape([column({ rowsWithParent: 9000 })], { rows: 9000, files: 2 }), { maxInFlight: 5 }).mode).to.equal('grouped');
    });

    it('parallel when parents are spread thin (under 1% of rows share one)', () => {
      const d = decideConcurrency(shape([column({ parents: 99_500, sharedRows: 900, largest: 3, oversized: 0, oversizedRows: 0 })]), { maxInFlight: 5 });
      expect(d).to.include({ mode: 'parallel', maxInFlight: 5 });
      expect(d.reason).to.equal('parallel: parents spread thin (0.9% of rows share a parent in AccountId)');
    });

    it('grouped by the parent column for children of few parents, naming the parents too big for a chunk', () => {
      const d = decideConcurrency(shape([column({ index: 3, header: 'Account.External_Id__c' })]), { maxInFlight: 5 });
      expect(d).to.deep.equal({
        mode: 'grouped',
        reason:
          'grouped by Account.External_Id__c: 100,000 rows share 20 Account records (up to 40,000 on one); 2 of them have more than a 10,000-row chunk holds: the parts of each load one at a time',
        groupBy: { index: 3, header: 'Account.External_Id__c' },
        partRows: 10_000,
        maxInFlight: 5,
      });
      const small = decideConcurrency(shape([column({ largest: 5000, oversized: 0, oversizedRows: 0 })]), { maxInFlight: 3 });
      expect(small.reason).to.equal('grouped by AccountId: 100,000 rows share 20 Account records (up to 5,000 on one)');
      expect(small.maxInFlight).to.equal(3);
    });

    it('grouped, not parallel, when the census overflowed: counts it does not have are not trusted as thin', () => {
      const d = decideConcurrency(shape([column({ exact: false, parents: 50_000, sharedRows: 10, largest: 40, oversized: 0 })]), { maxInFlight: 5 });
      expect(d.mode).to.equal('grouped');
      expect(d.reason).to.match(/over 50,000 Account records/);
    });

    it('serial when two parent columns both share parents', () => {
      const d = decideConcurrency(shape([column({}), column({ index: 2, header: 'ReportsToId', parentObject: 'Contact' })]), { maxInFlight: 5 });
      expect(d).to.deep.equal({
        mode: 'serial',
        reason: 'serial: AccountId and ReportsToId both share parents, and rows sorted for one scatter the other; one 10,000-row part at a time',
        partRows: 10_000,
        maxInFlight: 1,
      });
    });

    it('grouped on the one shared column when another parent column is spread thin', () => {
      const d = decideConcurrency(shape([column({ index: 1, header: 'ReportsToId', sharedRows: 0, largest: 1, oversized: 0 }), column({ index: 2 })]), { maxInFlight: 5 });
      expect(d.mode).to.equal('grouped');
      expect(d.groupBy).to.deep.equal({ index: 2, header: 'AccountId' });
    });
  });
});
