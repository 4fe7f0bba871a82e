/*
 * Which round last sent each input line, and what each round made of it. A round's parts were
 * written in input order (file, then line), and their .lines files hold each row's input line
 * (planner.ts), so a round's lines are one sorted list; rows of a run are read in input order too,
 * so a pointer per round moves forward and nothing is looked up twice.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AttemptState, ChunkState } from '../ledger/records.js';
import type { Kind, RoundOutcome, RunRow, Source } from './runRow.js';

/** Where a round keeps its parts and its own result files; round 0 keeps the load's failures as they were before round 1. */
export function roundDir(runDir: string, round: number): string {
  return join(runDir, 'rounds', String(round));
}

type RoundList = { round: AttemptState; files: Uint32Array; lines: Uint32Array; parts: Uint32Array; at: number };

export class RoundLines {
  private constructor(private readonly lists: RoundList[]) {}

  /** Reads the .lines of the rounds' parts (4 bytes a row). */
  public static async read(rounds: AttemptState[]): Promise<RoundLines> {
    const lists: RoundList[] = [];
    for (const round of rounds) {
      const n = round.chunks.reduce((s, c) => s + c.chunk.rows, 0);
      const list: RoundList = { round, files: new Uint32Array(n), lines: new Uint32Array(n), parts: new Uint32Array(n), at: 0 };
      let i = 0;
      for (const [p, c] of round.chunks.entries()) {
        const bytes = existsSync(c.chunk.linesFile) ? await readFile(c.chunk.linesFile) : Buffer.alloc(0);
        for (let at = 0; at + 4 <= bytes.length && i < n; at += 4, i++) {
          list.files[i] = c.chunk.fileIndex;
          list.lines[i] = bytes.readUInt32LE(at);
          list.parts[i] = p;
        }
      }
      lists.push(list);
    }
    return new RoundLines(lists);
  }

  /** The latest of the rounds that sent this line, and its part there; lines must be asked in input order. */
  public latest(fileIndex: number, line: number): { round: AttemptState; part: ChunkState } | undefined {
    let found: { round: AttemptState; part: ChunkState } | undefined;
    for (const l of this.lists) {
      while (l.at < l.lines.length && (l.files[l.at] < fileIndex || (l.files[l.at] === fileIndex && l.lines[l.at] < line))) l.at++;
      if (l.at < l.lines.length && l.files[l.at] === fileIndex && l.lines[l.at] === line) found = { round: l.round, part: l.round.chunks[l.parts[l.at]] };
    }
    return found;
  }

  /** Whether the line is one of the rounds' (input order, like latest). */
  public has(fileIndex: number, line: number): boolean {
    return this.latest(fileIndex, line) !== undefined;
  }
}

/**
 * Each line's outcome in every round: round 0's from the copy of the load's failures kept before
 * round 1 rewrote the result files, later rounds' from their own result files.
 */
export class RoundHistory {
  private readonly heads: Array<{ round: number; source: Source; head?: RunRow; started: boolean }>;

  public constructor(sources: Array<{ round: number; source: Source }>) {
    this.heads = sources.map((s) => ({ ...s, started: false }));
  }

  /** Every round's outcome of this line, in round order; lines must be asked in input order. */
  public async of(fileIndex: number, line: number): Promise<RoundOutcome[]> {
    const out: RoundOutcome[] = [];
    for (const h of this.heads) {
      if (!h.started) {
        h.head = (await h.source.next()).value as RunRow | undefined;
        h.started = true;
      }
      while (h.head && (h.head.fileIndex < fileIndex || (h.head.fileIndex === fileIndex && h.head.line < line))) h.head = (await h.source.next()).value as RunRow | undefined;
      while (h.head && h.head.fileIndex === fileIndex && h.head.line === line) {
        out.push({ round: h.round, state: h.head.state, ...(h.head.code ? { code: h.head.code } : {}) });
        h.head = (await h.source.next()).value as RunRow | undefined;
      }
    }
    return out.sort((a, b) => a.round - b.round);
  }
}

/** The result files of a round (round 0: the copies of the load's failures), with the kind of each. */
export function roundFiles(dir: string, round: number): Array<{ file: string; kind: Kind }> {
  const kinds: Kind[] = round === 0 ? ['failed', 'unprocessed', 'rejected'] : ['success', 'failed', 'unprocessed'];
  return kinds.map((kind) => ({ file: join(dir, `${kind}.csv`), kind })).filter((f) => existsSync(f.file));
}

/** "0:failed:UNABLE_TO_LOCK_ROW 1:succeeded": a line's outcome in each round, for rows.csv. */
export function historyText(outcomes: RoundOutcome[]): string {
  return outcomes.map((o) => [String(o.round), o.state, ...(o.code ? [o.code] : [])].join(':')).join(' ');
}
