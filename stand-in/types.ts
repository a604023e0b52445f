/**
 * The stand-in's configuration vocabulary (step scripts, faults, wire-shape options) and the runtime
 * checks for it. Configs arrive as JSON (a file, the control API), so every field is checked here
 * once and the rest of the stand-in can trust the types.
 */

/** Per-key request limits, enforced by `ratelimit.ts`. */
export interface RateLimitSettings {
  perMinute?: number;
  perHour?: number;
  perDay?: number;
  /** Multiplies every window length (default 1). */
  windowScale?: number;
  resetPrecision?: 'seconds' | 'milliseconds';
  /** Which answers carry the `X-RateLimit-*` headers: every counted one (`all`, the default) or 429s only. */
  headers?: 'all' | '429';
}

export type StatusIdField = 'both' | 'conversion_id' | 'execution_id';
export type TimestampStyle = 'camel' | 'snake';
/** `reference`: the bodies of DocuTray's API reference (§0), the default; `flat`/`nested`: the older shapes. */
export type ErrorStyle = 'reference' | 'flat' | 'nested';
/**
 * `reference` (the default): a start answers `{id,status,step_id,step_name}` and a status the record
 * without `step_id`/`step_name`, as the API reference shows them; `record`: both, the whole record.
 */
export type RecordShape = 'reference' | 'record';
/** `number`: `"progress": 40`; `object`: the `{current_step,total_steps,step_name,percentage}` shape of the skills docs. */
export type ProgressStyle = 'number' | 'object';

export type StepOutcome =
  | { status: 'SUCCESS'; data: unknown }
  | { status: 'ERROR'; error: string | Record<string, unknown> }
  | { status: 'NEVER' };

/**
 * One scripted step. Each phase lasts either a number of status polls (`…Polls`, counted per
 * execution) or a time from the start request (`…Ms`); polls win when both are given; neither means
 * the phase is skipped.
 */
export interface StepScript {
  id: string;
  name?: string;
  enqueuedMs?: number;
  enqueuedPolls?: number;
  processingMs?: number;
  processingPolls?: number;
  progress?: boolean | ProgressStyle;
  /**
   * Each execution's `…Ms` phases are multiplied by a factor drawn uniformly from [1 - jitter, 1 + jitter]
   * (0–0.9), from the stand-in's seeded random source (`seed`), so a run can be replayed.
   */
  jitter?: number;
  outcome: StepOutcome;
  /**
   * Outcomes for particular documents, by the uploaded file name: a document named here gets this
   * outcome instead of `outcome` (tests of results that differ per document, or change between runs).
   */
  outcomeByFile?: Record<string, StepOutcome>;
  /** The keys that may use this step; any other accepted key gets 403 "Step not found or access denied". All when absent. */
  keys?: string[];
  /**
   * The words the status endpoint reports instead of ENQUEUED/PROCESSING/SUCCESS/ERROR, e.g.
   * `{"SUCCESS":"completed","ERROR":"failed"}` (the words of step webhooks) or an unknown
   * `{"PROCESSING":"VALIDATING"}`.
   */
  statusWords?: Partial<Record<'ENQUEUED' | 'PROCESSING' | 'SUCCESS' | 'ERROR', string>>;
}

export interface FaultMatch {
  method?: string;
  /** A prefix of the raw request path (no query). */
  path?: string;
}

interface FaultBase {
  /** How many matching requests this fault applies to (default 1). */
  count?: number;
  match?: FaultMatch;
}

export type FaultSpec = FaultBase &
  (
    | { kind: 'rateLimit'; retryAfter?: number | 'http-date' | 'none'; retryAfterSeconds?: number }
    /**
     * `notInitiated`: the body DocuTray's reference gives a start it could not create ("Internal server
     * error: Failed to initiate step processing"); nothing is started.
     */
    | { kind: 'serverError'; status?: 500 | 501 | 502 | 503 | 504; retryAfter?: number; notInitiated?: boolean }
    /** Status checks answer 403 "Access denied to this execution" (the key changed under a batch). */
    | { kind: 'statusForbidden' }
    | { kind: 'delay'; ms: number }
    | { kind: 'dropBeforeBody' }
    | { kind: 'dropAfterBody' }
    | { kind: 'html'; status?: number }
    | { kind: 'malformedJson'; status?: number }
    | { kind: 'throttleBody'; bytesPerSecond: number }
    /**
     * The start is accepted and its execution runs, but the answer never arrives: the socket is
     * destroyed after the body is read (dropAfterBody, matching starts only by default).
     */
    | { kind: 'loseStartAnswer' }
    /**
     * Status checks fail for `ms` from the moment the fault is armed (whatever `count` says): `503`
     * answers 503, `drop` cuts the connection, `alternate` does one then the other. The executions
     * go on running meanwhile.
     */
    | { kind: 'statusOutage'; ms: number; mode?: 'drop' | '503' | 'alternate' }
    /** The next `count` SUCCESS status answers carry data of about `bytes` bytes instead of the script's. */
    | { kind: 'hugeResult'; bytes: number }
    /** The next `count` SUCCESS status answers carry data nested `depth` arrays deep (`[[[…]]]`). */
    | { kind: 'nestedResult'; depth: number }
    /** 415 "Unsupported Content-Type…": what DocuTray answers when something on the way rewrote the request's Content-Type. */
    | { kind: 'unsupportedContentType' }
    /**
     * A redirect (`status`, 302 by default) to `location` (default `https://elsewhere.invalid/moved`); with
     * `withKey`, the request's bearer key is appended as `?api_key=…` (raw) and `&token=…` (percent-encoded),
     * as a misconfigured proxy or a hostile service would: a client must never show it.
     */
    | { kind: 'redirect'; status?: 301 | 302 | 303 | 307 | 308; location?: string; withKey?: boolean }
  );

export type FaultKind = FaultSpec['kind'];

/** The wire-shape and limit options; all can be changed at run time (`POST /__stand-in/config`). */
export interface StandInSettings {
  apiKeys: string[];
  maxUploadBytes: number;
  allowTiff: boolean;
  statusIdField: StatusIdField;
  envelope: boolean;
  timestampStyle: TimestampStyle;
  errorStyle: ErrorStyle;
  /** Per-key request limits (`ratelimit.ts`); absent = no limit and no `X-RateLimit-*` headers. */
  rateLimit?: RateLimitSettings;
  /** Seed of the random source behind step `jitter` (default 1). */
  seed?: number;
  recordShape: RecordShape;
  /** When set, every start answers 402 with these figures (the SDKs' QuotaExceededInfo); `false` = off. */
  quotaExceeded: QuotaInfo | false;
  /** When true, a start on a URL answers 408 "URL download timeout (30000ms)". */
  urlDownloadTimeout: boolean;
  /** This month's figures before any execution of this stand-in is counted (`GET /api/usage`). */
  usageBase: { successful_pages: number; successful_conversions: number };
}

export interface QuotaInfo {
  /** The quota runs out after this many executions were started (a 402 mid-run); every start when absent. */
  afterStarts?: number;
  quota?: number;
  used?: number;
  resetDate?: string;
}

export interface StandInConfig extends Partial<StandInSettings> {
  /** Replaces the default example steps when given. */
  steps?: StepScript[];
  /** Faults armed at start. */
  faults?: FaultSpec[];
}

/** The defaults speak DocuTray's API reference (DocuTray's API reference, https://docs.docutray.com/docs/api); the older variants are switches. */
export const DEFAULT_SETTINGS: StandInSettings = {
  apiKeys: ['test-key'],
  maxUploadBytes: 100 * 1024 * 1024,
  allowTiff: false,
  statusIdField: 'conversion_id',
  envelope: false,
  timestampStyle: 'snake',
  errorStyle: 'reference',
  recordShape: 'reference',
  quotaExceeded: false,
  urlDownloadTimeout: false,
  usageBase: { successful_pages: 1234, successful_conversions: 89 },
};

/** The wire shapes the stand-in spoke before it followed the API reference, as one switch set (tests of those shapes). */
export const LEGACY_WIRE: Partial<StandInSettings> = {
  statusIdField: 'both',
  envelope: false,
  timestampStyle: 'camel',
  errorStyle: 'flat',
  recordShape: 'record',
  allowTiff: true,
};

// ---- request log and control API shapes ----

export interface LoggedFile {
  field: string;
  filename: string | null;
  contentType: string | null;
  size: number;
  sha256: string;
}

export interface RequestLogEntry {
  seq: number;
  time: number;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  requestId: string;
  /** The response status; `dropped` when a fault cut the connection, `aborted` when the client did, `pending` while in flight. */
  status: number | 'dropped' | 'aborted' | 'pending';
  /** The status the request would have had, when a drop fault swallowed it. */
  handledStatus?: number;
  /** The fault applied to this request, if any. */
  fault?: FaultKind;
  bodyBytes?: number;
  json?: unknown;
  multipart?: { fields: Record<string, string>; files: LoggedFile[] };
}

export interface StartCount {
  stepId: string;
  hash: string;
  count: number;
}

export interface ExecutionInfo {
  id: string;
  stepId: string;
  status: string;
  createdAt: number;
  completedAt?: number;
  terminalServedAt?: number;
  polls: number;
  source: 'multipart' | 'url' | 'base64';
  filename: string | null;
  size: number;
  sha256: string;
  contentType: string;
}

// ---- runtime checks ----

export class ConfigError extends Error {}

type Json = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(where: string, what: string): never {
  throw new ConfigError(`${where} ${what}`);
}

function optNumber(
  o: Json,
  key: string,
  where: string,
  opts: { min?: number; max?: number; integer?: boolean } = {},
): number | undefined {
  const v = o[key];
  if (v === undefined) {
    return undefined;
  }
  const min = opts.min ?? 0;
  if (
    typeof v !== 'number' ||
    !Number.isFinite(v) ||
    v < min ||
    (opts.max !== undefined && v > opts.max) ||
    (opts.integer && !Number.isInteger(v))
  ) {
    fail(
      `${where}.${key}`,
      `must be ${opts.integer ? 'an integer' : 'a number'} ≥ ${min}${opts.max !== undefined ? ` and ≤ ${opts.max}` : ''}`,
    );
  }
  return v;
}

function optString(o: Json, key: string, where: string): string | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== 'string') {
    fail(`${where}.${key}`, 'must be a string');
  }
  return v;
}

function optBoolean(o: Json, key: string, where: string): boolean | undefined {
  const v = o[key];
  if (v !== undefined && typeof v !== 'boolean') {
    fail(`${where}.${key}`, 'must be true or false');
  }
  return v;
}

function optEnum<T extends string | number>(o: Json, key: string, where: string, values: readonly T[]): T | undefined {
  const v = o[key];
  if (v === undefined) {
    return undefined;
  }
  const found = values.find(x => x === v);
  if (found === undefined) {
    fail(`${where}.${key}`, `must be one of ${values.map(x => JSON.stringify(x)).join(', ')}`);
  }
  return found;
}

/** Drops undefined members, so a parsed script echoes back (GET /__stand-in/steps) as it was written. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function parseOutcome(v: unknown, where: string): StepOutcome {
  if (!isPlainObject(v)) {
    fail(where, 'must be an object like {"status":"SUCCESS","data":{…}}');
  }
  switch (v.status) {
    case 'SUCCESS':
      return { status: 'SUCCESS', data: v.data === undefined ? {} : v.data };
    case 'ERROR': {
      const error = v.error === undefined ? 'Step failed' : v.error;
      if (typeof error !== 'string' && !isPlainObject(error)) {
        fail(`${where}.error`, 'must be a string or an object');
      }
      return { status: 'ERROR', error };
    }
    case 'NEVER':
      return { status: 'NEVER' };
    default:
      return fail(`${where}.status`, 'must be "SUCCESS", "ERROR" or "NEVER"');
  }
}

function parseProgress(o: Json, where: string): StepScript['progress'] {
  const v = o.progress;
  if (v === undefined || typeof v === 'boolean' || v === 'number' || v === 'object') {
    return v;
  }
  return fail(`${where}.progress`, 'must be true, false, "number" or "object"');
}

export function parseStep(v: unknown, where = 'step'): StepScript {
  if (!isPlainObject(v)) {
    fail(where, 'must be an object');
  }
  if (typeof v.id !== 'string' || v.id === '') {
    fail(`${where}.id`, 'must be a non-empty string');
  }
  return compact({
    id: v.id,
    name: optString(v, 'name', where),
    enqueuedMs: optNumber(v, 'enqueuedMs', where),
    enqueuedPolls: optNumber(v, 'enqueuedPolls', where, { integer: true }),
    processingMs: optNumber(v, 'processingMs', where),
    processingPolls: optNumber(v, 'processingPolls', where, { integer: true }),
    progress: parseProgress(v, where),
    jitter: optNumber(v, 'jitter', where, { max: 0.9 }),
    outcome: parseOutcome(v.outcome, `${where}.outcome`),
    outcomeByFile: parseOutcomeByFile(v.outcomeByFile, `${where}.outcomeByFile`),
    keys: parseStringList(v.keys, `${where}.keys`),
    statusWords: parseStatusWords(v.statusWords, `${where}.statusWords`),
  });
}

function parseOutcomeByFile(v: unknown, where: string): Record<string, StepOutcome> | undefined {
  if (v === undefined) {
    return undefined;
  }
  if (!isPlainObject(v)) {
    fail(where, 'must map file names to outcomes');
  }
  const byFile: Record<string, StepOutcome> = Object.create(null);
  for (const [name, outcome] of Object.entries(v)) {
    byFile[name] = parseOutcome(outcome, `${where}[${JSON.stringify(name)}]`);
  }
  return byFile;
}

function parseStringList(v: unknown, where: string): string[] | undefined {
  if (v !== undefined && (!Array.isArray(v) || !v.every(k => typeof k === 'string' && k !== ''))) {
    fail(where, 'must be an array of non-empty strings');
  }
  return v as string[] | undefined;
}

function parseStatusWords(v: unknown, where: string): StepScript['statusWords'] {
  if (v === undefined) {
    return undefined;
  }
  if (
    !isPlainObject(v) ||
    !Object.entries(v).every(
      ([k, w]) => ['ENQUEUED', 'PROCESSING', 'SUCCESS', 'ERROR'].includes(k) && typeof w === 'string' && w !== '',
    )
  ) {
    fail(where, 'must map ENQUEUED, PROCESSING, SUCCESS or ERROR to a word');
  }
  return v as StepScript['statusWords'];
}

function parseQuota(v: unknown, where: string): QuotaInfo | false | undefined {
  if (v === undefined || v === false) {
    return v;
  }
  if (!isPlainObject(v)) {
    fail(where, 'must be false or an object like {"quota":1000,"used":1000,"resetDate":"2026-12-01T00:00:00Z"}');
  }
  return compact({
    quota: optNumber(v, 'quota', where, { integer: true }),
    used: optNumber(v, 'used', where, { integer: true }),
    resetDate: optString(v, 'resetDate', where),
    afterStarts: optNumber(v, 'afterStarts', where, { min: 0, integer: true }),
  });
}

function parseUsageBase(v: unknown, where: string): StandInSettings['usageBase'] | undefined {
  if (v === undefined) {
    return undefined;
  }
  if (!isPlainObject(v)) {
    fail(where, 'must be an object like {"successful_pages":0,"successful_conversions":0}');
  }
  return {
    successful_pages: optNumber(v, 'successful_pages', where, { integer: true }) ?? 0,
    successful_conversions: optNumber(v, 'successful_conversions', where, { integer: true }) ?? 0,
  };
}

/** Accepts one step, an array, or `{ "steps": [...] }`. */
export function parseSteps(v: unknown): StepScript[] {
  const list = isPlainObject(v) && Array.isArray(v.steps) ? v.steps : v;
  return Array.isArray(list) ? list.map((s, i) => parseStep(s, `steps[${i}]`)) : [parseStep(list)];
}

function parseMatch(v: unknown, where: string): FaultMatch | undefined {
  if (v === undefined) {
    return undefined;
  }
  if (!isPlainObject(v)) {
    fail(where, 'must be an object like {"method":"POST","path":"/api/steps-async/"}');
  }
  return compact({ method: optString(v, 'method', where), path: optString(v, 'path', where) });
}

function parseRetryAfter(o: Json, where: string): number | 'http-date' | 'none' | undefined {
  if (o.retryAfter === 'http-date' || o.retryAfter === 'none') {
    return o.retryAfter;
  }
  return optNumber(o, 'retryAfter', where, { integer: true });
}

/** The kind-specific members of a fault. */
function parseFaultBody(v: Json, where: string): FaultSpec {
  switch (v.kind) {
    case 'rateLimit':
      return {
        kind: 'rateLimit',
        retryAfter: parseRetryAfter(v, where),
        retryAfterSeconds: optNumber(v, 'retryAfterSeconds', where, { integer: true }),
      };
    case 'serverError':
      return {
        kind: 'serverError',
        status: optEnum(v, 'status', where, [500, 501, 502, 503, 504] as const),
        retryAfter: optNumber(v, 'retryAfter', where, { integer: true }),
        notInitiated: v.notInitiated === undefined ? undefined : v.notInitiated === true,
      };
    case 'statusForbidden':
      return { kind: 'statusForbidden' };
    case 'delay': {
      const ms = optNumber(v, 'ms', where);
      return { kind: 'delay', ms: ms ?? fail(`${where}.ms`, 'is required') };
    }
    case 'dropBeforeBody':
    case 'dropAfterBody':
    case 'unsupportedContentType':
      return { kind: v.kind };
    case 'html':
    case 'malformedJson':
      return { kind: v.kind, status: optNumber(v, 'status', where, { min: 100, integer: true }) };
    case 'throttleBody': {
      const rate = optNumber(v, 'bytesPerSecond', where, { min: 1 });
      return { kind: 'throttleBody', bytesPerSecond: rate ?? fail(`${where}.bytesPerSecond`, 'is required') };
    }
    case 'loseStartAnswer':
      return { kind: 'loseStartAnswer' };
    case 'statusOutage': {
      const ms = optNumber(v, 'ms', where, { min: 0 });
      return {
        kind: 'statusOutage',
        ms: ms ?? fail(`${where}.ms`, 'is required'),
        mode: optEnum(v, 'mode', where, ['drop', '503', 'alternate'] as const),
      };
    }
    case 'redirect':
      return {
        kind: 'redirect',
        status: optEnum(v, 'status', where, [301, 302, 303, 307, 308] as const),
        location:
          v.location === undefined
            ? undefined
            : typeof v.location === 'string'
              ? v.location
              : fail(`${where}.location`, 'must be a string'),
        withKey: v.withKey === undefined ? undefined : v.withKey === true,
      };
    case 'hugeResult': {
      const bytes = optNumber(v, 'bytes', where, { min: 1, integer: true });
      return { kind: 'hugeResult', bytes: bytes ?? fail(`${where}.bytes`, 'is required') };
    }
    case 'nestedResult': {
      const depth = optNumber(v, 'depth', where, { min: 1, integer: true });
      return { kind: 'nestedResult', depth: depth ?? fail(`${where}.depth`, 'is required') };
    }
    default:
      return fail(
        `${where}.kind`,
        'must be one of rateLimit, serverError, statusForbidden, delay, dropBeforeBody, dropAfterBody, html, malformedJson, throttleBody, unsupportedContentType, loseStartAnswer, statusOutage, hugeResult, nestedResult, redirect',
      );
  }
}

export function parseFault(v: unknown, where = 'fault'): FaultSpec {
  if (!isPlainObject(v)) {
    fail(where, 'must be an object with a "kind"');
  }
  return compact({
    ...parseFaultBody(v, where),
    count: optNumber(v, 'count', where, { min: 1, integer: true }),
    match: parseMatch(v.match, `${where}.match`),
  });
}

/** Accepts one fault, an array, or `{ "faults": [...] }`. */
export function parseFaults(v: unknown): FaultSpec[] {
  const list = isPlainObject(v) && Array.isArray(v.faults) ? v.faults : v;
  return Array.isArray(list) ? list.map((f, i) => parseFault(f, `faults[${i}]`)) : [parseFault(list)];
}

export function parseSettings(v: unknown, where = 'config'): Partial<StandInSettings> {
  if (!isPlainObject(v)) {
    fail(where, 'must be an object');
  }
  const apiKeys = v.apiKeys;
  if (apiKeys !== undefined && (!Array.isArray(apiKeys) || !apiKeys.every(k => typeof k === 'string' && k !== ''))) {
    fail(`${where}.apiKeys`, 'must be an array of non-empty strings');
  }
  return compact({
    apiKeys: apiKeys as string[] | undefined,
    maxUploadBytes: optNumber(v, 'maxUploadBytes', where, { integer: true }),
    allowTiff: optBoolean(v, 'allowTiff', where),
    statusIdField: optEnum(v, 'statusIdField', where, ['both', 'conversion_id', 'execution_id'] as const),
    envelope: optBoolean(v, 'envelope', where),
    timestampStyle: optEnum(v, 'timestampStyle', where, ['camel', 'snake'] as const),
    errorStyle: optEnum(v, 'errorStyle', where, ['reference', 'flat', 'nested'] as const),
    recordShape: optEnum(v, 'recordShape', where, ['reference', 'record'] as const),
    quotaExceeded: parseQuota(v.quotaExceeded, `${where}.quotaExceeded`),
    urlDownloadTimeout: optBoolean(v, 'urlDownloadTimeout', where),
    usageBase: parseUsageBase(v.usageBase, `${where}.usageBase`),
    rateLimit: parseRateLimit(v.rateLimit, `${where}.rateLimit`),
    seed: optNumber(v, 'seed', where, { integer: true }),
  });
}

/** `{perMinute?, perHour?, perDay?, windowScale?, resetPrecision?, headers?}`; `false` or `null` turns the limiter off. */
function parseRateLimit(v: unknown, where: string): RateLimitSettings | undefined {
  if (v === undefined) {
    return undefined;
  }
  if (v === null || v === false) {
    return {};
  }
  if (!isPlainObject(v)) {
    fail(where, 'must be an object like {"perMinute":60} (or false to turn it off)');
  }
  return compact({
    perMinute: optNumber(v, 'perMinute', where, { min: 1, integer: true }),
    perHour: optNumber(v, 'perHour', where, { min: 1, integer: true }),
    perDay: optNumber(v, 'perDay', where, { min: 1, integer: true }),
    windowScale: optNumber(v, 'windowScale', where, { min: 0.001 }),
    resetPrecision: optEnum(v, 'resetPrecision', where, ['seconds', 'milliseconds'] as const),
    headers: optEnum(v, 'headers', where, ['all', '429'] as const),
  });
}

export function parseConfig(v: unknown): StandInConfig {
  const settings = parseSettings(v);
  const o = v as Json;
  return compact({
    ...settings,
    steps: o.steps === undefined ? undefined : parseSteps(o.steps),
    faults: o.faults === undefined ? undefined : parseFaults(o.faults),
  });
}
