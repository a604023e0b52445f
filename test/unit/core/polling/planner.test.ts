import * as assert from 'node:assert/strict';
import {
  expectedEndLooks,
  DEFAULT_PLANNER,
  adaptiveAffordable,
  durationModel,
  pickNextPoll,
  planPolls,
  scalePlanner,
  type DurationModel,
  type PlannedJob,
} from '../../../../src/core/polling/planner';
import { ADAPTIVE_SCHEDULE, pollInstants } from '../../../../src/core/polling/schedule';

const T0 = 1_700_000_000_000;

function job(id: string, startedAfterMs: number, extra: Partial<PlannedJob> = {}): PlannedJob {
  return { id, stepId: 'invoice', startedAt: T0 + startedAfterMs, polls: 0, ...extra };
}

describe('poll planner', () => {
  describe('duration model', () => {
    it('median and percentiles of the recent durations, ignoring nonsense', () => {
      const m = durationModel([10_000, 20_000, 30_000, 40_000, 50_000, NaN, -5]) as DurationModel;
      assert.equal(m.samples, 5);
      assert.equal(m.medianMs, 30_000);
      assert.equal(m.p80Ms, 42_000);
      assert.equal(m.p95Ms, 48_000);
      assert.equal(m.maxMs, 50_000);
      assert.equal(durationModel([]), undefined);
    });
    it('one freak duration does not stop polling for hours: capped by the poll timeout, and left out among many', () => {
      const fiveHours = 5 * 3_600_000;
      const usual = Array.from({ length: 49 }, (_, i) => 19_000 + (i % 5) * 500);
      const m = durationModel([...usual, fiveHours]) as DurationModel;
      assert.equal(m.samples, 49, 'the outlier is left out');
      assert.ok(m.maxMs <= 21_000 && m.p95Ms <= 21_000, JSON.stringify(m));
      // Few durations cannot tell an outlier: the poll timeout bounds it (a run never waits longer).
      const few = durationModel([2000, fiveHours], 50, 300_000) as DurationModel;
      assert.ok(few.maxMs <= 300_000 && few.p80Ms <= 300_000, JSON.stringify(few));
      const plan = pickNextPoll([job('a', 0)], () => few, T0, DEFAULT_PLANNER, { budgetShort: true });
      assert.ok(plan && plan.at - T0 <= 300_000, `first look after ${plan && plan.at - T0} ms`);
      // Durations close together are all kept.
      assert.equal(durationModel([2000, 2000, 2000, 2050])?.samples, 4);
    });
    it('keeps only the most recent samples', () => {
      const old = Array.from({ length: 50 }, () => 60_000);
      const m = durationModel([...old, ...Array.from({ length: 10 }, () => 2000)], 10) as DurationModel;
      assert.equal(m.medianMs, 2000);
    });
  });

  describe('planning', () => {
    const model = durationModel([19_000, 20_000, 20_500, 21_000, 20_000]) as DurationModel;
    const models = (s: string) => (s === 'invoice' ? model : undefined);

    it('a batch job is first looked at when its step is probably done (p80), then at p95, then less often', () => {
      const [p] = planPolls([job('a', 0)], models, T0);
      assert.equal(p.reason, 'predicted');
      assert.equal(p.at, T0 + model.p80Ms);
      const [p2] = planPolls([job('a', 0, { polls: 1, lastPolledAt: T0 + model.p80Ms })], models, T0 + model.p80Ms);
      assert.equal(p2.at, T0 + Math.max(model.p95Ms, model.medianMs * 1.1));
      const [p3] = planPolls([job('a', 0, { polls: 2, lastPolledAt: T0 + 40_000 })], models, T0 + 40_000);
      assert.equal(p3.at, T0 + 40_000 + 10_000, 'a quarter of the time spent');
    });

    it('an interactive single run keeps the adaptive schedule (first look within 300 ms) while the budget allows', () => {
      const j = job('i', 0, { interactive: true });
      const [p] = planPolls([j], models, T0);
      assert.equal(p.at, T0 + ADAPTIVE_SCHEDULE.firstDelayMs);
      const instants = pollInstants(ADAPTIVE_SCHEDULE, 5000);
      const [p2] = planPolls([{ ...j, polls: 1, lastPolledAt: T0 + instants[0] }], models, T0 + instants[0]);
      assert.equal(p2.at, T0 + instants[1]);
      // A short budget: it follows the prediction instead (still picked before the batch).
      const [p3] = planPolls([j], models, T0, DEFAULT_PLANNER, { interactiveAffordable: false });
      assert.equal(p3.reason, 'predicted');
    });

    it('without history, only the oldest job probes; the others wait for what it learns', () => {
      const none = () => undefined;
      const plans = planPolls([job('b', 500), job('a', 0), job('c', 900)], none, T0 + 1000);
      const byId = Object.fromEntries(plans.map(p => [p.job.id, p]));
      assert.equal(byId.a.reason, 'probe');
      assert.equal(byId.a.at, T0 + DEFAULT_PLANNER.probe.firstDelayMs);
      assert.equal(byId.b.at, Infinity);
      assert.equal(byId.c.at, Infinity);
      // A probe that takes suspiciously long lets the others poll on its schedule too.
      const late = planPolls([job('b', 500), job('a', 0)], none, T0 + DEFAULT_PLANNER.probePatienceMs);
      assert.ok(late.every(p => p.reason === 'probe' && Number.isFinite(p.at)));
    });

    it('near the end of a batch the budget holds up, the probe waits for the starts, then polls on its schedule', () => {
      const none = () => undefined;
      const jobs = [job('a', 0), job('b', 500)];
      const waiting = planPolls(jobs, none, T0 + 5000, DEFAULT_PLANNER, { budgetShort: true, startsFirst: true });
      assert.deepEqual(
        waiting.map(p => p.at),
        [Infinity, Infinity],
        'no poll takes a start its place in the window',
      );
      assert.equal(pickNextPoll(jobs, none, T0 + 5000, DEFAULT_PLANNER, { startsFirst: true }), undefined);
      const [probe] = planPolls(jobs, none, T0 + 5000, DEFAULT_PLANNER, { budgetShort: true });
      assert.equal(probe.reason, 'probe');
      assert.equal(probe.at, T0 + DEFAULT_PLANNER.probe.firstDelayMs);
      // A known duration is not a probe: its look at the expected end stays planned.
      const [known] = planPolls([job('a', 0)], models, T0, DEFAULT_PLANNER, { budgetShort: true, startsFirst: true });
      assert.equal(known.reason, 'predicted');
      assert.ok(Number.isFinite(known.at));
    });

    it('schedules one status request per job for a known duration when the budget is short', () => {
      // 12 jobs of a 2 s step (±5 %), the model from earlier runs of it: each looked at when almost surely done.
      const steady = durationModel(Array.from({ length: 20 }, (_, i) => 1900 + ((i * 53) % 200))) as DurationModel;
      const lengths = Array.from({ length: 12 }, (_, i) => 1900 + ((i * 71) % 200));
      const pollsPerJob = lengths.map(d => {
        let j = job('x', 0);
        for (let polls = 1; ; polls++) {
          const [p] = planPolls([j], () => steady, j.lastPolledAt ?? T0, DEFAULT_PLANNER, { budgetShort: true });
          if (p.at - T0 >= d) {
            return polls;
          }
          j = { ...j, polls: j.polls + 1, lastPolledAt: p.at };
        }
      });
      assert.deepEqual(pollsPerJob, Array(12).fill(1));
    });

    it('when the budget is short and starts wait, a job is first looked at only when it is almost surely done', () => {
      const [p] = planPolls([job('a', 0)], models, T0, DEFAULT_PLANNER, { budgetShort: true });
      assert.equal(p.at, T0 + Math.max(model.p95Ms, model.medianMs * (1 + 0.1 / Math.sqrt(model.samples))));
      assert.ok(p.at > T0 + model.p80Ms);
      const one = durationModel([20_000]) as DurationModel;
      const [q] = planPolls([job('a', 0)], () => one, T0, DEFAULT_PLANNER, { budgetShort: true });
      assert.equal(q.at, T0 + 22_000, 'one sample: 10 % more');
    });

    it('costs about one status request per job when durations are steady', () => {
      // 100 jobs with durations inside the model's spread, each polled when planned until done.
      const durations = Array.from({ length: 100 }, (_, i) => 19_000 + ((i * 37) % 2000));
      let polls = 0;
      for (const d of durations) {
        let j = job('x', 0);
        for (;;) {
          const [p] = planPolls([j], models, j.lastPolledAt ?? T0);
          polls++;
          if (p.at - T0 >= d) {
            break;
          }
          j = { ...j, polls: j.polls + 1, lastPolledAt: p.at };
        }
      }
      assert.ok(polls / durations.length <= 1.3, `${polls / durations.length} polls per job`);
    });
  });

  describe('picking', () => {
    const models = () => durationModel([10_000, 10_000, 10_000]);

    it('among due jobs: the interactive one, then the most likely done', () => {
      const jobs = [job('young', 5000), job('old', 0), job('watched', 9000, { interactive: true })];
      const now = T0 + 16_000;
      assert.equal(pickNextPoll(jobs, models, now)?.job.id, 'watched');
      assert.equal(pickNextPoll(jobs.slice(0, 2), models, now)?.job.id, 'old');
    });

    it('when nothing is due, the one due soonest, with its time', () => {
      const p = pickNextPoll([job('a', 3000), job('b', 1000)], models, T0 + 2000);
      assert.equal(p?.job.id, 'b');
      assert.equal(p?.at, T0 + 1000 + 10_000);
    });

    it('undefined when everything waits for a probe', () => {
      assert.equal(pickNextPoll([], models, T0), undefined);
    });
  });

  it('scales every duration for a benchmark that scales time', () => {
    const s = scalePlanner(DEFAULT_PLANNER, 0.1);
    assert.equal(s.probe.firstDelayMs, 100);
    assert.equal(s.minIntervalMs, 100);
    assert.equal(s.growth, DEFAULT_PLANNER.growth);
  });

  it('the adaptive schedule is affordable with ten requests left in the window, or an unknown budget', () => {
    assert.equal(adaptiveAffordable(undefined), true);
    assert.equal(adaptiveAffordable(10), true);
    assert.equal(adaptiveAffordable(3), false);
  });
});

describe('a single run around its expected end (expectedEndLooks)', () => {
  it('looks at the median, a short step later, then past p95; nothing planned without durations', () => {
    assert.deepStrictEqual(expectedEndLooks(undefined), []);
    const tight = expectedEndLooks(durationModel([1800, 1800, 1810, 1790]));
    assert.strictEqual(tight.length, 3);
    assert.strictEqual(tight[0], 1800);
    assert.ok(tight[1] - tight[0] >= 150 && tight[1] - tight[0] <= 1000, `${tight}`);
    assert.ok(tight[2] >= tight[1] + 300, `${tight}`);
    const spread = expectedEndLooks(durationModel([1000, 2000, 3000, 4000, 5000]));
    assert.ok(spread[0] === 3000 && spread[1] === 3000 + 900 && spread[2] >= 4800 * 1.05 - 1, `${spread}`);
    // Never before the fast schedule's first look, however short the step.
    assert.ok(expectedEndLooks(durationModel([10, 12]))[0] >= 200);
  });
});
