/** The client's budget hooks, against the stand-in's real limiter. */
import * as assert from 'node:assert/strict';
import { RequestBudget } from '../../../../src/core/api/budget';
import { CancelledError, RateLimitError } from '../../../../src/core/api/errors';
import { startStandIn, type StandIn } from '../../../../stand-in/server';
import { KEY, makeClient } from './support';

const SCALE = 0.01; // a "minute" of 600 ms
const doc = (i: number) => ({
  kind: 'bytes' as const,
  data: Buffer.from(`%PDF-1.4\n% ${i}\n%%EOF\n`, 'latin1'),
  fileName: `${i}.pdf`,
});

describe('client with a request budget (stand-in limiter)', function () {
  this.timeout(20_000);
  let si: StandIn;
  beforeEach(async () => {
    si = await startStandIn({
      apiKeys: [KEY],
      config: {
        steps: [{ id: 'quick', processingMs: 50, outcome: { status: 'SUCCESS', data: { ok: 1 } } }],
        rateLimit: { perMinute: 5, windowScale: SCALE, resetPrecision: 'milliseconds' },
      },
    });
  });
  afterEach(() => si.close());

  const budgetFor = () => new RequestBudget({ windowMsByType: { minute: 60_000 * SCALE } });

  it('twenty requests at once through one budget: no 429, all answered', async () => {
    const budget = budgetFor();
    const { client } = makeClient(si.url, { budget });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.startStep('quick', doc(i), { priority: 'batch' })),
    );
    assert.equal(results.length, 20);
    assert.equal(si.rateLimit().refused, 0);
    assert.equal(budget.state().source, 'server');
    assert.equal(budget.state().limit, 5);
    assert.equal(si.starts().length, 20);
  });

  it('a 429 (the limit spent elsewhere) pauses every request of the key until the reset, then they go once', async () => {
    const budget = budgetFor();
    const { client } = makeClient(si.url, { budget, retry: { maxRetries: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    // Another tool spends the window.
    const other = makeClient(si.url).client;
    for (let i = 0; i < 5; i++) {
      await other.startStep('quick', doc(100 + i));
    }
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => client.startStep('quick', doc(i))));
    assert.equal(results.length, 6);
    // The first of ours learned the limit the hard way; the others waited for the reset with it.
    assert.ok(si.rateLimit().refused <= 1, `${si.rateLimit().refused} refused`);
    assert.equal(budget.state().rateLimited, si.rateLimit().refused);
    assert.deepEqual(
      si.starts().map(s => s.count),
      Array(11).fill(1),
      'nothing started twice',
    );
  });

  it('a single interactive run keeps its fast polls while the budget allows', async () => {
    si.configure({ rateLimit: { perMinute: 100, windowScale: 1 } });
    const budget = budgetFor();
    const { client } = makeClient(si.url, { budget });
    const t0 = Date.now();
    const e = await client.runStep('quick', doc(1));
    assert.equal(e.status, 'SUCCESS');
    assert.ok(Date.now() - t0 < 1000, `${Date.now() - t0} ms`);
  });

  it('a request waiting for the budget is cancelled by its signal, nothing sent', async () => {
    // No limit headers on ordinary answers: the budget stays at its default, 1 a minute, and holds the second.
    si.configure({ rateLimit: { perMinute: 5, windowScale: SCALE, resetPrecision: 'milliseconds', headers: '429' } });
    const budget = new RequestBudget({ defaultLimit: 1, burst: 1, probeStepMs: 0 });
    const { client } = makeClient(si.url, { budget });
    await client.startStep('quick', doc(1));
    const before = si.requests().length;
    const ac = new AbortController();
    const waiting = client.startStep('quick', doc(2), { signal: ac.signal, priority: 'batch' });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(waiting, (e: unknown) => e instanceof CancelledError && !e.mayHaveStarted);
    assert.equal(si.requests().length, before);
  });
  it('a budget chosen per key: each request takes the budget of the key it is sent with', async () => {
    const budgets = new Map<string, RequestBudget>();
    const seen: string[] = [];
    const { client } = makeClient(si.url, {
      budget: key => {
        seen.push(key);
        let b = budgets.get(key);
        if (!b) {
          b = budgetFor();
          budgets.set(key, b);
        }
        return b;
      },
    });
    await client.startStep('quick', doc(1));
    await client.startStep('quick', doc(2));
    assert.deepEqual(seen, [KEY, KEY]);
    assert.equal(budgets.size, 1);
    assert.equal(budgets.get(KEY)?.state().limit, 5, 'the budget learned from the answers it was given');
  });
  it('with no limit headers on ordinary answers, a batch learns the limit from one 429 and sends nothing twice', async () => {
    const scale = 0.05; // a "minute" of 3 s
    si.configure({ rateLimit: { perMinute: 40, windowScale: scale, resetPrecision: 'milliseconds', headers: '429' } });
    const budget = new RequestBudget({
      windowMsByType: { minute: 60_000 * scale },
      probeStepMs: 5000 * scale,
      guessedWindowMarginMs: 150,
    });
    const { client } = makeClient(si.url, { budget, retry: { maxRetries: 3 } });
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => client.startStep('quick', doc(i), { priority: 'batch' })),
    );
    assert.equal(results.length, 60);
    assert.equal(si.rateLimit().refused, 1, 'one 429 taught the limit');
    const s = budget.state();
    assert.deepEqual([s.source, s.limit, s.limitType], ['learned', 40, 'minute']);
    assert.deepEqual(
      si.starts().map(x => x.count),
      Array(60).fill(1),
      'nothing started twice',
    );
  });

  it("a batch's request does not wait through a pause of more than an hour: it says when, and nothing is sent", async () => {
    const budget = budgetFor();
    const { client } = makeClient(si.url, { budget, retry: { maxRetries: 3 } });
    si.addFaults({ kind: 'rateLimit', retryAfter: 7200, count: 1, match: { method: 'POST' } });
    const refused = await client.startStep('quick', doc(1), { priority: 'batch' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(refused instanceof RateLimitError, String(refused));
    assert.equal(refused.info.retryAfterSeconds, 7200);
    const resumesAt = budget.pausedUntil();
    assert.ok(resumesAt !== undefined && resumesAt > Date.now() + 7_100_000, String(resumesAt));
    const before = si.requests().length;
    const again = await client.startStep('quick', doc(2), { priority: 'batch' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(again instanceof RateLimitError && (again.info.retryAfterSeconds ?? 0) > 7100, String(again));
    assert.equal(si.requests().length, before, 'nothing was sent during the pause');
  });

  it('a single run whose status polls are paused past its timeout says when to try again instead of waiting', async () => {
    const budget = budgetFor();
    const { client } = makeClient(si.url, { budget, retry: { maxRetries: 3 } });
    const started = await client.startStep('quick', doc(1));
    si.addFaults({ kind: 'rateLimit', retryAfter: 600, count: 1, match: { method: 'GET' } });
    const refused = await client.waitForCompletion(started.id, { timeoutMs: 10_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(refused instanceof RateLimitError, `a 429 saying when, not a wait: ${String(refused)}`);
    assert.equal(refused.info.retryAfterSeconds, 600);
  });

  it('a 429 with a long Retry-After: a start a person waits on gives up at once and says when; a batch start waits', async () => {
    const budget = budgetFor();
    const { client } = makeClient(si.url, { budget, retry: { maxRetries: 3, maxRetryAfterMs: 500 } });
    si.addFaults({ kind: 'rateLimit', retryAfter: 2, count: 1, match: { method: 'POST' } });
    const t0 = Date.now();
    const refused = await client.startStep('quick', doc(1)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(refused instanceof RateLimitError, String(refused));
    assert.equal(refused.info.retryAfterSeconds, 2);
    assert.ok(Date.now() - t0 < 1500, 'it did not sit through the pause');
    // The next interactive start is not even sent while the pause lasts.
    const before = si.requests().length;
    const again = await client.startStep('quick', doc(2)).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(again instanceof RateLimitError, String(again));
    assert.ok((again.info.retryAfterSeconds ?? 0) >= 1);
    assert.equal(si.requests().length, before, 'nothing was sent during the pause');
    // A batch's start waits for the reset, then goes once.
    const started = await client.startStep('quick', doc(3), { priority: 'batch' });
    assert.ok(started.id);
    assert.ok(Date.now() - t0 >= 1900, `it waited for the reset (${Date.now() - t0} ms)`);
    assert.equal(si.starts().length, 1);
  });
});
