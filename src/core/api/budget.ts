/**
 * The request budget: one per API key, shared by every request the window sends for that key — starts,
 * status polls, key checks. DocuTray limits requests per key (per minute, hour or day; status requests
 * count) and does not publish the numbers. What an answer says of them is read by rateLimit.ts: the
 * `X-RateLimit-*` headers when the service sends them, and a 429's body `{limitType, limit, remaining,
 * resetTime, retryAfter}`, whose `limit` is exact.
 *
 * Where the limit comes from (`source`):
 *   - `server`: ordinary answers carry the headers; the budget follows their count and reset.
 *   - `learned`: a 429 said the limit (or this key's limit was remembered from an earlier session):
 *     the budget runs at it and counts its own requests per window. No probing above it: at most one
 *     429 per key each time the plan changes.
 *   - `default`: nothing said yet. The budget starts from a conservative default (30 a minute) and
 *     probes up like a slow start: while requests are wanted and no 429 comes, the limit doubles every
 *     `probeStepMs` (5 s), until a 429 teaches the real one. Past the most requests the server has
 *     accepted in one window, requests go one at a time, so the lesson costs a single 429. (A batch paced
 *     at half the real limit costs the user time on every document; a 429 costs one pause.)
 *
 * Pacing: a request goes only while the current window has requests left. While the limit is only the
 * default's guess, a batch's requests also go at most at the window's average rate after a small burst (a
 * token bucket of `burst` tokens refilled at limit/window): the probe grows the guess from what that pace
 * held back. Once the server has stated the limit (or a 429 taught it), the window's count is what bounds
 * the batch: a batch needs its requests whatever their spread, and pacing within a window only delays
 * the last window's (12 documents at 16 a minute ended 1.35× their bound paced). A person's requests (`interactive`) are not paced,
 * only counted: a single run keeps its fast poll schedule whenever the window has room, and the last
 * `interactiveReserve` requests of each window (at least a single run's start and three looks, up to a
 * quarter of the window) are theirs — batch and background requests may take
 * them only near the window's end (its last tenth while a person is about, its last quarter otherwise),
 * when a person would soon have a new window anyway.
 * On a 429 the budget pauses *everything* until the reset, instead of letting each request back off on
 * its own and hit the limit again. Waiting requests go in priority order (`interactive` before `batch`
 * before `background`), first come first served within a priority.
 * `GET /api/usage` is never limited by DocuTray (§0): `usage` requests pass at once and are not counted.
 *
 * Shares: n processes on one key (a CI matrix of n jobs) each make a budget with `share: 1/n`. Every figure
 * the server states stays the key's (the limit learned from a 429's body or the headers, what is
 * remembered), but this budget sends at most `floor(limit × share)` requests per window (its allowance),
 * paces at that rate, and probes and guesses in the same part: together the n stay under the key's limit
 * instead of each taking all of it and refusing the others with 429s.
 *
 * Bounds: no pause lasts longer than a day (the longest DocuTray window) however far off an answer's
 * reset; `pausedForMs()` and `pausedUntil()` say how long a pause still lasts, so the client can refuse
 * a request a person or a batch should not wait that long for. Timers are at most MAX_TIMER_MS long.
 *
 * The clock and timers are injectable (tests drive a fake clock); every wait takes an AbortSignal.
 *
 * Hooks for the client: `const ticket = await budget.acquire(kind, { priority, signal })` before a
 * request; `ticket.observe({ status, headers, body })` when its answer arrives, `ticket.abandon()` when
 * none did (a transport failure: the request may have been counted, so it stays spent).
 */
import type { HeaderSource } from './headers';
import { MAX_RATE_LIMIT_WAIT_MS, readRateLimit } from './rateLimit';
import { MAX_TIMER_MS } from '../async/sleep';
import type { LearnedLimit, LearnedLimitStore } from './limitMemory';
import { LimitLearner } from './limitLearner';
import { Pace } from './pace';

export type { HeaderSource } from './headers';
export type { LearnedLimit, LearnedLimitStore } from './limitMemory';

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
    const t = setTimeout(fn, Math.min(ms, MAX_TIMER_MS));
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
  /** While the limit is the default's guess: batch requests that may go back to back before pacing starts; default limit/4, between 1 and 15. */
  burst?: number;
  /**
   * Added to the server's reset instant before a new window is trusted. An integer reset may be
   * rounded by up to a second, so it gets `integerResetMarginMs` (default 1000) on top; a window the
   * budget guessed itself (its first request plus the window) gets `guessedWindowMarginMs` (1000).
   */
  resetMarginMs?: number;
  integerResetMarginMs?: number;
  guessedWindowMarginMs?: number;
  /** Pause after a 429 that says nothing about when to come back (default 5 s, doubling, up to a window). */
  fallbackPauseMs?: number;
  /** Before the first answer, one request at a time — for at most this long (default 2 s). */
  firstAnswerWaitMs?: number;
  /** Window lengths per limit type (a benchmark that scales time passes scaled ones). */
  windowMsByType?: Record<string, number>;
  /** While nothing says the limit: double it every this long while requests are wanted (default 5 s; 0 = never). */
  probeStepMs?: number;
  /** Probing stops here (default 100 × the default limit). */
  probeCeiling?: number;
  /** Requests per window kept for a person's requests (default limit/6, at most 10). */
  interactiveReserve?: number;
  /** The longest pause a 429 can cause (default a day). */
  maxPauseMs?: number;
  /** A limit learned for this key before (in an earlier session): start at it instead of probing. */
  learned?: LearnedLimit;
  /** This budget's part of the key's limit, more than 0 and at most 1 (default 1: all of it). See "Shares". */
  share?: number;
  /** Called when the server states a limit different from the one known, to remember it. */
  onLearned?: (limit: LearnedLimit) => void;
  clock?: BudgetClock;
}

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
  /** The key's requests per window; `source` says where the figure comes from (see the top of this file). */
  limit: number;
  /** This budget's part of it (`share`) and the requests per window that makes (`floor(limit × share)`, at least 1). */
  share: number;
  allowance: number;
  limitType: string;
  windowMs: number;
  source: 'default' | 'learned' | 'server';
  /** Still probing up from the default. */
  probing: boolean;
  /** Requests we may still send in the current window (our estimate). */
  remaining: number;
  /** Requests of each window kept for a person's requests. */
  interactiveReserve: number;
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

/**
 * The requests a person's single run takes once its step's durations are known: a start and the three
 * looks around its expected end (polling/planner.ts `expectedEndLooks`). The reserve holds at least that
 * many (up to a quarter of the window) so that a batch at a low limit never holds a single run back.
 */
const SINGLE_RUN_REQUESTS = 4;

const PRIORITY_RANK: Record<BudgetPriority, number> = { interactive: 0, batch: 1, background: 2 };

/**
 * Batch requests may spend the interactive reserve in this last fraction of a window: the last tenth
 * while a person has been using the key (an interactive request within a window), else the last
 * quarter: a batch alone gets every request of each window, and waits for the last few only in a
 * window it would otherwise end early in.
 */
const RESERVE_RELEASE_FRACTION = { personActive: 0.1, personAway: 0.25 };

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
  private readonly opts: Required<
    Omit<BudgetOptions, 'clock' | 'burst' | 'windowMsByType' | 'interactiveReserve' | 'learned' | 'onLearned' | 'share'>
  > &
    Pick<BudgetOptions, 'burst' | 'interactiveReserve' | 'onLearned'> & { windowMsByType: Record<string, number> };
  private readonly share: number;
  /** The key's limit, its window, where the figure comes from, and how it is learnt. */
  private readonly limits: LimitLearner;
  private remaining: number;
  private windowEnd: number | undefined;
  /** True when windowEnd came from the server's reset, false when it is our guess. */
  private windowFromServer = false;
  /** Requests granted, and answered without a 429, in the current window. */
  private sentInWindow = 0;
  private acceptedInWindow = 0;
  private readonly pace: Pace;
  private pauseEnd = 0;
  private consecutive429 = 0;
  private inFlight = 0;
  /** The grant numbers of this budget's requests still in the air (see `notCountedYet`). */
  private readonly airborne = new Set<number>();
  private granted = 0;
  private rateLimited = 0;
  /** An answer (any) has arrived: until then one request at a time. */
  private answered = false;
  private firstGrantAt: number | undefined;
  /** When a person's (interactive) request last went. */
  private lastPersonAt: number | undefined;
  private queue: Waiter[] = [];
  private grantListeners: (() => void)[] = [];
  private seq = 0;
  private timer: unknown;
  private timerAt = Infinity;

  constructor(opts: BudgetOptions = {}) {
    this.clock = opts.clock ?? SYSTEM_CLOCK;
    const defaultLimit = Math.max(1, opts.defaultLimit ?? 30);
    this.opts = {
      defaultLimit,
      defaultLimitType: opts.defaultLimitType ?? 'minute',
      burst: opts.burst,
      resetMarginMs: opts.resetMarginMs ?? 100,
      integerResetMarginMs: opts.integerResetMarginMs ?? 1000,
      guessedWindowMarginMs: opts.guessedWindowMarginMs ?? 1000,
      fallbackPauseMs: opts.fallbackPauseMs ?? 5000,
      firstAnswerWaitMs: opts.firstAnswerWaitMs ?? 2000,
      windowMsByType: { ...WINDOW_MS, ...opts.windowMsByType },
      probeStepMs: opts.probeStepMs ?? 5000,
      probeCeiling: opts.probeCeiling ?? defaultLimit * 100,
      interactiveReserve: opts.interactiveReserve,
      maxPauseMs: Math.min(opts.maxPauseMs ?? MAX_RATE_LIMIT_WAIT_MS, MAX_RATE_LIMIT_WAIT_MS),
      onLearned: opts.onLearned,
    };
    this.share = opts.share !== undefined && opts.share > 0 && opts.share < 1 ? opts.share : 1;
    const now = this.clock.now();
    this.limits = new LimitLearner(
      {
        defaultLimit,
        defaultLimitType: this.opts.defaultLimitType,
        windowMsByType: this.opts.windowMsByType,
        probeStepMs: this.opts.probeStepMs,
        probeCeiling: this.opts.probeCeiling,
        share: this.share,
        learned: opts.learned,
        onLearned: this.opts.onLearned,
      },
      now,
    );
    this.remaining = this.allowance;
    this.pace = new Pace(
      () => this.burst,
      () => this.ratePerMs,
      now,
    );
  }

  private get limit(): number {
    return this.limits.limit;
  }

  private get windowMs(): number {
    return this.limits.windowMs;
  }

  private get source(): BudgetState['source'] {
    return this.limits.source;
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

  /** Milliseconds left of the pause a 429 started (0 = not paused); never more than a day. */
  pausedForMs(): number {
    return Math.max(0, this.pauseEnd - this.clock.now());
  }

  /** When the pause a 429 started ends (local ms epoch, as the budget's clock reads), or undefined when not paused. */
  pausedUntil(): number | undefined {
    return this.pauseEnd > this.clock.now() ? this.pauseEnd : undefined;
  }

  /** Milliseconds until a request at the front of the queue could go (0 = now; Infinity = after an answer). */
  delayUntilAvailable(): number {
    const now = this.clock.now();
    this.refresh(now);
    return this.blockedFor(now, this.queue[0]?.rank ?? PRIORITY_RANK.interactive);
  }

  /** Average requests per millisecond the current limit allows (for planning and estimates). */
  get ratePerMs(): number {
    return this.allowance / this.windowMs;
  }

  state(): BudgetState {
    const now = this.clock.now();
    this.refresh(now);
    return {
      limit: this.limit,
      share: this.share,
      allowance: this.allowance,
      limitType: this.limits.limitType,
      windowMs: this.windowMs,
      source: this.source,
      probing: this.probing,
      remaining: Math.max(0, Math.floor(this.remaining)),
      interactiveReserve: this.reserve,
      resetAt: this.windowEnd,
      pausedUntil: this.pausedUntil(),
      inFlight: this.inFlight,
      waiting: this.queue.filter(w => !w.peek).length,
      granted: this.granted,
      rateLimited: this.rateLimited,
    };
  }

  /** Learns from an answer that did not come through a ticket (another component's request for the same key). */
  observe(answer: Observation): void {
    this.learn(answer, false);
  }

  private get allowance(): number {
    return this.limits.allowance;
  }

  private get burst(): number {
    return Math.max(1, this.opts.burst ?? Math.min(15, Math.max(1, Math.round(this.allowance / 4))));
  }

  private get reserve(): number {
    const r =
      this.opts.interactiveReserve ??
      Math.max(
        Math.min(10, Math.floor(this.allowance / 6)),
        Math.min(SINGLE_RUN_REQUESTS, Math.floor(this.allowance / 4)),
      );
    return Math.max(0, Math.min(r, this.allowance - 1));
  }

  private get probing(): boolean {
    return this.limits.probing;
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
    this.pace.refill(now);
    if (this.windowEnd !== undefined && now >= this.windowEnd) {
      // A new window: the full limit (our part of it) again, until an answer says otherwise.
      this.remaining = this.allowance;
      this.windowEnd = undefined;
      this.windowFromServer = false;
      this.sentInWindow = 0;
      this.acceptedInWindow = 0;
    }
    // Probing: the guess may grow by a step (its new requests are this window's too).
    this.remaining += this.limits.probeStep(now, this.sentInWindow);
  }

  /**
   * How long a request at this priority rank must wait: 0 when it may go now, Infinity until an answer
   * arrives (it will pump the queue).
   */
  private blockedFor(now: number, rank: number): number {
    if (this.pauseEnd > now) {
      return this.pauseEnd - now;
    }
    if (!this.answered && this.inFlight > 0 && this.firstGrantAt !== undefined) {
      // Knowing nothing yet: one request at a time until an answer says what the limit is — but not
      // for longer than `firstAnswerWaitMs` (a first upload of 100 MB must not hold up the rest).
      const until = this.firstGrantAt + this.opts.firstAnswerWaitMs;
      if (until > now) {
        return until - now;
      }
    }
    const person = rank === PRIORITY_RANK.interactive;
    const releaseAt = this.reserveReleaseAt(now);
    const reserve = person || now >= releaseAt ? 0 : this.reserve;
    if (this.remaining - reserve < 1) {
      // Spent for this window (or down to the reserve): wait for its end (not knowing it, a whole window),
      // or for the reserve's release; while probing, no longer than the next step, which may add room.
      let until = Math.min(this.windowEnd ?? now + this.windowMs, this.remaining >= 1 ? releaseAt : Infinity);
      if (this.probing) {
        this.limits.wanted();
        until = Math.min(until, this.limits.nextProbeAt);
      }
      return Math.max(1, until - now);
    }
    if (this.probing && this.sentInWindow >= this.limits.safe && this.inFlight > 0) {
      // Past the most the server has accepted in a window: one at a time, so a refusal is a single 429.
      return Infinity;
    }
    const paced = !person && this.source === 'default' ? this.pace.waitMs() : 0;
    if (paced > 0) {
      this.limits.wanted();
      return paced;
    }
    return 0;
  }

  /** When batch requests may spend this window's interactive reserve. */
  private reserveReleaseAt(now: number): number {
    if (this.windowEnd === undefined) {
      return Infinity;
    }
    const personActive = this.lastPersonAt !== undefined && now - this.lastPersonAt < this.windowMs;
    return (
      this.windowEnd -
      this.windowMs * (personActive ? RESERVE_RELEASE_FRACTION.personActive : RESERVE_RELEASE_FRACTION.personAway)
    );
  }

  private pump(): void {
    const now = this.clock.now();
    this.refresh(now);
    while (this.queue.length) {
      const head = this.queue[0];
      const wait = this.blockedFor(now, head.rank);
      if (wait > 0) {
        if (Number.isFinite(wait)) {
          this.schedule(now + wait);
        } else {
          this.unschedule();
        }
        return;
      }
      this.queue.shift();
      head.cleanup();
      if (head.peek) {
        head.resolve(undefined);
        // A peek takes nothing, but lets the peeker act before the next waiter is served.
        continue;
      }
      this.take(now);
      if (head.rank === PRIORITY_RANK.interactive) {
        this.lastPersonAt = now;
      }
      head.resolve(this.ticket(head.kind, true));
    }
    this.unschedule();
  }

  private take(now: number): void {
    if (this.windowEnd === undefined) {
      this.windowEnd = now + this.windowMs + this.opts.guessedWindowMarginMs;
      this.windowFromServer = false;
    }
    // A person's request is not paced but still spends the pace: the batch waits for it.
    this.pace.take();
    this.remaining -= 1;
    this.sentInWindow++;
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
    const grant = this.granted;
    if (counted) {
      this.airborne.add(grant);
    }
    const finish = () => {
      if (done) {
        return false;
      }
      done = true;
      if (counted) {
        this.inFlight--;
        this.airborne.delete(grant);
      }
      return true;
    };
    return {
      kind,
      observe: answer => {
        if (finish()) {
          this.learn(answer, counted, counted ? grant : undefined);
        }
      },
      abandon: () => {
        if (finish()) {
          this.pump();
        }
      },
    };
  }

  /**
   * Of this budget's requests in the air, those the server may not have counted when it answered: those
   * granted after the answered one (`grant`), sent after it. Those granted before it were sent before it
   * and are in the server's count already: subtracting them again would leave a window's requests unused
   * (four uploads in the air at a limit of 16 are a quarter of the window). Without a grant (an answer to
   * another component's request), all of them.
   */
  private notCountedYet(grant: number | undefined): number {
    if (grant === undefined) {
      return this.inFlight;
    }
    let n = 0;
    for (const g of this.airborne) {
      if (g > grant) {
        n++;
      }
    }
    return n;
  }

  /**
   * `counted`: the request was one of this budget's grants (not a usage request, nor another's);
   * `grant`: its grant number.
   */
  private learn(answer: Observation, counted: boolean, grant?: number): void {
    this.answered = true;
    const unseen = this.notCountedYet(grant);
    const now = this.clock.now();
    this.refresh(now);
    const r = readRateLimit(answer, now);
    const refused = answer.status === 429;
    this.limits.learn(r, refused);
    const resetAt =
      r.resetAt === undefined
        ? undefined
        : r.resetAt + this.opts.resetMarginMs + (r.resetRounded ? this.opts.integerResetMarginMs : 0);
    if (counted && !refused && answer.status < 500) {
      this.acceptedInWindow++;
      this.limits.accepted(this.acceptedInWindow);
    }
    if (resetAt !== undefined && r.remaining !== undefined && !refused) {
      if (
        this.windowEnd === undefined ||
        !this.windowFromServer ||
        resetAt > this.windowEnd + this.opts.integerResetMarginMs
      ) {
        // A window newer than the one we counted in (or than our own guess of it, whose count the
        // server's includes): trust its count, minus our requests still in the air.
        this.windowEnd = resetAt;
        this.windowFromServer = true;
        // With a share, the key's count is the others' too: this budget's part caps it, less what it sent
        // into this window (the answered request and those in the air).
        this.remaining = Math.min(
          r.remaining - unseen,
          this.share < 1 ? this.allowance - 1 - this.inFlight : this.limit,
        );
      } else if (resetAt >= this.windowEnd - this.opts.integerResetMarginMs - 1000) {
        // The same window: another window or tool may share the key, so take the lower count.
        this.remaining = Math.min(this.remaining, r.remaining - unseen);
      }
      // An answer from an older window (arriving late) says nothing about this one.
    } else if (r.remaining !== undefined && !refused) {
      this.remaining = Math.min(this.remaining, r.remaining - unseen);
    }
    if (refused) {
      this.refusedUntil(now, r.retryAfterMs, resetAt, r.limit !== undefined);
    } else if (answer.status >= 200 && answer.status < 500) {
      this.consecutive429 = 0;
    }
    this.pump();
  }

  /** A 429: pause every request until the reset, and stop probing. */
  private refusedUntil(
    now: number,
    retryAfterMs: number | undefined,
    resetAt: number | undefined,
    told: boolean,
  ): void {
    this.rateLimited++;
    this.consecutive429++;
    const fromRetryAfter = retryAfterMs !== undefined ? now + retryAfterMs + this.opts.resetMarginMs : undefined;
    // Retry-After is relative but whole seconds, rounded up; the reset may be finer. Take the reset
    // when the two agree (within the rounding).
    const agree =
      resetAt !== undefined &&
      fromRetryAfter !== undefined &&
      resetAt <= fromRetryAfter &&
      fromRetryAfter - resetAt <= 1000 + this.opts.integerResetMarginMs;
    const until =
      (agree ? resetAt : fromRetryAfter) ??
      resetAt ??
      now + Math.min(this.opts.fallbackPauseMs * 2 ** Math.min(this.consecutive429 - 1, 20), this.windowMs);
    this.pauseEnd = Math.min(Math.max(this.pauseEnd, until), now + this.opts.maxPauseMs);
    this.remaining = 0;
    // The server says when its window ends: our own guess of it no longer counts.
    this.windowEnd = this.pauseEnd;
    this.windowFromServer = true;
    this.pace.empty();
    this.limits.refused(this.acceptedInWindow, told);
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
      // A far instant takes several timers: a longer one would fire at once.
      Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock.now())),
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

/**
 * One budget per API key (the window's runs share it), by an id the caller derives from the key
 * (a digest): the registry never sees the key. With a store, each budget starts from the limit
 * learned for its id before, and what it learns is kept there.
 */
export class BudgetRegistry {
  private readonly budgets = new Map<string, RequestBudget>();
  constructor(
    private readonly opts: BudgetOptions = {},
    private readonly store?: LearnedLimitStore,
  ) {}

  forKey(id: string): RequestBudget {
    let b = this.budgets.get(id);
    if (!b) {
      const store = this.store;
      b = new RequestBudget({
        ...this.opts,
        learned: store?.get(id) ?? this.opts.learned,
        onLearned: store ? l => store.set(id, l) : this.opts.onLearned,
      });
      this.budgets.set(id, b);
    }
    return b;
  }

  clear(): void {
    this.budgets.clear();
  }
}
