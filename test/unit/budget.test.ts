import * as assert from 'node:assert/strict';
import { BudgetRegistry, RequestBudget, readHeaders, type BudgetTicket } from '../../src/core/api/budget';
import { FakeClock, flush } from './fake-clock';

/** A server-side fixed-window limiter on the same fake clock, answering like DocuTray (§0). */
class FakeServer {
  private windowEnd = 0;
  private count = 0;
  served = 0;
  refused = 0;
  constructor(
    private clock: FakeClock,
    readonly limit: number,
    readonly windowMs: number,
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
      headers: {
        'x-ratelimit-limit': String(this.limit),
        'x-ratelimit-remaining': String(this.limit - this.count),
        'x-ratelimit-reset': String(resetS),
        'x-ratelimit-limit-type': 'minute',
      },
    };
  }
}

/** A budget that has seen one answer (without limit headers). */
async function primed(budget: RequestBudget): Promise<RequestBudget> {
  (await budget.acquire('check')).observe({ status: 200, headers: {} });
  return budget;
}

function collect(
  budget: RequestBudget,
  n: number,
  priority: 'interactive' | 'batch' = 'batch',
): { times: number[]; tickets: BudgetTicket[]; clock?: FakeClock } {
  const out = { times: [] as number[], tickets: [] as BudgetTicket[] };
  for (let i = 0; i < n; i++) {
    void budget.acquire('status', { priority }).then(t => {
      out.tickets.push(t);
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

  it('answers without limit headers: a small burst, then the conservative default rate (30/min = one per 2 s)', async () => {
    const budget = new RequestBudget({ clock });
    await primed(budget);
    await clock.advance(60_000);
    const got = collect(budget, 10);
    await flush();
    assert.equal(got.tickets.length, 8, 'burst of limit/4 = 8 (rounded)');
    await clock.advance(1999);
    assert.equal(got.tickets.length, 8);
    await clock.advance(1);
    assert.equal(got.tickets.length, 9);
    await clock.advance(2000);
    assert.equal(got.tickets.length, 10);
    assert.equal(budget.state().source, 'default');
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
    const got = collect(budget, 5);
    await flush();
    assert.equal(got.tickets.length, 3, 'only what the window has left');
    await clock.advance(reset * 1000 - clock.now());
    assert.equal(got.tickets.length, 3, 'not before the reset (plus its margin)');
    await clock.advance(1200);
    assert.equal(got.tickets.length, 5);
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
    const cancelled = budget.acquire('status', { signal: ac.signal });
    const next = budget.acquire('status');
    ac.abort(new Error('stop'));
    await assert.rejects(cancelled, /stop/);
    let got = false;
    void next.then(() => {
      got = true;
    });
    await clock.advance(1000);
    assert.ok(got);
    await assert.rejects(budget.acquire('status', { signal: AbortSignal.abort(new Error('already')) }), /already/);
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

  it('with unadvertised: "unlimited", stops pacing when answers carry no limit headers, until a 429', async () => {
    const budget = new RequestBudget({ clock, unadvertised: 'unlimited' });
    (await budget.acquire('start')).observe({ status: 202, headers: {} });
    assert.equal(budget.state().source, 'unlimited');
    const got = collect(budget, 50);
    await flush();
    assert.equal(got.tickets.length, 50);
    got.tickets[0].observe({ status: 429, headers: { 'retry-after': '3' } });
    assert.notEqual(budget.state().source, 'unlimited');
    let after = false;
    void budget.acquire('status').then(() => {
      after = true;
    });
    await clock.advance(2900);
    assert.equal(after, false);
    await clock.advance(300);
    assert.equal(after, true);
  });

  it('keeps pacing to the default when answers carry no headers (the default mode)', async () => {
    const budget = new RequestBudget({ clock });
    (await budget.acquire('start')).observe({ status: 202, headers: {} });
    assert.equal(budget.state().source, 'default');
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

  it('reads Retry-After as seconds or an HTTP date, and X-RateLimit-* from Headers or a record', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(readHeaders({ 'Retry-After': '7' }, now).retryAfterMs, 7000);
    assert.equal(readHeaders(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:09 GMT' }), now).retryAfterMs, 9000);
    assert.equal(readHeaders({ 'retry-after': '-3' }, now).retryAfterMs, undefined);
    assert.deepEqual(
      readHeaders(
        new Headers({
          'X-RateLimit-Limit': '60',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset': '1767225660',
          'X-RateLimit-Limit-Type': 'Minute',
        }),
        now,
      ),
      { limit: 60, remaining: 0, reset: 1767225660, limitType: 'minute', retryAfterMs: undefined },
    );
  });

  it('one budget per key', () => {
    const reg = new BudgetRegistry({ clock });
    assert.equal(reg.forKey('a'), reg.forKey('a'));
    assert.notEqual(reg.forKey('a'), reg.forKey('b'));
  });
});
