/**
 * Responses as values, so a route's answer can be delayed, swallowed by a drop fault or replaced,
 * and the error bodies in one place. The default error shape `{message, error}` satisfies the Node
 * SDK (`message`) and the CLI (`error`); `errorStyle: "nested"` gives `{error:{code,message}}`, the
 * shape the Python SDK looks for first.
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
}

export const ERRORS = {
  unauthorized: { status: 401, message: 'Invalid API key', code: 'INVALID_API_KEY', flat: 'Invalid API key' },
  validation: { status: 400, message: 'Validation error', code: 'INVALID_REQUEST' },
  stepNotFound: { status: 404, message: 'Step not found', code: 'STEP_NOT_FOUND', flat: 'STEP_NOT_FOUND' },
  executionNotFound: { status: 404, message: 'Execution not found', code: 'EXECUTION_NOT_FOUND', flat: 'EXECUTION_NOT_FOUND' },
  notFound: { status: 404, message: 'Not found', code: 'NOT_FOUND', flat: 'NOT_FOUND' },
  methodNotAllowed: { status: 405, message: 'Method not allowed', code: 'METHOD_NOT_ALLOWED', flat: 'METHOD_NOT_ALLOWED' },
  tooLarge: { status: 413, message: 'File too large', code: 'FILE_TOO_LARGE', flat: 'FILE_TOO_LARGE' },
  unsupportedFormat: { status: 415, message: 'Unsupported format', code: 'UNSUPPORTED_FORMAT', flat: 'UNSUPPORTED_FORMAT' },
  unsupportedContentType: { status: 415, message: 'Content-Type not supported', code: 'UNSUPPORTED_CONTENT_TYPE', flat: 'UNSUPPORTED_CONTENT_TYPE' },
  rateLimited: { status: 429, message: 'Rate limit exceeded', code: 'RATE_LIMITED', flat: 'Rate limit exceeded' },
  serverError: { status: 500, message: 'Error processing request', code: 'INTERNAL_ERROR', flat: 'Error processing request' },
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
  const body = style === 'nested'
    ? { error: { code: def.code, message: def.message, ...extras.fields } }
    : { message: def.message, ...(def.flat === undefined ? {} : { error: def.flat }), ...extras.fields };
  return { status: extras.status ?? def.status, body, headers: extras.headers };
}

export function validationError(style: ErrorStyle, ...errors: string[]): Reply {
  return errorReply(style, 'validation', { fields: { errors } });
}
