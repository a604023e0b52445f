/**
 * A local stand-in for the DocuTray API (its contract: stand-in/README.md): a real HTTP server on 127.0.0.1 with
 * scripted steps, fault injection and a request log, for offline tests and benchmarks.
 *
 * Each request goes: log → take a fault → (drop before body) → read the body (streaming) →
 * answer (fault or route) → (delay / drop after body) → send.
 */
import { readFile } from 'fs/promises';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { handleApi } from './api';
import { BodyAborted, readBody, type ParsedBody } from './body';
import { Control, handleControl } from './control';
import { DEFAULT_STEPS } from './default-steps';
import { faultReply, isReplacing, resultFaultData } from './faults';
import { activeLimits } from './ratelimit';
import { errorReply } from './replies';
import type { Reply } from './replies';
import type { RateLimitStats } from './ratelimit';
import { StandInState } from './state';
import {
  ConfigError,
  DEFAULT_SETTINGS,
  isPlainObject,
  parseConfig,
  type ExecutionInfo,
  type FaultSpec,
  type RequestLogEntry,
  type StandInConfig,
  type StandInSettings,
  type StartCount,
  type StepScript,
} from './types';

export { DEFAULT_STEPS } from './default-steps';
export type { RateLimitStats } from './ratelimit';
export { LEGACY_WIRE } from './types';
export type {
  ErrorStyle,
  ExecutionInfo,
  FaultKind,
  FaultMatch,
  FaultSpec,
  LoggedFile,
  ProgressStyle,
  RateLimitSettings,
  RequestLogEntry,
  StandInConfig,
  StandInSettings,
  StartCount,
  StatusIdField,
  StepOutcome,
  StepScript,
  TimestampStyle,
} from './types';

export interface StandInOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keys accepted as `Authorization: Bearer <key>`; default `['test-key']` (or the config's). */
  apiKeys?: string[];
  config?: StandInConfig;
  /** A JSON config file; `config` is merged over it. */
  configFile?: string;
}

export interface StandIn {
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends every connection. */
  close(): Promise<void>;
  requests(sinceSeq?: number): RequestLogEntry[];
  starts(): StartCount[];
  executions(): ExecutionInfo[];
  addFaults(faults: FaultSpec | FaultSpec[]): FaultSpec[];
  clearFaults(): void;
  pendingFaults(): FaultSpec[];
  setSteps(steps: StepScript | StepScript[]): StepScript[];
  steps(): StepScript[];
  reset(): void;
  configure(options: Partial<StandInSettings>): StandInSettings;
  config(): StandInSettings;
  /** The rate limiter's counts (see ratelimit.ts). */
  rateLimit(): RateLimitStats;
  /** The most executions that were at once created but whose terminal status had not yet been served. */
  maxConcurrentExecutions(): number;
}

const CONTROL_PREFIX = '/__stand-in/';
/** JSON request bodies above this are large logs for no reason; long strings are summarised instead. */
const MAX_LOGGED_JSON_BYTES = 1024 * 1024;
const MAX_LOGGED_STRING = 64 * 1024;

export async function startStandIn(opts: StandInOptions = {}): Promise<StandIn> {
  const { steps, faults, ...configured } = await loadConfig(opts);
  const settings: StandInSettings = {
    ...DEFAULT_SETTINGS,
    ...configured,
    apiKeys: opts.apiKeys ?? configured.apiKeys ?? DEFAULT_SETTINGS.apiKeys,
  };
  const state = new StandInState(settings, steps ?? DEFAULT_STEPS);
  state.faults.add(faults ?? []);
  const control = new Control(state);
  // No request timeout: a throttled or 100 MB upload may legitimately take longer than Node's 5 minutes.
  const server = http.createServer({ requestTimeout: 0 }, (req, res) => {
    dispatch(state, control, req, res).catch(e => internalError(res, e));
  });
  await listen(server, opts.port ?? 0, opts.host ?? '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  const host = opts.host ?? '127.0.0.1';
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => (closing ??= shutdown(server, state)),
    requests: since => control.requests(since),
    starts: () => control.starts(),
    executions: () => control.executions(),
    addFaults: f => control.addFaults(f),
    clearFaults: () => control.clearFaults(),
    pendingFaults: () => control.pendingFaults(),
    setSteps: s => control.setSteps(s),
    steps: () => control.steps(),
    reset: () => control.reset(),
    configure: o => control.configure(o),
    config: () => control.config(),
    rateLimit: () => control.rateLimit(),
    maxConcurrentExecutions: () => control.maxConcurrentExecutions(),
  };
}

async function loadConfig(opts: StandInOptions): Promise<StandInConfig> {
  let config: StandInConfig = {};
  if (opts.configFile) {
    const text = await readFile(opts.configFile, 'utf8');
    try {
      config = parseConfig(JSON.parse(text));
    } catch (e) {
      throw new ConfigError(`${opts.configFile}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return opts.config ? { ...config, ...parseConfig(opts.config) } : config;
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function shutdown(server: http.Server, state: StandInState): Promise<void> {
  state.closed = true;
  // Pending delays and throttles would otherwise keep the process (and their sockets) alive.
  state.cancelTimers();
  return new Promise(resolve => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function dispatch(
  state: StandInState,
  control: Control,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const method = req.method ?? 'GET';
  const [path, rawQuery] = splitUrl(req.url ?? '/');
  const query = new URLSearchParams(rawQuery);
  const requestId = state.newRequestId();
  if (path.startsWith(CONTROL_PREFIX)) {
    send(res, await handleControl(control, req, path.slice(CONTROL_PREFIX.length), query), requestId);
    return;
  }
  const entry = state.newLogEntry({
    time: Date.now(),
    method,
    path,
    query: Object.fromEntries(query),
    headers: flattenHeaders(req.headers),
    requestId,
  });
  const fault = state.faults.take(method, path);
  if (fault) {
    entry.fault = fault.kind;
  }
  const outage = fault?.kind === 'statusOutage' ? state.faults.outageMode(fault) : undefined;
  if (fault?.kind === 'dropBeforeBody' || outage === 'drop') {
    entry.status = 'dropped';
    req.socket.destroy();
    return;
  }
  const body = await readOrAbort(state, req, fault);
  if (!body) {
    entry.status = 'aborted';
    return;
  }
  recordBody(entry, body);
  const now = Date.now();
  let reply =
    outage === '503'
      ? errorReply(state.settings.errorStyle, 'serverError', { status: 503 })
      : isReplacing(fault)
        ? faultReply(
            fault,
            state.settings.errorStyle,
            now,
            /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1],
          )
        : limited(state, path, req.headers.authorization, now, () =>
            handleApi(state, { method, path, query: rawQuery, headers: req.headers, body, now }),
          );
  reply = withResultFault(state, method, path, reply, entry);
  await deliver(state, req, res, entry, reply, fault);
}

/**
 * The per-key rate limiter (ratelimit.ts), when configured: a request with a valid key is counted or
 * refused with a 429, and its answer gets the `X-RateLimit-*` headers. `/api/usage` is never limited.
 */
function limited(
  state: StandInState,
  path: string,
  authorization: string | undefined,
  now: number,
  handle: () => Reply,
): Reply {
  const settings = state.settings.rateLimit;
  const key = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
  if (
    !activeLimits(settings).length ||
    !settings ||
    !path.startsWith('/api/') ||
    path === '/api/usage' ||
    key === undefined ||
    !state.settings.apiKeys.includes(key)
  ) {
    return handle();
  }
  const decision = state.limiter.take(key, now, settings);
  if (!decision.allowed) {
    return decision.reply;
  }
  const reply = handle();
  return { ...reply, headers: { ...reply.headers, ...decision.headers } };
}

/** The parsed body, or undefined when the client went away before it ended. */
async function readOrAbort(
  state: StandInState,
  req: http.IncomingMessage,
  fault: FaultSpec | undefined,
): Promise<ParsedBody | undefined> {
  const { maxUploadBytes } = state.settings;
  try {
    return await readBody(req, {
      // Room for a whole maximum-size document in base64 plus the JSON around it.
      maxJsonBytes: Math.ceil((maxUploadBytes * 4) / 3) + 1024 * 1024,
      bytesPerSecond: fault?.kind === 'throttleBody' ? fault.bytesPerSecond : undefined,
      sleep: ms => state.sleep(ms),
    });
  } catch (e) {
    if (e instanceof BodyAborted) {
      return undefined;
    }
    throw e;
  }
}

/** Sends `reply`, unless a delay or drop fault (or the client) says otherwise, and records the outcome. */
async function deliver(
  state: StandInState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  entry: RequestLogEntry,
  reply: Reply,
  fault: FaultSpec | undefined,
): Promise<void> {
  entry.handledStatus = reply.status;
  if (fault?.kind === 'delay' && !(await state.sleep(fault.ms))) {
    entry.status = 'aborted';
    return;
  }
  if (fault?.kind === 'dropAfterBody' || fault?.kind === 'loseStartAnswer') {
    entry.status = 'dropped';
    req.socket.destroy();
    return;
  }
  if (req.socket.destroyed) {
    // The client gave up (its timeout, say) while we waited: it never saw this answer.
    entry.status = 'aborted';
    return;
  }
  send(res, reply, entry.requestId);
  entry.status = reply.status;
  delete entry.handledStatus;
  reply.onSent?.(Date.now());
}

/** A SUCCESS status answer with its data replaced by a result fault's (huge or deeply nested). */
function withResultFault(
  state: StandInState,
  method: string,
  path: string,
  reply: Reply,
  entry: RequestLogEntry,
): Reply {
  const body = reply.body as Record<string, unknown> | undefined;
  if (reply.status !== 200 || !isPlainObject(body) || body.status !== 'SUCCESS') {
    return reply;
  }
  const fault = state.faults.takeResult(method, path);
  if (!fault) {
    return reply;
  }
  entry.fault = fault.kind;
  const marker = '"__stand_in_data__"';
  const text = JSON.stringify({ ...body, data: '__stand_in_data__' }).replace(marker, resultFaultData(fault));
  return { ...reply, body: text, contentType: 'application/json' };
}

function send(res: http.ServerResponse, reply: Reply, requestId: string): void {
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType ?? 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'X-Request-ID': requestId,
    ...reply.headers,
  });
  res.end(text);
}

function internalError(res: http.ServerResponse, e: unknown): void {
  console.error('DocuTray stand-in: internal error', e);
  if (!res.headersSent && !res.destroyed) {
    send(res, { status: 500, body: { message: 'Stand-in internal error', error: String(e) } }, 'req_internal');
  } else {
    res.destroy();
  }
}

/** Raw path (still percent-encoded, as routes and fault matches see it) and query. */
function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) {
      flat[name] = Array.isArray(value) ? value.join(', ') : value;
    }
  }
  return flat;
}

function recordBody(entry: RequestLogEntry, body: ParsedBody): void {
  if (body.kind === 'empty') {
    entry.bodyBytes = 0;
    return;
  }
  entry.bodyBytes = body.bytes;
  if (body.kind === 'json' && body.error === undefined) {
    entry.json = body.bytes > MAX_LOGGED_JSON_BYTES ? summarise(body.value) : body.value;
  } else if (body.kind === 'multipart') {
    entry.multipart = {
      fields: { ...body.fields },
      files: body.files.map(({ field, filename, contentType, size, sha256 }) => ({
        field,
        filename,
        contentType,
        size,
        sha256,
      })),
    };
  }
}

/** Keeps a huge JSON body's shape in the log but not its megabytes of base64. */
function summarise(value: unknown): unknown {
  if (!isPlainObject(value)) {
    return value;
  }
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      typeof v === 'string' && v.length > MAX_LOGGED_STRING ? `<${v.length} characters, not logged>` : v,
    ]),
  );
}
