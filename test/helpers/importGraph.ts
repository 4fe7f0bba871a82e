/*
 * The import graph of a source tree, for the architecture test: every relative import and
 * re-export of every .ts file (type-only ones too: a type that points up is a room that depends
 * on a room above it), the cycles among files, and the imports that go against a declared order
 * of rooms.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';

export type ImportEdge = { from: string; to: string };

/** Every .ts file under `root`, as a path relative to it (with '/'). */
function tsFiles(root: string, dir = root): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(root, path));
    else if (name.endsWith('.ts')) out.push(relative(root, path).split(sep).join('/'));
  }
  return out;
}

/** The relative imports of each file under `root` that resolve to a file of the tree. */
export function importGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(root)) {
    const text = readFileSync(join(root, file), 'utf8');
    const deps: string[] = [];
    // import … from './x.js', export … from './x.js', import('./x.js'), import './x.js'
    for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g)) {
      const target = normalize(join(dirname(file), m[1].replace(/\.js$/, '.ts'))).split(sep).join('/');
      if (existsSync(join(root, target))) deps.push(target);
    }
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** The cycles of the graph: each strongly connected set of two or more files (or a file importing itself). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const set: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      set.push(w);
    } while (w !== v);
    if (set.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(set.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/**
 * The room of a file: its folder under core/ (core/run, core/load…), or the top folder for the
 * rest (ux, commands); a file directly in core/ is a room of its own.
 */
export function roomOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'core') return parts.length > 2 ? `core/${parts[1]}` : `core/${parts[1].replace(/\.ts$/, '')}`;
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.ts$/, '');
}

/**
 * The imports that break the order of rooms (lowest first): a room may import its own files and
 * the rooms before it, never one after it. A room missing from the order is reported too (as an
 * edge to or from '?'), so a new room must be given its place.
 */
export function upwardImports(graph: Map<string, string[]>, order: string[]): Array<ImportEdge & { fromRoom: string; toRoom: string }> {
  const rank = new Map(order.map((room, i) => [room, i]));
  const bad: Array<ImportEdge & { fromRoom: string; toRoom: string }> = [];
  for (const [from, deps] of graph) {
    const fromRoom = roomOf(from);
    if (!rank.has(fromRoom)) {
      bad.push({ from, to: '?', fromRoom, toRoom: '?' });
      continue;
    }
    for (const to of deps) {
      const toRoom = roomOf(to);
      if (toRoom === fromRoom) continue;
      if (!rank.has(toRoom) || rank.get(toRoom)! > rank.get(fromRoom)!) bad.push({ from, to, fromRoom, toRoom });
    }
  }
  return bad;
}
