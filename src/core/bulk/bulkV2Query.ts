/*
 * Bulk API 2.0 query jobs (Bulk API Developer Guide: Bulk API 2.0 Query): create, poll, and results paged with Sforce-Locator,
 * streamed page by page so an export of any size passes in flat memory.
 */
import { Readable } from 'node:stream';
import { OrgHttp } from '../http/orgHttp.js';
import { ColumnDelimiter, JobInfo, LineEnding } from './types.js';

export class BulkV2Query {
  public constructor(private readonly http: OrgHttp) {}

  public create(soql: string, operation: 'query' | 'queryAll' = 'query', csv: { columnDelimiter: ColumnDelimiter; lineEnding: LineEnding } = { columnDelimiter: 'COMMA', lineEnding: 'LF' }): Promise<JobInfo> {
    return this.http.json<JobInfo>({
      method: 'POST',
      path: this.http.dataPath('/jobs/query'),
      headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      body: JSON.stringify({ operation, query: soql, contentType: 'CSV', ...csv }),
    });
  }

  public info(jobId: string): Promise<JobInfo> {
    return this.http.json<JobInfo>({ method: 'GET', path: this.http.dataPath(`/jobs/query/${jobId}`) });
  }

  /**
   * One page of results, the locator of the next page ('null' at the end, as Salesforce says it) and
   * the page's record count (Sforce-NumberOfRecords). Without maxRecords the org chooses the page size.
   */
  public async page(jobId: string, locator: string | undefined, maxRecords: number | undefined): Promise<{ body: Readable; next: string | undefined; records?: number }> {
    const params = new URLSearchParams();
    if (maxRecords !== undefined) params.set('maxRecords', String(maxRecords));
    if (locator) params.set('locator', locator);
    const { body, headers } = await this.http.stream({
      method: 'GET',
      path: this.http.dataPath(`/jobs/query/${jobId}/results${params.size ? `?${params.toString()}` : ''}`),
      headers: { Accept: 'text/csv' },
    });
    const next = headers.get('sforce-locator');
    const records = headers.get('sforce-numberofrecords');
    // Data Loader reads the end marker case-insensitively.
    return { body, next: next && next.toLowerCase() !== 'null' ? next : undefined, ...(records !== null && /^\d+$/.test(records) ? { records: Number(records) } : {}) };
  }
}
