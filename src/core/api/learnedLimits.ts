/**
 * Rate limits learned per key, kept between sessions so the next batch starts at the real limit
 * instead of probing for it again (and paying a 429 for it). Kept in a key-value store shared by every
 * window (VS Code's global state), under the digest the budget registry gets — never the key.
 */
import type { LearnedLimit, LearnedLimitStore } from './budget';
import { isObject, num } from '../json/fields';

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
  const read = (): Record<string, Entry> => {
    const all = state.get<unknown>(LEARNED_LIMITS_STATE_KEY);
    const out: Record<string, Entry> = {};
    if (isObject(all)) {
      for (const [id, v] of Object.entries(all)) {
        const limit = isObject(v) ? num(v.limit) : undefined;
        if (isObject(v) && limit !== undefined && limit >= 1 && typeof v.limitType === 'string') {
          out[id] = { limit, limitType: v.limitType, at: num(v.at) ?? 0 };
        }
      }
    }
    return out;
  };
  return {
    get: id => {
      const e = read()[id];
      return e && { limit: e.limit, limitType: e.limitType };
    },
    set: (id, l) => {
      const entries = Object.entries({ ...read(), [id]: { limit: l.limit, limitType: l.limitType, at: now() } })
        .sort((a, b) => b[1].at - a[1].at)
        .slice(0, MAX_KEYS);
      Promise.resolve(state.update(LEARNED_LIMITS_STATE_KEY, Object.fromEntries(entries))).catch(
        opts.onError ?? (() => undefined),
      );
    },
  };
}
