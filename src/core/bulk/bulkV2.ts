/*
 * Bulk API 2.0 ingest calls. One method per documented call; retries and polling policy live in
 * the executor, not here, so each call stays a plain request.
 */
import { Readable } from 'node:stream';
import { OrgHttp, UploadBody } from '../http/orgHttp.js';
import { IngestJobSpec, JobInfo, ResultKind } from './types.js';

const RESULT_PATHS: Record<ResultKind, string> = {
  successful: 'successfulResults',
  failed: 'failedResults',
  unprocessed: 'unprocessedrecords',
};

export type JobList = { done: boolean; records: JobInfo[]; nextRecordsUrl: string | null };

export class BulkV2 {
  public constructor(private readonly http: OrgHttp) {}

  public createIngestJob(spec: IngestJobSpec): Promise<JobInfo> {
    return this.http.json<JobInfo>({
      method: 'POST',
      path: this.http.dataPath('/jobs/ingest'),
      headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      body: JSON.stringify({ ...spec, contentType: 'CSV' }),
    });
  }

  /**
   * One upload per job: Salesforce refuses a second one (Bulk API 2.0 and Bulk API Developer Guide:
   * "Upload Job Data"). The part's size is known, so it goes as Content-Length, not chunked.
   */
  public upload(jobId: string, body: UploadBody, bytes: number): Promise<void> {
    return this.http.upload({
      method: 'PUT',
      path: this.http.dataPath(`/jobs/ingest/${jobId}/batches`),
      headers: { 'Content-Type': 'text/csv', 'Content-Length': String(bytes) },
      body,
    });
  }

  public close(jobId: string): Promise<JobInfo> {
    return this.setState(jobId, 'UploadComplete');
  }

  public abort(jobId: string): Promise<JobInfo> {
    return this.setState(jobId, 'Aborted');
  }

  public info(jobId: string): Promise<JobInfo> {
    return this.http.json<JobInfo>({ method: 'GET', path: this.http.dataPath(`/jobs/ingest/${jobId}`) });
  }

  public async results(jobId: string, kind: ResultKind): Promise<Readable> {
    const { body } = await this.http.stream({
      method: 'GET',
      path: this.http.dataPath(`/jobs/ingest/${jobId}/${RESULT_PATHS[kind]}`),
      headers: { Accept: 'text/csv' },
    });
    return body;
  }

  /** One page of Get All Jobs; pass the previous page's nextRecordsUrl to go on. */
  public listJobs(next?: string | null, jobType?: string): Promise<JobList> {
    const path = next ?? this.http.dataPath(`/jobs/ingest${jobType ? `?jobType=${jobType}` : ''}`);
    return this.http.json<JobList>({ method: 'GET', path });
  }

  private setState(jobId: string, state: 'UploadComplete' | 'Aborted'): Promise<JobInfo> {
    return this.http.json<JobInfo>({
      method: 'PATCH',
      path: this.http.dataPath(`/jobs/ingest/${jobId}`),
      headers: { 'Content-Type': 'application/json; charset=UTF-8' },
      body: JSON.stringify({ state }),
    });
  }
}
