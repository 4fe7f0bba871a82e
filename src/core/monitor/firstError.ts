/*
 * The first failed record's error of a Bulk API 2.0 ingest job (Bulk API 2.0 Developer Guide: Get
 * Job Failed Record Results; its sf__Error column), for an alert to say what went wrong. Only the
 * start of the results is read.
 */
import { parse } from 'csv-parse';
import { BulkV2 } from '../bulk/bulkV2.js';
import type { OrgHttp } from '../http/orgHttp.js';

export async function firstFailedRecordError(http: OrgHttp, jobId: string): Promise<string | undefined> {
  const body = await new BulkV2(http).results(jobId, 'failed');
  const parser = body.pipe(parse({ columns: true, relax_column_count: true, bom: true }));
  try {
    for await (const row of parser) {
      const error = (row as Record<string, string>).sf__Error;
      if (error) return error;
    }
    return undefined;
  } finally {
    body.destroy();
    parser.destroy();
  }
}
