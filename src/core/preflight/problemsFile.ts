/*
 * problems.csv, written by --dry-run: every problem the checks found, one a row (header problems
 * first, then rows in input order), however many there are; the printed report shows a few of each kind.
 */
import { ByteWriter } from '../io/byteWriter.js';
import { csvLine, lineNumberText } from '../csv/writer.js';
import type { Problem } from './problems.js';

export class ProblemsFile {
  public count = 0;
  private readonly out: ByteWriter;
  private readonly multi: boolean;

  /** fileNames: the run's input files; with several, each row starts with its file's name. */
  public constructor(public readonly path: string, private readonly fileNames: string[]) {
    this.multi = fileNames.length > 1;
    this.out = new ByteWriter(path);
    this.out.text(csvLine([...(this.multi ? ['sf__File'] : []), 'sf__Line', 'sf__Kind', 'sf__Field', 'sf__Value', 'sf__Problem']));
  }

  /** Adds a problem; returns a promise only when it had to write. */
  public add(fileIndex: number, p: Problem): Promise<void> | undefined {
    this.count++;
    this.out.text(csvLine([...(this.multi ? [this.fileNames[fileIndex]] : []), lineNumberText(p.line), p.kind, p.field ?? '', p.value ?? '', p.detail]));
    return this.out.due ? this.out.flush() : undefined;
  }

  public close(): Promise<void> {
    return this.out.close();
  }
}
