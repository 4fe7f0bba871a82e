/*
 * The ledger after a torn write: a cut last line is ignored when read, cut off (and kept aside) by
 * repair and before the next append; a bad line in the middle stops the replay with file and line.
 */
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Ledger, LedgerCorruptError, LEDGER_FILE } from '../../../../src/core/ledger/ledger.js';

const NOW = Date.parse('2026-11-28T10:15:00.000Z');

describe('ledger', () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulkops-ledger-'));
    path = join(dir, LEDGER_FILE);
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Two whole records, as the engine writes them. */
  function twoRecords(): string {
    const ledger = new Ledger(dir, () => NOW);
    ledger.append({ t: 'creating', chunk: 1 });
    ledger.append({ t: 'created', chunk: 1, jobId: '750000000000001AAA' });
    ledger.close();
    return readFileSync(path, 'utf8');
  }

  const torn = (): string[] => readdirSync(dir).filter((f) => f.startsWith('ledger.torn-'));

  it('reads what it appended, one record a line', () => {
    const text = twoRecords();
    expect(text.split('\n')).to.have.length(3);
    expect(Ledger.read(dir).map((r) => r.t)).to.deep.equal(['creating', 'created']);
    expect(Ledger.repair(dir)).to.equal(undefined);
    expect(torn()).to.deep.equal([]);
  });

  it('leaves a torn last line out when reading, and does not change the file', () => {
    const whole = twoRecords();
    appendFileSync(path, '{"t":"uploading","chu');
    expect(Ledger.read(dir).map((r) => r.t)).to.deep.equal(['creating', 'created']);
    expect(readFileSync(path, 'utf8')).to.equal(`${whole}{"t":"uploading","chu`);
  });

  it('repair cuts the torn line off, keeps its bytes aside, and says what it did', () => {
    const whole = twoRecords();
    appendFileSync(path, '{"t":"uploading","chu');
    const repaired = Ledger.repair(dir, () => NOW)!;
    expect(readFileSync(path, 'utf8')).to.equal(whole);
    expect(repaired).to.include({ bytes: 21, afterLine: 2, file: path });
    expect(torn()).to.deep.equal(['ledger.torn-20261128T101500000Z']);
    expect(readFileSync(repaired.tornFile, 'utf8')).to.equal('{"t":"uploading","chu');
    expect(repaired.message).to.equal(
      `The run's ledger ended in a record cut short (21 bytes after line 2: the process or the machine stopped while writing it). It was cut back to the last complete record; the cut bytes are kept in ${repaired.tornFile}.`
    );
    // A second repair finds nothing to do.
    expect(Ledger.repair(dir)).to.equal(undefined);
  });

  it('treats a last line of zeros (a power cut after the size grew) or a bad last line with its newline as torn', () => {
    const whole = twoRecords();
    appendFileSync(path, Buffer.alloc(40));
    expect(Ledger.repair(dir, () => NOW)?.bytes).to.equal(40);
    expect(readFileSync(path, 'utf8')).to.equal(whole);
    appendFileSync(path, '{"t":"upl\0\0\0\0"}\n');
    expect(Ledger.read(dir)).to.have.length(2);
    expect(Ledger.repair(dir, () => NOW + 1)?.bytes).to.equal(16);
    expect(readFileSync(path, 'utf8')).to.equal(whole);
    expect(torn()).to.have.length(2);
  });

  it('repairs before the next append, so the new record is never glued to the torn bytes', () => {
    twoRecords();
    appendFileSync(path, '{"t":"uploading","chunk":1,"jo');
    const ledger = new Ledger(dir, () => NOW);
    ledger.append({ t: 'uploading', chunk: 1, jobId: '750000000000001AAA' });
    ledger.close();
    expect(Ledger.read(dir).map((r) => r.t)).to.deep.equal(['creating', 'created', 'uploading']);
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).to.have.length(3);
    expect(torn()).to.have.length(1);
  });

  it('open repairs, then hands out the records and a ledger to append to', () => {
    twoRecords();
    appendFileSync(path, '{"t":"upl');
    const { ledger, records, repaired } = Ledger.open(dir, () => NOW);
    expect(records.map((r) => r.t)).to.deep.equal(['creating', 'created']);
    expect(repaired?.bytes).to.equal(9);
    ledger.append({ t: 'uploading', chunk: 1, jobId: '750000000000001AAA' });
    ledger.close();
    expect(Ledger.read(dir)).to.have.length(3);
  });

  it('stops with the file and line when a line before the last is not a record', () => {
    const whole = twoRecords();
    const lines = whole.split('\n');
    writeFileSync(path, [lines[0], '{"t":"creat', lines[1], ''].join('\n'));
    const expected = `the run's ledger ${path} is damaged at line 2 (of 3): that line is not a ledger record, and records follow it. The run cannot be replayed safely; keep the folder as it is and look at that line.`;
    expect(() => Ledger.read(dir)).to.throw(LedgerCorruptError, expected);
    // Repair does not guess either: the file is left as it was.
    expect(() => Ledger.repair(dir)).to.throw(LedgerCorruptError);
    expect(() => new Ledger(dir).append({ t: 'merged' })).to.throw(LedgerCorruptError, 'line 2 (of 3)');
    expect(torn()).to.deep.equal([]);
    expect(readFileSync(path, 'utf8')).to.equal([lines[0], '{"t":"creat', lines[1], ''].join('\n'));
  });

  it('a JSON line that is not a record (no type) counts as damaged too', () => {
    const whole = twoRecords();
    writeFileSync(path, `[1,2]\n${whole}`);
    expect(() => Ledger.read(dir)).to.throw(LedgerCorruptError, 'line 1 (of 3)');
  });
});
