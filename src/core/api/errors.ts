/**
 * Typed errors of the DocuTray client. Each says, in `message`, what happened in words a person can
 * act on; the VS Code layer localises by `kind`. None of them ever holds the API key: only the HTTP
 * status, the server's request id and the server's own (key-free) message travel with them.
 */
import type { Execution } from './execution';

export type DocuTrayErrorKind =
  | 'authentication'
  | 'permission'
  | 'notFound'
  | 'badRequest'
  | 'payloadTooLarge'
  | 'unsupportedType'
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
      Object.defineProperty(this, 'cause', { value: details.cause, enumerable: false, writable: true, configurable: true });
    }
  }
}

export class AuthenticationError extends DocuTrayError {
  constructor(d: ErrorDetails = {}) {
    super('authentication', 'DocuTray refused the API key (401). Set a valid API key.', d);
  }
}

export class PermissionError extends DocuTrayError {
  constructor(d: ErrorDetails = {}) {
    super('permission', `The API key is not allowed to do this (403)${d.serverMessage ? `: ${d.serverMessage}` : '.'}`, d);
  }
}

export type NotFoundResource = 'step' | 'execution' | 'endpoint';

export class NotFoundError extends DocuTrayError {
  readonly resource: NotFoundResource;
  readonly resourceId?: string;
  constructor(resource: NotFoundResource, resourceId: string | undefined, d: ErrorDetails = {}) {
    const what = resource === 'step' ? `DocuTray has no step "${resourceId}" (404). Check the step ID.`
      : resource === 'execution' ? `DocuTray has no execution "${resourceId}" (404).`
        : 'The DocuTray endpoint was not found (404). Check the API base URL.';
    super('notFound', what, d);
    this.resource = resource;
    this.resourceId = resourceId;
  }
}

export class BadRequestError extends DocuTrayError {
  /** The server's validation messages (`errors: [...]`), if any. */
  readonly errors: string[];
  constructor(errors: string[], d: ErrorDetails = {}) {
    const detail = errors.length ? errors.join('; ') : d.serverMessage ?? 'the request was rejected';
    super('badRequest', `DocuTray rejected the request (${d.status ?? 400}): ${detail}`, d);
    this.errors = errors;
  }
}

export class PayloadTooLargeError extends DocuTrayError {
  readonly limitBytes: number;
  readonly sizeBytes?: number;
  constructor(limitBytes: number, sizeBytes: number | undefined, d: ErrorDetails = {}) {
    const size = sizeBytes === undefined ? '' : ` (${formatBytes(sizeBytes)})`;
    // A file within DocuTray's documented limit was refused by a lower one (a proxy's, say): naming
    // DocuTray's limit would only confuse.
    super('payloadTooLarge', sizeBytes !== undefined && sizeBytes <= limitBytes
      ? `The file${size} was refused as too large (413)${d.serverMessage ? `: ${d.serverMessage}` : ''}. A proxy on the way may have a lower limit than DocuTray's ${formatBytes(limitBytes)}.`
      : `The file is too large for DocuTray${size}: the limit is ${formatBytes(limitBytes)}.`, d);
    this.limitBytes = limitBytes;
    this.sizeBytes = sizeBytes;
  }
}

export class UnsupportedTypeError extends DocuTrayError {
  readonly contentType?: string;
  constructor(contentType: string | undefined, supported: readonly string[], d: ErrorDetails = {}) {
    super('unsupportedType', `DocuTray does not accept ${contentType ? `"${contentType}"` : 'this file type'}: use ${supported.join(', ')}.`, d);
    this.contentType = contentType;
  }
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
    const when = info.retryAfterSeconds !== undefined ? ` Try again in ${Math.ceil(info.retryAfterSeconds)} s.` : ' Try again later.';
    super('rateLimited', `DocuTray's rate limit was reached (429${info.limitType ? `, per ${info.limitType}` : ''}).${when}`, d);
    this.info = info;
  }
}

export class ServerError extends DocuTrayError {
  constructor(d: ErrorDetails = {}) {
    super('server', `DocuTray had a server error (${d.status ?? 500})${d.serverMessage ? `: ${d.serverMessage}` : ''}. Try again later.`, d);
  }
}

/** Any other unexpected HTTP status. */
export class HttpError extends DocuTrayError {
  constructor(d: ErrorDetails = {}) {
    super('http', `DocuTray answered with HTTP ${d.status}${d.serverMessage ? `: ${d.serverMessage}` : ''}.`, d);
  }
}

export class ConnectionError extends DocuTrayError {
  /** The system error code (ECONNREFUSED, ENOTFOUND, …) when there was one. */
  readonly code?: string;
  constructor(origin: string, code: string | undefined, d: ErrorDetails = {}) {
    super('connection', `Could not reach DocuTray at ${origin}${code ? ` (${code})` : ''}. Check the network, the proxy settings and the API base URL.`, d);
    this.code = code;
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
    super('cancelled', mayHaveStarted ? 'Cancelled. The step may have started on DocuTray before the cancel.' : 'Cancelled.', d);
    this.mayHaveStarted = mayHaveStarted;
  }
}

export interface ExecutionErrorInfo {
  message: string;
  code?: string;
  step?: string;
}

export class StepFailedError extends DocuTrayError {
  readonly executionId: string;
  readonly failure: ExecutionErrorInfo;
  /** The ERROR execution record, when the failure came from one. */
  readonly execution?: Execution;
  constructor(executionId: string, failure: ExecutionErrorInfo, d: ErrorDetails = {}, execution?: Execution) {
    super('stepFailed', `The DocuTray step failed${failure.code ? ` (${failure.code})` : ''}: ${failure.message}`, d);
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
    super('startUncertain', `The step may have started, but DocuTray's answer was lost (${reason}). It was not retried, to avoid running it twice.`, d);
  }
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
    super(`DocuTray's answer is larger than ${formatBytes(limitBytes)}, more than this extension reads; it was not read. Look the execution up in the DocuTray dashboard.`, d);
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
