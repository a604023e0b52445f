/**
 * The budget's pace while the limit is only its default's guess: a token bucket of `burst` tokens
 * refilled at the window's average rate. Both are read at each use (the guess grows while probing).
 * A person's request takes a token too (its pace is spent, so the batch waits for it), down to
 * −burst at most.
 */
export class Pace {
  private tokens: number;
  private lastRefill: number;

  constructor(
    private readonly burst: () => number,
    private readonly ratePerMs: () => number,
    now: number,
  ) {
    this.tokens = burst();
    this.lastRefill = now;
  }

  refill(now: number): void {
    const elapsed = Math.max(0, now - this.lastRefill);
    this.tokens = Math.min(this.burst(), this.tokens + elapsed * this.ratePerMs());
    this.lastRefill = now;
  }

  /** Milliseconds until a token is there (0 = now). */
  waitMs(): number {
    return this.tokens < 1 ? Math.max(1, Math.ceil((1 - this.tokens) / this.ratePerMs())) : 0;
  }

  take(): void {
    this.tokens = Math.max(-this.burst(), this.tokens - 1);
  }

  /** A 429: nothing saved up survives it. */
  empty(): void {
    this.tokens = 0;
  }
}
