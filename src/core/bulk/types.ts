/*
 * Bulk API 2.0 shapes as the org sends them (Bulk API Developer Guide: Get Job Info).
 */
export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';
export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
export type ColumnDelimiter = 'BACKQUOTE' | 'CARET' | 'COMMA' | 'PIPE' | 'SEMICOLON' | 'TAB';
export type LineEnding = 'LF' | 'CRLF';

/**
 * The most one Bulk API 2.0 upload may hold: 150,000,000 bytes once Salesforce has base64-encoded
 * it (Bulk API Developer Guide: Bulk API 2.0 Limits; the org's refusal reads "Org max upload file
 * size is 150000000 bytes").
 */
export const UPLOAD_CAP_BASE64_BYTES = 150_000_000;
/** The largest CSV whose base64 form fits under the cap: every 3 bytes become 4. */
export const MAX_UPLOAD_CSV_BYTES = Math.floor(UPLOAD_CAP_BASE64_BYTES / 4) * 3;
/** The largest --max-job-size (whole MB of 1,048,576 bytes) whose parts always fit under the cap. */
export const MAX_JOB_SIZE_MB = Math.floor(MAX_UPLOAD_CSV_BYTES / (1024 * 1024));

export type IngestJobSpec = {
  object: string;
  operation: IngestOperation;
  externalIdFieldName?: string;
  columnDelimiter: ColumnDelimiter;
  lineEnding: LineEnding;
  /** insert and upsert: the assignment rule the org applies to the records (Bulk API 2.0: Create a Job) */
  assignmentRuleId?: string;
};

export type JobInfo = {
  id: string;
  operation: string;
  object: string;
  createdById: string;
  createdDate: string;
  systemModstamp?: string;
  state: JobState;
  jobType?: string;
  apiVersion?: number;
  numberRecordsProcessed?: number;
  numberRecordsFailed?: number;
  retries?: number;
  totalProcessingTime?: number;
  apiActiveProcessingTime?: number;
  apexProcessingTime?: number;
  errorMessage?: string;
};

export type ResultKind = 'successful' | 'failed' | 'unprocessed';

export const TERMINAL_STATES: ReadonlySet<JobState> = new Set(['JobComplete', 'Failed', 'Aborted']);

export const DELIMITER_CHARS: Record<ColumnDelimiter, string> = {
  BACKQUOTE: '`',
  CARET: '^',
  COMMA: ',',
  PIPE: '|',
  SEMICOLON: ';',
  TAB: '\t',
};

/** Bulk API 2.0 cuts a job into chunks of this many rows (Bulk API Developer Guide: How Requests Are Processed). */
export const CHUNK_ROWS = 10_000;
