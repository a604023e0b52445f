import * as assert from 'node:assert/strict';
import {
  BudgetRegistry,
  RequestBudget,
  type BudgetClock,
  type BudgetTicket,
  type LearnedLimit,
} from '../../../../src/core/api/budget';
import { MAX_TIMER_MS } from '../../../../src/core/async/sleep';
import { FakeClock, flush } from '../../fake-clock';

/**
 * A server-side fixed-window limiter on the same fake clock, answering like DocuTray (§0): the
 * `X-RateLimit-*` headers on every answer (`advertise`, the default) or on its 429s only.
 */
class FakeServer {
  private windowEnd = 0;
  private count = 0;
  served = 0;
  refused = 0;
  constructor(
    private clock: FakeClock,
    readonly limit: number,
    readonly windowMs: number,
    readonly advertise = true,
  ) {}

  answer(): { status: number; headers: Record<string, string>; body?: unknown } {
    const now = this.clock.now();
    if (now >= this.windowEnd) {
      this.windowEnd = now + this.windowMs;
      this.count = 0;
    }
    const resetS = Math.ceil(this.windowEnd / 1000);
    if (this.count >= this.limit) {
      this.refused++;
      const retryAfter = Math.ceil((this.windowEnd - now) / 1000);
      return {
        status: 429,
        headers: {
          'x-ratelimit-limit': String(this.limit),
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(resetS),
          'retry-after': String(retryAfter),
        },
        body: {
          error: 'Rate limit exceeded',
          limitType: 'minute',
          limit: this.limit,
          remaining: 0,
          resetTime: resetS,
          retryAfter,
        },
      };
    }
    this.count++;
    this.served++;
    return {
      status: 200,
      headers: this.advertise
        ? {
            'x-ratelimit-limit': String(this.limit),
            'x-ratelimit-remaining': String(this.limit - this.count),
            'x-ratelimit-reset': String(resetS),
            'x-ratelimit-limit-type': 'minute',
          }
        : {},
    };
  }
}

/**
 * `n` requests through the budget as fast as it gives them, by `workers` at once, each answered by the
 * server `latencyMs` later. Resolves with when the last was answered.
 */
async function drive(
  clock: FakeClock,
  budget: RequestBudget,
  server: FakeServer,
  n: number,
  opts: { workers?: number; latencyMs?: number; priority?: 'interactive' | 'batch'; horizonMs?: number } = {},
): Promise<{ lastAt: number; refusedSeen: number }> {
  let wanted = n;
  let lastAt = clock.now();
  let refusedSeen = 0;
  const worker = async () => {
    while (wanted > 0) {
      wanted--;
      // One request, sent again after a 429 (through the budget, which holds it until the reset).
      for (;;) {
        const ticket = await budget.acquire('status', { priority: opts.priority ?? 'batch' });
        await clock.sleep(opts.latencyMs ?? 50);
        const a = server.answer();
        ticket.observe(a);
        lastAt = clock.now();
        if (a.status !== 429) {
          break;
        }
        refusedSeen++;
      }
    }
  };
  const workers = Array.from({ length: opts.workers ?? 8 }, worker);
  await clock.advance(opts.horizonMs ?? 10 * 60_000);
  await Promise.all(workers);
  return { lastAt, refusedSeen };
}

/** A budget that has seen one answer (without limit headers). */
async function primed(budget: RequestBudget): Promise<RequestBudget> {
  (await budget.acquire('check')).observe({ status: 200, headers: {} });
  return budget;
}

/** `n` requests queued at once; each answered with `answer` as soon as it is granted, if given. */
function collect(
  budget: RequestBudget,
  n: number,
  priority: 'interactive' | 'batch' = 'batch',
  answer?: { status: number; headers: Record<string, string> },
): { tickets: BudgetTicket[] } {
  const out = { tickets: [] as BudgetTicket[] };
  for (let i = 0; i < n; i++) {
    void budget.acquire('status', { priority }).then(t => {
      out.tickets.push(t);
      if (answer) {
        t.observe(answer);
      }
    });
  }
  return out;
}

describe('request budget', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  it('knowing nothing, sends one request at a time until an answer comes (for at most 2 s)', async () => {
    const slow = new RequestBudget({ clock });
    const waited = collect(slow, 3);
    await clock.advance(1999);
    assert.equal(waited.tickets.length, 1);
    await clock.advance(1);
    assert.equal(waited.tickets.length, 3, 'a first answer that takes long (a big upload) does not hold up the rest');
    const budget = new RequestBudget({ clock });
    const got = collect(budget, 3);
    await clock.advance(1000);
    assert.equal(got.tickets.length, 1);
    got.tickets[0].abandon();
    await flush();
    assert.equal(got.tickets.length, 2, 'an abandoned request lets the next one go, still alone');
    got.tickets[1].observe({
      status: 202,
      headers: new Headers({
        'x-ratelimit-limit': '60',
        'x-ratelimit-remaining': '58',
        'x-ratelimit-reset': String(Math.ceil(clock.now() / 1000) + 60),
      }),
    });
    await flush();
    assert.equal(got.tickets.length, 3);
  });

  it('answers without limit headers: probes up from the default, doubling the pace every 5 s while requests wait', async () => {
    const budget = await primed(new RequestBudget({ clock }));
    await clock.advance(60_000);
    assert.equal(budget.state().source, 'default');
    assert.equal(budget.state().probing, true);
    const got = collect(budget, 200, 'batch', { status: 200, headers: {} });
    await flush();
    assert.equal(got.tickets.length, 8, 'a burst of limit/4 = 8');
    // 30 a minute is one every 2 s: two more in the first 5 s.
    await clock.advance(4999);
    assert.equal(got.tickets.length, 10);
    assert.equal(budget.state().limit, 30);
    await clock.advance(1);
    assert.equal(budget.state().limit, 60, 'doubled after 5 s of requests waiting');
    await clock.advance(5000);
    assert.equal(budget.state().limit, 120);
    await clock.advance(5000);
    assert.equal(budget.state().limit, 240);
    // 8 + 0.5/s for 5 s, 1/s, 2/s, then 4/s: twenty seconds in, 45 went where the default allows 18.
    await clock.advance(5000);
    assert.equal(got.tickets.length, 45);
    assert.equal(budget.state().limit, 480);
  });

  it('does not probe while nothing waits: an idle budget stays at the default', async () => {
    const budget = await primed(new RequestBudget({ clock }));
    for (let i = 0; i < 12; i++) {
      await clock.advance(10_000);
      (await budget.acquire('status', { priority: 'batch' })).observe({ status: 200, headers: {} });
    }
    assert.equal(budget.state().limit, 30);
  });

  it('without headers, learns the limit from the first 429 body, then runs at it with no other 429', async () => {
    const server = new FakeServer(clock, 60, 60_000, false);
    const budget = new RequestBudget({ clock });
    const t0 = clock.now();
    const { lastAt, refusedSeen } = await drive(clock, budget, server, 300);
    assert.equal(refusedSeen, 1, 'one 429 taught the limit');
    assert.equal(server.served, 300);
    const s = budget.state();
    assert.deepEqual([s.source, s.limit, s.limitType, s.probing], ['learned', 60, 'minute', false]);
    // 300 at 60 a window: at best the 300th goes at the start of the fifth window (240 s); spread
    // within each window, with a second of margin at each window's end, by about 300 s.
    const took = lastAt - t0;
    assert.ok(took >= 240_000 && took <= 305_000, `took ${took} ms`);
  });

  it('probing past the most the server accepted in a window, requests go one at a time (one 429, not one per request in the air)', async () => {
    const server = new FakeServer(clock, 45, 60_000, false);
    const budget = new RequestBudget({ clock });
    // Answers take long (an upload): many requests would be in the air when the limit is reached.
    const { refusedSeen } = await drive(clock, budget, server, 100, { latencyMs: 1500, workers: 8 });
    assert.equal(refusedSeen, 1);
    assert.equal(budget.state().limit, 45);
  });

  it('learns limit, remaining and reset from the headers and paces to them', async () => {
    const budget = new RequestBudget({ clock });
    const first = await budget.acquire('start');
    const reset = Math.floor(clock.now() / 1000) + 60;
    first.observe({
      status: 202,
      headers: new Headers({
        'X-RateLimit-Limit': '600',
        'X-RateLimit-Remaining': '3',
        'X-RateLimit-Reset': String(reset),
        'X-RateLimit-Limit-Type': 'minute',
      }),
    });
    const s = budget.state();
    assert.equal(s.source, 'server');
    assert.equal(s.limit, 600);
    assert.equal(s.remaining, 3);
    const got = collect(budget, 5, 'interactive');
    await flush();
    assert.equal(got.tickets.length, 3, 'only what the window has left');
    await clock.advance(reset * 1000 - clock.now());
    assert.equal(got.tickets.length, 3, 'not before the reset (plus its margin)');
    await clock.advance(1200);
    assert.equal(got.tickets.length, 5);
  });

  it('once the server states its window, a batch spends it without a pace, keeping a single run its requests', async () => {
    // 16 a minute, stated on every answer: a batch of 12 needs 24 requests, two windows whatever the pace,
    // so pacing within a window only delays the last ones of the second window.
    const server = new FakeServer(clock, 16, 60_000);
    const budget = new RequestBudget({ clock });
    (await budget.acquire('check', { priority: 'batch' })).observe(server.answer());
    assert.equal(budget.state().interactiveReserve, 4, 'a start and the three looks of a single run');
    const batch = collect(budget, 23, 'batch');
    await flush();
    assert.equal(batch.tickets.length, 11, 'all but the reserve at once');
    let person = 0;
    for (let i = 0; i < 4; i++) {
      void budget.acquire('status', { priority: 'interactive' }).then(() => person++);
    }
    await flush();
    assert.equal(person, 4, "a person's single run still goes at once");
  });

  it('counts requests still in the air once: those sent before an answered one are in its remaining already', async () => {
    const budget = new RequestBudget({ clock });
    const reset = Math.floor(clock.now() / 1000) + 60;
    const headers = (remaining: number) => ({
      'x-ratelimit-limit': '16',
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(reset),
      'x-ratelimit-limit-type': 'minute',
    });
    (await budget.acquire('check', { priority: 'batch' })).observe({ status: 200, headers: headers(15) });
    // Four uploads in the air; the last one sent answers first, counted with the three sent before it.
    const uploads = await Promise.all(Array.from({ length: 4 }, () => budget.acquire('start', { priority: 'batch' })));
    uploads[3].observe({ status: 202, headers: headers(11) });
    assert.equal(budget.state().remaining, 11, 'not 11 − the 3 sent before it, still in the air');
    // An answer to an earlier one: the one sent after it, still in the air, may not be in its count.
    uploads[1].observe({ status: 202, headers: headers(11) });
    assert.equal(budget.state().remaining, 10);
  });

  it('on a 429 pauses every kind and priority until the reset, learning from the body alone', async () => {
    const budget = new RequestBudget({ clock, defaultLimit: 600 });
    const t = await budget.acquire('status');
    const resetTime = Math.floor(clock.now() / 1000) + 20;
    t.observe({
      status: 429,
      body: { error: 'Rate limit exceeded', limitType: 'hour', limit: 1000, remaining: 0, resetTime, retryAfter: 20 },
    });
    const s = budget.state();
    assert.equal(s.limit, 1000);
    assert.equal(s.limitType, 'hour');
    assert.equal(s.rateLimited, 1);
    assert.ok(s.pausedUntil && s.pausedUntil >= clock.now() + 20_000);
    const order: string[] = [];
    void budget.acquire('start', { priority: 'batch' }).then(() => order.push('start'));
    void budget.acquire('status', { priority: 'interactive' }).then(() => order.push('status'));
    void budget.acquire('check').then(() => order.push('check'));
    await clock.advance(19_999);
    assert.deepEqual(order, []);
    // usage is never limited by DocuTray: it passes even now.
    await budget.acquire('usage');
    await clock.advance(200);
    assert.deepEqual(order.sort(), ['check', 'start', 'status']);
  });

  it('gives the next request to an interactive poll before batch requests that queued earlier', async () => {
    const budget = await primed(new RequestBudget({ clock, defaultLimit: 60, burst: 1 }));
    await clock.advance(1000);
    await budget.acquire('status');
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      void budget.acquire('status', { priority: 'batch' }).then(() => order.push(`batch${i}`));
    }
    await flush();
    void budget.acquire('status', { priority: 'interactive' }).then(() => order.push('interactive'));
    void budget.acquire('start', { priority: 'background' }).then(() => order.push('background'));
    await clock.advance(5000);
    assert.deepEqual(order, ['interactive', 'batch0', 'batch1', 'batch2', 'background']);
  });

  it('a cancelled wait rejects with the signal reason and leaves the queue moving', async () => {
    const budget = await primed(new RequestBudget({ clock, defaultLimit: 60, burst: 1 }));
    await clock.advance(1000);
    await budget.acquire('status');
    const ac = new AbortController();
    const cancelled = budget.acquire('status', { signal: ac.signal, priority: 'batch' });
    const next = budget.acquire('status', { priority: 'batch' });
    ac.abort(new Error('stop'));
    await assert.rejects(cancelled, /stop/);
    let got = false;
    void next.then(() => {
      got = true;
    });
    await clock.advance(1000);
    assert.ok(got);
    await assert.rejects(
      budget.acquire('status', { signal: AbortSignal.abort(new Error('already')), priority: 'batch' }),
      /already/,
    );
    assert.equal(budget.state().waiting, 0);
  });

  it('whenAvailable waits without taking a request', async () => {
    const budget = await primed(new RequestBudget({ clock, defaultLimit: 60, burst: 1 }));
    await clock.advance(1000);
    await budget.whenAvailable();
    await budget.whenAvailable();
    assert.equal(budget.state().granted, 1);
    await budget.acquire('start');
    let ready = false;
    void budget.whenAvailable({ priority: 'batch' }).then(() => {
      ready = true;
    });
    await clock.advance(999);
    assert.equal(ready, false);
    await clock.advance(1);
    assert.equal(ready, true);
    assert.equal(budget.state().granted, 2);
  });

  it('in steady state against a 60/min fixed-window server: no 429 and close to the limit', async () => {
    const server = new FakeServer(clock, 60, 60_000);
    const budget = new RequestBudget({ clock });
    const t0 = clock.now();
    let lastAt = t0;
    // Eight workers asking for requests as fast as they are given, each answered 50 ms later: 300 in all.
    let wanted = 300;
    const worker = async () => {
      while (wanted-- > 0) {
        const ticket = await budget.acquire('status', { priority: 'batch' });
        await clock.sleep(50);
        ticket.observe(server.answer());
        lastAt = clock.now();
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await clock.advance(10 * 60_000);
    await Promise.all(workers);
    assert.equal(server.refused, 0, 'no 429');
    assert.equal(server.served, 300);
    // 300 at 60 a window: the 300th can go at the start of the fifth window at the earliest (240 s),
    // and in practice, spread within each window and a second of margin at each reset, by about 300 s.
    const took = lastAt - t0;
    assert.ok(took >= 240_000 && took <= 305_000, `took ${took} ms`);
  });

  it('after a 429 (the limit shared with another tool) it waits for the reset, then carries on without another', async () => {
    const server = new FakeServer(clock, 60, 60_000);
    // Someone else spent 55 of this window.
    for (let i = 0; i < 55; i++) {
      server.answer();
    }
    const budget = new RequestBudget({ clock, defaultLimit: 600 });
    let refusedSeen = 0;
    const worker = async () => {
      for (let i = 0; i < 30; i++) {
        const ticket = await budget.acquire('status', { priority: 'batch' });
        await clock.sleep(20);
        const a = server.answer();
        if (a.status === 429) {
          refusedSeen++;
        }
        ticket.observe(a);
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await clock.advance(10 * 60_000);
    await Promise.all(workers);
    assert.ok(refusedSeen <= 4, `at most the requests already in flight are refused (${refusedSeen})`);
    assert.equal(server.served - 55, 120);
  });

  it('one budget per key', () => {
    const reg = new BudgetRegistry({ clock });
    assert.equal(reg.forKey('a'), reg.forKey('a'));
    assert.notEqual(reg.forKey('a'), reg.forKey('b'));
  });

  it("a person's polls are not paced at the default: single runs in a row keep the fast schedule", async () => {
    const budget = await primed(new RequestBudget({ clock }));
    // Eight runs in a row, each a start and polls on the adaptive schedule (0.2, 0.5, 0.8, 1.1, 1.4 s),
    // half a second apart: 48 requests in 14 s, where the default allows 30 a minute.
    const schedule = [0, 200, 500, 800, 1100, 1400];
    let late = 0;
    for (let run = 0; run < 8; run++) {
      const runStart = clock.now();
      for (const at of schedule) {
        await clock.advance(runStart + at - clock.now());
        const asked = clock.now();
        let grantedAt: number | undefined;
        void budget.acquire('status').then(t => {
          grantedAt = clock.now();
          t.observe({ status: 200, headers: {} });
        });
        await flush();
        if (grantedAt !== asked) {
          late++;
          await clock.advance(60_000);
        }
      }
      await clock.advance(500);
    }
    assert.equal(late, 0, 'every poll went at its planned instant');
    assert.ok(budget.state().limit > 30, 'and the budget probed up on the way');
  });

  it('keeps the last requests of each window for a person: a batch may spend them only in its last tenth', async () => {
    // Learned 60 a minute: 10 of each window are kept for interactive requests.
    const budget = new RequestBudget({ clock, learned: { limit: 60, limitType: 'minute' } });
    await primed(budget);
    assert.equal(budget.state().interactiveReserve, 10);
    const batch = collect(budget, 100, 'batch');
    await clock.advance(40_000);
    // 1 + 49 spent: the batch stops at the reserve, well before the window ends.
    assert.equal(batch.tickets.length, 49);
    assert.equal(budget.state().remaining, 10);
    let person = 0;
    for (let i = 0; i < 4; i++) {
      void budget.acquire('status', { priority: 'interactive' }).then(() => person++);
    }
    await flush();
    assert.equal(person, 4, "a person's requests go at once from the reserve");
    await clock.advance(13_000);
    assert.equal(batch.tickets.length, 49, 'not yet the last tenth');
    await clock.advance(2500);
    assert.equal(batch.tickets.length, 55, 'in the last tenth the batch takes what the person left');
    assert.equal(budget.state().remaining, 0);
  });

  it('with no person about, a batch may spend the reserve from the last quarter of the window: it loses no time to it', async () => {
    const budget = new RequestBudget({ clock, learned: { limit: 60, limitType: 'minute' } });
    (await budget.acquire('check', { priority: 'batch' })).observe({ status: 200, headers: {} });
    const batch = collect(budget, 100, 'batch');
    await clock.advance(44_000);
    assert.equal(batch.tickets.length, 49);
    await clock.advance(2000);
    // At its own pace (a burst of 15, then one a second) it would have spent the window by now anyway.
    assert.equal(batch.tickets.length, 59);
  });

  it('a Retry-After of a year: the pause is bounded (a day), its end is known, and no timer is longer than allowed', async () => {
    const delays: number[] = [];
    const spy: BudgetClock = {
      now: () => clock.now(),
      setTimer: (fn, ms) => {
        delays.push(ms);
        return clock.setTimer(fn, ms);
      },
      clearTimer: h => clock.clearTimer(h),
    };
    const budget = new RequestBudget({ clock: spy, learned: { limit: 60, limitType: 'minute' } });
    const t = await budget.acquire('start');
    t.observe({
      status: 429,
      headers: { 'retry-after': String(365 * 86_400) },
      body: { error: 'Rate limit exceeded' },
    });
    const day = 86_400_000;
    assert.ok(budget.pausedForMs() <= day && budget.pausedForMs() > day - 1000, String(budget.pausedForMs()));
    assert.equal(budget.pausedUntil(), clock.now() + budget.pausedForMs());
    assert.equal(budget.state().pausedUntil, budget.pausedUntil());
    let went = false;
    void budget.acquire('status', { priority: 'batch' }).then(() => {
      went = true;
    });
    await clock.advance(day - 2000);
    assert.equal(went, false);
    await clock.advance(3000);
    assert.equal(went, true, 'it goes once the bounded pause ends');
    assert.ok(delays.length < 10, `${delays.length} timers: no busy loop`);
    assert.ok(
      delays.every(ms => ms <= MAX_TIMER_MS),
      String(delays),
    );
    assert.equal(budget.pausedUntil(), undefined);
  });

  it('a reset sent in milliseconds is read as such, not as a date 50,000 years away', async () => {
    const budget = new RequestBudget({ clock });
    const t = await budget.acquire('status');
    t.observe({
      status: 429,
      headers: { 'x-ratelimit-reset': String(clock.now() + 30_000), 'x-ratelimit-limit': '60' },
      body: {},
    });
    const ms = budget.pausedForMs();
    assert.ok(ms >= 30_000 && ms <= 30_200, `paused ${ms} ms`);
  });

  it("times a reset from the answer's Date header when the local clock is 120 s behind (or ahead of) the server", async () => {
    for (const skew of [120_000, -120_000]) {
      const budget = new RequestBudget({ clock });
      const server = clock.now() + skew;
      const t = await budget.acquire('status');
      // The server's window ends 60 s from its own now; no Retry-After to go by.
      t.observe({
        status: 429,
        headers: {
          date: new Date(server).toUTCString(),
          'x-ratelimit-reset': String(Math.ceil(server / 1000) + 60),
        },
        body: { limit: 60, limitType: 'minute' },
      });
      const ms = budget.pausedForMs();
      assert.ok(ms >= 60_000 && ms <= 62_200, `skew ${skew}: paused ${ms} ms, not 60 s ${skew > 0 ? '+' : '-'} 120 s`);
      await clock.advance(70_000);
    }
    // Ordinary answers too: the window ends 30 s after the answer, whatever the local clock says.
    const budget = new RequestBudget({ clock });
    const t = await budget.acquire('status');
    const server = clock.now() + 120_000;
    t.observe({
      status: 200,
      headers: {
        date: new Date(server).toUTCString(),
        'x-ratelimit-limit': '60',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.ceil(server / 1000) + 30),
      },
    });
    const resetIn = (budget.state().resetAt as number) - clock.now();
    assert.ok(resetIn >= 30_000 && resetIn <= 32_200, `window ends in ${resetIn} ms`);
  });

  it('remembers a limit the server stated, per key, and the next budget of that key starts at it (no probing, no 429)', async () => {
    const kept = new Map<string, LearnedLimit>();
    const store = { get: (id: string) => kept.get(id), set: (id: string, l: LearnedLimit) => void kept.set(id, l) };
    const first = new BudgetRegistry({ clock }, store).forKey('digest-a');
    const server = new FakeServer(clock, 60, 60_000, false);
    await drive(clock, first, server, 80);
    assert.equal(server.refused, 1);
    assert.deepEqual([...kept], [['digest-a', { limit: 60, limitType: 'minute' }]]);
    // A new session: a new registry over the same store.
    clock = new FakeClock(clock.now() + 3_600_000);
    const next = new BudgetRegistry({ clock }, store).forKey('digest-a');
    const s = next.state();
    assert.deepEqual([s.source, s.limit, s.probing], ['learned', 60, false]);
    const again = new FakeServer(clock, 60, 60_000, false);
    await drive(clock, next, again, 200);
    assert.equal(again.refused, 0, 'no 429: the limit was known');
    assert.equal(
      new BudgetRegistry({ clock }, store).forKey('digest-b').state().source,
      'default',
      'another key probes',
    );
  });
});
