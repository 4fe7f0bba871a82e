/*
 * Ledger records for tests that replay a run without running it.
 */
import type { PlannedChunk } from '../../src/core/ledger/shapes.js';

/** A planned part of `rows` rows from input line `firstLine`, its files named after its number. */
export const plannedChunk = (index: number, firstLine: number, rows: number): PlannedChunk => ({
  index,
  fileIndex: 0,
  file: `part-${index}.csv`,
  linesFile: `part-${index}.lines`,
  rows,
  bytes: 100,
  firstLine,
  lastLine: firstLine + rows - 1,
  sha256: 'x',
});
