/*
 * What every stage of a load is given: the org's clients and settings (EngineDeps, from the
 * factory), the job runner, the clock and the event stream. The engine builds it once; the stages
 * (inputs, split, confirm, backup, run parts, merge, tidy) take it and nothing else of the engine.
 */
import type { BulkV1 } from '../bulk/bulkV1.js';
import type { BulkV2 } from '../bulk/bulkV2.js';
import type { BulkV2Query } from '../bulk/bulkV2Query.js';
import type { OrgLimit } from '../http/orgLimits.js';
import type { RetryPolicy } from '../http/retry.js';
import type { Identity } from '../org/identity.js';
import type { DescribeSource } from '../preflight/describe.js';
import type { LoadEvent } from '../run/types.js';
import type { JobRunner } from '../runner/jobRunner.js';
import type { StopToken } from '../runtime/stopToken.js';

export type EngineDeps = {
  bulk: BulkV2;
  /** for --bulk-api v1 runs */
  bulkV1?: BulkV1;
  identity: () => Promise<Identity>;
  onEvent?: (e: LoadEvent) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** first and longest poll interval (ms); polls back off from one to the other */
  poll?: { minMs: number; maxMs: number };
  retry?: RetryPolicy;
  /** for the backup before a delete */
  query?: BulkV2Query;
  fields?: (object: string) => Promise<Array<{ name: string; type: string }>>;
  /** the object's describe, for the checks before upload */
  describe?: DescribeSource;
  /** the machine's bulkops state folder (the job creation journal, shared by every run on this machine) */
  stateDir: string;
  /**
   * The split on worker threads (split/parallelSplit.ts): for inputs of at least `minBytes` (default
   * 64 MB; below that starting the threads costs more than it saves), on `workers` threads
   * (default: splitWorkers(), 0 on a one-core machine: one thread splits).
   */
  splitThreads?: { minBytes?: number; workers?: number };
  /** the org's allocations (the limits resource), read before a load's first job */
  limits?: () => Promise<OrgLimit[]>;
  /** a stop asked for (a signal): the job runner asks it before each send (runner/jobRunner.ts) */
  stop?: StopToken;
};

/** What the stage that runs the parts listens for on the runner's events while it runs. */
export type RunnerTaps = {
  /** --concurrency auto: the running gate's eyes on the runner's events */
  watch?: (e: LoadEvent) => void;
  /** a part's results are joined (the probe's give the estimate) */
  afterResults?: (chunk: number) => void;
  /** calls the org throttled (REQUEST_LIMIT_EXCEEDED) in this process: an observed rate of the run */
  throttled: number;
};

export type LoadContext = {
  deps: EngineDeps;
  runner: JobRunner;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  emit: (e: LoadEvent) => void;
  retry: RetryPolicy;
  /** who runs the load (asked of the org once per engine) */
  identity: () => Promise<Identity>;
  taps: RunnerTaps;
};
