/**
 * A real per-key rate limiter, as DocuTray has (DocuTray's API reference, https://docs.docutray.com/docs/api): requests per minute and/or hour
 * (and day), status requests counted like starts, fixed windows that begin with the first request
 * after the previous one ended. Off unless `rateLimit` is configured.
 *
 * With it on, every answer to a request with a valid key carries `X-RateLimit-Limit`,
 * `X-RateLimit-Remaining`, `X-RateLimit-Reset` (unix s) and `X-RateLimit-Limit-Type` for the tightest
 * limit, and a request over a limit gets the reference's 429: `Retry-After: <s>` and
 * `{"error":"Rate limit exceeded","limitType":"minute","limit":N,"remaining":0,"resetTime":<unix s>,"retryAfter":<s>}`.
 * A refused request is not counted. `GET /api/usage` is never limited (nor counted).
 *
 * `headers: "429"` sends them on 429 answers only, ordinary answers carrying none: the public reference
 * documents none of these headers and the SDKs read them only from a 429, so a client must manage
 * with both.
 *
 * `windowScale` shrinks every window (0.1: a "minute" lasts 6 s) for benchmarks that scale time; it
 * is reported as such. `resetPrecision: "milliseconds"` sends `X-RateLimit-Reset` with three decimals
 * (the real API sends whole seconds, a rounding that matters only when windows are scaled down).
 */
import type { Reply } from './replies';
import type { RateLimitSettings } from './types';

export type LimitType = 'minute' | 'hour' | 'day';

const WINDOW_MS: Record<LimitType, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const SETTING: Record<LimitType, keyof RateLimitSettings> = { minute: 'perMinute', hour: 'perHour', day: 'perDay' };

interface Window {
  end: number;
  count: number;
}

export interface RateLimitStats {
  counted: number;
  refused: number;
  /** Which answers carry the `X-RateLimit-*` headers (see RateLimitSettings.headers). */
  headers: 'all' | '429';
  /** Per key (by its position in the configured keys, never the key itself): the current windows. */
  keys: Record<string, Partial<Record<LimitType, { count: number; limit: number; resetAt: number }>>>;
}

export type LimitDecision = { allowed: true; headers: Record<string, string> } | { allowed: false; reply: Reply };

export class RateLimiter {
  private windows = new Map<string, Map<LimitType, Window>>();
  private counted = 0;
  private refused = 0;

  /** Counts a request of `key` at `now`, or refuses it. */
  take(key: string, now: number, settings: RateLimitSettings): LimitDecision {
    const limits = activeLimits(settings);
    const scale = settings.windowScale ?? 1;
    let perKey = this.windows.get(key);
    if (!perKey) {
      perKey = new Map();
      this.windows.set(key, perKey);
    }
    const current: { type: LimitType; limit: number; w: Window }[] = [];
    for (const [type, limit] of limits) {
      let w = perKey.get(type);
      if (!w || now >= w.end) {
        w = { end: now + WINDOW_MS[type] * scale, count: 0 };
        perKey.set(type, w);
      }
      current.push({ type, limit, w });
    }
    const over = current.filter(c => c.w.count >= c.limit).sort((a, b) => b.w.end - a.w.end)[0];
    if (over) {
      this.refused++;
      const retryAfter = Math.max(1, Math.ceil((over.w.end - now) / 1000));
      const resetTime = Math.ceil(over.w.end / 1000);
      const headers = {
        ...limitHeaders(over.type, over.limit, 0, over.w.end, settings),
        'Retry-After': String(retryAfter),
      };
      return {
        allowed: false,
        reply: {
          status: 429,
          headers,
          body: {
            error: 'Rate limit exceeded',
            limitType: over.type,
            limit: over.limit,
            remaining: 0,
            resetTime,
            retryAfter,
          },
        },
      };
    }
    for (const c of current) {
      c.w.count++;
    }
    this.counted++;
    // The tightest limit: fewest left, then the shortest window.
    const tight = current.sort(
      (a, b) => a.limit - a.w.count - (b.limit - b.w.count) || WINDOW_MS[a.type] - WINDOW_MS[b.type],
    )[0];
    return {
      allowed: true,
      headers:
        tight && settings.headers !== '429'
          ? limitHeaders(tight.type, tight.limit, tight.limit - tight.w.count, tight.w.end, settings)
          : {},
    };
  }

  stats(keys: readonly string[], settings: RateLimitSettings | undefined): RateLimitStats {
    const out: RateLimitStats = {
      counted: this.counted,
      refused: this.refused,
      headers: settings?.headers ?? 'all',
      keys: {},
    };
    const limits = new Map(activeLimits(settings));
    for (const [key, perKey] of this.windows) {
      const name = keys.includes(key) ? `key#${keys.indexOf(key)}` : 'key#?';
      out.keys[name] = Object.fromEntries(
        [...perKey].map(([type, w]) => [type, { count: w.count, limit: limits.get(type) ?? 0, resetAt: w.end }]),
      );
    }
    return out;
  }

  reset(): void {
    this.windows.clear();
    this.counted = 0;
    this.refused = 0;
  }
}

export function activeLimits(settings: RateLimitSettings | undefined): [LimitType, number][] {
  if (!settings) {
    return [];
  }
  return (['minute', 'hour', 'day'] as const)
    .map(t => [t, settings[SETTING[t]]] as [LimitType, number | undefined])
    .filter((e): e is [LimitType, number] => typeof e[1] === 'number' && e[1] >= 1);
}

function limitHeaders(
  type: LimitType,
  limit: number,
  remaining: number,
  end: number,
  settings: RateLimitSettings,
): Record<string, string> {
  const reset = settings.resetPrecision === 'milliseconds' ? (end / 1000).toFixed(3) : String(Math.ceil(end / 1000));
  return {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': String(Math.max(0, remaining)),
    'X-RateLimit-Reset': reset,
    'X-RateLimit-Limit-Type': type,
  };
}
