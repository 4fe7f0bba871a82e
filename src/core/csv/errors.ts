/*
 * Input problems found while reading a CSV: always with the file, the line and, where known, the field,
 * so the user can fix the file without guessing.
 */
export type CsvProblemKind =
  | 'encoding'
  | 'quote'
  | 'record-too-large'
  | 'empty-file'
  | 'no-header'
  | 'duplicate-header'
  | 'empty-header'
  | 'header-mismatch';

export class CsvInputError extends Error {
  public constructor(
    public readonly kind: CsvProblemKind,
    public readonly file: string,
    public readonly line: number,
    public readonly detail: string,
    public readonly field?: string
  ) {
    super(`${file}:${line}${field ? ` (${field})` : ''}: ${detail}`);
    this.name = 'CsvInputError';
  }
}
