/**
 * Typed errors of the DocuTray client. Each says, in `message`, what happened in words a person can
 * act on; the VS Code layer localises by `kind`. None of them ever holds the API key: only the HTTP
 * status, the server's request id and the server's own (key-free) message travel with them.
 */
import type { Execution, ExecutionErrorInfo } from './types';
import { num } from '../json/fields';

export type DocuTrayErrorKind =
  | 'authentication'
  | 'permission'
  | 'notFound'
  | 'badRequest'
  | 'payloadTooLarge'
  | 'contentTypeRefused'
  | 'quotaExceeded'
  | 'urlDownloadTimeout'
  | 'rateLimited'
  | 'server'
  | 'http'
  | 'connection'
  | 'timeout'
  | 'cancelled'
  | 'stepFailed'
  | 'startUncertain'
  | 'invalidInput'
  | 'missingApiKey'
  | 'insecureBaseUrl'
  | 'invalidResponse';

export interface ErrorDetails {
  status?: number;
  requestId?: string;
  /** The message the server sent, when it sent one. */
  serverMessage?: string;
  cause?: unknown;
}

export class DocuTrayError extends Error {
  readonly kind: DocuTrayErrorKind;
  readonly status?: number;
  readonly requestId?: string;
  readonly serverMessage?: string;

  constructor(kind: DocuTrayErrorKind, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.status = details.status;
    this.requestId = details.requestId;
    this.serverMessage = details.serverMessage;
    // `cause` may be a transport error with request internals: keep it out of enumerable fields.
    if (details.cause !== undefined) {
      Object.defineProperty(this, 'cause', {
        value: details.cause,
        enumerable: false,
        writable: true,
        configurable: true,
      });
    }
  }
}

export class AuthenticationError extends DocuTrayError {
  constructor(d: ErrorDetails = {}) {
    super('authentication', 'DocuTray refused the API key (401). Set a valid API key.', d);
  }
}

export class PermissionError extends DocuTrayError {
  constructor(d: ErrorDetails = {}, message?: string) {
    super(
      'permission',
      message ?? `The API key is not allowed to do this (403)${d.serverMessage ? `: ${d.serverMessage}` : '.'}`,
      d,
    );
  }
}

/** A status request's 403: the execution exists, but belongs to another key or organisation. */
export class ExecutionAccessError extends PermissionError {
  readonly executionId: string;
  constructor(executionId: string, d: ErrorDetails = {}) {
    super(
      d,
      `Execution "${executionId}" belongs to another API key or organisation (403)${d.serverMessage ? `: ${d.serverMessage}` : ''}. Check it with the key that started it.`,
    );
    this.executionId = executionId;
  }
}

export type NotFoundResource = 'step' | 'execution' | 'endpoint';

export class NotFoundError extends DocuTrayError {
  readonly resource: NotFoundResource;
  readonly resourceId?: string;
  constructor(resource: NotFoundResource, resourceId: string | undefined, d: ErrorDetails = {}) {
    // DocuTray answers an unknown step and one this key may not use alike: 403 or 404, "Step not found or access denied".
    const what =
      resource === 'step'
        ? `DocuTray has no step "${resourceId}" that this API key may use (${d.status ?? 404}${d.serverMessage ? `: ${d.serverMessage}` : ''}). Check the step ID.`
        : resource === 'execution'
          ? `DocuTray has no execution "${resourceId}" (404).`
          : 'The DocuTray endpoint was not found (404). Check the API base URL.';
    super('notFound', what, d);
    this.resource = resource;
    this.resourceId = resourceId;
  }
}

export class BadRequestError extends DocuTrayError {
  /** The server's validation messages (`errors: [...]`), if any, every one of them. */
  readonly errors: string[];
  constructor(errors: string[], d: ErrorDetails = {}) {
    super(
      'badRequest',
      `DocuTray rejected the request (${d.status ?? 400}): ${badRequestDetail(errors, d.serverMessage)}`,
      d,
    );
    this.errors = errors;
  }
}

/** "Validation error: Image file is required; document_metadata must be a JSON object" — all of them. */
export function badRequestDetail(errors: readonly string[], serverMessage: string | undefined): string {
  if (!errors.length) {
    return serverMessage ?? 'the request was rejected';
  }
  const list = errors.join('; ');
  return serverMessage && !errors.includes(serverMessage) ? `${serverMessage}: ${list}` : list;
}

export class PayloadTooLargeError extends DocuTrayError {
  readonly limitBytes: number;
  readonly sizeBytes?: number;
  constructor(limitBytes: number, sizeBytes: number | undefined, d: ErrorDetails = {}) {
    const size = sizeBytes === undefined ? '' : ` (${formatBytes(sizeBytes)})`;
    // A file within DocuTray's documented limit was refused by a lower one (a proxy's, say): naming
    // DocuTray's limit would only confuse.
    super(
      'payloadTooLarge',
      sizeBytes !== undefined && sizeBytes <= limitBytes
        ? `The document${size} was refused as too large (413)${d.serverMessage ? `: ${d.serverMessage}` : ''}. A proxy on the way may have a lower limit than DocuTray's ${formatBytes(limitBytes)}.`
        : `The document is too large for DocuTray${size}: the limit is ${formatBytes(limitBytes)}.`,
      d,
    );
    this.limitBytes = limitBytes;
    this.sizeBytes = sizeBytes;
  }
}

/**
 * 415: DocuTray refused the Content-Type of our request itself (it takes multipart/form-data or
 * application/json) — never the document's format, which is checked before upload. Something on the
 * way (a proxy rewriting requests) changed it; the request id lets the vendor find the request.
 */
export class ContentTypeRefusedError extends DocuTrayError {
  /** The Content-Type we sent (without the multipart boundary). */
  readonly requestContentType?: string;
  constructor(requestContentType: string | undefined, d: ErrorDetails = {}) {
    super(
      'contentTypeRefused',
      `DocuTray refused the request's content type${requestContentType ? ` (${requestContentType})` : ''} (415)${d.serverMessage ? `: ${d.serverMessage}` : ''}. It was sent correctly: a proxy on the way may have rewritten it${d.requestId ? `. Request id ${d.requestId}` : ''}.`,
      d,
    );
    this.requestContentType = requestContentType;
  }
}

export interface QuotaInfo {
  quota?: number;
  used?: number;
  /** As DocuTray sent it (an ISO date). */
  resetDate?: string;
}

/** 402: the organisation's quota is used up. Never retried: it stays so until the reset date. */
export class QuotaExceededError extends DocuTrayError {
  readonly info: QuotaInfo;
  constructor(info: QuotaInfo, d: ErrorDetails = {}) {
    const figures = info.used !== undefined && info.quota !== undefined ? ` (${info.used} of ${info.quota} used)` : '';
    super(
      'quotaExceeded',
      `DocuTray's quota is used up${figures} (402).${info.resetDate ? ` It resets on ${info.resetDate}.` : ''}`,
      d,
    );
    this.info = info;
  }
}

/** 408 on a URL run: DocuTray could not download the document within its 30 s. */
export class UrlDownloadTimeoutError extends DocuTrayError {
  readonly url: string;
  constructor(url: string, d: ErrorDetails = {}) {
    super(
      'urlDownloadTimeout',
      `DocuTray could not download ${url} within 30 s (408). Check that the URL is reachable from the internet and answers quickly, or run the step on a downloaded copy.`,
      d,
    );
    this.url = url;
  }
}

/** What {@link referenceHttpError} needs to know of the request DocuTray refused. */
export interface RefusedRequest {
  /** What was asked: a start, a status, or another call (the key check). */
  operation: 'start' | 'status' | 'other';
  /** The step id of a start, the execution id of a status. */
  resourceId?: string;
  /** The Content-Type header we sent. */
  requestContentType?: string;
  /** The document URL of a URL start. */
  url?: string;
}

/**
 * The statuses DocuTray's API reference gives a meaning of their own (DocuTray's API reference, https://docs.docutray.com/docs/api): a start's
 * 403 is about the step id, like its 404; a status's 403 about who owns the execution; 402 the quota;
 * 408 the URL download; 415 our request's Content-Type. Undefined for every other status.
 */
export function referenceHttpError(
  status: number,
  req: RefusedRequest,
  body: Record<string, unknown>,
  d: ErrorDetails,
): DocuTrayError | undefined {
  switch (status) {
    case 402: {
      const inner = body.error && typeof body.error === 'object' ? (body.error as Record<string, unknown>) : body;
      const resetDate = inner.resetDate ?? inner.reset_date;
      return new QuotaExceededError(
        {
          quota: num(inner.quota),
          used: num(inner.used),
          resetDate: typeof resetDate === 'string' && resetDate ? resetDate : undefined,
        },
        d,
      );
    }
    case 403:
      if (req.operation === 'start') {
        return new NotFoundError('step', req.resourceId, d);
      }
      return req.operation === 'status' && req.resourceId !== undefined
        ? new ExecutionAccessError(req.resourceId, d)
        : undefined;
    case 408:
      return req.operation === 'start' && req.url ? new UrlDownloadTimeoutError(req.url, d) : undefined;
    case 415:
      return new ContentTypeRefusedError(req.requestContentType?.split(';')[0].trim(), d);
  }
  return undefined;
}

export interface RateLimitInfo {
  /** Seconds to wait before trying again, when the server said. */
  retryAfterSeconds?: number;
  limitType?: string;
  limit?: number;
  remaining?: number;
  /** Unix seconds at which the limit resets. */
  resetAt?: number;
}

export class RateLimitError extends DocuTrayError {
  readonly info: RateLimitInfo;
  constructor(info: RateLimitInfo, d: ErrorDetails = {}) {
    const when =
      info.retryAfterSeconds !== undefined
        ? ` Try again in ${Math.ceil(info.retryAfterSeconds)} s.`
        : ' Try again later.';
    super(
      'rateLimited',
      `DocuTray's rate limit was reached (429${info.limitType ? `, per ${info.limitType}` : ''}).${when}`,
      d,
    );
    this.info = info;
  }
}

export class ServerError extends DocuTrayError {
  constructor(d: ErrorDetails = {}) {
    super(
      'server',
      `DocuTray had a server error (${d.status ?? 500})${d.serverMessage ? `: ${d.serverMessage}` : ''}. Try again later.`,
      d,
    );
  }
}

/** Any other unexpected HTTP status. */
export class HttpError extends DocuTrayError {
  constructor(d: ErrorDetails = {}) {
    super('http', `DocuTray answered with HTTP ${d.status}${d.serverMessage ? `: ${d.serverMessage}` : ''}.`, d);
  }
}

/** What went wrong with a connection, from its system error code: what a message says instead of the code. */
export type ConnectionProblem =
  'closed' | 'refused' | 'notFound' | 'unreachable' | 'timedOut' | 'certificate' | 'other';

const PROBLEM_OF_CODE: Readonly<Record<string, ConnectionProblem>> = {
  UND_ERR_SOCKET: 'closed',
  UND_ERR_CLOSED: 'closed',
  ECONNRESET: 'closed',
  EPIPE: 'closed',
  ECONNABORTED: 'closed',
  ECONNREFUSED: 'refused',
  ENOTFOUND: 'notFound',
  EAI_AGAIN: 'notFound',
  EHOSTUNREACH: 'unreachable',
  ENETUNREACH: 'unreachable',
  EADDRNOTAVAIL: 'unreachable',
  ETIMEDOUT: 'timedOut',
  UND_ERR_CONNECT_TIMEOUT: 'timedOut',
  UND_ERR_HEADERS_TIMEOUT: 'timedOut',
  UND_ERR_BODY_TIMEOUT: 'timedOut',
  CERT_HAS_EXPIRED: 'certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate',
  ERR_TLS_CERT_ALTNAME_INVALID: 'certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate',
};

/** The kind of a connection failure's code (undefined or unknown: `other`). */
export function connectionProblem(code: string | undefined): ConnectionProblem {
  return code !== undefined && Object.hasOwn(PROBLEM_OF_CODE, code) ? PROBLEM_OF_CODE[code] : 'other';
}

/**
 * A connection failure in words (English, for the command line and stored errors; the extension words
 * it again with l10n). Never the system code: it means nothing to a user, and stays in the log.
 */
export function connectionProblemText(code: string | undefined): string {
  switch (connectionProblem(code)) {
    case 'closed':
      return 'the connection was closed by the service';
    case 'refused':
      return 'nothing answered at that address (the connection was refused)';
    case 'notFound':
      return "the server's name could not be found";
    case 'unreachable':
      return 'the network could not reach the server';
    case 'timedOut':
      return 'the connection timed out';
    case 'certificate':
      return "the server's certificate was not accepted";
    case 'other':
      return 'the connection failed';
  }
}

export class ConnectionError extends DocuTrayError {
  /** The system error code (ECONNREFUSED, ENOTFOUND, …) when there was one: for the log, not a message. */
  readonly code?: string;
  /** The address that could not be reached. */
  readonly origin: string;
  constructor(origin: string, code: string | undefined, d: ErrorDetails = {}) {
    super(
      'connection',
      `Could not reach DocuTray at ${origin}: ${connectionProblemText(code)}. Check the network, the proxy settings and the API base URL.`,
      d,
    );
    this.code = code;
    this.origin = origin;
  }
}

export class TimeoutError extends DocuTrayError {
  /** Set when waiting for an execution timed out: it may still finish and can be checked later. */
  readonly executionId?: string;
  constructor(message: string, d: ErrorDetails = {}, executionId?: string) {
    super('timeout', message, d);
    this.executionId = executionId;
  }
}

export class CancelledError extends DocuTrayError {
  /** True when the start request had been fully sent: DocuTray may have accepted it. */
  readonly mayHaveStarted: boolean;
  constructor(d: ErrorDetails = {}, mayHaveStarted = false) {
    super(
      'cancelled',
      mayHaveStarted ? 'Cancelled. The step may have started on DocuTray before the cancel.' : 'Cancelled.',
      d,
    );
    this.mayHaveStarted = mayHaveStarted;
  }
}

export class StepFailedError extends DocuTrayError {
  readonly executionId: string;
  readonly failure: ExecutionErrorInfo;
  /** The ERROR execution record, when the failure came from one. */
  readonly execution?: Execution;
  constructor(executionId: string, failure: ExecutionErrorInfo, d: ErrorDetails = {}, execution?: Execution) {
    // The service's own words only: every place that shows it says once, in one wording, that the step
    // reported an error ("The step reported an error: …", "<step> failed on <document>: …").
    super('stepFailed', `${failure.code ? `${failure.code}: ` : ''}${failure.message}`, d);
    this.executionId = executionId;
    this.failure = failure;
    this.execution = execution;
  }
}

/**
 * A start whose outcome is unknown: the request may have reached DocuTray, so the step may be running
 * (and billed). It is never retried automatically.
 */
export class StartUncertainError extends DocuTrayError {
  constructor(reason: string, d: ErrorDetails = {}) {
    super(
      'startUncertain',
      `The step may have started, but DocuTray's answer was lost (${reason}). It was not retried, to avoid running it twice.`,
      d,
    );
  }
}

/**
 * DocuTray's own 500 when it could not create the execution (its API reference: "Internal server error:
 * Failed to initiate step processing"): the start did not happen, so running it again bills it once.
 */
export class StartNotInitiatedError extends DocuTrayError {
  constructor(d: ErrorDetails = {}) {
    super(
      'server',
      `DocuTray could not start the step (${d.status ?? 500}${d.serverMessage ? `: ${d.serverMessage}` : ''}). Nothing started, so sending it again bills it once.`,
      d,
    );
  }
}

/** Whether a 500's message is DocuTray's "Failed to initiate step processing" (nothing started). */
export function isNotInitiated(serverMessage: string | undefined): boolean {
  return !!serverMessage && /failed to initiate step processing/i.test(serverMessage);
}

export type InvalidInputReason =
  | 'noInput'
  | 'multipleInputs'
  | 'emptyFile'
  | 'tooLarge'
  | 'unsupportedType'
  | 'emptyStepId'
  /** Not empty, but not a step ID either: `.`, `..`, control characters, over 200 characters. */
  | 'badStepId'
  | 'badMetadata'
  | 'badUrl'
  | 'badBase64'
  | 'badExecutionId'
  /** The API key has characters no key has (a space, a line break…). */
  | 'badApiKey'
  /** A usage request with only one of year and month. */
  | 'badUsagePeriod'
  | 'notAFile';

/** A local refusal: nothing was sent. */
export class InvalidInputError extends DocuTrayError {
  readonly reason: InvalidInputReason;
  constructor(reason: InvalidInputReason, message: string) {
    super('invalidInput', message);
    this.reason = reason;
  }
}

export class MissingApiKeyError extends DocuTrayError {
  constructor() {
    super('missingApiKey', 'No DocuTray API key is set.');
  }
}

export class InsecureBaseUrlError extends DocuTrayError {
  constructor(message: string) {
    super('insecureBaseUrl', message);
  }
}

export class InvalidResponseError extends DocuTrayError {
  constructor(message: string, d: ErrorDetails = {}) {
    super('invalidResponse', message, d);
  }
}

/** An answer larger than the client reads (`maxResponseBytes`): not read further, never retried. */
export class ResponseTooLargeError extends InvalidResponseError {
  readonly limitBytes: number;
  constructor(limitBytes: number, d: ErrorDetails = {}) {
    super(
      `DocuTray's answer is larger than ${formatBytes(limitBytes)}, more than this extension reads; it was not read. Look the execution up in the DocuTray dashboard.`,
      d,
    );
    this.limitBytes = limitBytes;
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) {
    return `${n} B`;
  }
  const units = ['KB', 'MB', 'GB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}
