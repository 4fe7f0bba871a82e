/*
 * Writes a query job's result pages to the output file, in order, each followed by its ledger
 * record: bytes written, file synced, then the page recorded (fsynced) before the next one is
 * taken. A page whose transfer breaks off is cut off the file and asked for again from its locator;
 * a page that holds other than the records the org said it sent stops the export (never a row lost
 * or written twice silently).
 */
import { OrgNetworkError } from '../http/orgHttp.js';
import type { Retrying } from '../http/retrying.js';
import { crashIfAsked } from '../runtime/crashPoints.js';
import type { StopToken } from '../runtime/stopToken.js';
import type { OutputFile } from './outputFile.js';
import type { PageLedger, PageRecord } from './pageLedger.js';
import { pageFormat, type FormatSpec, type HeaderCheck } from './pageFormats.js';
import { PagesAhead, type Page, type PageAnswer } from './pagesAhead.js';
import { RowCountError } from './errors.js';
import type { ExportEvent } from './types.js';

export type PageLoopDeps = {
  fetch: (locator: string | undefined) => Promise<PageAnswer>;
  retry: Retrying;
  ledger: PageLedger;
  out: OutputFile;
  format: FormatSpec;
  checkHeader?: HeaderCheck;
  /** pages asked for ahead of the one being written */
  ahead: number;
  stop?: StopToken;
  onEvent?: (e: ExportEvent) => void;
};

export type Totals = { rows: number; bytes: number; pages: number };

/** Writes the pages after `done` (the pages already whole in the file); returns the totals of all pages. */
export async function writePages(deps: PageLoopDeps, done: PageRecord[]): Promise<Totals> {
  const last = done.at(-1);
  const totals: Totals = { rows: done.reduce((n, p) => n + p.rows, 0), bytes: deps.out.size, pages: done.length };
  if (last && last.next === undefined) return totals;
  deps.stop?.check();
  const pages = new PagesAhead(deps.fetch, deps.ahead, { n: last ? last.n + 1 : 0, locator: last?.next });
  try {
    for (let page = await pages.next(); page; page = await pages.next()) {
      const start = deps.out.size;
      let attempt = 0;
      const rows = await deps.retry(`result page ${page.n + 1}`, async () => {
        // A later attempt: what the broken one wrote goes, and the page is asked for again.
        if (attempt++ > 0) {
          await deps.out.truncate(start);
          page = await pages.again(page!);
        }
        return writePage(deps, page!);
      });
      await deps.out.sync();
      crashIfAsked('page-written', page.n);
      const record: PageRecord = { t: 'page', n: page.n, ...(page.locator ? { locator: page.locator } : {}), ...(page.next ? { next: page.next } : {}), rows, bytes: deps.out.size - start, end: deps.out.size };
      deps.ledger.append(record);
      crashIfAsked('after-page', page.n);
      totals.rows += rows;
      totals.bytes = deps.out.size;
      totals.pages++;
      deps.onEvent?.({ type: 'page', page: page.n + 1, rows, bytes: record.bytes, totalRows: totals.rows, totalBytes: totals.bytes });
      if (!page.next) break;
      deps.stop?.check();
    }
  } finally {
    pages.close();
  }
  return totals;
}

async function writePage(deps: PageLoopDeps, page: Page): Promise<number> {
  const format = pageFormat(deps.format, page.n === 0, page.n === 0 ? deps.checkHeader : undefined);
  let chunks = 0;
  for await (const chunk of page.body) {
    await deps.out.write(format.push(chunk as Buffer));
    if (++chunks === 1) crashIfAsked('mid-page', page.n);
  }
  await deps.out.write(format.end());
  // The body ended where the org ended it, but not at the end of a record: read it again. (An
  // empty body, no header even, is a page of no records.)
  if (chunks > 0 && !format.whole) throw new OrgNetworkError(`result page ${page.n + 1} ended inside a record`, 'GET', 'results');
  if (page.records !== undefined && page.records !== format.records) throw new RowCountError(`result page ${page.n + 1}`, page.records, format.records);
  return format.records;
}
