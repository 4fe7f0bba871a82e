/*
 * The REST surface clients need around the Bulk APIs: versions, identity, OAuth refresh, describe,
 * query/queryAll with paging, single records and limits (REST API Developer Guide: Limits; REST API Developer Guide: Resources).
 */
import { ApiError, notFound, readBody, sendJson } from './http.js';
import { Org, RequestContext, Route } from './context.js';
import { FieldDef, ObjectDef } from './schema.js';
import { SObjectRecord, sfDateTime } from './store.js';
import { SoqlError, executeSoql, resolvePath, restRecord } from './soql.js';
import { Sessions } from './auth.js';

export const LATEST_VERSION = '66.0';
export const MIN_VERSION = 31;

const RELEASES: Array<[string, string]> = [
  ['Spring ’26', '66.0'],
  ['Winter ’26', '65.0'],
  ['Summer ’25', '64.0'],
  ['Spring ’25', '63.0'],
  ['Winter ’25', '62.0'],
  ['Summer ’24', '61.0'],
  ['Spring ’24', '60.0'],
  ['Winter ’24', '59.0'],
  ['Summer ’23', '58.0'],
  ['Spring ’23', '57.0'],
  ['Winter ’23', '56.0'],
  ['Summer ’22', '55.0'],
  ['Spring ’22', '54.0'],
  ['Winter ’22', '53.0'],
  ['Summer ’21', '52.0'],
  ['Spring ’21', '51.0'],
];

type Cursor = { object: ObjectDef; columns: string[]; records: SObjectRecord[] };

const SOAP_TYPES: Record<string, string> = {
  id: 'tns:ID',
  reference: 'tns:ID',
  boolean: 'xsd:boolean',
  int: 'xsd:int',
  double: 'xsd:double',
  currency: 'xsd:double',
  percent: 'xsd:double',
  date: 'xsd:date',
  datetime: 'xsd:dateTime',
};

export class Rest {
  private readonly cursors = new Map<string, Cursor>();
  private cursorSeq = 0;

  public constructor(private readonly org: Org, private readonly sessions: Sessions) {}

  public routes(): Route[] {
    const v = String.raw`^/services/data/v(\d+\.\d)`;
    const rest = (method: string, path: string, handler: (ctx: RequestContext) => Promise<void> | void): Route => ({
      method,
      pattern: new RegExp(`${v}${path}/?$`),
      api: 'rest',
      handler,
    });
    return [
      { method: 'GET', pattern: /^\/services\/data\/?$/, api: 'public', handler: (ctx) => this.versions(ctx) },
      { method: 'POST', pattern: /^\/services\/oauth2\/token\/?$/, api: 'public', handler: (ctx) => this.token(ctx) },
      { method: 'POST', pattern: /^\/services\/oauth2\/revoke\/?$/, api: 'public', handler: (ctx) => sendJson(ctx.res, 200, {}) },
      { method: 'GET', pattern: /^\/services\/oauth2\/userinfo\/?$/, api: 'rest', handler: (ctx) => this.userinfo(ctx) },
      { method: 'GET', pattern: /^\/id\/(\w+)\/(\w+)\/?$/, api: 'rest', handler: (ctx) => this.identity(ctx) },
      rest('GET', '', (ctx) => this.resources(ctx)),
      rest('GET', '/limits', (ctx) => this.limits(ctx)),
      rest('GET', '/sobjects', (ctx) => this.describeGlobal(ctx)),
      rest('GET', '/sobjects/(\\w+)/describe', (ctx) => sendJson(ctx.res, 200, this.describe(this.object(ctx.params[1]), ctx.version))),
      rest('GET', '/sobjects/(\\w+)', (ctx) => this.sobjectInfo(ctx)),
      rest('GET', '/sobjects/(\\w+)/(\\w+)', (ctx) => this.record(ctx)),
      rest('GET', '/query', (ctx) => this.query(ctx, false)),
      rest('GET', '/queryAll', (ctx) => this.query(ctx, true)),
      rest('GET', '/query/([\\w-]+)', (ctx) => this.nextPage(ctx)),
      rest('GET', '/queryAll/([\\w-]+)', (ctx) => this.nextPage(ctx)),
    ];
  }

  private object(name: string): ObjectDef {
    const def = this.org.store.describe(name);
    if (!def) throw new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');
    return def;
  }

  private versions(ctx: RequestContext): void {
    sendJson(
      ctx.res,
      200,
      RELEASES.slice()
        .reverse()
        .map(([label, version]) => ({ label, url: `/services/data/v${version}`, version }))
    );
  }

  private resources(ctx: RequestContext): void {
    const base = `/services/data/v${ctx.version}`;
    sendJson(ctx.res, 200, {
      sobjects: `${base}/sobjects`,
      query: `${base}/query`,
      queryAll: `${base}/queryAll`,
      limits: `${base}/limits`,
      jobs: `${base}/jobs`,
      identity: `${this.org.baseUrl()}/id/${this.org.orgId}/${ctx.session!.userId}`,
    });
  }

  private userRecord(userId: string): SObjectRecord {
    const user = this.org.store.get('User', userId);
    if (!user) throw notFound();
    return user;
  }

  private userinfo(ctx: RequestContext): void {
    const u = this.userRecord(ctx.session!.userId);
    const base = this.org.baseUrl();
    const urls = this.urls(u.Id as string);
    sendJson(ctx.res, 200, {
      sub: `${base}/id/${this.org.orgId}/${u.Id as string}`,
      user_id: u.Id,
      organization_id: this.org.orgId,
      preferred_username: u.Username,
      nickname: String(u.Username).split('@')[0],
      name: u.Name,
      email: u.Email,
      email_verified: true,
      given_name: u.FirstName,
      family_name: u.LastName,
      zoneinfo: 'Europe/London',
      urls,
      active: u.IsActive,
      user_type: 'STANDARD',
      language: 'en_US',
      locale: 'en_GB',
      utcOffset: 0,
      updated_at: u.LastModifiedDate,
      is_app_installed: true,
    });
  }

  private urls(userId: string): Record<string, string> {
    const base = this.org.baseUrl();
    return {
      enterprise: `${base}/services/Soap/c/{version}/${this.org.orgId}`,
      partner: `${base}/services/Soap/u/{version}/${this.org.orgId}`,
      rest: `${base}/services/data/v{version}/`,
      sobjects: `${base}/services/data/v{version}/sobjects/`,
      query: `${base}/services/data/v{version}/query/`,
      profile: `${base}/${userId}`,
      custom_domain: base,
    };
  }

  private identity(ctx: RequestContext): void {
    const u = this.userRecord(ctx.params[2]);
    sendJson(ctx.res, 200, {
      id: `${this.org.baseUrl()}/id/${this.org.orgId}/${u.Id as string}`,
      asserted_user: true,
      user_id: u.Id,
      organization_id: this.org.orgId,
      username: u.Username,
      nick_name: String(u.Username).split('@')[0],
      display_name: u.Name,
      email: u.Email,
      active: u.IsActive,
      user_type: 'STANDARD',
      language: 'en_US',
      locale: 'en_GB',
      utcOffset: 0,
      urls: this.urls(u.Id as string),
    });
  }

  /** The refresh-token grant, which `sf org login sfdx-url` and token refreshes use. */
  private async token(ctx: RequestContext): Promise<void> {
    const form = new URLSearchParams((await readBody(ctx.req)).toString('utf8'));
    const userId = form.get('grant_type') === 'refresh_token' ? this.sessions.userOfRefreshToken(form.get('refresh_token') ?? '') : undefined;
    if (!userId) {
      sendJson(ctx.res, 400, { error: 'invalid_grant', error_description: 'expired access/refresh token' });
      return;
    }
    const session = this.sessions.issue(userId);
    sendJson(ctx.res, 200, {
      access_token: session.accessToken,
      signature: 'emulator',
      scope: 'refresh_token api web full',
      instance_url: this.org.baseUrl(),
      id: `${this.org.baseUrl()}/id/${this.org.orgId}/${userId}`,
      token_type: 'Bearer',
      issued_at: String(this.org.clock.now()),
    });
  }

  private limits(ctx: RequestContext): void {
    const s = this.org.settings;
    const u = this.org.usage;
    const lim = (max: number, used: number): { Max: number; Remaining: number } => ({ Max: max, Remaining: Math.max(0, max - used) });
    sendJson(ctx.res, 200, {
      DailyApiRequests: lim(s.dailyApiRequests, u.apiRequests),
      DailyBulkApiBatches: lim(s.dailyBulkApiBatches, this.org.batches.used()),
      DailyBulkV2QueryJobs: lim(10_000, u.bulkQueryJobs),
      DailyBulkV2QueryFileStorageMB: lim(976_562, 0),
      DailyAsyncApexExecutions: lim(250_000, 0),
      DataStorageMB: lim(5120, 0),
      FileStorageMB: lim(20_480, 0),
      HourlyPublishedPlatformEvents: lim(50_000, 0),
      DailyStreamingApiEvents: lim(10_000, 0),
    });
  }

  private describeGlobal(ctx: RequestContext): void {
    const base = `/services/data/v${ctx.version}/sobjects`;
    sendJson(ctx.res, 200, {
      encoding: 'UTF-8',
      maxBatchSize: 200,
      sobjects: this.org.store.listObjects().map((o) => ({
        name: o.name,
        label: o.label,
        labelPlural: o.labelPlural,
        keyPrefix: o.keyPrefix,
        custom: o.custom,
        createable: o.createable,
        updateable: o.updateable,
        deletable: o.deletable,
        queryable: o.queryable,
        urls: { sobject: `${base}/${o.name}`, describe: `${base}/${o.name}/describe`, rowTemplate: `${base}/${o.name}/{ID}` },
      })),
    });
  }

  public describe(o: ObjectDef, version: string): Record<string, unknown> {
    const base = `/services/data/v${version}/sobjects`;
    const children = this.org.store
      .listObjects()
      .flatMap((child) =>
        child.fields
          .filter((f) => f.referenceTo.includes(o.name) && f.relationshipName && !['CreatedById', 'LastModifiedById', 'OwnerId'].includes(f.name))
          .map((f) => ({
            childSObject: child.name,
            field: f.name,
            relationshipName: child.custom ? `${child.name.replace(/__c$/, '')}s__r` : `${child.labelPlural.replace(/\s/g, '')}`,
            cascadeDelete: f.masterDetail,
          }))
      );
    return {
      name: o.name,
      label: o.label,
      labelPlural: o.labelPlural,
      keyPrefix: o.keyPrefix,
      custom: o.custom,
      createable: o.createable,
      updateable: o.updateable,
      deletable: o.deletable,
      queryable: o.queryable,
      fields: o.fields.map(describeField),
      childRelationships: children,
      recordTypeInfos: [],
      urls: { sobject: `${base}/${o.name}`, describe: `${base}/${o.name}/describe`, rowTemplate: `${base}/${o.name}/{ID}` },
    };
  }

  private sobjectInfo(ctx: RequestContext): void {
    const o = this.object(ctx.params[1]);
    const { fields, childRelationships, ...objectDescribe } = this.describe(o, ctx.version);
    void fields;
    void childRelationships;
    sendJson(ctx.res, 200, { objectDescribe, recentItems: [] });
  }

  private record(ctx: RequestContext): void {
    const o = this.object(ctx.params[1]);
    const rec = this.org.store.get(o.name, ctx.params[2]);
    if (!rec || rec.IsDeleted === true) throw notFound();
    const columns = o.fields.map((f) => f.name);
    sendJson(ctx.res, 200, restRecord(this.org.store, o, rec, columns, ctx.version));
  }

  private query(ctx: RequestContext, includeDeleted: boolean): void {
    const q = ctx.url.searchParams.get('q');
    if (!q) throw new ApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
    let result;
    try {
      result = executeSoql(this.org.store, q, { includeDeleted });
    } catch (e) {
      if (e instanceof SoqlError) throw new ApiError(400, e.errorCode, e.message);
      throw e;
    }
    if (ctx.url.searchParams.get('columns') === 'true') {
      // `query?q=…&columns=true` answers with the query's column metadata instead of records. It is
      // undocumented but real: the Developer Console and `sf data query` (plugin-data retrieveColumns)
      // call it after every non-empty query and fail when `columnMetadata` is missing.
      sendJson(ctx.res, 200, this.columnMetadata(result.object, result.isCount ? [] : result.columns));
      return;
    }
    if (result.isCount) {
      sendJson(ctx.res, 200, { totalSize: result.totalSize, done: true, records: [] });
      return;
    }
    this.sendPage(ctx, { object: result.object, columns: result.columns, records: result.records }, 0, includeDeleted);
  }

  /**
   * The columns=true answer: {columnMetadata, entityName, groupBy, idSelected, keyPrefix}, one entry
   * per selected column; a parent path nests as the relationship's column with `joinColumns`.
   */
  private columnMetadata(object: ObjectDef, columns: string[]): Record<string, unknown> {
    const APEX_TYPES: Record<string, string> = {
      id: 'Id',
      reference: 'Id',
      boolean: 'Boolean',
      int: 'Integer',
      double: 'Double',
      currency: 'Decimal',
      percent: 'Decimal',
      date: 'Date',
      datetime: 'Datetime',
    };
    const column = (name: string, f: FieldDef | undefined, joinColumns: unknown[]): Record<string, unknown> => ({
      aggregate: false,
      apexType: f ? APEX_TYPES[f.type] ?? 'String' : null,
      booleanType: f?.type === 'boolean',
      columnName: name,
      custom: f?.custom ?? false,
      displayName: name,
      foreignKeyName: null,
      insertable: f?.createable ?? false,
      joinColumns,
      numberType: f ? ['int', 'double', 'currency', 'percent'].includes(f.type) : false,
      textType: f ? !(f.type in APEX_TYPES) : false,
      updatable: f?.updateable ?? false,
    });
    const top: Array<Record<string, unknown>> = [];
    for (const c of columns) {
      const path = resolvePath(this.org.store, object, c);
      let level = top;
      for (const ref of path.relationships) {
        let node = level.find((n) => n.columnName === ref.relationshipName);
        if (!node) {
          node = column(ref.relationshipName!, undefined, []);
          level.push(node);
        }
        level = node.joinColumns as Array<Record<string, unknown>>;
      }
      level.push(column(path.leaf.name, path.leaf, []));
    }
    return {
      columnMetadata: top,
      entityName: object.name,
      groupBy: false,
      idSelected: columns.some((c) => c.toLowerCase() === 'id'),
      keyPrefix: object.keyPrefix,
    };
  }

  private nextPage(ctx: RequestContext): void {
    const [key, offset] = splitLocator(ctx.params[1]);
    const cursor = this.cursors.get(key);
    if (!cursor) throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    this.sendPage(ctx, cursor, offset, ctx.url.pathname.includes('/queryAll/'), key);
  }

  private sendPage(ctx: RequestContext, cursor: Cursor, offset: number, all: boolean, key?: string): void {
    const size = this.org.settings.queryPageSize;
    const page = cursor.records.slice(offset, offset + size);
    const next = offset + size;
    let nextRecordsUrl: string | undefined;
    if (next < cursor.records.length) {
      const id = key ?? `01g5e0000${String(++this.cursorSeq).padStart(6, '0')}`;
      this.cursors.set(id, cursor);
      nextRecordsUrl = `/services/data/v${ctx.version}/${all ? 'queryAll' : 'query'}/${id}-${next}`;
    } else if (key) {
      this.cursors.delete(key);
    }
    sendJson(ctx.res, 200, {
      totalSize: cursor.records.length,
      done: !nextRecordsUrl,
      ...(nextRecordsUrl ? { nextRecordsUrl } : {}),
      records: page.map((r) => restRecord(this.org.store, cursor.object, r, cursor.columns, ctx.version)),
    });
  }

  /** The Organization record the login handshake queries. */
  public static organizationRecord(orgId: string, name: string, now: number, isSandbox: boolean): SObjectRecord {
    return {
      Name: name,
      InstanceName: 'EMU1',
      IsSandbox: isSandbox,
      TrialExpirationDate: null,
      NamespacePrefix: null,
      OrganizationType: 'Enterprise Edition',
      CreatedDate: sfDateTime(now),
      Id: orgId,
    };
  }
}

function splitLocator(locator: string): [string, number] {
  const dash = locator.lastIndexOf('-');
  return dash < 0 ? [locator, 0] : [locator.slice(0, dash), Number(locator.slice(dash + 1)) || 0];
}

function describeField(f: FieldDef): Record<string, unknown> {
  return {
    name: f.name,
    label: f.label,
    type: f.type,
    soapType: SOAP_TYPES[f.type] ?? 'xsd:string',
    length: f.length,
    precision: f.precision,
    scale: f.scale,
    digits: f.type === 'int' ? f.precision : 0,
    byteLength: f.length * 3,
    createable: f.createable,
    updateable: f.updateable,
    nillable: f.nillable,
    defaultedOnCreate: f.defaultedOnCreate,
    externalId: f.externalId,
    idLookup: f.idLookup,
    unique: f.unique,
    caseSensitive: f.caseSensitive,
    calculated: f.calculated,
    autoNumber: f.autoNumber,
    custom: f.custom,
    filterable: true,
    sortable: f.type !== 'textarea',
    groupable: f.type !== 'textarea',
    referenceTo: f.referenceTo,
    relationshipName: f.relationshipName,
    relationshipOrder: f.masterDetail ? 0 : null,
    cascadeDelete: f.masterDetail,
    polymorphicForeignKey: f.referenceTo.length > 1,
    restrictedPicklist: f.restrictedPicklist,
    picklistValues: f.picklistValues.map((p, i) => ({ active: true, defaultValue: i === 0 && f.defaultedOnCreate, label: p, validFor: null, value: p })),
    writeRequiresMasterRead: f.masterDetail,
    deprecatedAndHidden: false,
  };
}
