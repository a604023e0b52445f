import * as assert from 'node:assert/strict';
import { CancelledError, StepFailedError, TimeoutError } from '../../../../src/core/api/errors';
import type { Execution } from '../../../../src/core/api/types';
import {
  ADAPTIVE_SCHEDULE,
  FLAT_2S_SCHEDULE,
  PollSchedule,
  nextPollDelay,
  pollInstants,
} from '../../../../src/core/polling/schedule';
import { waitForExecution } from '../../../../src/core/polling/wait';
import { rejection } from '../client/support';

function exec(status: string, extra: Partial<Execution> = {}): Execution {
  return { id: 'exec_1', status, raw: { id: 'exec_1', status }, ...extra };
}

/** A fast schedule for wait tests: 10 ms apart. */
const FAST: PollSchedule = { firstDelayMs: 10, minIntervalMs: 10, growth: 0, maxIntervalMs: 10 };

describe('poll schedule', () => {
  const instants = pollInstants(ADAPTIVE_SCHEDULE, 60_000);

  it('looks first within 300 ms', () => {
    assert.ok(instants[0] <= 300, `first poll at ${instants[0]} ms`);
  });
  it('looks at least 8 times in the first 3 s', () => {
    const early = instants.filter(t => t <= 3000).length;
    assert.ok(early >= 8, `${early} polls in 3 s`);
  });
  it('costs no more than a flat 2 s poll over a minute (≤ 31 polls)', () => {
    assert.ok(instants.length <= 31, `${instants.length} polls in 60 s`);
    assert.ok(instants.length <= pollInstants(FLAT_2S_SCHEDULE, 60_000).length);
  });
  it('never waits longer than the cap, nor shorter than the floor', () => {
    const long = pollInstants(ADAPTIVE_SCHEDULE, 3_600_000);
    for (let i = 1; i < long.length; i++) {
      const gap = long[i] - long[i - 1];
      assert.ok(gap <= ADAPTIVE_SCHEDULE.maxIntervalMs, `gap ${gap} ms at ${long[i]} ms`);
      assert.ok(gap >= ADAPTIVE_SCHEDULE.minIntervalMs, `gap ${gap} ms at ${long[i]} ms`);
    }
    assert.equal(nextPollDelay(ADAPTIVE_SCHEDULE, 10_000_000), ADAPTIVE_SCHEDULE.maxIntervalMs);
    assert.equal(nextPollDelay(ADAPTIVE_SCHEDULE, 0), ADAPTIVE_SCHEDULE.minIntervalMs);
  });
  it('backs off in proportion to the time spent', () => {
    assert.ok(nextPollDelay(ADAPTIVE_SCHEDULE, 30_000) > nextPollDelay(ADAPTIVE_SCHEDULE, 5_000));
  });
});

describe('waitForExecution', () => {
  it('polls until SUCCESS and reports every status', async () => {
    const script = ['ENQUEUED', 'PROCESSING', 'PROCESSING', 'SUCCESS'];
    const seen: string[] = [];
    const result = await waitForExecution('exec_1', async () => exec(script.shift() as string, { data: { ok: 1 } }), {
      schedule: FAST,
      onStatus: e => seen.push(e.status),
    });
    assert.equal(result.status, 'SUCCESS');
    assert.deepEqual(seen, ['ENQUEUED', 'PROCESSING', 'PROCESSING', 'SUCCESS']);
  });

  it('keeps polling through a status it does not know', async () => {
    const script = ['QUEUED_FOR_REVIEW', 'SUCCESS'];
    const result = await waitForExecution('exec_1', async () => exec(script.shift() as string), { schedule: FAST });
    assert.equal(result.status, 'SUCCESS');
  });

  it('turns an ERROR execution into StepFailedError, never a success', async () => {
    const failed = exec('ERROR', { error: { message: 'Could not read the total', code: 'EXTRACTION_FAILED' } });
    const err = await rejection(waitForExecution('exec_1', async () => failed, { schedule: FAST }));
    assert.ok(err instanceof StepFailedError);
    assert.equal(err.kind, 'stepFailed');
    assert.equal(err.executionId, 'exec_1');
    assert.equal(err.failure.code, 'EXTRACTION_FAILED');
    assert.equal(err.execution, failed);
    assert.match(err.message, /EXTRACTION_FAILED.*Could not read the total/);
  });

  it('explains an ERROR without details', async () => {
    const err = await rejection(waitForExecution('exec_1', async () => exec('ERROR'), { schedule: FAST }));
    assert.ok(err instanceof StepFailedError);
    assert.match(err.message, /without details/);
  });

  it('gives up with TimeoutError after timeoutMs, having polled until then', async () => {
    let polls = 0;
    const t0 = Date.now();
    const err = await rejection(
      waitForExecution(
        'exec_1',
        async () => {
          polls++;
          return exec('PROCESSING');
        },
        { schedule: FAST, timeoutMs: 200 },
      ),
    );
    const took = Date.now() - t0;
    assert.ok(err instanceof TimeoutError);
    assert.equal(err.kind, 'timeout');
    assert.match(err.message, /exec_1/);
    assert.equal(err.executionId, 'exec_1');
    assert.ok(took >= 150 && took < 1000, `gave up after ${took} ms`);
    assert.ok(polls >= 5, `${polls} polls`);
  });

  it('looks once more at the deadline rather than giving up a whole interval early', async () => {
    // Intervals of 400 ms and a 500 ms budget: polls at ~10 ms and ~410 ms; the next would be at
    // ~810 ms, past the deadline, so one last look happens at the deadline itself.
    const slow: PollSchedule = { firstDelayMs: 10, minIntervalMs: 400, growth: 0, maxIntervalMs: 400 };
    const t0 = Date.now();
    const times: number[] = [];
    const err = await rejection(
      waitForExecution(
        'exec_1',
        async () => {
          times.push(Date.now() - t0);
          return exec('PROCESSING');
        },
        { schedule: slow, timeoutMs: 500 },
      ),
    );
    assert.ok(err instanceof TimeoutError);
    assert.equal(times.length, 3, `polled at ${times.join(', ')} ms`);
    assert.ok(times[2] >= 450 && times[2] < 700, `last poll at ${times[2]} ms`);
  });

  it('finds a result that lands just before the deadline', async () => {
    const slow: PollSchedule = { firstDelayMs: 10, minIntervalMs: 400, growth: 0, maxIntervalMs: 400 };
    const t0 = Date.now();
    const result = await waitForExecution(
      'exec_1',
      async () => exec(Date.now() - t0 > 450 ? 'SUCCESS' : 'PROCESSING'),
      { schedule: slow, timeoutMs: 500 },
    );
    assert.equal(result.status, 'SUCCESS');
  });

  it('cancels at once while sleeping, with no further status request', async () => {
    const controller = new AbortController();
    let polls = 0;
    const slow: PollSchedule = { firstDelayMs: 10, minIntervalMs: 5000, growth: 0, maxIntervalMs: 5000 };
    const p = waitForExecution(
      'exec_1',
      async () => {
        polls++;
        return exec('PROCESSING');
      },
      { schedule: slow, signal: controller.signal },
    );
    await new Promise(r => setTimeout(r, 100));
    const t0 = Date.now();
    controller.abort();
    const err = await rejection(p);
    assert.ok(err instanceof CancelledError);
    assert.ok(Date.now() - t0 < 100);
    await new Promise(r => setTimeout(r, 50));
    assert.equal(polls, 1);
  });

  it('keeps the pace of a resumed run (startedAt in the past)', async () => {
    const t0 = Date.now();
    let first = -1;
    await waitForExecution(
      'exec_1',
      async () => {
        first = Date.now() - t0;
        return exec('SUCCESS');
      },
      { schedule: { ...FAST, firstDelayMs: 1000 }, startedAt: Date.now() - 5000 },
    );
    assert.ok(first < 100, `first poll after ${first} ms`);
  });
});
