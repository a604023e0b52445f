/**
 * The learning part of the request budget alone (src/core/api/limitLearner.ts): what the headers or a 429
 * teach, the refusal without a figure, the probe that doubles the default's guess, and what is remembered.
 */
import * as assert from 'node:assert/strict';
import { WINDOW_MS } from '../../../../src/core/api/budget';
import { LimitLearner, type LimitLearnerOptions } from '../../../../src/core/api/limitLearner';
import type { LearnedLimit } from '../../../../src/core/api/limitMemory';
import type { RateLimitReading } from '../../../../src/core/api/rateLimit';

function learner(extra: Partial<LimitLearnerOptions> = {}, now = 0): LimitLearner {
  return new LimitLearner(
    {
      defaultLimit: 30,
      defaultLimitType: 'minute',
      windowMsByType: { ...WINDOW_MS },
      probeStepMs: 5000,
      probeCeiling: 3000,
      share: 1,
      ...extra,
    },
    now,
  );
}

const reading = (r: Partial<RateLimitReading>): RateLimitReading => ({ resetRounded: false, headers: false, ...r });

describe('the limit learner', () => {
  it('starts at the default and probes; a quarter of the default goes before answers say more', () => {
    const l = learner();
    assert.deepEqual(
      [l.limit, l.limitType, l.windowMs, l.source, l.probing, l.safe],
      [30, 'minute', 60_000, 'default', true, 7],
    );
  });

  it('a limit learned before (valid, own window type) is where it starts; anything else is ignored', () => {
    assert.deepEqual(
      [
        learner({ learned: { limit: 16, limitType: 'hour' } }).limit,
        learner({ learned: { limit: 16, limitType: 'hour' } }).source,
      ],
      [16, 'learned'],
    );
    assert.equal(learner({ learned: { limit: 16, limitType: 'hour' } }).windowMs, 3_600_000);
    const hostile = learner({ learned: { limit: 16, limitType: '__proto__' } });
    assert.deepEqual([hostile.limit, hostile.source, hostile.windowMs], [30, 'default', 60_000]);
  });

  it('a 429 body teaches the limit and its window, remembered once; headers make the server the source', () => {
    const told: LearnedLimit[] = [];
    const l = learner({ onLearned: x => told.push(x) });
    l.learn(reading({ limit: 16, limitType: 'minute' }), true);
    assert.deepEqual([l.limit, l.source, l.probing], [16, 'learned', false]);
    l.learn(reading({ limit: 16, limitType: 'minute' }), true);
    assert.deepEqual(told, [{ limit: 16, limitType: 'minute' }], 'the same figure is not remembered again');
    l.learn(reading({ limit: 100, limitType: 'hour', headers: true }), false);
    assert.deepEqual([l.limit, l.limitType, l.windowMs, l.source], [100, 'hour', 3_600_000, 'server']);
    assert.equal(told.length, 2);
  });

  it('a refusal without a figure guesses the limit from what the window accepted (of its share)', () => {
    const l = learner({ share: 0.5 });
    l.refused(6, false);
    assert.deepEqual([l.limit, l.source], [12, 'learned']);
    const told = learner();
    told.refused(6, true);
    assert.deepEqual([told.limit, told.source], [30, 'default'], 'a figure was told: nothing is guessed');
  });

  it('the probe doubles the guess once per step while requests are wanted, up to its ceiling', () => {
    const l = learner({ probeCeiling: 100 });
    assert.equal(l.probeStep(4999, 0), 0, 'not a step yet');
    assert.equal(l.probeStep(5000, 0), 0, 'nothing wanted: no growth');
    l.wanted();
    assert.equal(l.probeStep(10_000, 0), 30);
    assert.equal(l.limit, 60);
    assert.equal(l.probeStep(15_000, 30), 40, 'half the allowance sent counts as wanted; capped at the ceiling');
    assert.equal(l.limit, 100);
    l.wanted();
    assert.equal(l.probeStep(20_000, 0), 0);
    assert.equal(l.nextProbeAt, 25_000);
  });

  it('the most accepted in a window only grows', () => {
    const l = learner();
    l.accepted(12);
    l.accepted(3);
    assert.equal(l.safe, 12);
  });
});
