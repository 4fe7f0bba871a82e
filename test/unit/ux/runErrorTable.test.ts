/*
 * The README's table of the errors that end a run is the one the messages make: a change to a
 * message, a name or an exit code without the README fails here (and the other way round).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { runErrorTable, TABLE_END, TABLE_START } from '../../../src/ux/runErrorTable.js';
import { PROJECT_ROOT } from '../../helpers/sf.js';

describe('README: the table of errors that end a run', () => {
  it('is the table made from messages/bulkops.runErrors.md', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    expect(start, 'the README has the table\'s start marker').to.be.greaterThan(-1);
    expect(end, 'and its end marker after it').to.be.greaterThan(start);
    const inReadme = readme.slice(start, end + TABLE_END.length);
    const made = runErrorTable();
    expect(inReadme, `put this in README.md instead:\n${made}\n`).to.equal(made);
  });

  it('names every kind once, each with a resume step', () => {
    const rows = runErrorTable().split('\n').filter((l) => l.startsWith('| `'));
    const names = rows.map((r) => /^\| `(\w+)`/.exec(r)?.[1]);
    expect(names).to.deep.equal(['SessionExpiredError', 'RequestLimitError', 'OrgUnavailableError', 'OrgApiError', 'NetworkError', 'FileSystemError', 'InterruptedError']);
    for (const r of rows) expect(r).to.include('sf bulkops resume --run-id <run>');
  });
});
