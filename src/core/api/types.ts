/**
 * The shapes the client and its errors share, types only: execution.ts normalises DocuTray's records
 * into them and errors.ts carries them, without either importing the other for a type.
 */

export type ExecutionStatus = 'ENQUEUED' | 'PROCESSING' | 'SUCCESS' | 'ERROR';

export interface Execution {
  id: string;
  /** One of {@link ExecutionStatus}; an unknown value from a newer service is kept as sent. */
  status: ExecutionStatus | (string & {});
  stepId?: string;
  stepName?: string;
  requestTimestamp?: string;
  responseTimestamp?: string;
  originalFilename?: string;
  /** The step's result (on SUCCESS). */
  data?: unknown;
  /** Why it failed (on ERROR). */
  error?: ExecutionErrorInfo;
  /** 0–100 when the service reports progress. */
  progress?: number;
  /** The record as received (after unwrapping a `data` envelope). */
  raw: Record<string, unknown>;
}

/** Why an execution failed, as DocuTray said it (a string, or `{code, message, step}`). */
export interface ExecutionErrorInfo {
  message: string;
  code?: string;
  step?: string;
}

/** A start's answer, with what the client learnt of the document on the way out. */
export interface StartedExecution extends Execution {
  /** SHA-256 of the bytes sent (a file or bytes; not a URL): the content DocuTray processes. */
  documentSha256?: string;
}
