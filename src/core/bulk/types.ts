/*
 * Bulk API 2.0 shapes as the org sends them (Bulk API Developer Guide: Get Job Info).
 */
export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';
export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
export type ColumnDelimiter = 'BACKQUOTE' | 'CARET' | 'COMMA' | 'PIPE' | 'SEMICOLON' | 'TAB';
export type LineEnding = 'LF' | 'CRLF';

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
