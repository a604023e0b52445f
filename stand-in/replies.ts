/**
 * Responses as values, so a route's answer can be delayed, swallowed by a drop fault or replaced,
 * and the error bodies in one place. The default, `errorStyle: "reference"`, answers exactly as
 * DocuTray's API reference lists them (DocuTray's API reference, https://docs.docutray.com/docs/api): `{"error":"Invalid API key"}`,
 * `{"message":"Step not found or access denied"}`, `{"message":"Validation error","errors":[…]}`…
 * The older shapes stay as switches: `"flat"` (`{message, error}`, which satisfies the Node SDK's
 * `message` and the CLI's `error`) and `"nested"` (`{error:{code,message}}`, the shape the Python SDK
 * looks for first).
 */
import type { ErrorStyle } from './types';

export interface Reply {
  status: number;
  /** An object is sent as JSON; a string is sent as is (with `contentType`). */
  body: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  /** Called once the response has been written (not when it was dropped). */
  onSent?: (at: number) => void;
}

interface ErrorDef {
  status: number;
  message: string;
  code: string;
  /** The flat body's `error` member; absent for validation errors, which carry `errors` instead. */
  flat?: string;
  /** The body the API reference lists (default style); `{message}` when not given. */
  reference?: Record<string, unknown>;
}

export const ERRORS = {
  unauthorized: {
    status: 401,
    message: 'Invalid API key',
    code: 'INVALID_API_KEY',
    flat: 'Invalid API key',
    reference: { error: 'Invalid API key' },
  },
  /** `GET /api/usage` without a valid key. */
  usageUnauthorized: {
    status: 401,
    message: 'Unauthorized',
    code: 'UNAUTHORIZED',
    flat: 'Unauthorized',
    reference: { error: 'Unauthorized' },
  },
  validation: { status: 400, message: 'Validation error', code: 'INVALID_REQUEST' },
  /** The reference answers an unknown step and one the key may not use alike (404 or 403). */
  stepNotFound: {
    status: 404,
    message: 'Step not found',
    code: 'STEP_NOT_FOUND',
    flat: 'STEP_NOT_FOUND',
    reference: { message: 'Step not found or access denied' },
  },
  stepForbidden: {
    status: 403,
    message: 'Step not found or access denied',
    code: 'FORBIDDEN',
    flat: 'FORBIDDEN',
    reference: { message: 'Step not found or access denied' },
  },
  executionNotFound: {
    status: 404,
    message: 'Execution not found',
    code: 'EXECUTION_NOT_FOUND',
    flat: 'EXECUTION_NOT_FOUND',
  },
  executionForbidden: { status: 403, message: 'Access denied to this execution', code: 'FORBIDDEN', flat: 'FORBIDDEN' },
  quotaExceeded: {
    status: 402,
    message: 'Quota exceeded',
    code: 'QUOTA_EXCEEDED',
    flat: 'Quota exceeded',
    reference: { error: 'Quota exceeded' },
  },
  urlTimeout: { status: 408, message: 'URL download timeout (30000ms)', code: 'TIMEOUT', flat: 'TIMEOUT' },
  notFound: { status: 404, message: 'Not found', code: 'NOT_FOUND', flat: 'NOT_FOUND' },
  methodNotAllowed: {
    status: 405,
    message: 'Method not allowed',
    code: 'METHOD_NOT_ALLOWED',
    flat: 'METHOD_NOT_ALLOWED',
  },
  tooLarge: {
    status: 413,
    message: 'File too large',
    code: 'FILE_TOO_LARGE',
    flat: 'FILE_TOO_LARGE',
    reference: { message: 'File exceeds maximum allowed size (100MB)' },
  },
  /** Flat and nested styles only: the reference refuses a document's format with a 400 (see unsupportedFormatReply). */
  unsupportedFormat: {
    status: 415,
    message: 'Unsupported format',
    code: 'UNSUPPORTED_FORMAT',
    flat: 'UNSUPPORTED_FORMAT',
  },
  unsupportedContentType: {
    status: 415,
    message: 'Content-Type not supported',
    code: 'UNSUPPORTED_CONTENT_TYPE',
    flat: 'UNSUPPORTED_CONTENT_TYPE',
    reference: { message: 'Unsupported Content-Type. Use multipart/form-data or application/json.' },
  },
  rateLimited: {
    status: 429,
    message: 'Rate limit exceeded',
    code: 'RATE_LIMITED',
    flat: 'Rate limit exceeded',
    reference: { error: 'Rate limit exceeded' },
  },
  serverError: {
    status: 500,
    message: 'Error processing request',
    code: 'INTERNAL_ERROR',
    flat: 'Error processing request',
  },
  notInitiated: {
    status: 500,
    message: 'Internal server error: Failed to initiate step processing',
    code: 'INTERNAL_ERROR',
    flat: 'Internal server error: Failed to initiate step processing',
  },
} satisfies Record<string, ErrorDef>;

export type ErrorKind = keyof typeof ERRORS;

export interface ErrorExtras {
  status?: number;
  headers?: Record<string, string>;
  /** Extra body members, e.g. `errors` or the rate-limit numbers. */
  fields?: Record<string, unknown>;
}

export function errorReply(style: ErrorStyle, kind: ErrorKind, extras: ErrorExtras = {}): Reply {
  const def: ErrorDef = ERRORS[kind];
  const body =
    style === 'nested'
      ? { error: { code: def.code, message: def.message, ...extras.fields } }
      : style === 'reference'
        ? { ...(def.reference ?? { message: def.message }), ...extras.fields }
        : { message: def.message, ...(def.flat === undefined ? {} : { error: def.flat }), ...extras.fields };
  return { status: extras.status ?? def.status, body, headers: extras.headers };
}

export function validationError(style: ErrorStyle, ...errors: string[]): Reply {
  return errorReply(style, 'validation', { fields: { errors } });
}

/**
 * A document of a format DocuTray does not read. The reference's 415 is about the request's own
 * Content-Type, never the document's; its page does not say how a TIFF or a Word file is refused, so
 * the reference style answers as its other input checks do (a 400 with the reason in `errors`). The
 * older styles keep their 415 `Unsupported format`.
 */
export function unsupportedFormatReply(style: ErrorStyle, what: string): Reply {
  return style === 'reference'
    ? validationError(
        style,
        `Unsupported file type${what ? `: ${what}` : ''}. Supported types: PDF, JPEG, PNG, GIF, BMP, WebP`,
      )
    : errorReply(style, 'unsupportedFormat');
}
