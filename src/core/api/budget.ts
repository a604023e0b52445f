/**
 * The request budget: one per API key, shared by every request the window sends for that key — starts,
 * status polls, key checks. DocuTray limits requests per key (per minute, hour or day; status requests
 * count) and does not publish the numbers: they come back on the answers (docutray-api.md §0, §4):
 *   `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (unix s), `X-RateLimit-Limit-Type`,
 *   and on a 429 also `Retry-After` and the body `{limitType, limit, remaining, resetTime, retryAfter}`.
 *
 * The budget starts from a conservative default (30 requests a minute) until an answer says more, then
 * paces to what the server says:
 *   - a request goes only while the current window has requests left (the server's `remaining`, lowered
 *     by what we sent since), and at most at the window's average rate after a small burst (a token
 *     bucket of `burst` tokens refilled at limit/window): starts and polls are spread, not burst;
 *   - on a 429 it pauses *everything* (every kind, every priority) until the reset, instead of letting
 *     each request back off on its own and hit the limit again;
 *   - waiting requests go in priority order (`interactive` before `batch` before `background`), first
 *     come first served within a priority, so a single run's polls overtake a batch's.
 * `GET /api/usage` is never limited by DocuTray (§0): `usage` requests pass at once and are not counted.
 *
 * The clock and timers are injectable (tests drive a fake clock); every wait takes an AbortSignal.
 *
 * Hooks for the client: `const ticket = await budget.acquire(kind, { priority, signal })` before a
 * request; `ticket.observe({ status, headers, body })` when its answer arrives, `ticket.abandon()` when
 * none did (a transport failure: the request may have been counted, so it stays spent).
 */

export type RequestKind = 'start' | 'status' | 'check' | 'usage';
export type BudgetPriority = 'interactive' | 'batch' | 'background';

export interface BudgetClock {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const SYSTEM_CLOCK: BudgetClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // A pending budget timer must not keep a process (a test, a CLI) alive on its own.
    (t as { unref?: () => void }).unref?.();
    return t;
  },
  clearTimer: h => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** The length of each `X-RateLimit-Limit-Type` window. */
export const WINDOW_MS: Readonly<Record<string, number>> = {
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

export interface BudgetOptions {
  /** Requests per window assumed until the server says (default 30). */
  defaultLimit?: number;
  /** Window assumed until the server says (default `minute`). */
  defaultLimitType?: string;
  /** Requests that may go back to back before pacing starts; default limit/4, between 1 and 15. */
  burst?: number;
  /**
   * Added to the server's reset instant before a new window is trusted. An integer `X-RateLimit-Reset`
   * may be rounded down by up to a second, so it gets `integerResetMarginMs` (default 1000) on top.
   */
  resetMarginMs?: number;
  integerResetMarginMs?: number;
  /** Pause after a 429 that says nothing about when to come back (default 5 s, doubling, up to a window). */
  fallbackPauseMs?: number;
  /** Before the first answer, one request at a time — for at most this long (default 2 s). */
  firstAnswerWaitMs?: number;
  /** Window lengths per limit type (a benchmark that scales time passes scaled ones). */
  windowMsByType?: Record<string, number>;
  /**
   * What to do when answers carry no `X-RateLimit-*` headers at all: keep pacing to the default
   * (`default`, conservative) or stop pacing until a 429 teaches the limit (`unlimited`).
   */
  unadvertised?: 'default' | 'unlimited';
  clock?: BudgetClock;
}

/** Headers as fetch gives them, or a plain record (lower-case names). */
export type HeaderSource = { get(name: string): string | null } | Record<string, string | undefined>;

export interface Observation {
  status: number;
  headers?: HeaderSource;
  /** The parsed JSON body (read on a 429 for `limitType`, `limit`, `remaining`, `resetTime`, `retryAfter`). */
  body?: unknown;
}

export interface BudgetTicket {
  readonly kind: RequestKind;
  /** The answer arrived: learn from it. Idempotent. */
  observe(answer: Observation): void;
  /** No answer (the connection failed, or it was cancelled): the request stays counted. Idempotent. */
  abandon(): void;
}

export interface AcquireOptions {
  priority?: BudgetPriority;
  signal?: AbortSignal;
}

export interface BudgetState {
  /** Requests per window; `source` says whether the server said so. */
  limit: number;
  limitType: string;
  windowMs: number;
  source: 'default' | 'server' | 'unlimited';
  /** Requests we may still send in the current window (our estimate). */
  remaining: number;
  /** When the current window ends (ms epoch), when known. */
  resetAt?: number;
  /** Nothing goes before this instant (after a 429). */
  pausedUntil?: number;
  inFlight: number;
  waiting: number;
  /** Counters since the budget was made. */
  granted: number;
  rateLimited: number;
}

const PRIORITY_RANK: Record<BudgetPriority, number> = { interactive: 0, batch: 1, background: 2 };

interface Waiter {
  rank: number;
  seq: number;
  /** true: resolve without taking a request (`whenAvailable`). */
  peek: boolean;
  kind: RequestKind;
  resolve: (ticket: BudgetTicket | undefined) => void;
  reject: (reason: unknown) => void;
  cleanup: () => void;
}

export class RequestBudget {
  private readonly clock: BudgetClock;
  private readonly opts: Required<Omit<BudgetOptions, 'clock' | 'burst' | 'windowMsByType'>> & {
    burst?: number;
    windowMsByType: Record<string, number>;
  };
  private limit: number;
  private limitType: string;
  private windowMs: number;
  private source: BudgetState['source'] = 'default';
  private remaining: number;
  private windowEnd: number | undefined;
  /** True when windowEnd came from the server's reset, false when it is our guess. */
  private windowFromServer = false;
  private tokens: number;
  private lastRefill: number;
  private pausedUntil = 0;
  private consecutive429 = 0;
  private inFlight = 0;
  private granted = 0;
  private rateLimited = 0;
  private sawHeaders = false;
  /** An answer (any) has arrived: until then one request at a time. */
  private answered = false;
  private firstGrantAt: number | undefined;
  private queue: Waiter[] = [];
  private grantListeners: (() => void)[] = [];
  private seq = 0;
  private timer: unknown;
  private timerAt = Infinity;

  constructor(opts: BudgetOptions = {}) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    this.opts = {
      defaultLimit: opts.defaultLimit ?? 30,
      defaultLimitType: opts.defaultLimitType ?? 'minute',
      burst: opts.burst,
      resetMarginMs: opts.resetMarginMs ?? 100,
      integerResetMarginMs: opts.integerResetMarginMs ?? 1000,
      fallbackPauseMs: opts.fallbackPauseMs ?? 5000,
      firstAnswerWaitMs: opts.firstAnswerWaitMs ?? 2000,
      windowMsByType: { ...WINDOW_MS, ...opts.windowMsByType },
      unadvertised: opts.unadvertised ?? 'default',
    };
    this.limit = Math.max(1, this.opts.defaultLimit);
    this.limitType = this.opts.defaultLimitType;
    this.windowMs = this.windowFor(this.limitType);
    this.remaining = this.limit;
    this.tokens = this.burst;
    this.lastRefill = this.clock.now();
  }

  /** Waits for a request of this kind to be allowed, and counts it. Rejects with the signal's reason. */
  acquire(kind: RequestKind, opts: AcquireOptions = {}): Promise<BudgetTicket> {
    if (kind === 'usage') {
      // Never limited nor counted by DocuTray; its headers (if any) are still worth reading.
      return Promise.resolve(this.ticket(kind, false));
    }
    return this.enqueue(kind, false, opts) as Promise<BudgetTicket>;
  }

  /**
   * Resolves when a request at this priority would be allowed now, without taking it: lets a caller
   * (the batch runner) decide *what* to send at the last moment, when the budget allows a request.
   */
  async whenAvailable(opts: AcquireOptions = {}): Promise<void> {
    await this.enqueue('status', true, opts);
  }

  /** Resolves after the next request is granted (to anyone): lets a caller wait for its own request to take its turn. */
  afterNextGrant(): Promise<void> {
    return new Promise(resolve => this.grantListeners.push(resolve));
  }

  /** Milliseconds left of the pause a 429 started (0 = not paused). */
  pausedForMs(): number {
    return Math.max(0, this.pausedUntil - this.clock.now());
  }

  /** Milliseconds until a request at the front of the queue could go (0 = now). */
  delayUntilAvailable(): number {
    this.refresh(this.clock.now());
    return this.blockedFor(this.clock.now());
  }

  /** Average requests per millisecond the current limit allows (for planning and estimates). */
  get ratePerMs(): number {
    return this.source === 'unlimited' ? Infinity : this.limit / this.windowMs;
  }

  state(): BudgetState {
    const now = this.clock.now();
    this.refresh(now);
    return {
      limit: this.limit,
      limitType: this.limitType,
      windowMs: this.windowMs,
      source: this.source,
      remaining: Math.max(0, Math.floor(this.remaining)),
      resetAt: this.windowEnd,
      pausedUntil: this.pausedUntil > now ? this.pausedUntil : undefined,
      inFlight: this.inFlight,
      waiting: this.queue.filter(w => !w.peek).length,
      granted: this.granted,
      rateLimited: this.rateLimited,
    };
  }

  /** Learns from an answer that did not come through a ticket (another component's request for the same key). */
  observe(answer: Observation): void {
    this.learn(answer);
  }

  private get burst(): number {
    return Math.max(1, this.opts.burst ?? Math.min(15, Math.max(1, Math.round(this.limit / 4))));
  }

  private windowFor(type: string): number {
    return this.opts.windowMsByType[type] ?? this.opts.windowMsByType.minute ?? 60_000;
  }

  private enqueue(kind: RequestKind, peek: boolean, opts: AcquireOptions): Promise<BudgetTicket | undefined> {
    const signal = opts.signal;
    if (signal?.aborted) {
      return Promise.reject(signal.reason);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        rank: PRIORITY_RANK[opts.priority ?? 'interactive'],
        seq: this.seq++,
        peek,
        kind,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i >= 0) {
          this.queue.splice(i, 1);
          reject(signal?.reason);
          this.pump();
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      // Sorted insert: by priority, then arrival.
      let i = this.queue.length;
      while (i > 0 && this.queue[i - 1].rank > waiter.rank) {
        i--;
      }
      this.queue.splice(i, 0, waiter);
      this.pump();
    });
  }

  private refresh(now: number): void {
    if (this.source !== 'unlimited') {
      const elapsed = Math.max(0, now - this.lastRefill);
      this.tokens = Math.min(this.burst, this.tokens + elapsed * (this.limit / this.windowMs));
    }
    this.lastRefill = now;
    if (this.windowEnd !== undefined && now >= this.windowEnd) {
      // A new window: the full limit again, until an answer says otherwise.
      this.remaining = this.limit;
      this.windowEnd = undefined;
      this.windowFromServer = false;
    }
  }

  /** How long the head of the queue must wait; 0 when a request may go now. */
  private blockedFor(now: number): number {
    if (this.pausedUntil > now) {
      return this.pausedUntil - now;
    }
    if (this.source === 'unlimited') {
      return 0;
    }
    if (!this.answered && this.inFlight > 0 && this.firstGrantAt !== undefined) {
      // Knowing nothing yet: one request at a time until an answer says what the limit is — but not
      // for longer than `firstAnswerWaitMs` (a first upload of 100 MB must not hold up the rest).
      const until = this.firstGrantAt + this.opts.firstAnswerWaitMs;
      if (until > now) {
        return until - now;
      }
    }
    if (this.remaining < 1) {
      // Spent for this window: wait for its end (or, not knowing it, for a whole window).
      return Math.max(1, (this.windowEnd ?? now + this.windowMs) - now);
    }
    if (this.tokens < 1) {
      return Math.max(1, Math.ceil((1 - this.tokens) / (this.limit / this.windowMs)));
    }
    return 0;
  }

  private pump(): void {
    const now = this.clock.now();
    this.refresh(now);
    while (this.queue.length) {
      const wait = this.blockedFor(now);
      if (wait > 0) {
        this.schedule(now + wait);
        return;
      }
      const waiter = this.queue.shift() as Waiter;
      waiter.cleanup();
      if (waiter.peek) {
        waiter.resolve(undefined);
        // A peek takes nothing, but lets the peeker act before the next waiter is served.
        continue;
      }
      this.take(now);
      waiter.resolve(this.ticket(waiter.kind, true));
    }
    this.unschedule();
  }

  private take(now: number): void {
    if (this.windowEnd === undefined && this.source !== 'unlimited') {
      this.windowEnd = now + this.windowMs;
    }
    if (this.source !== 'unlimited') {
      this.tokens -= 1;
    }
    this.remaining -= 1;
    this.inFlight++;
    this.granted++;
    this.firstGrantAt ??= now;
    if (this.grantListeners.length) {
      const listeners = this.grantListeners;
      this.grantListeners = [];
      for (const l of listeners) {
        l();
      }
    }
  }

  private ticket(kind: RequestKind, counted: boolean): BudgetTicket {
    let done = false;
    const finish = () => {
      if (done) {
        return false;
      }
      done = true;
      if (counted) {
        this.inFlight--;
      }
      return true;
    };
    return {
      kind,
      observe: answer => {
        if (finish()) {
          this.learn(answer);
        }
      },
      abandon: () => {
        if (finish()) {
          this.pump();
        }
      },
    };
  }

  private learn(answer: Observation): void {
    this.answered = true;
    const now = this.clock.now();
    this.refresh(now);
    const h = readHeaders(answer.headers);
    const body = answer.status === 429 && isObject(answer.body) ? answer.body : {};
    const limit = h.limit ?? num(body.limit);
    const limitType = h.limitType ?? (typeof body.limitType === 'string' ? body.limitType : undefined);
    const remaining = h.remaining ?? num(body.remaining);
    const reset = h.reset ?? num(body.resetTime);
    const retryAfterMs =
      h.retryAfterMs ?? (num(body.retryAfter) !== undefined ? (num(body.retryAfter) as number) * 1000 : undefined);
    const advertised = limit !== undefined || remaining !== undefined || reset !== undefined;
    if (advertised) {
      this.sawHeaders = true;
      if (this.source !== 'server') {
        this.source = 'server';
      }
    } else if (
      answer.status !== 429 &&
      !this.sawHeaders &&
      this.opts.unadvertised === 'unlimited' &&
      this.source === 'default'
    ) {
      this.source = 'unlimited';
    }
    if (limitType) {
      this.limitType = limitType;
      this.windowMs = this.windowFor(limitType);
    }
    if (limit !== undefined && limit >= 1) {
      this.limit = limit;
    }
    const resetAt =
      reset === undefined
        ? undefined
        : reset * 1000 + this.opts.resetMarginMs + (Number.isInteger(reset) ? this.opts.integerResetMarginMs : 0);
    if (resetAt !== undefined && remaining !== undefined && answer.status !== 429) {
      if (
        this.windowEnd === undefined ||
        !this.windowFromServer ||
        resetAt > this.windowEnd + this.opts.integerResetMarginMs
      ) {
        // A window newer than the one we counted in: trust its count, minus our requests still in the air.
        // (or than our own guess of it, whose count the server's includes).
        this.windowEnd = resetAt;
        this.windowFromServer = true;
        this.remaining = Math.min(remaining - this.inFlight, this.limit);
      } else if (resetAt >= this.windowEnd - this.opts.integerResetMarginMs - 1000) {
        // The same window: another window or tool may share the key, so take the lower count.
        this.remaining = Math.min(this.remaining, remaining - this.inFlight);
      }
      // An answer from an older window (arriving late) says nothing about this one.
    } else if (remaining !== undefined && answer.status !== 429) {
      this.remaining = Math.min(this.remaining, remaining - this.inFlight);
    }
    if (answer.status === 429) {
      this.rateLimited++;
      this.consecutive429++;
      const fromRetryAfter = retryAfterMs !== undefined ? now + retryAfterMs + this.opts.resetMarginMs : undefined;
      // Retry-After is relative (immune to clock skew) but whole seconds, rounded up; the reset is
      // absolute and may be finer. Take the reset when the two agree (within the rounding).
      const agree =
        resetAt !== undefined &&
        fromRetryAfter !== undefined &&
        resetAt <= fromRetryAfter &&
        fromRetryAfter - resetAt <= 1000 + this.opts.integerResetMarginMs;
      const until =
        (agree ? resetAt : fromRetryAfter) ??
        resetAt ??
        now + Math.min(this.opts.fallbackPauseMs * 2 ** (this.consecutive429 - 1), this.windowMs);
      this.pausedUntil = Math.max(this.pausedUntil, until);
      this.remaining = 0;
      // The server says when its window ends: our own guess of it no longer counts.
      this.windowEnd = this.pausedUntil;
      this.windowFromServer = true;
      this.tokens = 0;
      if (this.source === 'unlimited') {
        this.source = advertised ? 'server' : 'default';
      }
    } else if (answer.status >= 200 && answer.status < 500) {
      this.consecutive429 = 0;
    }
    this.pump();
  }

  private schedule(at: number): void {
    if (this.timer !== undefined && at >= this.timerAt) {
      return;
    }
    this.unschedule();
    this.timerAt = at;
    this.timer = this.clock.setTimer(
      () => {
        this.timer = undefined;
        this.timerAt = Infinity;
        this.pump();
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private unschedule(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimer(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
    }
  }
}

/** One budget per API key (the window's runs share it). Keys are held as given and never printed. */
export class BudgetRegistry {
  private readonly budgets = new Map<string, RequestBudget>();
  constructor(private readonly opts: BudgetOptions = {}) {}

  forKey(apiKey: string): RequestBudget {
    let b = this.budgets.get(apiKey);
    if (!b) {
      b = new RequestBudget(this.opts);
      this.budgets.set(apiKey, b);
    }
    return b;
  }

  clear(): void {
    this.budgets.clear();
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function header(h: HeaderSource | undefined, name: string): string | undefined {
  if (!h) {
    return undefined;
  }
  if (typeof (h as { get?: unknown }).get === 'function') {
    return (h as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const rec = h as Record<string, string | undefined>;
  const key = Object.keys(rec).find(k => k.toLowerCase() === name);
  return key === undefined ? undefined : rec[key];
}

/** `X-RateLimit-*` and `Retry-After` (seconds or an HTTP date) from an answer's headers. */
export function readHeaders(
  h: HeaderSource | undefined,
  now = Date.now(),
): { limit?: number; remaining?: number; reset?: number; limitType?: string; retryAfterMs?: number } {
  const ra = header(h, 'retry-after')?.trim();
  let retryAfterMs: number | undefined;
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra)) {
      retryAfterMs = Number(ra) * 1000;
    } else if (/^[A-Za-z]{3},? /.test(ra) && !Number.isNaN(Date.parse(ra))) {
      retryAfterMs = Math.max(0, Date.parse(ra) - now);
    }
  }
  const type = header(h, 'x-ratelimit-limit-type')?.trim().toLowerCase();
  return {
    limit: num(header(h, 'x-ratelimit-limit')),
    remaining: num(header(h, 'x-ratelimit-remaining')),
    reset: num(header(h, 'x-ratelimit-reset')),
    limitType: type || undefined,
    retryAfterMs,
  };
}
