/**
 * What the budget knows of the key's limit, and how it learns it (see budget.ts, "Where the limit comes
 * from"): the limit, its window and where the figure comes from; what an answer teaches (the
 * `X-RateLimit-*` headers, a 429's body, read by rateLimit.ts with own-property, validated reads); a
 * refusal without a figure; the probe that doubles the default's guess while requests are wanted; and the
 * memory of a limit learned in an earlier session (limitMemory.ts). The budget counts and paces with it.
 */
import { LimitMemory, restoredLimit, type LearnedLimit } from './limitMemory';
import type { RateLimitReading } from './rateLimit';

export type LimitSource = 'default' | 'learned' | 'server';

export interface LimitLearnerOptions {
  /** Requests per window assumed until the server says (at least 1). */
  defaultLimit: number;
  defaultLimitType: string;
  /** Window lengths per limit type. */
  windowMsByType: Record<string, number>;
  /** While nothing says the limit: double it every this long while requests are wanted (0 = never). */
  probeStepMs: number;
  /** Probing stops here. */
  probeCeiling: number;
  /** This budget's part of the key's limit, more than 0 and at most 1. */
  share: number;
  /** A limit learned for this key before: start at it instead of probing. */
  learned?: LearnedLimit;
  /** Called when the server states a limit different from the one known, to remember it. */
  onLearned?: (limit: LearnedLimit) => void;
}

export class LimitLearner {
  private limitNow: number;
  private typeNow: string;
  private windowMsNow: number;
  private sourceNow: LimitSource = 'default';
  /** Probing: the most requests the server accepted in one window (a quarter of the default counts as accepted). */
  private safeNow: number;
  private lastProbeAt: number;
  /** Probing: since the last step, a request had to wait for the pace or the window. */
  private demand = false;
  private readonly memory: LimitMemory;

  constructor(
    private readonly opts: LimitLearnerOptions,
    now: number,
  ) {
    this.limitNow = opts.defaultLimit;
    this.typeNow = opts.defaultLimitType;
    const learned = restoredLimit(opts.learned, opts.windowMsByType);
    if (learned) {
      this.limitNow = learned.limit;
      this.typeNow = learned.limitType;
      this.sourceNow = 'learned';
    }
    this.memory = new LimitMemory(opts.onLearned, learned);
    this.windowMsNow = this.windowFor(this.typeNow);
    // Only a quarter of the default goes without waiting for answers: a key limited below the default
    // (16 a minute, say) then meets its limit one request at a time, and learns it from a single 429.
    this.safeNow = Math.max(1, Math.floor(this.allowanceOf(opts.defaultLimit) / 4));
    this.lastProbeAt = now;
  }

  /** The key's requests per window. */
  get limit(): number {
    return this.limitNow;
  }

  get limitType(): string {
    return this.typeNow;
  }

  get windowMs(): number {
    return this.windowMsNow;
  }

  get source(): LimitSource {
    return this.sourceNow;
  }

  get share(): number {
    return this.opts.share;
  }

  /** The most requests the server accepted in one window (probing goes one at a time past it). */
  get safe(): number {
    return this.safeNow;
  }

  /** Still probing up from the default. */
  get probing(): boolean {
    return this.sourceNow === 'default' && this.opts.probeStepMs > 0;
  }

  /** When the next probe step may come. */
  get nextProbeAt(): number {
    return this.lastProbeAt + this.opts.probeStepMs;
  }

  /** This budget's requests per window for a key limit (all of it without a share). */
  allowanceOf(limit: number): number {
    // The epsilon keeps 60 × (1/3) at 20, not 19.
    return Math.max(1, Math.floor(limit * this.opts.share + 1e-9));
  }

  get allowance(): number {
    return this.allowanceOf(this.limitNow);
  }

  /** Probing: a request had to wait for the pace or the window (the next step may grow the guess). */
  wanted(): void {
    if (this.probing) {
      this.demand = true;
    }
  }

  /**
   * Probing: doubles the limit once per step, when the step wanted more than the pace gave (or half the
   * allowance went in this window). Returns how many requests per window that added to the allowance.
   */
  probeStep(now: number, sentInWindow: number): number {
    if (!this.probing || now - this.lastProbeAt < this.opts.probeStepMs) {
      return 0;
    }
    let added = 0;
    if ((this.demand || sentInWindow * 2 >= this.allowance) && this.limitNow < this.opts.probeCeiling) {
      const grown = Math.min(this.opts.probeCeiling, this.limitNow * 2);
      added = this.allowanceOf(grown) - this.allowance;
      this.limitNow = grown;
    }
    this.lastProbeAt = now;
    this.demand = false;
    return added;
  }

  /** What an answer says of the limit: its window and figure (remembered), and whether the server states them. */
  learn(r: RateLimitReading, refused: boolean): void {
    if (r.headers && !refused) {
      this.sourceNow = 'server';
    }
    if (r.limitType) {
      this.typeNow = r.limitType;
      this.windowMsNow = this.windowFor(r.limitType);
    }
    if (r.limit !== undefined) {
      this.limitNow = r.limit;
      if (this.sourceNow === 'default') {
        this.sourceNow = 'learned';
      }
      this.memory.note(this.limitNow, this.typeNow);
    }
  }

  /** The server accepted this many of this budget's requests in the current window. */
  accepted(inWindow: number): void {
    this.safeNow = Math.max(this.safeNow, inWindow);
  }

  /**
   * A 429 while the limit is still the default's guess and said no figure (`told` false): what this window
   * took is the best guess of the limit (not remembered); with a share, of this budget's part of it.
   */
  refused(acceptedInWindow: number, told: boolean): void {
    if (this.sourceNow === 'default' && !told) {
      const mine = Math.max(1, acceptedInWindow || Math.floor(this.allowance / 2));
      this.limitNow = Math.max(1, Math.round(mine / this.opts.share));
      this.sourceNow = 'learned';
    }
  }

  private windowFor(type: string): number {
    const byType = this.opts.windowMsByType;
    const own = (t: string) => (Object.prototype.hasOwnProperty.call(byType, t) ? byType[t] : undefined);
    return own(type) ?? own('minute') ?? 60_000;
  }
}
