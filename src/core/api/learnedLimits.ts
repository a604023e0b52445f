/**
 * Rate limits learned per key, kept between sessions so the next batch starts at the real limit
 * instead of probing for it again (and paying a 429 for it). Kept in a key-value store shared by every
 * window (VS Code's global state), under the digest the budget registry gets — never the key.
 */
import type { LearnedLimit, LearnedLimitStore } from './limitMemory';
import { finiteNumber, isObject } from '../json/fields';
import { rateLimitWindow } from './rateLimit';

/** The part of VS Code's Memento the store uses. */
export interface KeyValueState {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export const LEARNED_LIMITS_STATE_KEY = 'docutray.learnedRateLimits';

/** Keys (digests) remembered at most; the least recently learned go first. */
const MAX_KEYS = 20;

interface Entry extends LearnedLimit {
  /** When it was learned (ms epoch): the newest entries are kept. */
  at: number;
}

export function learnedLimitStore(
  state: KeyValueState,
  opts: { now?: () => number; onError?: (e: unknown) => void } = {},
): LearnedLimitStore {
  const now = opts.now ?? Date.now;
  // A Map, not an object: a digest is a key of the stored record, and `__proto__` there must stay data.
  const read = (): Map<string, Entry> => {
    const all = state.get<unknown>(LEARNED_LIMITS_STATE_KEY);
    const out = new Map<string, Entry>();
    if (isObject(all)) {
      for (const [id, v] of Object.entries(all)) {
        const entry = validEntry(v);
        if (entry) {
          out.set(id, entry);
        }
      }
    }
    return out;
  };
  return {
    get: id => {
      const e = read().get(id);
      return e && { limit: e.limit, limitType: e.limitType };
    },
    set: (id, l) => {
      const learned = validEntry({ limit: l.limit, limitType: l.limitType, at: now() });
      if (!learned) {
        return; // nothing that could not be read back is written
      }
      const all = read();
      all.set(id, learned);
      const entries = [...all].sort((a, b) => b[1].at - a[1].at).slice(0, MAX_KEYS);
      Promise.resolve(state.update(LEARNED_LIMITS_STATE_KEY, Object.fromEntries(entries))).catch(
        opts.onError ?? (() => undefined),
      );
    },
  };
}

/** Limits above this are not a per-key rate limit but a mistake in what was stored. */
const MAX_LIMIT = 1_000_000_000;

/**
 * A stored entry read field by field (own properties only, each type-checked): another window, an
 * older version or a hand-edited profile wrote it, and the budget paces by it.
 */
function validEntry(v: unknown): Entry | undefined {
  if (!isObject(v)) {
    return undefined;
  }
  const field = (k: string) => (Object.prototype.hasOwnProperty.call(v, k) ? v[k] : undefined);
  const limit = finiteNumber(field('limit'));
  const limitType = typeof field('limitType') === 'string' ? rateLimitWindow(field('limitType')) : undefined;
  if (limit === undefined || limit < 1 || limit > MAX_LIMIT || limitType === undefined) {
    return undefined;
  }
  return { limit, limitType, at: finiteNumber(field('at')) ?? 0 };
}
