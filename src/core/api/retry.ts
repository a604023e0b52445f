/**
 * Retry policy for requests that are safe to repeat (status polls, the key check) and the one rule for
 * starts. Backoff is exponential with jitter, capped, and never shorter than the server's Retry-After.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /**
   * Longest Retry-After (or rate-limit pause) a request a person waits on sits through before giving
   * up with the error, which says when to try again.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 8000,
  maxRetryAfterMs: 60_000,
};

/**
 * The longest rate-limit pause a batch's request waits through (1 h): past it, the request gives up
 * with the 429 before anything is sent, and the batch pauses, saying when it may resume.
 */
export const MAX_BATCH_PAUSE_MS = 3_600_000;

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  const v = value.trim();
  if (v === '') {
    return undefined;
  }
  if (/^\d+(\.\d+)?$/.test(v)) {
    return Math.round(Number(v) * 1000);
  }
  // Date.parse is lenient ("-3" is the year 3 BC): only something shaped like an HTTP date counts.
  const at = /^[A-Za-z]{3},? /.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(at)) {
    return undefined;
  }
  return Math.max(0, at - now);
}

/**
 * Delay before retry number `attempt` (0-based): base·2^attempt with 25–50 % jitter, capped at
 * maxDelayMs; at least the server's Retry-After when it sent one.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const exp = policy.baseDelayMs * 2 ** attempt;
  const jittered = Math.min(exp * (1 + 0.25 + 0.25 * random()), policy.maxDelayMs);
  return Math.round(retryAfterMs === undefined ? jittered : Math.max(jittered, retryAfterMs));
}

/**
 * Connection failures that happen before a single byte of the request can have reached the server:
 * nothing listens, the name does not resolve, or TLS failed. Only these (and an explicit 429, which
 * says the request was refused) make a start safe to retry.
 */
export const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);

/**
 * The codes of NOT_SENT_CODES that only a connection attempt can produce (refused, not resolved,
 * connect timeout, TLS): with a body whose sending cannot be observed, only these prove nothing was
 * sent. An unreachable host or network can also be reported after the request went out.
 */
export const CONNECT_ONLY_CODES: ReadonlySet<string> = new Set(
  [...NOT_SENT_CODES].filter(c => !['EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'].includes(c)),
);

/** Digs the system error code out of a fetch failure (`TypeError: fetch failed` → cause.code). */
export function errorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      return code;
    }
    const errors = (e as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length) {
      e = errors[0];
      continue;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}
