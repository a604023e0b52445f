/**
 * The execution record as DocuTray sends it, normalised. The service and its SDKs disagree on names
 * (the official SDKs, github.com/docutray/docutray-node and github.com/docutray/docutray-python): the id comes as `id`, `execution_id` or `conversion_id`; timestamps and the
 * file name come in camelCase or snake_case; the body may sit in a `data` envelope; `error` is a string
 * or an object. Everything else is kept in `raw`.
 */
import { InvalidResponseError } from './errors';
import { type Json, isObject } from '../json/fields';
import type { Execution, ExecutionErrorInfo } from './types';

/**
 * What a status means. The API reference has ENQUEUED, PROCESSING, SUCCESS and ERROR; step webhooks
 * (and the CLI's agent guide) say `completed` and `failed`, so those end an execution too, in any
 * case. Anything else is `unknown`: shown as sent and polled on until the timeout — never taken for
 * an end, which could drop a result still to come.
 */
export type StatusKind = 'queued' | 'processing' | 'succeeded' | 'failed' | 'unknown';

const KINDS: Record<string, StatusKind> = {
  ENQUEUED: 'queued',
  PROCESSING: 'processing',
  SUCCESS: 'succeeded',
  COMPLETED: 'succeeded',
  ERROR: 'failed',
  FAILED: 'failed',
};

export function statusKind(status: string): StatusKind {
  return KINDS[status.trim().toUpperCase()] ?? 'unknown';
}

/**
 * The status as the rest of the extension reads it: upper case, with the webhook words mapped to the
 * API's (`completed` → SUCCESS, `failed` → ERROR). The word DocuTray sent stays in `raw`.
 */
export function canonicalStatus(status: string): string {
  const kind = statusKind(status);
  return kind === 'succeeded' ? 'SUCCESS' : kind === 'failed' ? 'ERROR' : status.trim().toUpperCase();
}

export function isTerminal(status: string): boolean {
  const kind = statusKind(status);
  return kind === 'succeeded' || kind === 'failed';
}

function str(...values: unknown[]): string | undefined {
  for (const v of values) {
    if (typeof v === 'string' && v !== '') {
      return v;
    }
    if (typeof v === 'number') {
      return String(v);
    }
  }
  return undefined;
}

/** True when `body` looks like an execution record rather than an envelope around one. */
function looksLikeExecution(body: Json): boolean {
  return (
    typeof body.status === 'string' &&
    (body.id !== undefined || body.execution_id !== undefined || body.conversion_id !== undefined)
  );
}

export function normalizeExecutionError(error: unknown): ExecutionErrorInfo | undefined {
  if (error === null || error === undefined || error === '') {
    return undefined;
  }
  if (typeof error === 'string') {
    return { message: error };
  }
  if (isObject(error)) {
    const message = str(error.message, error.detail, error.error, error.code) ?? JSON.stringify(error);
    return { message, code: str(error.code), step: str(error.step) };
  }
  return { message: String(error) };
}

/**
 * @param body the parsed JSON response
 * @param fallbackId the id the caller asked about (status responses may omit every id field)
 */
export function normalizeExecution(body: unknown, fallbackId?: string): Execution {
  if (!isObject(body)) {
    throw new InvalidResponseError('DocuTray sent a response that is not an execution record.');
  }
  let record: Json = body;
  if (!looksLikeExecution(body) && isObject(body.data) && typeof body.data.status === 'string') {
    record = body.data;
  }
  const id = str(record.id, record.execution_id, record.conversion_id, record.executionId) ?? fallbackId;
  const status = str(record.status);
  if (!id || !status) {
    throw new InvalidResponseError(`DocuTray sent an execution record without ${id ? 'a status' : 'an id'}.`);
  }
  // SK's unverified shape nests the result as result.data; the SDKs' shape has data at the top.
  const result = isObject(record.result) && 'data' in record.result ? record.result.data : record.data;
  const progress = readProgress(record.progress);
  return {
    id,
    status: canonicalStatus(status),
    stepId: str(record.step_id, record.stepId),
    stepName: str(record.step_name, record.stepName),
    requestTimestamp: str(record.requestTimestamp, record.request_timestamp),
    responseTimestamp: str(record.responseTimestamp, record.response_timestamp),
    originalFilename: str(record.originalFilename, record.original_filename),
    data: result === null ? undefined : result,
    error: normalizeExecutionError(record.error),
    progress,
    raw: record,
  };
}

function readProgress(p: unknown): number | undefined {
  if (typeof p === 'number' && Number.isFinite(p)) {
    return p;
  }
  if (isObject(p) && typeof p.percentage === 'number') {
    return p.percentage;
  }
  return undefined;
}
