/*
 * Counts the records of a result page as its bytes pass, without parsing a field: a record ends at
 * an LF outside quotes (a quoted field may hold line breaks; "" inside one flips the state twice, as
 * it should). The first record of a page is its header: `headerEnd` tells where it ends, so the
 * pages after the first can be written without theirs.
 */
const LF = 10;
const QUOTE = 34;

export class PageScanner {
  /** records after the header */
  public records = 0;
  private inQuotes = false;
  private headerDone = false;

  /** Scans a chunk; returns where the header ends in it (just past its LF), when it ends in this chunk. */
  public scan(chunk: Buffer): number | undefined {
    let headerEnd: number | undefined;
    let nextQuote = chunk.indexOf(QUOTE);
    for (let lf = chunk.indexOf(LF); lf >= 0; lf = chunk.indexOf(LF, lf + 1)) {
      while (nextQuote >= 0 && nextQuote < lf) {
        this.inQuotes = !this.inQuotes;
        nextQuote = chunk.indexOf(QUOTE, nextQuote + 1);
      }
      if (this.inQuotes) continue;
      if (this.headerDone) this.records++;
      else {
        this.headerDone = true;
        headerEnd = lf + 1;
      }
    }
    for (; nextQuote >= 0; nextQuote = chunk.indexOf(QUOTE, nextQuote + 1)) this.inQuotes = !this.inQuotes;
    return headerEnd;
  }

  /** The page ended inside a quoted field or its header: not a whole page. */
  public get whole(): boolean {
    return this.headerDone && !this.inQuotes;
  }
}
