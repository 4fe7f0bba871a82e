/*
 * Salesforce record IDs: a 3-character key prefix, 12 more base-62 characters, and a 3-character
 * case-safe suffix that makes the 18-character form survive case-insensitive systems.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';

/** The three suffix characters: one bit per upper-case letter in each group of five characters. */
export function caseSafeSuffix(id15: string): string {
  let suffix = '';
  for (let group = 0; group < 3; group++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charAt(group * 5 + i);
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += SUFFIX.charAt(bits);
  }
  return suffix;
}

export function to18(id: string): string {
  if (id.length === 18) return id;
  return id + caseSafeSuffix(id);
}

/** True for a well-formed 15- or 18-character ID (the suffix must match for 18). */
export function isValidId(id: string): boolean {
  if (!/^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$/.test(id)) return false;
  return id.length === 15 || caseSafeSuffix(id.slice(0, 15)) === id.slice(15);
}

/** Normalises a valid 15- or 18-char ID to 18 chars; callers check isValidId first. */
export function canonicalId(id: string): string {
  return to18(id.slice(0, 15));
}

/** Makes IDs for one org: prefix + a 3-char pod marker + a base-62 counter. */
export class IdFactory {
  private counters = new Map<string, number>();

  public constructor(private readonly pod = '5e0') {}

  public next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    let body = '';
    let rest = n;
    for (let i = 0; i < 9; i++) {
      body = BASE62.charAt(rest % 62) + body;
      rest = Math.floor(rest / 62);
    }
    return to18(prefix + this.pod + body);
  }

  public snapshot(): Record<string, number> {
    return Object.fromEntries(this.counters);
  }

  public restore(state: Record<string, number>): void {
    this.counters = new Map(Object.entries(state));
  }
}
