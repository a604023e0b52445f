/**
 * A budget's share of a key's limit: n processes on one key (the jobs of a CI matrix, `--shard i/n`) each
 * take 1/n, so together they stay under the key's limit instead of refusing each other with 429s. Driven
 * on a fake clock against one fixed-window limiter for the key, as DocuTray counts per key.
 */
import * as assert from 'node:assert/strict';
import { RequestBudget } from '../../../../src/core/api/budget';
import { FakeClock, flush } from '../../fake-clock';

/** The key's limiter: `limit` a minute; the `X-RateLimit-*` headers on every answer, or on its 429s only. */
class KeyLimiter {
  private windowEnd = 0;
  private count = 0;
  served = 0;
  refused = 0;
  /** The most requests served in one window. */
  peak = 0;
  constructor(
    private readonly clock: FakeClock,
    readonly limit: number,
    readonly advertise: boolean,
  ) {}

  answer(): { status: number; headers: Record<string, string>; body?: unknown } {
    const now = this.clock.now();
    if (now >= this.windowEnd) {
      this.windowEnd = now + 60_000;
      this.count = 0;
    }
    const resetS = Math.ceil(this.windowEnd / 1000);
    const headers = (remaining: number) => ({
      'x-ratelimit-limit': String(this.limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-reset': String(resetS),
      'x-ratelimit-limit-type': 'minute',
    });
    if (this.count >= this.limit) {
      this.refused++;
      const retryAfter = Math.ceil((this.windowEnd - now) / 1000);
      return {
        status: 429,
        headers: { ...headers(0), 'retry-after': String(retryAfter) },
        body: { limitType: 'minute', limit: this.limit, remaining: 0, resetTime: resetS, retryAfter },
      };
    }
    this.count++;
    this.served++;
    this.peak = Math.max(this.peak, this.count);
    return { status: 200, headers: this.advertise ? headers(this.limit - this.count) : {} };
  }
}

/** `n` requests through `budget` by `workers` at once, each answered 50 ms after it is granted; a 429 is sent again. */
function drive(clock: FakeClock, budget: RequestBudget, key: KeyLimiter, n: number, workers = 4) {
  const out = { done: 0, refusedSeen: 0, lastAt: 0 };
  let wanted = n;
  const worker = async () => {
    while (wanted > 0) {
      wanted--;
      for (;;) {
        const ticket = await budget.acquire('status', { priority: 'batch' });
        await clock.sleep(50);
        const a = key.answer();
        ticket.observe(a);
        if (a.status !== 429) {
          break;
        }
        out.refusedSeen++;
      }
      out.done++;
      out.lastAt = clock.now();
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return { out, all };
}

/** Three budgets on one key at once, `share` each, 100 requests each; the clock run for 15 minutes. */
async function threeJobs(clock: FakeClock, key: KeyLimiter, share: number | undefined) {
  const budgets = [0, 1, 2].map(() => new RequestBudget({ clock, share }));
  const runs = budgets.map(b => drive(clock, b, key, 100));
  await clock.advance(15 * 60_000);
  await Promise.all(runs.map(r => r.all));
  return { budgets, runs: runs.map(r => r.out) };
}

describe('request budget: a share of the key', () => {
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock();
  });

  it('takes its part of the default, of a remembered limit and of a stated one', async () => {
    const half = new RequestBudget({ clock, share: 1 / 2 });
    assert.deepEqual([half.state().limit, half.state().allowance], [30, 15]);
    assert.equal(half.ratePerMs, 15 / 60_000, 'paced at its part');
    const third = new RequestBudget({ clock, share: 1 / 3, learned: { limit: 60, limitType: 'minute' } });
    assert.deepEqual([third.state().limit, third.state().allowance, third.state().remaining], [60, 20, 20]);
    const tiny = new RequestBudget({ clock, share: 1 / 50, learned: { limit: 20, limitType: 'minute' } });
    assert.equal(tiny.state().allowance, 1, 'never less than one request a window');
    for (const share of [0, -1, 2, Number.NaN]) {
      assert.equal(new RequestBudget({ clock, share }).state().share, 1, `share ${share} is all of it`);
    }
    // A limit stated in the headers is the key's; this budget sends a third of it per window.
    const budget = new RequestBudget({ clock, share: 1 / 3 });
    const reset = Math.ceil(clock.now() / 1000) + 60;
    (await budget.acquire('start')).observe({
      status: 202,
      headers: {
        'x-ratelimit-limit': '90',
        'x-ratelimit-remaining': '89',
        'x-ratelimit-reset': String(reset),
        'x-ratelimit-limit-type': 'minute',
      },
    });
    assert.deepEqual([budget.state().limit, budget.state().allowance, budget.state().remaining], [90, 30, 29]);
    let granted = 0;
    for (let i = 0; i < 60; i++) {
      void budget.acquire('status', { priority: 'interactive' }).then(t => {
        granted++;
        t.observe({ status: 200, headers: {} });
      });
    }
    await flush();
    assert.equal(granted, 29, 'its part of the window, not the 89 the key has left');
  });

  it('three jobs on a 60/min key that states its limit only on 429s: one 429 each at most, then none', async () => {
    const key = new KeyLimiter(clock, 60, false);
    const { budgets, runs } = await threeJobs(clock, key, 1 / 3);
    assert.deepEqual(
      runs.map(r => r.done),
      [100, 100, 100],
    );
    assert.ok(key.refused <= 3, `${key.refused} 429s: each job learns the limit once at most`);
    for (const b of budgets) {
      assert.deepEqual([b.state().limit, b.state().allowance, b.state().source], [60, 20, 'learned']);
    }
    // 300 requests at 60 a minute take at least four minutes, whatever the number of jobs.
    const took = Math.max(...runs.map(r => r.lastAt)) - 1_700_000_000_000;
    assert.ok(took >= 240_000 && took <= 6.5 * 60_000, `took ${took} ms`);
  });

  it('three jobs on a key that states its limit on every answer: no 429 at all', async () => {
    const key = new KeyLimiter(clock, 60, true);
    const { budgets, runs } = await threeJobs(clock, key, 1 / 3);
    assert.deepEqual(
      runs.map(r => r.done),
      [100, 100, 100],
    );
    assert.equal(key.refused, 0);
    assert.ok(key.peak <= 60);
    for (const b of budgets) {
      assert.deepEqual([b.state().limit, b.state().allowance, b.state().source], [60, 20, 'server']);
    }
  });

  it('without shares, the same three jobs refuse each other again and again', async () => {
    const key = new KeyLimiter(clock, 60, false);
    await threeJobs(clock, key, undefined);
    assert.ok(key.refused > 6, `${key.refused} 429s`);
  });
});
