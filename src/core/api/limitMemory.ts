/**
 * The budget's persistence: what a key's limit was in an earlier session, restored only when it reads
 * as a limit, and what the server states told once per change, to be kept (learnedLimits.ts keeps it in
 * the shared state, under a digest — never the key).
 */

/** A limit the server stated, worth remembering for the key (never the key itself). */
export interface LearnedLimit {
  limit: number;
  limitType: string;
}

/** Where learned limits are kept between sessions, by an id that is a digest (never the key). */
export interface LearnedLimitStore {
  get(id: string): LearnedLimit | undefined;
  set(id: string, limit: LearnedLimit): void;
}

/**
 * A remembered limit the budget may start from: a finite limit of at least 1 and a window it knows the
 * length of (its own key, not one inherited from Object.prototype). Undefined otherwise.
 */
export function restoredLimit(
  learned: LearnedLimit | undefined,
  windowMsByType: Readonly<Record<string, number>>,
): LearnedLimit | undefined {
  if (
    learned &&
    Number.isFinite(learned.limit) &&
    learned.limit >= 1 &&
    typeof learned.limitType === 'string' &&
    Object.prototype.hasOwnProperty.call(windowMsByType, learned.limitType)
  ) {
    return { limit: learned.limit, limitType: learned.limitType };
  }
  return undefined;
}

/** Tells `onLearned` about a limit the server stated, once per change (the restored one counts as told). */
export class LimitMemory {
  private known: LearnedLimit | undefined;

  constructor(
    private readonly onLearned: ((limit: LearnedLimit) => void) | undefined,
    restored: LearnedLimit | undefined,
  ) {
    this.known = restored && { ...restored };
  }

  note(limit: number, limitType: string): void {
    const known = this.known;
    if (known && known.limit === limit && known.limitType === limitType) {
      return;
    }
    this.known = { limit, limitType };
    this.onLearned?.({ ...this.known });
  }
}
