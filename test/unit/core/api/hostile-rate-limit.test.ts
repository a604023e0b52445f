/**
 * A 429's body is data from outside: every field is read as the body's own, type-checked, before the
 * budget learns it or the learned-limits store keeps it; and what the store gives back is checked again.
 * `limitType: "__proto__"` or `"constructor"` once turned the window length into an object or a function.
 */
import * as assert from 'node:assert/strict';
import { RequestBudget, type BudgetTicket, type LearnedLimit } from '../../../../src/core/api/budget';
import { learnedLimitStore, LEARNED_LIMITS_STATE_KEY } from '../../../../src/core/api/learnedLimits';
import { readRateLimit, rateLimitInfo } from '../../../../src/core/api/rateLimit';
import { FakeClock, flush } from '../../fake-clock';

const HOSTILE_TYPES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'weeks', ''];

function memoryState(): {
  values: Map<string, unknown>;
  state: { get<T>(k: string): T | undefined; update(k: string, v: unknown): Promise<void> };
} {
  const values = new Map<string, unknown>();
  return {
    values,
    state: {
      get: <T>(k: string) => values.get(k) as T | undefined,
      update: (k: string, v: unknown) => {
        // As VS Code's global state does: the value goes through JSON.
        values.set(k, JSON.parse(JSON.stringify(v)));
        return Promise.resolve();
      },
    },
  };
}

/** A 429 body as it comes off the wire: parsed from text, so `__proto__` is an own key. */
function wireBody(fields: string): unknown {
  return JSON.parse(`{"error":"Rate limit exceeded",${fields}}`);
}

describe('hostile 429 bodies and stored limits', () => {
  it('reads only own, well-typed fields of a 429 body', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    for (const t of HOSTILE_TYPES) {
      const r = readRateLimit({ status: 429, body: wireBody(`"limitType":${JSON.stringify(t)},"limit":10`) }, now);
      assert.equal(r.limitType, undefined, `limitType ${JSON.stringify(t)} is not a window`);
      assert.equal(r.limit, 10);
      const h = readRateLimit({ status: 429, headers: { 'x-ratelimit-limit-type': t } }, now);
      assert.equal(h.limitType, undefined, `header limit type ${JSON.stringify(t)} is not a window`);
    }
    assert.equal(readRateLimit({ status: 429, body: wireBody('"limitType":"Hours"') }, now).limitType, 'hour');
    // Inherited names are not the body's: an object whose prototype carries them gives nothing.
    const inherited = Object.create({ limit: 5, limitType: 'minute', retryAfter: 30, resetTime: now / 1000 + 9 });
    const r = readRateLimit({ status: 429, body: inherited }, now);
    assert.deepEqual([r.limit, r.limitType, r.retryAfterMs, r.resetAt], [undefined, undefined, undefined, undefined]);
    // Wrong types: objects, arrays, booleans where numbers belong.
    const wrong = readRateLimit(
      { status: 429, body: wireBody('"limit":{"valueOf":1},"remaining":[3],"retryAfter":true,"resetTime":"soon"') },
      now,
    );
    assert.deepEqual(
      [wrong.limit, wrong.remaining, wrong.retryAfterMs, wrong.resetAt],
      [undefined, undefined, undefined, undefined],
    );
    assert.equal(rateLimitInfo({ status: 429, body: wireBody('"limitType":"constructor"') }, now).limitType, undefined);
  });

  for (const t of ['__proto__', 'constructor']) {
    it(`keeps pacing after a 429 saying limitType "${t}", and neither learns nor saves it`, async () => {
      const clock = new FakeClock();
      const learned: LearnedLimit[] = [];
      const budget = new RequestBudget({ clock, defaultLimit: 30, onLearned: l => learned.push(l) });
      const ticket = await budget.acquire('status');
      const resetTime = Math.ceil(clock.now() / 1000) + 2;
      ticket.observe({
        status: 429,
        headers: {},
        body: wireBody(`"limitType":${JSON.stringify(t)},"limit":10,"remaining":0,"resetTime":${resetTime}`),
      });
      const s = budget.state();
      assert.equal(typeof s.windowMs, 'number');
      assert.equal(s.windowMs, 60_000, 'the window stays a minute');
      assert.equal(s.limitType, 'minute');
      assert.equal(s.limit, 10, 'the limit itself is a good number, and is learned');
      assert.deepEqual(learned, [{ limit: 10, limitType: 'minute' }]);
      // Past the pause, 500 requests wanted at once: one window's worth goes in the next second, not all.
      await clock.advance(5_000);
      const granted: BudgetTicket[] = [];
      for (let i = 0; i < 500; i++) {
        void budget.acquire('status', { priority: 'batch' }).then(g => {
          granted.push(g);
          g.observe({ status: 200, headers: {} });
        });
      }
      await clock.advance(1_000);
      await flush();
      assert.ok(granted.length <= 10, `${granted.length} of 500 requests granted within a second at 10/minute`);
    });
  }

  it('the store never saves a limit it could not read back, and checks what it restores', async () => {
    const { values, state } = memoryState();
    let t = 0;
    const store = learnedLimitStore(state, { now: () => ++t });
    store.set('digest-a', { limit: 60, limitType: 'minute' });
    for (const bad of ['__proto__', 'constructor', 'toString']) {
      store.set('digest-b', { limit: 60, limitType: bad });
    }
    store.set('digest-c', { limit: Number.NaN, limitType: 'minute' });
    store.set('digest-d', { limit: Infinity, limitType: 'minute' });
    await flush();
    assert.deepEqual(Object.keys(values.get(LEARNED_LIMITS_STATE_KEY) as object), ['digest-a']);
    // Restored from a profile another window, an older version or a person wrote.
    values.set(
      LEARNED_LIMITS_STATE_KEY,
      JSON.parse(
        '{"__proto__":{"limit":60,"limitType":"minute","at":1},' +
          '"constructor":{"limit":60,"limitType":"constructor","at":2},' +
          '"p":{"limit":60,"limitType":"__proto__","at":3},' +
          '"s":{"limit":"60","limitType":"minute","at":4},' +
          '"i":{"__proto__":{"limit":60,"limitType":"minute"}},' +
          '"ok":{"limit":12,"limitType":"hour","at":"late"}}',
      ),
    );
    assert.equal(store.get('constructor'), undefined);
    assert.equal(store.get('p'), undefined);
    assert.equal(store.get('s'), undefined, 'a stored limit is a number, not text');
    assert.equal(store.get('i'), undefined, 'inherited fields are not the entry');
    assert.equal(store.get('toString'), undefined);
    assert.deepEqual(store.get('__proto__'), { limit: 60, limitType: 'minute' }, 'a digest is data');
    assert.deepEqual(store.get('ok'), { limit: 12, limitType: 'hour' });
    // Writing again keeps the good entries only, and the prototype of nothing changes.
    store.set('digest-e', { limit: 30, limitType: 'day' });
    await flush();
    const kept = values.get(LEARNED_LIMITS_STATE_KEY) as Record<string, unknown>;
    assert.deepEqual(Object.keys(kept).sort(), ['__proto__', 'digest-e', 'ok']);
    assert.equal(Object.getPrototypeOf(kept), Object.prototype);
  });
});
