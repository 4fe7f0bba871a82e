/*
 * The code's rooms and their order: no import cycle anywhere in src/ (type-only imports count: a
 * type that points up ties the rooms together as much as a value does), and no room importing a
 * room above it. A new room gets its place in ROOMS; a new import that goes up, or a cycle, fails here.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { importCycles, importGraph, upwardImports } from '../../helpers/importGraph.js';
import { PROJECT_ROOT } from '../../helpers/sf.js';

/** The rooms of src/, lowest first: each may import the rooms before it, never one after it. */
const ROOMS = [
  // The ground: files, HTTP and the org's identity, the Bulk APIs' clients, CSV, the checks.
  'index',
  'core/lazyMessages',
  'core/runtime',
  'core/io',
  'core/http',
  'core/org',
  'core/bulk',
  'core/csv',
  'core/preflight',
  // A run's records and files: the ledger owns the shapes it records; what is built from them.
  'core/ledger',
  'core/estimate',
  'core/results',
  'core/split',
  'core/backup',
  'core/run',
  // Sending: the job runner, how many jobs at once, rounds of rows sent again.
  'core/runner',
  'core/concurrency',
  'core/attempts',
  // The commands' cores.
  'core/load',
  'core/reconcile',
  'core/inventory',
  'core/jobs',
  'core/inventoryInit',
  'core/audit',
  'core/monitor',
  'core/export',
  // Load plans: steps of loads in order, over the load engine and the run's rows.
  'core/plan',
  // Drawing and the command shells.
  'ux',
  'commands',
];

function plant(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'bulkops-imports-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the import graph of src/', () => {
  const graph = importGraph(join(PROJECT_ROOT, 'src'));

  it('reads the imports of every file (the check sees the code)', () => {
    expect(graph.size).to.be.greaterThan(100);
    expect(graph.get('core/load/engine.ts')).to.include('core/runner/jobRunner.ts');
    // a type-only import is an edge too
    expect(graph.get('core/load/context.ts')).to.include('core/runner/jobRunner.ts');
  });

  it('has no import cycle', () => {
    expect(importCycles(graph)).to.deep.equal([]);
  });

  it('has no room importing a room above it, and every room has its place', () => {
    expect(upwardImports(graph, ROOMS).map((e) => `${e.from} -> ${e.to}`)).to.deep.equal([]);
  });

  it('keeps reconcile and the rounds off the load engine', () => {
    const intoLoad = [...graph].filter(([from]) => /^core\/(reconcile|attempts|run)\//.test(from)).flatMap(([from, deps]) => deps.filter((d) => d.startsWith('core/load/')).map((d) => `${from} -> ${d}`));
    expect(intoLoad).to.deep.equal([]);
  });

  it('has every room of src/core in the README\'s layout table, in the same order', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## How the code is laid out'), readme.indexOf('## Benchmarks'));
    const named = [...section.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1].matchAll(/`(\w+)`/g)].map((n) => `core/${n[1]}`));
    expect(named).to.deep.equal(ROOMS.filter((r) => r.startsWith('core/')));
  });

  it('keeps the load orchestrator short: its stages are modules of their own', () => {
    expect(graph.get('core/load/engine.ts')).to.include.members(['core/load/splitStage.ts', 'core/load/runParts.ts', 'core/load/mergeStage.ts', 'core/load/tidyStage.ts']);
  });
});

describe('the import checks on planted trees', () => {
  let root: string | undefined;
  afterEach(() => root && rmSync(root, { recursive: true, force: true }));

  it('finds a cycle, type-only imports included', () => {
    root = plant({
      'core/a/one.ts': "import { two } from '../b/two.js';\nexport const one = two;\n",
      'core/b/two.ts': "import type { Three } from './three.js';\nexport const two = 2 as Three;\n",
      'core/b/three.ts': "import { one } from '../a/one.js';\nexport type Three = number;\nexport const x = one;\n",
      'core/c/alone.ts': 'export const alone = 1;\n',
    });
    expect(importCycles(importGraph(root))).to.deep.equal([['core/a/one.ts', 'core/b/three.ts', 'core/b/two.ts']]);
  });

  it('finds an import of a room above, a re-export of one, and a room with no place', () => {
    root = plant({
      'core/low/a.ts': "import { b } from '../high/b.js';\nexport const a = b;\n",
      'core/low/c.ts': "export { b } from '../high/b.js';\n",
      'core/high/b.ts': 'export const b = 1;\n',
      'core/stray/d.ts': 'export const d = 1;\n',
    });
    const bad = upwardImports(importGraph(root), ['core/low', 'core/high']).map((e) => `${e.from} -> ${e.to}`);
    expect(bad).to.have.members(['core/low/a.ts -> core/high/b.ts', 'core/low/c.ts -> core/high/b.ts', 'core/stray/d.ts -> ?']);
  });
});
