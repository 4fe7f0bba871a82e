/* The ways an export ends that the user can act on; the command shell gives each its message and action. */

/** The org refused the query at job creation (bad SOQL, a field it does not know): its own error code and message. */
export class QueryRefusedError extends Error {
  public constructor(public readonly errorCode: string, message: string) {
    super(message);
    this.name = 'QueryRefusedError';
  }
}

/** The query job ended without results (Failed or Aborted). */
export class QueryJobFailedError extends Error {
  public constructor(public readonly jobId: string, public readonly state: string, public readonly reason?: string) {
    super(`query job ${jobId} ended ${state}${reason ? `: ${reason}` : ''}`);
    this.name = 'QueryJobFailedError';
  }
}

/** The org no longer keeps the job (results are kept 7 days, or the job was deleted): a resume cannot go on. */
export class QueryJobGoneError extends Error {
  public constructor(public readonly jobId: string) {
    super(`query job ${jobId} is no longer in the org`);
    this.name = 'QueryJobGoneError';
  }
}

/** The org refused the locator of the next page (INVALID_QUERY_LOCATOR): the pages after it cannot be had from this job. */
export class LocatorRefusedError extends Error {
  public constructor(public readonly jobId: string) {
    super(`the org refused the locator of a result page of query job ${jobId}`);
    this.name = 'LocatorRefusedError';
  }
}

/** The output file is shorter than the pages the ledger says were written: someone changed it since. */
export class OutputChangedError extends Error {
  public constructor(public readonly file: string, public readonly expected: number, public readonly found: number) {
    super(`${file} holds ${found} bytes, the run wrote ${expected}`);
    this.name = 'OutputChangedError';
  }
}

/** A page's rows do not match what the org said it holds (Sforce-NumberOfRecords), or the total the job's count: a bug to report, never a row silently lost. */
export class RowCountError extends Error {
  public constructor(public readonly what: string, public readonly expected: number, public readonly found: number) {
    super(`${what}: the org said ${expected} records, ${found} were read`);
    this.name = 'RowCountError';
  }
}

/** The run folder holds no export run, or one that has ended. */
export class NoExportRunError extends Error {
  public constructor(public readonly runDir: string, public readonly finished: boolean) {
    super(finished ? `the export in ${runDir} has finished` : `${runDir} holds no export run`);
    this.name = 'NoExportRunError';
  }
}

/** A file for load lacks the column load matches records on (Id for update, the external ID for upsert). */
export class ForLoadColumnError extends Error {
  public constructor(public readonly column: string, public readonly operation: string) {
    super(`the query selects no ${column} column, which ${operation} matches records on`);
    this.name = 'ForLoadColumnError';
  }
}

/** A file for load whose columns load cannot write with the operation (a formula, an audit field, a read-only field). */
export class NotWritableColumnsError extends Error {
  public constructor(public readonly columns: string[], public readonly operation: string) {
    super(`${operation} cannot write ${columns.join(', ')}`);
    this.name = 'NotWritableColumnsError';
  }
}

/** A resume against another org than the run's. */
export class OtherOrgError extends Error {
  public constructor(public readonly runId: string, public readonly runOrg: string, public readonly org: string) {
    super(`run ${runId} exported from org ${runOrg}, not ${org}`);
    this.name = 'OtherOrgError';
  }
}
