/** The stand-in's per-key rate limiter and its duration jitter, over real HTTP. */
import * as assert from 'node:assert/strict';
import { startStandIn, type StandIn } from '../server';

const KEY = 'rl-key';
const OTHER = 'rl-other';

async function call(
  si: StandIn,
  method: 'GET' | 'POST',
  path: string,
  key = KEY,
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(`${si.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: method === 'POST' ? JSON.stringify({ image_url: 'https://docs.example/a.pdf' }) : undefined,
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const start = (si: StandIn, key = KEY) => call(si, 'POST', '/api/steps-async/quick', key);

describe('stand-in rate limiter', () => {
  let si: StandIn;
  beforeEach(async () => {
    si = await startStandIn({
      apiKeys: [KEY, OTHER],
      config: {
        steps: [
          { id: 'quick', outcome: { status: 'SUCCESS', data: {} } },
          { id: 'jittery', processingMs: 1000, jitter: 0.5, outcome: { status: 'SUCCESS', data: {} } },
        ],
      },
    });
  });
  afterEach(() => si.close());

  it('is off by default: no X-RateLimit headers, no 429', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await start(si);
      assert.equal(r.status, 202);
      assert.equal(r.headers.get('x-ratelimit-limit'), null);
    }
  });

  it('counts starts and status requests per key, says so on every answer, and refuses with the reference 429', async () => {
    si.configure({ rateLimit: { perMinute: 3 } });
    const t0 = Date.now();
    const a = await start(si);
    assert.equal(a.status, 202);
    assert.equal(a.headers.get('x-ratelimit-limit'), '3');
    assert.equal(a.headers.get('x-ratelimit-remaining'), '2');
    assert.equal(a.headers.get('x-ratelimit-limit-type'), 'minute');
    const reset = Number(a.headers.get('x-ratelimit-reset'));
    assert.ok(
      Number.isInteger(reset) && reset * 1000 >= t0 + 60_000 && reset * 1000 <= Date.now() + 61_000,
      `reset ${reset}`,
    );
    const s = await call(si, 'GET', `/api/steps-async/status/${String(a.body.id)}`);
    assert.equal(s.status, 200);
    assert.equal(s.headers.get('x-ratelimit-remaining'), '1');
    // An error answer counts too and carries the headers.
    const nf = await call(si, 'GET', '/api/steps-async/status/exec_missing');
    assert.equal(nf.status, 404);
    assert.equal(nf.headers.get('x-ratelimit-remaining'), '0');
    const refused = await start(si);
    assert.equal(refused.status, 429);
    assert.deepEqual(Object.keys(refused.body), [
      'error',
      'limitType',
      'limit',
      'remaining',
      'resetTime',
      'retryAfter',
    ]);
    assert.equal(refused.body.error, 'Rate limit exceeded');
    assert.equal(refused.body.limitType, 'minute');
    assert.equal(refused.body.limit, 3);
    assert.equal(refused.body.remaining, 0);
    assert.equal(refused.body.resetTime, reset);
    assert.ok(
      typeof refused.body.retryAfter === 'number' && refused.body.retryAfter >= 59 && refused.body.retryAfter <= 60,
    );
    assert.equal(refused.headers.get('retry-after'), String(refused.body.retryAfter));
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    // The refused request started nothing and was not counted.
    assert.equal(si.executions().length, 1);
    assert.deepEqual({ counted: si.rateLimit().counted, refused: si.rateLimit().refused }, { counted: 3, refused: 1 });
    // Another key has its own budget; /api/usage and the control API are never limited.
    assert.equal((await start(si, OTHER)).status, 202);
    assert.notEqual((await call(si, 'GET', '/api/usage')).status, 429);
    const wrongKey = await start(si, 'not-a-key');
    assert.equal(wrongKey.status, 401);
    assert.equal(wrongKey.headers.get('x-ratelimit-limit'), null);
  });

  it('opens a new window when the last one ends (windows scaled for tests)', async () => {
    si.configure({ rateLimit: { perMinute: 2, windowScale: 0.005, resetPrecision: 'milliseconds' } }); // a 300 ms "minute"
    assert.equal((await start(si)).status, 202);
    const second = await start(si);
    assert.equal(second.status, 202);
    assert.match(second.headers.get('x-ratelimit-reset') ?? '', /^\d+\.\d{3}$/);
    const refused = await start(si);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('retry-after'), '1', 'whole seconds, rounded up');
    await new Promise(r => setTimeout(r, Number(second.headers.get('x-ratelimit-reset')) * 1000 - Date.now() + 20));
    const again = await start(si);
    assert.equal(again.status, 202);
    assert.equal(again.headers.get('x-ratelimit-remaining'), '1');
  });

  it('with headers "429": ordinary answers carry no X-RateLimit headers, the 429 carries them and its body', async () => {
    const post = (body: unknown) =>
      fetch(`${si.url}/__stand-in/config`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal((await post({ rateLimit: { perMinute: 2, headers: 'some' } })).status, 400);
    assert.equal((await post({ rateLimit: { perMinute: 2, headers: '429' } })).status, 200);
    const a = await start(si);
    assert.equal(a.status, 202);
    const s = await call(si, 'GET', `/api/steps-async/status/${String(a.body.id)}`);
    assert.equal(s.status, 200);
    for (const r of [a, s]) {
      for (const h of ['limit', 'remaining', 'reset', 'limit-type']) {
        assert.equal(r.headers.get(`x-ratelimit-${h}`), null, `no x-ratelimit-${h} on a ${r.status}`);
      }
    }
    const refused = await start(si);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers.get('x-ratelimit-limit'), '2');
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    assert.equal(refused.headers.get('x-ratelimit-limit-type'), 'minute');
    assert.ok(Number(refused.headers.get('retry-after')) >= 59);
    assert.equal(refused.body.limit, 2);
    assert.equal(refused.body.limitType, 'minute');
    const stats = (await (await fetch(`${si.url}/__stand-in/ratelimit`)).json()) as { headers: string };
    assert.equal(stats.headers, '429');
    assert.equal(si.rateLimit().headers, '429');
  });

  it('applies an hour limit beside the minute one and reports the tightest', async () => {
    si.configure({ rateLimit: { perMinute: 10, perHour: 2 } });
    const a = await start(si);
    assert.equal(a.headers.get('x-ratelimit-limit-type'), 'hour');
    assert.equal(a.headers.get('x-ratelimit-remaining'), '1');
    await start(si);
    const refused = await start(si);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.limitType, 'hour');
    assert.ok((refused.body.retryAfter as number) > 3500);
  });

  it('is configured and read over the control API, and turned off with false', async () => {
    const post = (route: string, body: unknown) =>
      fetch(`${si.url}/__stand-in/${route}`, { method: 'POST', body: JSON.stringify(body) });
    assert.equal((await post('config', { rateLimit: { perMinute: 0 } })).status, 400);
    assert.equal((await post('config', { rateLimit: { perMinute: 1 } })).status, 200);
    await start(si);
    assert.equal((await start(si)).status, 429);
    const stats = (await (await fetch(`${si.url}/__stand-in/ratelimit`)).json()) as {
      counted: number;
      refused: number;
      keys: Record<string, { minute: { count: number; limit: number } }>;
    };
    assert.equal(stats.counted, 1);
    assert.equal(stats.refused, 1);
    assert.deepEqual(Object.keys(stats.keys), ['key#0']);
    assert.equal(stats.keys['key#0'].minute.limit, 1);
    await post('config', { rateLimit: false });
    const r = await start(si);
    assert.equal(r.status, 202);
    assert.equal(r.headers.get('x-ratelimit-limit'), null);
  });

  it("jitters a step's durations within ±jitter, the same way again for the same seed", async () => {
    si.configure({ seed: 42 });
    // Starts 20 executions, waits past the longest possible one, and reads how long each took.
    const durations = async () => {
      si.reset();
      for (let i = 0; i < 20; i++) {
        await call(si, 'POST', '/api/steps-async/jittery');
      }
      await new Promise(r => setTimeout(r, 1600));
      return si.executions().map(e => (e.completedAt as number) - e.createdAt);
    };
    const first = await durations();
    assert.ok(
      first.every(d => d >= 500 && d <= 1500),
      first.join(','),
    );
    assert.ok(Math.max(...first) - Math.min(...first) > 200, 'they vary');
    const second = await durations();
    assert.deepEqual(second, first);
  });
});
