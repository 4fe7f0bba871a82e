/*
 * The org emulator: one HTTP server on 127.0.0.1 that answers as a Salesforce org does for the
 * REST, Bulk 2.0 and (later) Bulk V1 surfaces, plus a control API under /__emulator for tests.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { writeFileSync, readFileSync } from 'node:fs';
import { ApiError, readAhead, readBody, readJson, sendJson, sendRestError, sendText, header } from './http.js';
import { Clock } from './clock.js';
import { DEFAULT_SETTINGS, Org, RequestContext, Route, Settings } from './context.js';
import { Store, SObjectRecord } from './store.js';
import { Sessions } from './auth.js';
import { Rest, MIN_VERSION } from './rest.js';
import { Bulk2Ingest } from './bulk2-ingest.js';
import { Bulk2Query } from './bulk2-query.js';
import { BulkV1, sendBulkV1Error } from './bulk1.js';
import { DEFAULT_ORG_ID, Seed, defaultSeed, mergeSeeds } from './seed.js';
import { ProcessingModel } from './processing.js';
import { AUDIT_OBJECTS, AuditSeed, loadAudit, logFileRoute } from './audit.js';
import { EventLog, eventLogFileRecord } from './eventLog.js';
import { Fault, FaultBook, FaultSpec, JobFailure, JobFailureSpec, gatewayPage, muzzle, resetConnection, sendBroken, unknownExceptionMessage } from './faults.js';
import { RollingAllocation } from './allocation.js';

export type EmulatorOptions = {
  port?: number;
  host?: string;
  /** added to the default org (users, objects, records, settings) */
  seed?: Seed;
  /** start from this seed alone, without the default org */
  replaceSeed?: Seed;
  settings?: Partial<Settings>;
};

export type RequestLogEntry = {
  at: string;
  method: string;
  path: string;
  status: number;
  /** the client= entry of Sforce-Call-Options, which audit data records */
  client?: string;
  userAgent?: string;
  userId?: string;
  /** the kind of fault this request hit, if any */
  fault?: string;
};

export class Emulator {
  public store!: Store;
  public readonly clock = new Clock();
  public settings!: Settings;
  public sessions!: Sessions;
  public ingest!: Bulk2Ingest;
  public query!: Bulk2Query;
  public bulkV1!: BulkV1;
  /** the org-wide queue that processes ingest chunks and V1 batches in simulated time */
  public processing!: ProcessingModel;
  public faults!: FaultBook;
  public requests: RequestLogEntry[] = [];
  /**
   * Test hook: called as each API request arrives (not control calls), before any fault or handling,
   * so a test can act at an exact request, e.g. kill -9 the client when its k-th upload comes in.
   */
  public onRequest?: (entry: RequestLogEntry) => void;
  /**
   * Test hook: a request for which it returns a promise waits, before any fault or handling, until
   * that promise settles: the org holds it, as a slow org would, for as long as the test needs (e.g.
   * until the client says it saw a signal), with no timer to race.
   */
  public holdRequest?: (entry: RequestLogEntry) => Promise<void> | undefined;
  /** Test hook: a request hit a hold fault and the org has all of it (see faults.ts, hold). */
  public onHeld?: (entry: RequestLogEntry) => void;
  /** releases of the requests being held now */
  private holding: Array<() => void> = [];
  /** held requests, each settled once it was handled (or never fully arrived) */
  private heldWork: Array<Promise<void>> = [];
  /** the default user's access token */
  public accessToken = '';
  public defaultUserId = '';
  public defaultUsername = '';
  private server?: Server;
  private routes: Route[] = [];
  private readonly seed: Seed;
  private org!: Org;

  /** The batch allocation the org counts over a rolling 24 hours (tests plant earlier use in it). */
  public get batches(): RollingAllocation {
    return this.org.batches;
  }
  /** EventLogFile LogFile blobs by record id */
  private logFiles = new Map<string, string>();
  /** each API request's context (its session and job), for its event log rows; never in the request log */
  private readonly contexts = new WeakMap<RequestLogEntry, RequestContext>();
  private readonly errors = new WeakMap<RequestLogEntry, string>();

  public constructor(private readonly options: EmulatorOptions = {}) {
    this.seed = options.replaceSeed ?? mergeSeeds(defaultSeed(), options.seed ?? {});
    this.load();
  }

  public get url(): string {
    const addr = this.server?.address() as AddressInfo | null;
    if (!addr) throw new Error('emulator not started');
    return `http://${this.options.host ?? '127.0.0.1'}:${addr.port}`;
  }

  public get orgId(): string {
    return this.org.orgId;
  }

  /** Changes settings while the org runs (PATCH /__emulator/settings does the same). */
  public updateSettings(patch: Partial<Settings>): Settings {
    Object.assign(this.settings, patch);
    const organization = this.store.get('Organization', this.org.orgId);
    if (organization) organization.IsSandbox = this.settings.isSandbox;
    this.processing.catchUp();
    return this.settings;
  }

  /** (Re)builds the org from the seed: used at start and by the reset control call. */
  private load(): void {
    const seed = this.seed;
    this.settings = { ...DEFAULT_SETTINGS, ...seed.settings, ...this.options.settings };
    this.store = new Store([...AUDIT_OBJECTS, ...(seed.objects ?? [])], () => this.clock.now());
    const orgId = seed.org?.id ?? DEFAULT_ORG_ID;
    this.sessions = new Sessions(orgId);
    this.processing?.dispose();
    this.processing = new ProcessingModel(this.clock, this.settings);
    this.faults = new FaultBook();
    this.org = {
      store: this.store,
      clock: this.clock,
      settings: this.settings,
      orgId,
      usage: { apiRequests: 0, bulkQueryJobs: 0 },
      batches: new RollingAllocation(this.clock),
      processing: this.processing,
      faults: this.faults,
      events: undefined as unknown as EventLog,
      baseUrl: () => this.url,
    };
    this.org.events = new EventLog(this.org, (file) => {
      const id = this.store.ids.next('0AT');
      const record = eventLogFileRecord(id, file);
      this.store.insert(this.store.describe('EventLogFile')!, { ...record, LastModifiedDate: record.CreatedDate, SystemModstamp: record.CreatedDate } as SObjectRecord, this.defaultUserId, id);
      this.logFiles.set(id, file.csv);
    });
    this.store.insert(
      this.store.describe('Organization')!,
      Rest.organizationRecord(orgId, seed.org?.name ?? 'Emulator Org', this.clock.now(), this.settings.isSandbox),
      '',
      orgId
    );
    const users = seed.users?.length ? seed.users : defaultSeed().users!;
    users.forEach((u, i) => {
      const rec = this.store.addUser(u);
      if (u.connectedAppId) this.sessions.useConnectedApp(rec.Id as string, u.connectedAppId);
      const session = this.sessions.issue(rec.Id as string, u.accessToken);
      if (u.refreshToken) this.sessions.issueRefreshToken(rec.Id as string, u.refreshToken);
      if (i === 0) {
        this.accessToken = session.accessToken;
        this.defaultUserId = rec.Id as string;
        this.defaultUsername = rec.Username as string;
      }
    });
    for (const [objectName, records] of Object.entries(seed.records ?? {})) this.insertRecords(objectName, records);
    const rest = new Rest(this.org, this.sessions);
    this.ingest = new Bulk2Ingest(this.org);
    this.query = new Bulk2Query(this.org);
    this.bulkV1 = new BulkV1(this.org);
    // Get All Jobs lists V1 jobs too, as jobType Classic.
    this.ingest.extraJobs.push(() => this.bulkV1.listJobs());
    this.logFiles = loadAudit(seed.audit, {
      org: this.org,
      addIngestJob: (job) => this.ingest.jobs.add(job),
      addQueryJob: (job) => this.query.jobs.add(job),
      addV1Job: (job) => this.bulkV1.adopt(job),
    });
    this.routes = [
      ...this.controlRoutes(),
      logFileRoute(this.org, () => this.logFiles),
      ...rest.routes(),
      ...this.ingest.routes(),
      ...this.query.routes(),
      ...this.bulkV1.routes(),
    ];
  }

  /** Inserts records as given (no field rules): for seeds and test set-up. */
  public insertRecords(objectName: string, records: SObjectRecord[]): string[] {
    const def = this.store.describe(objectName);
    if (!def) throw new Error(`Unknown object ${objectName}`);
    return records.map((r) => this.store.insert(def, { ...r }, this.defaultUserId || (r.CreatedById as string) || '').Id as string);
  }

  /**
   * Adds jobs, async Apex jobs and the rest of an audit seed section to the running org, as if they
   * had run (dates relative to `asOf`, which reads as today): how tests make a job fail, run long,
   * or an async Apex job fail between two runs of a client.
   */
  public addAuditData(audit: AuditSeed): void {
    const blobs = loadAudit(audit, {
      org: this.org,
      addIngestJob: (job) => this.ingest.jobs.add(job),
      addQueryJob: (job) => this.query.jobs.add(job),
      addV1Job: (job) => this.bulkV1.adopt(job),
    });
    for (const [id, csv] of blobs) this.logFiles.set(id, csv);
  }

  /** A token for another seeded user, by username. */
  public tokenFor(username: string): string {
    const user = [...this.store.all('User')].find((u) => u.Username === username);
    if (!user) throw new Error(`No user ${username}`);
    const existing = this.sessions.list().find((s) => s.userId === user.Id && !s.expired);
    return (existing ?? this.sessions.issue(user.Id as string)).accessToken;
  }

  /** A refresh token for a user (for `sf org login sfdx-url`). */
  public refreshTokenFor(username = this.defaultUsername): string {
    const user = [...this.store.all('User')].find((u) => u.Username === username);
    if (!user) throw new Error(`No user ${username}`);
    return this.sessions.issueRefreshToken(user.Id as string);
  }

  /** Injects a fault (see faults.ts); the same as `POST /__emulator/faults`. */
  public addFault(spec: FaultSpec): { id: string } {
    return { id: this.faults.add(spec).id };
  }

  /** Drops every fault and pending job failure; the same as `DELETE /__emulator/faults`. */
  public clearFaults(): void {
    this.faults.clear();
  }

  public listFaults(): { faults: Fault[]; jobFailures: JobFailure[] } {
    return { faults: this.faults.list(), jobFailures: this.faults.listJobFailures() };
  }

  /**
   * The next Bulk 2.0 ingest job to start processing (or the one named) fails after `afterRows`
   * rows; the same as `POST /__emulator/faults/job-failure`. A named job already processing is cut
   * at once (rows already processed stay processed).
   */
  public addJobFailure(spec: JobFailureSpec): { id: string } {
    const failure = this.faults.addJobFailure(spec);
    const job = spec.jobId ? this.ingest.jobs.get(spec.jobId) : undefined;
    if (job && job.chunksPending !== undefined && (job.state === 'UploadComplete' || job.state === 'InProgress')) {
      this.faults.takeJobFailure(job.id);
      job.failAfterRows = Math.min(job.failAfterRows ?? Number.MAX_SAFE_INTEGER, failure.afterRows);
    }
    return { id: failure.id };
  }

  public async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    return this.url;
  }

  public async stop(): Promise<void> {
    if (!this.server) return;
    this.releaseHeld();
    const server = this.server;
    this.server = undefined;
    this.processing.dispose();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (process.env.EMU_DEBUG) process.stderr.write(`emu: ${req.method} ${req.url} host=${req.headers.host}\n`);
    // Clients joining an instance URL that ends in '/' send '//services/…'; servers fold the slashes.
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), 'http://emulator');
    const path = url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const entry: RequestLogEntry = {
      at: new Date(this.clock.now()).toISOString(),
      method,
      path,
      status: 0,
      client: /client=([^,;]+)/.exec(header(req, 'sforce-call-options') ?? '')?.[1]?.trim(),
      userAgent: header(req, 'user-agent'),
    };
    const started = this.clock.now();
    res.on('finish', () => {
      entry.status = res.statusCode;
      const ctx = this.contexts.get(entry);
      if (ctx?.session) {
        this.org.events.call({
          at: started,
          method,
          path,
          status: res.statusCode,
          userId: ctx.session.userId,
          client: entry.client,
          connectedAppId: ctx.session.connectedAppId,
          token: ctx.session.accessToken,
          clientIp: req.socket.remoteAddress,
          job: ctx.job,
          error: this.errors.get(entry),
          runMs: Math.max(0, this.clock.now() - started),
        });
      }
    });
    const control = path.startsWith('/__emulator');
    if (!control) {
      this.requests.push(entry);
      this.onRequest?.(entry);
      const held = this.holdRequest?.(entry);
      if (held) await held;
    }
    // Whatever the processing model had due by now happens before the org answers, and the event log files of days gone by are out.
    this.processing.catchUp();
    this.org.events.publishDue();
    // The org's time, as every Salesforce answer carries it (clients measure windows on it).
    res.setHeader('Date', new Date(this.clock.now()).toUTCString());
    const fault = control ? undefined : this.faults.take(method, path);
    if (fault?.kind === 'hold') {
      entry.fault = fault.kind;
      let settle!: () => void;
      this.heldWork.push(new Promise<void>((resolve) => (settle = resolve)));
      try {
        if (await this.hold(req, entry, fault)) await this.dispatch(req, res, entry, url);
      } finally {
        settle();
      }
      return;
    }
    if (fault) {
      entry.fault = fault.kind;
      if (await this.faultBefore(req, res, fault, path)) return;
    }
    const broken = fault?.kind === 'cut' || fault?.kind === 'stall';
    const restore = fault?.when === 'after' || broken ? muzzle(res) : undefined;
    await this.dispatch(req, res, entry, url);
    if (restore && fault) {
      const answer = restore();
      if (broken) {
        // The org did the work; its answer breaks off (cut) or hangs (stall) on the way.
        entry.status = answer.status;
        await sendBroken(res, answer, fault);
      } else if (fault.kind === 'reset') {
        // The org did the work; the client gets the fault instead of the answer.
        resetConnection(req);
      } else {
        this.sendStatusFault(req, res, fault, path);
      }
    }
  }

  /** Routes, authenticates and handles one request. */
  private async dispatch(req: IncomingMessage, res: ServerResponse, entry: RequestLogEntry, url: URL): Promise<void> {
    const path = url.pathname;
    const method = entry.method;
    let route: Route | undefined;
    let params: string[] = [];
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== method) continue;
      route = r;
      params = m.slice(1);
      break;
    }
    try {
      if (!route) {
        throw pathMatched ? new ApiError(405, 'METHOD_NOT_ALLOWED', `HTTP Method '${method}' not allowed`) : new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
      }
      const version = /^\/services\/(?:data\/v|async\/)(\d+\.\d)/.exec(path)?.[1] ?? '';
      const ctx: RequestContext = { req, res, url, params, org: this.org, version };
      this.contexts.set(entry, ctx);
      if (route.api === 'bulkv1') {
        this.authenticateV1(ctx);
        entry.userId = ctx.session?.userId;
        this.org.usage.apiRequests++;
      }
      if (route.api === 'rest') {
        this.authenticate(ctx);
        entry.userId = ctx.session?.userId;
        if (version) {
          const major = Number(version);
          if (major < MIN_VERSION) throw new ApiError(410, 'API_ERROR', `API version ${version} has been retired`);
          if (major > 66) throw notFoundError();
          this.org.usage.apiRequests++;
          res.setHeader('Sforce-Limit-Info', `api-usage=${this.org.usage.apiRequests}/${this.settings.dailyApiRequests}`);
        }
      }
      await route.handler(ctx);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(500, 'UNKNOWN_EXCEPTION', `An unexpected error occurred: ${(e as Error).message}`);
      this.errors.set(entry, err.message);
      if (!(e instanceof ApiError)) process.stderr.write(`emulator: ${(e as Error).stack ?? String(e)}\n`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Drain what the client is still sending so it reads our answer instead of a reset.
      req.resume();
      // Bulk V1 answers in its own envelope, even for a path no route knows.
      if (route?.api === 'bulkv1' || path.startsWith('/services/async/')) sendBulkV1Error(req, res, err);
      else sendRestError(res, err);
    }
  }

  /**
   * Lets every request held now go on to be handled (hold faults); returns how many. Their clients
   * may be gone: the org does the work all the same.
   */
  public releaseHeld(): number {
    const held = this.holding.splice(0);
    for (const release of held) release();
    return held.length;
  }

  /** Once every request held so far has been handled (or never fully arrived). */
  public async heldSettled(): Promise<void> {
    await Promise.all(this.heldWork);
  }

  /** Reads the whole request, then holds it until released (or delayMs); false when the request never fully arrived. */
  private async hold(req: IncomingMessage, entry: RequestLogEntry, fault: Fault): Promise<boolean> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      // The client went away mid-request: the org never had the whole of it, and does nothing.
      return false;
    }
    readAhead.set(req, body);
    await new Promise<void>((resolve) => {
      const timer = fault.delayMs === undefined ? undefined : setTimeout(() => release(), fault.delayMs);
      const release = (): void => {
        clearTimeout(timer);
        this.holding = this.holding.filter((r) => r !== release);
        resolve();
      };
      this.holding.push(release);
      this.onHeld?.(entry);
    });
    return true;
  }

  /** Applies a fault that acts before handling; true when the request is answered (or cut) already. */
  private async faultBefore(req: IncomingMessage, res: ServerResponse, fault: Fault, path: string): Promise<boolean> {
    const v1 = path.startsWith('/services/async/');
    switch (fault.kind) {
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 0));
        return false;
      case 'expire-session':
        this.sessions.expireAll();
        return false;
      case 'revoke-session':
        this.sessions.revokeAll();
        return false;
      case 'limit':
        req.resume();
        if (v1) sendBulkV1Error(req, res, new ApiError(403, 'ExceededQuota', 'TotalRequests Limit exceeded.', retryAfterHeader(fault)));
        else sendRestError(res, new ApiError(403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.', retryAfterHeader(fault)));
        return true;
      case 'cut':
      case 'stall':
        return false;
      default:
        if (fault.when === 'after') return false;
        if (fault.kind === 'reset') resetConnection(req);
        else {
          req.resume();
          this.sendStatusFault(req, res, fault, path);
        }
        return true;
    }
  }

  /** 500 in the API's own envelope; 502/503 as the HTML page of a load balancer. */
  private sendStatusFault(req: IncomingMessage, res: ServerResponse, fault: Fault, path: string): void {
    const status = fault.status ?? 500;
    if (status === 500) {
      const err = new ApiError(500, 'UNKNOWN_EXCEPTION', unknownExceptionMessage());
      if (path.startsWith('/services/async/')) sendBulkV1Error(req, res, err);
      else sendRestError(res, err);
    } else {
      sendText(res, status, gatewayPage(status), 'text/html', retryAfterHeader(fault));
    }
  }

  /** Bulk V1 reads the session from X-SFDC-Session; a bad or expired one is a 400 (Bulk API Developer Guide: Bulk API Status Codes). */
  private authenticateV1(ctx: RequestContext): void {
    const session = this.sessions.lookup(header(ctx.req, 'x-sfdc-session'));
    if (!session || session.expired) throw new ApiError(400, 'InvalidSessionId', 'Invalid session id');
    ctx.session = session;
  }

  private authenticate(ctx: RequestContext): void {
    const auth = header(ctx.req, 'authorization') ?? '';
    const token = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(auth)?.[1];
    const session = this.sessions.lookup(token);
    if (!session || session.expired) {
      throw new ApiError(401, 'INVALID_SESSION_ID', 'Session expired or invalid', { 'WWW-Authenticate': 'Token' });
    }
    ctx.session = session;
  }

  private controlRoutes(): Route[] {
    const c = (method: string, path: string, handler: (ctx: RequestContext) => Promise<void> | void): Route => ({
      method,
      pattern: new RegExp(`^/__emulator${path}/?$`),
      api: 'control',
      handler,
    });
    return [
      c('GET', '/health', (ctx) => sendJson(ctx.res, 200, { ok: true, url: this.url, orgId: this.orgId, username: this.defaultUsername })),
      c('GET', '/records/(\\w+)', (ctx) => {
        const includeDeleted = ctx.url.searchParams.get('deleted') === 'true';
        if (!this.store.describe(ctx.params[0])) throw notFoundError();
        sendJson(ctx.res, 200, { records: [...this.store.all(ctx.params[0], includeDeleted)] });
      }),
      c('POST', '/records/(\\w+)', async (ctx) => {
        const body = await readJson(ctx.req);
        sendJson(ctx.res, 200, { ids: this.insertRecords(ctx.params[0], (body.records ?? []) as SObjectRecord[]) });
      }),
      c('GET', '/requests', (ctx) => sendJson(ctx.res, 200, { requests: this.requests })),
      c('DELETE', '/requests', (ctx) => {
        this.requests = [];
        sendJson(ctx.res, 200, { ok: true });
      }),
      c('GET', '/jobs', (ctx) => sendJson(ctx.res, 200, { jobs: this.ingest.jobs.list().map((j) => this.ingest.describeJob(j)) })),
      c('GET', '/settings', (ctx) => sendJson(ctx.res, 200, this.settings)),
      c('PATCH', '/settings', async (ctx) => sendJson(ctx.res, 200, this.updateSettings((await readJson(ctx.req)) as Partial<Settings>))),
      c('POST', '/clock', async (ctx) => {
        const body = await readJson(ctx.req);
        if (body.speed !== undefined) {
          const speed = Number(body.speed);
          if (!(speed > 0)) throw new ApiError(400, 'INVALID_CLOCK', 'speed must be a positive number (simulated ms per real ms)');
          this.settings.clockSpeed = speed;
        }
        const ms = Number(body.advanceMs ?? 0) + Number(body.advanceDays ?? 0) * 86_400_000;
        if (!Number.isFinite(ms) || ms < 0) throw new ApiError(400, 'INVALID_CLOCK', 'the clock only moves forward');
        if (ms > 0) this.clock.advance(ms);
        this.processing.catchUp();
        sendJson(ctx.res, 200, { now: new Date(this.clock.now()).toISOString(), speed: this.settings.clockSpeed, rate: this.clock.rate });
      }),
      c('GET', '/clock', (ctx) =>
        sendJson(ctx.res, 200, { now: new Date(this.clock.now()).toISOString(), speed: this.settings.clockSpeed, rate: this.clock.rate })
      ),
      c('GET', '/processing', (ctx) => sendJson(ctx.res, 200, { now: new Date(this.clock.now()).toISOString(), ...this.processing.stats() })),
      c('POST', '/faults', async (ctx) => sendJson(ctx.res, 200, this.addFault((await readJson(ctx.req)) as unknown as FaultSpec))),
      c('GET', '/faults', (ctx) => sendJson(ctx.res, 200, this.listFaults())),
      c('DELETE', '/faults', (ctx) => {
        this.clearFaults();
        sendJson(ctx.res, 200, { ok: true });
      }),
      c('POST', '/faults/job-failure', async (ctx) =>
        sendJson(ctx.res, 200, this.addJobFailure((await readJson(ctx.req)) as unknown as JobFailureSpec))
      ),
      c('POST', '/sessions/expire', (ctx) => sendJson(ctx.res, 200, { expired: this.sessions.expireAll() })),
      c('POST', '/reset', (ctx) => {
        this.load();
        this.requests = [];
        sendJson(ctx.res, 200, { ok: true, accessToken: this.accessToken });
      }),
      c('POST', '/state/dump', async (ctx) => {
        const body = await readJson(ctx.req);
        writeFileSync(String(body.file), JSON.stringify({ store: this.store.snapshot(), clockOffset: this.clock.offset }));
        sendJson(ctx.res, 200, { ok: true });
      }),
      c('POST', '/state/restore', async (ctx) => {
        const body = await readJson(ctx.req);
        const state = JSON.parse(readFileSync(String(body.file), 'utf8')) as { store: ReturnType<Store['snapshot']>; clockOffset: number };
        this.store.restore(state.store);
        this.clock.advance(state.clockOffset - this.clock.offset);
        sendJson(ctx.res, 200, { ok: true });
      }),
    ];
  }
}

/** The Retry-After header a fault asked for, if any. */
function retryAfterHeader(fault: Fault): Record<string, string> {
  return fault.retryAfter === undefined ? {} : { 'Retry-After': String(fault.retryAfter) };
}

function notFoundError(): ApiError {
  return new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
}
