/**
 * The DocuTray Steps client. It knows the wire format and the rules; it knows nothing of VS Code.
 * The transport is the `fetch` it is given: VS Code's global fetch in the extension host (which
 * follows the user's proxy, PAC and certificate settings), undici in tests and benchmarks.
 *
 * Never a duplicate start. A start costs the user money and carries no idempotency key, so it is
 * retried only when DocuTray cannot have accepted it:
 *   1. the connection failed before the request could reach the server: refused, name not resolved,
 *      connect timeout, TLS failure (CONNECT_ONLY_CODES), or host/network unreachable *with not one
 *      byte of the body handed to fetch* (an unreachable route can also cut a request already sent;
 *      for a JSON body, sent in one write we cannot watch, unreachable never counts), or
 *   2. DocuTray answered 429, which refuses the request before it is processed.
 * Anything else — a dropped connection once connected, a timeout, a 5xx, an unreadable answer —
 * means the step may have started: the client stops and throws StartUncertainError. Status checks and
 * the key check change nothing on the server and are retried on 429, 5xx and connection failures.
 */
import type { BudgetPriority, BudgetTicket, RequestBudget, RequestKind } from '../api/budget';
import { DEFAULT_BASE_URL, apiUrl, validateBaseUrl } from '../api/endpoint';
import {
  AuthenticationError,
  BadRequestError,
  CancelledError,
  ConnectionError,
  connectionProblemText,
  DocuTrayError,
  HttpError,
  InvalidInputError,
  InvalidResponseError,
  MissingApiKeyError,
  NotFoundError,
  NotFoundResource,
  PayloadTooLargeError,
  PermissionError,
  RateLimitError,
  ResponseTooLargeError,
  ServerError,
  StartNotInitiatedError,
  StartUncertainError,
  isNotInitiated,
  TimeoutError,
  formatBytes,
  referenceHttpError,
} from '../api/errors';
import { normalizeExecution } from '../api/execution';
import type { Execution, StartedExecution } from '../api/types';
import { Usage, parseUsage, usageQuery } from '../api/usage';
import { rateLimitInfo } from '../api/rateLimit';
import { mayHoldSecret, redactError, redactJson, redactSecret, redactUrl } from '../api/redact';
import {
  CONNECT_ONLY_CODES,
  DEFAULT_RETRY,
  MAX_BATCH_PAUSE_MS,
  NOT_SENT_CODES,
  RetryPolicy,
  backoffDelay,
  errorCode,
  parseRetryAfter,
} from '../api/retry';
import { sleep } from '../async/sleep';
import { DocumentInput, DocumentMetadata, PreparedBody, prepareBody } from '../documents/input';
import { MAX_UPLOAD_BYTES } from '../documents/mime';
import { WaitOptions, waitForExecution } from '../polling/wait';

/** The part of `fetch` the client uses; `duplex` is needed to stream a request body. */
export type FetchLike = (url: string, init: RequestInit & { duplex?: 'half' }) => Promise<Response>;

export type ApiKeySource = string | undefined | (() => string | undefined | Promise<string | undefined>);

export interface ClientOptions {
  baseUrl?: string;
  apiKey: ApiKeySource;
  fetch: FetchLike;
  userAgent?: string;
  /** Per attempt, for status and key checks (default 60 s, as the SDKs). */
  requestTimeoutMs?: number;
  /** For a start: the whole upload and its answer (default 15 min). */
  uploadTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * The longest rate-limit pause a batch's (or background) request waits through (default 1 h,
   * MAX_BATCH_PAUSE_MS); a person's request waits at most `retry.maxRetryAfterMs`.
   */
  maxBatchPauseMs?: number;
  /** Answers larger than this are not read (default {@link DEFAULT_MAX_RESPONSE_BYTES}). */
  maxResponseBytes?: number;
  /** One line per request: method, path, status, request id, time. Never the key or the document. */
  log?: (line: string) => void;
  random?: () => number;
  /**
   * The request budget of this key, shared with every other client of the same key: each
   * request waits for it before going out and reports its answer to it (see BUDGET HOOK below). A
   * function gets the key each request is sent with (the stored key can change between requests).
   */
  budget?: ClientBudget | ((apiKey: string) => ClientBudget);
}

/** What the client needs of a request budget. */
export type ClientBudget = Pick<RequestBudget, 'acquire' | 'pausedForMs'>;

export interface StartOptions {
  metadata?: DocumentMetadata;
  signal?: AbortSignal;
  /** Budget priority (default `interactive`; a batch passes `batch`). */
  priority?: BudgetPriority;
  /** Bytes of the request body sent so far, and the total when known. */
  onUploadProgress?: (sent: number, total: number | undefined) => void;
  /**
   * The fence: called immediately before each attempt goes out (the file read, the body built, the budget's
   * turn granted). Throwing stops the start with that error, and nothing is sent.
   */
  beforeSend?: () => Promise<void> | void;
}

export interface RunOptions extends StartOptions, Omit<WaitOptions, 'signal' | 'startedAt'> {
  onStarted?: (execution: Execution) => void;
}

interface RequestSpec {
  method: 'GET' | 'POST';
  kind: RequestKind;
  priority?: BudgetPriority;
  path: string;
  body?: PreparedBody;
  signal?: AbortSignal;
  idempotent: boolean;
  timeoutMs: number;
  notFound: NotFoundResource;
  resourceId?: string;
  onUploadProgress?: StartOptions['onUploadProgress'];
  beforeSend?: StartOptions['beforeSend'];
}

interface Answer {
  status: number;
  body: unknown;
  requestId?: string;
}

const STEP_ID_MAX = 200;

/** 64 MB: far above any step result seen, far below what would hurt the extension host. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export class DocuTrayClient {
  readonly baseUrl: URL;
  private readonly opts: ClientOptions;
  private readonly retry: RetryPolicy;

  constructor(opts: ClientOptions) {
    this.baseUrl = validateBaseUrl(opts.baseUrl ?? DEFAULT_BASE_URL);
    this.opts = opts;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  /**
   * Checks the key with `GET /api/usage`, which needs a valid key (401 otherwise), spends nothing and
   * is never refused for quota or rate (DocuTray's API reference, https://docs.docutray.com/docs/api). Resolves with this month's usage.
   * (`GET /api/auth/ok` belongs to the sign-in library and answers anyone: it proves nothing.)
   */
  checkKey(opts: { signal?: AbortSignal } = {}): Promise<Usage> {
    return this.getUsage(opts);
  }

  /** This month's usage, or the given month's (year and month together). Outside the request budget. */
  async getUsage(opts: { year?: number; month?: number; signal?: AbortSignal } = {}): Promise<Usage> {
    const answer = await this.request({
      method: 'GET',
      kind: 'usage',
      path: `/api/usage${usageQuery(opts)}`,
      signal: opts.signal,
      idempotent: true,
      timeoutMs: this.requestTimeout,
      notFound: 'endpoint',
    });
    return parseUsage(answer.body);
  }

  /** Starts a step on one document. Resolves with the ENQUEUED execution DocuTray created. */
  async startStep(stepId: string, input: DocumentInput, opts: StartOptions = {}): Promise<StartedExecution> {
    const id = checkStepId(stepId);
    const body = await prepareBody(input, { metadata: opts.metadata });
    const answer = await this.request({
      method: 'POST',
      kind: 'start',
      priority: opts.priority,
      path: `/api/steps-async/${encodeURIComponent(id)}`,
      body,
      signal: opts.signal,
      idempotent: false,
      timeoutMs: this.opts.uploadTimeoutMs ?? 15 * 60_000,
      notFound: 'step',
      resourceId: id,
      onUploadProgress: opts.onUploadProgress,
      beforeSend: opts.beforeSend,
    });
    try {
      const started: StartedExecution = normalizeExecution(answer.body);
      const sha256 = body.sha256?.();
      if (sha256) {
        started.documentSha256 = sha256;
      }
      return started;
    } catch (e) {
      throw new StartUncertainError(`DocuTray's answer had no execution id: ${(e as Error).message}`, {
        status: answer.status,
        requestId: answer.requestId,
      });
    }
  }

  async getStatus(
    executionId: string,
    opts: { signal?: AbortSignal; priority?: BudgetPriority } = {},
  ): Promise<Execution> {
    const id = (executionId ?? '').trim();
    // "." and ".." would walk up the API path (encodeURIComponent leaves dots alone).
    if (!id || id === '.' || id === '..' || id.length > STEP_ID_MAX || /[\s/\\?#]/.test(id)) {
      throw new InvalidInputError('badExecutionId', `"${executionId}" is not an execution id.`);
    }
    const answer = await this.request({
      method: 'GET',
      kind: 'status',
      priority: opts.priority,
      path: `/api/steps-async/status/${encodeURIComponent(id)}`,
      signal: opts.signal,
      idempotent: true,
      timeoutMs: this.requestTimeout,
      notFound: 'execution',
      resourceId: id,
    });
    return normalizeExecution(answer.body, id);
  }

  /** Polls until the execution ends: SUCCESS resolves, ERROR throws StepFailedError. */
  waitForCompletion(executionId: string, opts: WaitOptions & { priority?: BudgetPriority } = {}): Promise<Execution> {
    return waitForExecution(
      executionId,
      signal => this.getStatus(executionId, { signal, priority: opts.priority }),
      opts,
    );
  }

  /** Start, then wait. */
  async runStep(stepId: string, input: DocumentInput, opts: RunOptions = {}): Promise<Execution> {
    const started = await this.startStep(stepId, input, opts);
    const startedAt = Date.now();
    opts.onStarted?.(started);
    opts.onStatus?.(started);
    return this.waitForCompletion(started.id, { ...opts, startedAt });
  }

  /**
   * True when a rate-limit wait is longer than this request should sit through: a person's request
   * then gives up with the 429 (a start was refused, so nothing can have started) after a minute's
   * worth; a batch's after an hour's, and the batch pauses, saying when it resumes.
   */
  private outlasts(spec: Pick<RequestSpec, 'priority' | 'kind'>, waitMs: number | undefined): boolean {
    if (spec.kind === 'usage' || waitMs === undefined) {
      return false; // usage requests are outside the budget: never paused
    }
    const interactive = (spec.priority ?? 'interactive') === 'interactive';
    return waitMs > (interactive ? this.retry.maxRetryAfterMs : (this.opts.maxBatchPauseMs ?? MAX_BATCH_PAUSE_MS));
  }

  /** A log line, with the key masked wherever an answer (a request id, an execution id) put it. */
  private log(key: string, line: string): void {
    this.opts.log?.(redactSecret(line, key));
  }

  private get requestTimeout(): number {
    return this.opts.requestTimeoutMs ?? 60_000;
  }

  private async apiKey(): Promise<string> {
    const source = this.opts.apiKey;
    const key = (typeof source === 'function' ? await source() : source)?.trim();
    if (!key) {
      throw new MissingApiKeyError();
    }
    if (!/^[\x21-\x7e]+$/.test(key)) {
      throw new InvalidInputError(
        'badApiKey',
        'The DocuTray API key contains characters an API key cannot have (spaces or line breaks?). Set it again.',
      );
    }
    return key;
  }

  private async request(spec: RequestSpec): Promise<Answer> {
    const key = await this.apiKey();
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(spec, key);
      } catch (e) {
        // Whatever the error carries from the answer (a message, a request id, a URL) is shown or logged.
        redactError(e, key);
        const retryAfterMs = this.retryDelay(spec, e, attempt);
        if (retryAfterMs === undefined) {
          throw e;
        }
        this.log(
          key,
          `${spec.method} ${spec.path} retry ${attempt + 1}/${this.retry.maxRetries} in ${retryAfterMs} ms (${(e as DocuTrayError).kind ?? 'error'})`,
        );
        try {
          await sleep(retryAfterMs, spec.signal);
        } catch {
          throw new CancelledError();
        }
      }
    }
  }

  /** The delay before trying again, or undefined when this failure must not be retried. */
  private retryDelay(spec: RequestSpec, e: unknown, attempt: number): number | undefined {
    if (!(e instanceof DocuTrayError) || attempt >= this.retry.maxRetries) {
      return undefined;
    }
    if (spec.body && !spec.body.reopenable()) {
      return undefined; // a stream input already read: there is nothing left to send again
    }
    if (e instanceof ResponseTooLargeError) {
      return undefined; // the same answer would come again
    }
    const retryable = spec.idempotent
      ? e.kind === 'rateLimited' ||
        e.kind === 'server' ||
        e.kind === 'connection' ||
        e.kind === 'timeout' ||
        e.kind === 'invalidResponse'
      : // A start: only when DocuTray cannot have accepted it (see the top of this file).
        e.kind === 'rateLimited' ||
        (e instanceof ConnectionError && e.code !== undefined && NOT_SENT_CODES.has(e.code));
    if (!retryable || (e.kind === 'server' && e.status === 501)) {
      return undefined;
    }
    const retryAfterMs =
      e instanceof RateLimitError && e.info.retryAfterSeconds !== undefined
        ? e.info.retryAfterSeconds * 1000
        : (e as { retryAfterMs?: number }).retryAfterMs;
    if (e instanceof RateLimitError && this.opts.budget && !this.outlasts(spec, retryAfterMs)) {
      // BUDGET HOOK: the budget saw the 429 and holds every request of the key until the reset.
      return 0;
    }
    if (retryAfterMs !== undefined && retryAfterMs > this.retry.maxRetryAfterMs) {
      return undefined;
    }
    return backoffDelay(attempt, this.retry, retryAfterMs, this.opts.random);
  }

  private async attempt(spec: RequestSpec, key: string): Promise<Answer> {
    if (spec.signal?.aborted) {
      throw new CancelledError();
    }
    // BUDGET HOOK 1: wait for the key's request budget before sending.
    let ticket: BudgetTicket | undefined;
    const budget = typeof this.opts.budget === 'function' ? this.opts.budget(key) : this.opts.budget;
    if (budget) {
      const pausedMs = budget.pausedForMs();
      if (this.outlasts(spec, pausedMs)) {
        // Longer than this request should wait (a person's: a minute; a batch's: an hour): say when
        // to try again rather than sit through the pause. Nothing is sent.
        throw new RateLimitError({ retryAfterSeconds: Math.ceil(pausedMs / 1000) });
      }
      try {
        ticket = await budget.acquire(spec.kind, {
          priority: spec.priority ?? 'interactive',
          signal: spec.signal,
        });
      } catch {
        throw new CancelledError();
      }
    }
    if (spec.beforeSend) {
      try {
        await spec.beforeSend();
      } catch (e) {
        ticket?.abandon(); // nothing sent; the turn stays counted
        throw e;
      }
      if (spec.signal?.aborted) {
        // Called back while the fence was asked (its listener below would never hear it): nothing is sent.
        ticket?.abandon();
        throw new CancelledError();
      }
    }
    const url = apiUrl(this.baseUrl, spec.path);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, spec.timeoutMs);
    const onAbort = () => controller.abort();
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = {
      authorization: `Bearer ${key}`,
      accept: 'application/json',
      ...(this.opts.userAgent ? { 'user-agent': this.opts.userAgent } : {}),
      ...spec.body?.headers,
    };
    let bodySent = !spec.body;
    /** Body bytes handed to the connection so far: a start with any is never retried. */
    let bytesSent = 0;
    const total = spec.body?.length;
    const onProgress = (sent: number) => {
      bytesSent = sent;
      if (total !== undefined && sent >= total) {
        bodySent = true;
      }
      spec.onUploadProgress?.(sent, total);
    };
    const started = Date.now();
    let response: Response;
    let text: string;
    try {
      const body = spec.body?.open(onProgress);
      response = await this.opts.fetch(url, {
        method: spec.method,
        headers,
        body,
        signal: controller.signal,
        // The key goes to the configured origin only: never follow a redirect with it.
        redirect: 'manual',
        ...(body instanceof ReadableStream ? { duplex: 'half' as const } : {}),
      });
      bodySent = true;
      if (spec.body?.encoding === 'json' && total !== undefined && bytesSent < total) {
        onProgress(total);
      }
      text = await readCapped(response, this.opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    } catch (e) {
      ticket?.abandon(); // BUDGET HOOK 2a: no answer; the request stays counted
      if (e instanceof ResponseTooLargeError) {
        const requestId = response!.headers.get('x-request-id') ?? undefined;
        this.log(
          key,
          `${spec.method} ${spec.path} → ${response!.status}${requestId ? ` [${requestId}]` : ''}: answer over ${formatBytes(e.limitBytes)}, not read`,
        );
        throw spec.idempotent
          ? new ResponseTooLargeError(e.limitBytes, { status: response!.status, requestId })
          : new StartUncertainError(`the answer was over ${formatBytes(e.limitBytes)}`, {
              status: response!.status,
              requestId,
            });
      }
      throw this.transportError(spec, e, { timedOut, bodySent, bytesSent, cancelled: spec.signal?.aborted === true });
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
    }
    const requestId = response.headers.get('x-request-id') ?? undefined;
    this.log(
      key,
      `${spec.method} ${spec.path} → ${response.status}${requestId ? ` [${requestId}]` : ''} in ${Date.now() - started} ms`,
    );
    const parsed = parseBody(text, response.headers.get('content-type'));
    if (parsed.json !== undefined && mayHoldSecret(text, key)) {
      // A service that echoes the request: the key must not reach a result, a record or a message.
      parsed.json = redactJson(parsed.json, key);
    }
    ticket?.observe({ status: response.status, headers: response.headers, body: parsed.json }); // BUDGET HOOK 2b: learn from the answer
    if (response.status >= 200 && response.status < 300) {
      if (parsed.json === undefined) {
        const err = new InvalidResponseError(
          `DocuTray's answer could not be read (${parsed.isHtml ? 'an HTML page, perhaps from a proxy' : 'not JSON'}).`,
          { status: response.status, requestId },
        );
        if (!spec.idempotent) {
          throw new StartUncertainError('the answer could not be read', { status: response.status, requestId });
        }
        throw err;
      }
      return { status: response.status, body: parsed.json, requestId };
    }
    const err = this.httpError(spec, response, parsed, requestId, key, Date.now());
    if (!spec.idempotent && response.status === 500 && isNotInitiated(err.serverMessage)) {
      // DocuTray's own answer when it could not create the execution (its API reference): nothing started.
      throw new StartNotInitiatedError({ status: 500, requestId, serverMessage: err.serverMessage });
    }
    if (!spec.idempotent && response.status >= 500) {
      // A gateway or server error after the upload: DocuTray may have created the execution anyway.
      const uncertain = new StartUncertainError(`DocuTray answered ${response.status}`, {
        status: response.status,
        requestId,
        serverMessage: err.serverMessage,
      });
      throw uncertain;
    }
    throw err;
  }

  private transportError(
    spec: RequestSpec,
    e: unknown,
    s: { timedOut: boolean; bodySent: boolean; bytesSent: number; cancelled: boolean },
  ): DocuTrayError {
    const mayHaveStarted = !spec.idempotent && s.bodySent;
    if (s.cancelled) {
      return new CancelledError({}, mayHaveStarted);
    }
    if (s.timedOut) {
      if (!spec.idempotent) {
        return new StartUncertainError(`no answer within ${Math.round(spec.timeoutMs / 1000)} s`);
      }
      return new TimeoutError(`DocuTray did not answer within ${Math.round(spec.timeoutMs / 1000)} s.`);
    }
    // Our own error from inside the request body (a stream input that turned out too large while
    // sending, say): fetch wraps it as the cause of its TypeError.
    const own = ownError(e);
    if (own) {
      return own;
    }
    const code = errorCode(e);
    // A start is safe to try again only when nothing of it can have reached DocuTray: a code that says
    // the connection failed, and no body byte handed over (or, for a body we cannot watch, a code only
    // a connection attempt gives). EHOSTUNREACH after the upload went out is not "not sent".
    // (fetch may pull the first chunk before it connects: a refused connection still sent nothing.)
    const notSent =
      code !== undefined &&
      (CONNECT_ONLY_CODES.has(code) ||
        (NOT_SENT_CODES.has(code) && s.bytesSent === 0 && spec.body?.encoding !== 'json'));
    if (!spec.idempotent && !notSent) {
      return new StartUncertainError(connectionProblemText(code), { cause: e });
    }
    return new ConnectionError(this.baseUrl.origin, code, { cause: e });
  }

  private httpError(
    spec: RequestSpec,
    response: Response,
    parsed: ParsedBody,
    requestId: string | undefined,
    key: string,
    receivedAt: number,
  ): DocuTrayError {
    const status = response.status;
    const body = (parsed.json ?? {}) as Record<string, unknown>;
    const serverMessage = redactSecret(extractMessage(body, parsed), key);
    const d = { status, requestId, serverMessage };
    if (status >= 300 && status < 400) {
      return new HttpError({
        ...d,
        // The Location may carry the key (a service or proxy that puts it in a query): origin and path only.
        serverMessage: `DocuTray redirected the request to ${redactUrl(response.headers.get('location') ?? '', key, this.baseUrl) || 'another address'}; the API key is not sent there. Check the API base URL`,
      });
    }
    const operation = spec.notFound === 'step' ? 'start' : spec.notFound === 'execution' ? 'status' : 'other';
    const byReference = referenceHttpError(
      status,
      {
        operation,
        resourceId: spec.resourceId,
        requestContentType: spec.body?.headers['content-type'],
        url: spec.body?.url,
      },
      body,
      d,
    );
    if (byReference) {
      return byReference;
    }
    switch (status) {
      case 400:
      case 422:
        return new BadRequestError(
          extractErrors(body).map(m => redactSecret(m, key)),
          d,
        );
      case 401:
        return new AuthenticationError(d);
      case 403:
        return new PermissionError(d);
      case 404:
        return new NotFoundError(spec.notFound, spec.resourceId, d);
      case 413:
        return new PayloadTooLargeError(MAX_UPLOAD_BYTES, spec.body?.documentBytes, d);
      case 429:
        return new RateLimitError(rateLimitInfo({ status, headers: response.headers, body }, receivedAt), d);
    }
    if (status >= 500) {
      const err = new ServerError(d);
      const ra = parseRetryAfter(response.headers.get('retry-after'));
      if (ra !== undefined) {
        Object.defineProperty(err, 'retryAfterMs', { value: ra, enumerable: false });
      }
      return err;
    }
    return new HttpError(d);
  }
}

/** The body as text, refusing (without reading further) one larger than `limit` bytes. */
async function readCapped(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(limit);
  }
  if (!response.body) {
    return '';
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parts: string[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(limit);
    }
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

function checkStepId(stepId: string): string {
  const id = (stepId ?? '').trim();
  if (!id) {
    throw new InvalidInputError('emptyStepId', 'The step ID is empty.');
  }
  // encodeURIComponent leaves dots alone: "." and ".." would walk up the API path.
  if (
    id === '.' ||
    id === '..' ||
    id.length > STEP_ID_MAX ||
    [...id].some(c => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)
  ) {
    throw new InvalidInputError('badStepId', `"${id}" is not a valid step ID.`);
  }
  return id;
}

function ownError(e: unknown): DocuTrayError | undefined {
  for (let depth = 0; depth < 5 && e; depth++) {
    if (e instanceof DocuTrayError) {
      return e;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

interface ParsedBody {
  json: unknown;
  text: string;
  isHtml: boolean;
}

function parseBody(text: string, contentType: string | null): ParsedBody {
  const isHtml = /text\/html/i.test(contentType ?? '') || /^\s*<(!doctype|html)/i.test(text);
  if (isHtml || text.trim() === '') {
    return { json: undefined, text, isHtml };
  }
  try {
    return { json: JSON.parse(text), text, isHtml };
  } catch {
    return { json: undefined, text, isHtml };
  }
}

function extractMessage(body: Record<string, unknown>, parsed: ParsedBody): string | undefined {
  const err = body.error;
  if (err && typeof err === 'object' && typeof (err as { message?: unknown }).message === 'string') {
    return (err as { message: string }).message;
  }
  for (const v of [body.message, body.detail, err]) {
    if (typeof v === 'string' && v) {
      return v;
    }
  }
  if (parsed.json === undefined && !parsed.isHtml && parsed.text.trim()) {
    return parsed.text.trim().slice(0, 200);
  }
  return undefined;
}

function extractErrors(body: Record<string, unknown>): string[] {
  const list = body.errors;
  if (!Array.isArray(list)) {
    return [];
  }
  return list.map(e =>
    typeof e === 'string'
      ? e
      : e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string'
        ? `${(e as { path?: unknown }).path ? `${String((e as { path?: unknown }).path)}: ` : ''}${(e as { message: string }).message}`
        : JSON.stringify(e),
  );
}
