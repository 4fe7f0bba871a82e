/*
 * Reads an inventory file and reports every problem with its line, column and path: YAML syntax
 * first (nothing else can be trusted then), then the schema, then the rules across entries (names
 * unique, each user, connected app and client in one integration only). Line numbers come from
 * the YAML node ranges, so a problem points at the key or item the user has to change.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Document, isMap, isPair, isScalar, isSeq, LineCounter, Node, parseDocument } from 'yaml';
import type { core as zcore } from 'zod';
import { closestName } from '../preflight/closestName.js';
import { inventoryMessages as messages } from './messages.js';
import { Inventory, InventorySchema } from './schema.js';

export type InventoryProblem = {
  line: number;
  column: number;
  /** where in the file, e.g. integrations[2].allowed[0].operations[1] ("" for the whole file) */
  path: string;
  message: string;
};

export type InventoryCheck = { file: string; inventory?: Inventory; problems: InventoryProblem[] };

export class InventoryFileError extends Error {
  public constructor(message: string, public readonly actions: string[]) {
    super(message);
    this.name = 'InventoryFileError';
  }
}

/** Reads and checks a file; a missing file throws InventoryFileError, a bad one returns its problems. */
export function checkInventoryFile(file: string): InventoryCheck {
  if (!existsSync(file)) throw new InventoryFileError(messages.getMessage('notFound', [file]), messages.getMessages('notFound.actions', [file]));
  return { file, ...checkInventoryText(readFileSync(file, 'utf8')) };
}

/** The inventory, when the text holds a valid one, and every problem found. */
export function checkInventoryText(text: string): { inventory?: Inventory; problems: InventoryProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): { line: number; column: number } => {
    const p = lines.linePos(offset);
    return { line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    return {
      problems: doc.errors.map((e) => ({ ...at(e.pos[0]), path: '', message: messages.getMessage('yaml', [e.message.split('\n')[0]]) })),
    };
  }
  if (!isMap(doc.contents)) return { problems: [{ line: 1, column: 1, path: '', message: messages.getMessage('notAnInventory') }] };
  const problems: InventoryProblem[] = [];
  const where = (path: PropertyKey[], key?: string): { line: number; column: number; path: string } => ({
    ...at(offsetOf(doc, key === undefined ? path : [...path, key])),
    path: pathText(key === undefined ? path : [...path, key]),
  });
  const parsed = InventorySchema.safeParse(doc.toJS(), { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) problems.push({ ...where(issue.path, key), message: unknownKey(key, allowedKeys(issue.path)) });
      } else {
        problems.push({ ...where(issue.path), message: describeIssue(issue) });
      }
    }
  } else {
    problems.push(...crossChecks(parsed.data).map((c) => ({ ...where(c.path), message: c.message(where) })));
  }
  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  return parsed.success && problems.length === 0 ? { inventory: parsed.data, problems } : { problems };
}

type Cross = { path: PropertyKey[]; message: (where: (p: PropertyKey[]) => { line: number }) => string };

function crossChecks(inv: Inventory): Cross[] {
  const out: Cross[] = [];
  const names = new Map<string, number>();
  const sources = new Map<string, string>();
  inv.integrations.forEach((integration, i) => {
    const key = integration.name.toLowerCase();
    const first = names.get(key);
    if (first === undefined) names.set(key, i);
    else {
      out.push({ path: ['integrations', i, 'name'], message: (w) => messages.getMessage('duplicateName', [integration.name, w(['integrations', first, 'name']).line]) });
    }
    for (const kind of ['users', 'connectedApps', 'clients'] as const) {
      (integration.match[kind] ?? []).forEach((value, j) => {
        const id = `${kind}:${value.toLowerCase()}`;
        const owner = sources.get(id);
        if (owner === undefined) sources.set(id, integration.name);
        else if (owner !== integration.name) {
          out.push({ path: ['integrations', i, 'match', kind, j], message: () => messages.getMessage('sharedSource', [kind, value, owner]) });
        }
      });
    }
  });
  return out;
}

const KEYS: Record<string, string[]> = {
  '': ['version', 'org', 'reviewed', 'integrations', 'exceptions'],
  integrations: ['name', 'owner', 'purpose', 'match', 'allowed', 'cadence', 'status'],
  owner: ['team', 'contact'],
  match: ['users', 'connectedApps', 'clients'],
  allowed: ['object', 'operations'],
  exceptions: ['match', 'reason', 'until'],
};

/** The fields allowed where an unknown one was found (the last name in its path). */
function allowedKeys(path: PropertyKey[]): string[] {
  const named = path.filter((p): p is string => typeof p === 'string');
  return KEYS[named.at(-1) ?? ''] ?? [];
}

function unknownKey(key: string, allowed: string[]): string {
  const close = closestName(key, allowed);
  return close ? messages.getMessage('unknownFieldClose', [key, close]) : messages.getMessage('unknownField', [key, allowed.join(', ')]);
}

function describeIssue(issue: zcore.$ZodIssue): string {
  const input = (issue as { input?: unknown }).input;
  if (input === undefined && (issue.code === 'invalid_type' || issue.code === 'invalid_value')) return messages.getMessage('missing');
  switch (issue.code) {
    case 'invalid_type':
      return messages.getMessage('wrongType', [typeName(issue.expected), typeOf(input)]);
    case 'invalid_value':
      return issue.path.at(-1) === 'version'
        ? messages.getMessage('notVersion')
        : messages.getMessage('notOneOf', [issue.values.map(String).join(', '), JSON.stringify(input)]);
    case 'too_small':
      return issue.origin === 'array' ? messages.getMessage('emptyList') : messages.getMessage('emptyText');
    case 'invalid_format':
      return messages.getMessage('date', [JSON.stringify(input)]);
    case 'custom': {
      const key = (issue.params as { key?: string } | undefined)?.key;
      if (key === 'date') return messages.getMessage('date', [JSON.stringify(input)]);
      if (key === 'emptyMatch') return messages.getMessage('emptyMatch');
      return messages.getMessage('invalid', [issue.message]);
    }
    default:
      return messages.getMessage('invalid', [issue.message]);
  }
}

function typeName(expected: string): string {
  return expected === 'object' ? 'a mapping (key: value)' : expected === 'array' ? 'a list' : `a ${expected}`;
}

function typeOf(v: unknown): string {
  if (v === null) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)), '');
}

/**
 * Where a path points in the text: the key of the last mapping entry found on the way (the line to
 * change), or the list item; a path that goes past what the file has points at its deepest part.
 */
export function offsetOf(doc: Document, path: readonly PropertyKey[]): number {
  let node: unknown = doc.contents;
  let offset = doc.contents?.range?.[0] ?? 0;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === segment);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset;
}
