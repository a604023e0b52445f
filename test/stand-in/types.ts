/**
 * The stand-in's configuration vocabulary (step scripts, faults, wire-shape options) and the runtime
 * checks for it. Configs arrive as JSON (a file, the control API), so every field is checked here
 * once and the rest of the stand-in can trust the types.
 */

import type { RateLimitSettings } from './ratelimit';

export type StatusIdField = 'both' | 'conversion_id' | 'execution_id';
export type TimestampStyle = 'camel' | 'snake';
export type ErrorStyle = 'flat' | 'nested';
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

export type FaultSpec = FaultBase & (
  | { kind: 'rateLimit'; retryAfter?: number | 'http-date' | 'none'; retryAfterSeconds?: number }
  | { kind: 'serverError'; status?: 500 | 501 | 502 | 503 | 504; retryAfter?: number }
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
}

export interface StandInConfig extends Partial<StandInSettings> {
  /** Replaces the default example steps when given. */
  steps?: StepScript[];
  /** Faults armed at start. */
  faults?: FaultSpec[];
}

export const DEFAULT_SETTINGS: StandInSettings = {
  apiKeys: ['test-key'],
  maxUploadBytes: 100 * 1024 * 1024,
  allowTiff: true,
  statusIdField: 'both',
  envelope: false,
  timestampStyle: 'camel',
  errorStyle: 'flat',
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

function optNumber(o: Json, key: string, where: string, opts: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const v = o[key];
  if (v === undefined) {
    return undefined;
  }
  const min = opts.min ?? 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (opts.max !== undefined && v > opts.max) || (opts.integer && !Number.isInteger(v))) {
    fail(`${where}.${key}`, `must be ${opts.integer ? 'an integer' : 'a number'} ≥ ${min}${opts.max !== undefined ? ` and ≤ ${opts.max}` : ''}`);
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
  });
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
      return { kind: 'rateLimit', retryAfter: parseRetryAfter(v, where), retryAfterSeconds: optNumber(v, 'retryAfterSeconds', where, { integer: true }) };
    case 'serverError':
      return { kind: 'serverError', status: optEnum(v, 'status', where, [500, 501, 502, 503, 504] as const), retryAfter: optNumber(v, 'retryAfter', where, { integer: true }) };
    case 'delay': {
      const ms = optNumber(v, 'ms', where);
      return { kind: 'delay', ms: ms ?? fail(`${where}.ms`, 'is required') };
    }
    case 'dropBeforeBody':
    case 'dropAfterBody':
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
      return { kind: 'statusOutage', ms: ms ?? fail(`${where}.ms`, 'is required'), mode: optEnum(v, 'mode', where, ['drop', '503', 'alternate'] as const) };
    }
    case 'hugeResult': {
      const bytes = optNumber(v, 'bytes', where, { min: 1, integer: true });
      return { kind: 'hugeResult', bytes: bytes ?? fail(`${where}.bytes`, 'is required') };
    }
    case 'nestedResult': {
      const depth = optNumber(v, 'depth', where, { min: 1, integer: true });
      return { kind: 'nestedResult', depth: depth ?? fail(`${where}.depth`, 'is required') };
    }
    default:
      return fail(`${where}.kind`, 'must be one of rateLimit, serverError, delay, dropBeforeBody, dropAfterBody, html, malformedJson, throttleBody, loseStartAnswer, statusOutage, hugeResult, nestedResult');
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
    errorStyle: optEnum(v, 'errorStyle', where, ['flat', 'nested'] as const),
    rateLimit: parseRateLimit(v.rateLimit, `${where}.rateLimit`),
    seed: optNumber(v, 'seed', where, { integer: true }),
  });
}

/** `{perMinute?, perHour?, perDay?, windowScale?, resetPrecision?}`; `false` or `null` turns the limiter off. */
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
