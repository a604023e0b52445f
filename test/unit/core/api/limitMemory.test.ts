/** The budget's persistence (what is restored and told) and its pace, each on its own. */
import * as assert from 'node:assert/strict';
import { learnedLimitStore, LEARNED_LIMITS_STATE_KEY } from '../../../../src/core/api/learnedLimits';
import { LimitMemory, restoredLimit, type LearnedLimit } from '../../../../src/core/api/limitMemory';
import { Pace } from '../../../../src/core/api/pace';
import { WINDOW_MS } from '../../../../src/core/api/budget';
import { flush } from '../../fake-clock';

describe('learned limits', () => {
  it('restores a limit only when it reads as one, with a window of its own (not one inherited)', () => {
    assert.deepEqual(restoredLimit({ limit: 16, limitType: 'minute' }, WINDOW_MS), { limit: 16, limitType: 'minute' });
    for (const bad of [
      { limit: 0, limitType: 'minute' },
      { limit: Infinity, limitType: 'minute' },
      { limit: 16, limitType: 'fortnight' },
      { limit: 16, limitType: 'constructor' },
      { limit: 16, limitType: '__proto__' },
      { limit: 16, limitType: 'toString' },
    ]) {
      assert.equal(restoredLimit(bad, WINDOW_MS), undefined, JSON.stringify(bad));
    }
  });

  it('tells each limit the server states once per change, the restored one counting as told', () => {
    const told: LearnedLimit[] = [];
    const memory = new LimitMemory(l => told.push(l), { limit: 60, limitType: 'minute' });
    memory.note(60, 'minute');
    memory.note(16, 'minute');
    memory.note(16, 'minute');
    memory.note(16, 'hour');
    assert.deepEqual(told, [
      { limit: 16, limitType: 'minute' },
      { limit: 16, limitType: 'hour' },
    ]);
  });

  it('keeps learned limits in a key-value state: the newest 20 keys, nonsense ignored', async () => {
    const values = new Map<string, unknown>();
    const state = {
      get: <T>(k: string) => values.get(k) as T | undefined,
      update: (k: string, v: unknown) => {
        values.set(k, v);
        return Promise.resolve();
      },
    };
    let t = 0;
    const store = learnedLimitStore(state, { now: () => ++t });
    for (let i = 0; i < 25; i++) {
      store.set(`id${i}`, { limit: 60 + i, limitType: 'minute' });
    }
    await flush();
    assert.equal(store.get('id24')?.limit, 84);
    assert.equal(store.get('id4'), undefined, 'the oldest keys are dropped');
    assert.equal(Object.keys(values.get(LEARNED_LIMITS_STATE_KEY) as object).length, 20);
    values.set(LEARNED_LIMITS_STATE_KEY, { a: { limit: 'many' }, b: { limit: 0, limitType: 'minute' }, c: 5 });
    assert.equal(store.get('a'), undefined);
    assert.equal(store.get('b'), undefined);
    assert.equal(store.get('c'), undefined);
  });
});

describe('pace', () => {
  it('a burst, then one request per window share; a 429 empties it', () => {
    let t = 0;
    const pace = new Pace(
      () => 4,
      () => 16 / 60_000,
      t,
    );
    for (let i = 0; i < 4; i++) {
      assert.equal(pace.waitMs(), 0);
      pace.take();
    }
    assert.equal(pace.waitMs(), 3750, 'a token every 60 s / 16');
    t += 3750;
    pace.refill(t);
    assert.equal(pace.waitMs(), 0);
    t += 60_000;
    pace.refill(t);
    pace.empty();
    assert.equal(pace.waitMs(), 3750, 'nothing saved up survives a 429');
  });
});
