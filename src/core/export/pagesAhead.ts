/*
 * A query job's result pages in order, asked for ahead of the one being written. A page's answer
 * carries the next page's locator in its headers (Sforce-Locator), before its body: so page k+1 can
 * be asked for as soon as page k's headers are in, while k's body is still being written. The org
 * then prepares the next pages while this machine writes, instead of after it. The bodies of pages
 * asked for ahead are read only in their turn: until then TCP holds them back (a few socket buffers
 * each), so memory stays flat whatever the page size.
 */
import type { Readable } from 'node:stream';

export type PageAnswer = { body: Readable; next?: string; records?: number };
export type Page = PageAnswer & { n: number; locator?: string };

export class PagesAhead {
  private readonly queue: Array<Promise<Page | undefined>> = [];
  /** the last page asked for: the next one is asked for from its locator */
  private tail: Promise<Page | undefined>;
  private closed = false;

  /** `depth`: pages asked for ahead of the one being written (at least one). */
  public constructor(private readonly fetch: (locator: string | undefined) => Promise<PageAnswer>, private readonly depth: number, first: { n: number; locator?: string }) {
    this.tail = this.ask(first.n, first.locator);
    this.queue.push(this.tail);
    this.fill();
  }

  /** The next page, its body unread; undefined after the last one. */
  public async next(): Promise<Page | undefined> {
    const head = this.queue.shift();
    this.fill();
    return head;
  }

  /** The same page asked for again from its locator (its transfer broke off). */
  public again(page: Page): Promise<Page> {
    return this.ask(page.n, page.locator) as Promise<Page>;
  }

  /** Stops asking; the bodies of pages asked for ahead are let go. */
  public close(): void {
    this.closed = true;
    for (const p of this.queue.splice(0)) void p.then((page) => page?.body.destroy(), () => undefined);
  }

  private ask(n: number, locator: string | undefined): Promise<Page | undefined> {
    const p = this.fetch(locator).then((a) => ({ ...a, n, ...(locator ? { locator } : {}) }));
    // Seen by whoever takes it from the queue; a page asked for ahead and never taken fails unseen.
    p.catch(() => undefined);
    return p;
  }

  private fill(): void {
    while (!this.closed && this.queue.length < Math.max(1, this.depth)) {
      const p = this.tail.then((page) => (page?.next !== undefined && !this.closed ? this.ask(page.n + 1, page.next) : undefined));
      p.catch(() => undefined);
      this.tail = p;
      this.queue.push(p);
    }
  }
}
