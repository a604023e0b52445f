/**
 * What an answer says about DocuTray's rate limit (DocuTray's API reference, https://docs.docutray.com/docs/api, and the official SDKs' rate-limit errors): the `X-RateLimit-*`
 * headers (`Limit`, `Remaining`, `Reset`, `Limit-Type`), `Retry-After`, and on a 429 the body
 * `{limitType, limit, remaining, resetTime, retryAfter}`. The public reference documents none of the
 * headers, so ordinary answers may carry none of them; a 429's body is the one dependable source.
 *
 * Times are taken relative to the answer, not from the local clock: Retry-After is relative already,
 * and an absolute reset is measured from the answer's `Date` header when the two clocks disagree by
 * more than that header's one-second resolution (a local clock minutes off would otherwise stall
 * or rush every window by as much). A reset may come in unix seconds (the SDKs' reading), in unix
 * milliseconds, or as seconds from now (the IETF RateLimit draft's form); each is recognised by size.
 */
import { isObject, num } from '../json/fields';
import { type HeaderSource, header } from './headers';
import type { RateLimitInfo } from './errors';
import { parseRetryAfter } from './retry';

export interface RateLimitAnswer {
  status: number;
  headers?: HeaderSource;
  /** The parsed JSON body (read on a 429 only). */
  body?: unknown;
}

export interface RateLimitReading {
  /** Requests per window; from a header, or a 429's body. */
  limit?: number;
  /** `second`, `minute`, `hour`, `day`: nothing else is read. */
  limitType?: RateLimitWindow;
  remaining?: number;
  /** When the window ends, on the local clock (ms epoch). */
  resetAt?: number;
  /** The reset came in whole seconds: it may be up to a second off. */
  resetRounded: boolean;
  /** The reset as sent (unix seconds), for the error shown. */
  resetTime?: number;
  /** Milliseconds to wait, from `Retry-After` or the body's `retryAfter` (seconds). */
  retryAfterMs?: number;
  /** Whether any `X-RateLimit-*` header came (as opposed to only a 429's body). */
  headers: boolean;
}

/** Longer than any DocuTray window (a day): a wait past this is a mistake in the answer, not a limit. */
export const MAX_RATE_LIMIT_WAIT_MS = 86_400_000;

/** The windows a limit is counted in: the only `limitType`s read from an answer or a stored record. */
export const RATE_LIMIT_WINDOWS = ['second', 'minute', 'hour', 'day'] as const;
export type RateLimitWindow = (typeof RATE_LIMIT_WINDOWS)[number];

/**
 * A window type as an answer or a stored record may spell it (`Minute`, `minutes`), or undefined for
 * anything else: a type is later a key into a table of window lengths, so `__proto__`, `constructor`
 * or `toString` must never get that far.
 */
export function rateLimitWindow(v: unknown): RateLimitWindow | undefined {
  if (typeof v !== 'string') {
    return undefined;
  }
  const t = v.trim().toLowerCase();
  const singular = t.endsWith('s') ? t.slice(0, -1) : t;
  return RATE_LIMIT_WINDOWS.find(w => w === singular);
}

/** A 429 body's field, only when the body holds it itself (never one inherited from Object.prototype). */
function own(body: object, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(body, key) ? (body as Record<string, unknown>)[key] : undefined;
}

/** Resets above this are unix milliseconds (year 5138 in seconds). */
const MS_EPOCH_ABOVE = 1e11;
/** Resets below this are seconds from now (2001 in unix seconds: no reset of a live answer is that old). */
const RELATIVE_BELOW = 1e9;
/** The `Date` header is whole seconds: clocks further apart than this (plus that second) disagree. */
const SKEW_TOLERANCE_MS = 1500;

/**
 * Reads the limit from an answer received at `receivedAt` (local ms epoch). Body fields count only on
 * a 429 (a 2xx body is the execution's, not ours to read); headers count on every answer.
 */
export function readRateLimit(answer: RateLimitAnswer, receivedAt: number): RateLimitReading {
  const h = answer.headers;
  const body: object = answer.status === 429 && isObject(answer.body) ? answer.body : {};
  const dateMs = serverDate(header(h, 'date'));
  const headerLimit = positive(num(header(h, 'x-ratelimit-limit')));
  const headerRemaining = num(header(h, 'x-ratelimit-remaining'));
  const headerReset = num(header(h, 'x-ratelimit-reset'));
  const headerType = rateLimitWindow(header(h, 'x-ratelimit-limit-type'));
  const bodyType = rateLimitWindow(own(body, 'limitType'));
  const reset = headerReset ?? num(own(body, 'resetTime'));
  const bodyRetryAfter = num(own(body, 'retryAfter'));
  const retryAfter =
    parseRetryAfter(header(h, 'retry-after'), dateMs ?? receivedAt) ??
    (bodyRetryAfter !== undefined ? bodyRetryAfter * 1000 : undefined);
  const remaining = headerRemaining ?? num(own(body, 'remaining'));
  const resetAt = reset === undefined ? undefined : localReset(reset, receivedAt, dateMs);
  return {
    limit: headerLimit ?? positive(num(own(body, 'limit'))),
    limitType: headerType ?? bodyType,
    remaining: remaining === undefined ? undefined : Math.max(0, remaining),
    resetAt,
    resetRounded: reset !== undefined && Number.isInteger(reset) && reset < MS_EPOCH_ABOVE,
    resetTime:
      reset === undefined
        ? undefined
        : reset > MS_EPOCH_ABOVE
          ? reset / 1000
          : reset < RELATIVE_BELOW
            ? undefined
            : reset,
    retryAfterMs: retryAfter === undefined || retryAfter < 0 ? undefined : Math.min(retryAfter, MAX_RATE_LIMIT_WAIT_MS),
    headers:
      headerLimit !== undefined ||
      headerRemaining !== undefined ||
      headerReset !== undefined ||
      headerType !== undefined,
  };
}

/** What a 429 tells the user: when to try again (from Retry-After, or the reset), and the limit. */
export function rateLimitInfo(answer: RateLimitAnswer, receivedAt: number): RateLimitInfo {
  const r = readRateLimit(answer, receivedAt);
  const waitMs = r.retryAfterMs ?? (r.resetAt !== undefined ? Math.max(0, r.resetAt - receivedAt) : undefined);
  return {
    retryAfterSeconds: waitMs === undefined ? undefined : Math.ceil(waitMs / 1000),
    limitType: r.limitType,
    limit: r.limit,
    remaining: r.remaining,
    resetAt: r.resetTime,
  };
}

/** The reset as a local ms epoch, at most a day after the answer. */
function localReset(reset: number, receivedAt: number, dateMs: number | undefined): number | undefined {
  if (reset < 0) {
    return undefined;
  }
  let at: number;
  if (reset < RELATIVE_BELOW) {
    at = receivedAt + reset * 1000;
  } else {
    const serverMs = reset > MS_EPOCH_ABOVE ? reset : reset * 1000;
    // The Date header truncates to the second: on a synchronised clock it reads 0–1 s behind ours.
    const skewed = dateMs !== undefined && Math.abs(dateMs + 500 - receivedAt) > SKEW_TOLERANCE_MS;
    at = skewed ? receivedAt + (serverMs - (dateMs as number)) : serverMs;
  }
  return Math.min(at, receivedAt + MAX_RATE_LIMIT_WAIT_MS);
}

function serverDate(v: string | undefined): number | undefined {
  // Only an HTTP date (Date.parse is lenient: "-3" would be the year 3 BC).
  const at = v && /^[A-Za-z]{3},? /.test(v.trim()) ? Date.parse(v) : NaN;
  return Number.isNaN(at) ? undefined : at;
}

function positive(n: number | undefined): number | undefined {
  return n !== undefined && n >= 1 ? n : undefined;
}
