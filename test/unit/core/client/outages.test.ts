/**
 * The client's part of "never a duplicate run, nothing lost": a start is retried only when not a byte
 * of it was sent; a status outage keeps the wait going (with the id) until the timeout; answers have
 * a size cap.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DocuTrayClient, FetchLike } from '../../../../src/core/client/client';
import {
  ConnectionError,
  ResponseTooLargeError,
  StartNotInitiatedError,
  StartUncertainError,
  TimeoutError,
} from '../../../../src/core/api/errors';
import { StandIn } from '../../../../stand-in/server';
import { FAST_RETRY, SAMPLES, closedPort, loopbackFetch, makeClient, rejection, useStandInClient } from './support';

const STEP = 'step_life';
const START_PATH = `/api/steps-async/${STEP}`;
const STATUS_PATH = '/api/steps-async/status/';
const PDF = { kind: 'bytes' as const, data: SAMPLES.pdf, fileName: 'a.pdf' };
const PDF_HASH = createHash('sha256').update(SAMPLES.pdf).digest('hex');

/** Loopback fetch whose transport failures come out as the kernel error `code` (what a lost route gives). */
function failingAs(code: string): FetchLike {
  return async (url, init) => {
    try {
      return await loopbackFetch(url, init);
    } catch (e) {
      throw Object.assign(new TypeError('fetch failed'), {
        cause: Object.assign(new Error(`connect ${code}`), { code }),
      });
    }
  };
}

describe('client: starts, outages and big answers', () => {
  let standIn: StandIn;
  let client: DocuTrayClient;

  useStandInClient(
    { steps: [{ id: STEP, enqueuedMs: 20, processingMs: 50, outcome: { status: 'SUCCESS', data: { ok: true } } }] },
    f => ({ standIn, client } = f),
  );
  const startsOfPdf = () =>
    standIn
      .starts()
      .filter(s => s.hash === PDF_HASH)
      .reduce((n, s) => n + s.count, 0);
  const posts = () => standIn.requests().filter(r => r.method === 'POST' && r.path === START_PATH);

  describe('a start is retried only when no byte was sent', () => {
    it('EHOSTUNREACH after the body went out: may have started, not retried, one execution', async () => {
      const { client: c } = makeClient(standIn.url, { fetch: failingAs('EHOSTUNREACH') });
      standIn.addFaults({ kind: 'loseStartAnswer', count: 5 });
      const err = await rejection(c.startStep(STEP, PDF));
      assert.ok(err instanceof StartUncertainError, `${err.name}: ${err.message}`);
      assert.equal(posts().length, 1, 'one start request');
      assert.equal(startsOfPdf(), 1, 'one execution');
    });

    it('EHOSTUNREACH before any byte of the body: retried', async () => {
      let calls = 0;
      // The route is gone before the connection opens: fetch fails without reading the body.
      const unreachable: FetchLike = async () => {
        calls++;
        throw Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('connect EHOSTUNREACH'), { code: 'EHOSTUNREACH' }),
        });
      };
      const { client: c } = makeClient(standIn.url, { fetch: unreachable, retry: { ...FAST_RETRY, maxRetries: 2 } });
      const err = await rejection(c.startStep(STEP, PDF));
      assert.ok(err instanceof ConnectionError, `${err.name}: ${err.message}`);
      assert.equal(calls, 3);
    });

    it('a URL start (sent in one write) is not retried on EHOSTUNREACH, only on a refused connection', async () => {
      const port = await closedPort();
      let calls = 0;
      const f = failingAs('EHOSTUNREACH');
      const { client: c } = makeClient(`http://127.0.0.1:${port}`, { fetch: (u, i) => (calls++, f(u, i)) });
      const err = await rejection(c.startStep(STEP, { kind: 'url', url: 'https://example.com/a.pdf' }));
      assert.ok(err instanceof StartUncertainError, `${err.name}: ${err.message}`);
      assert.equal(calls, 1);
      let refused = 0;
      const { client: c2 } = makeClient(`http://127.0.0.1:${port}`, {
        fetch: (u, i) => (refused++, loopbackFetch(u, i)),
        retry: { ...FAST_RETRY, maxRetries: 2 },
      });
      assert.ok(
        (await rejection(c2.startStep(STEP, { kind: 'url', url: 'https://example.com/a.pdf' }))) instanceof
          ConnectionError,
      );
      assert.equal(refused, 3);
    });
  });

  describe("a start's 5xx, in DocuTray's words", () => {
    it('a 500 with DocuTray\'s "Failed to initiate step processing" means nothing started: not uncertain', async () => {
      standIn.addFaults({ kind: 'serverError', notInitiated: true, match: { method: 'POST' } });
      const err = await rejection(client.startStep(STEP, PDF));
      assert.ok(err instanceof StartNotInitiatedError, `${err.name}: ${err.message}`);
      assert.match(err.message, /Nothing started/);
      assert.equal(startsOfPdf(), 0);
    });

    it('a 500 with any other body, or a 502/503/504, stays uncertain: it may have started', async () => {
      for (const status of [500, 502, 503, 504] as const) {
        standIn.addFaults({ kind: 'serverError', status, match: { method: 'POST' } });
        const err = await rejection(client.startStep(STEP, PDF));
        assert.ok(err instanceof StartUncertainError, `${status}: ${err.name}: ${err.message}`);
      }
    });

    it('the start answer carries the SHA-256 of the bytes that were sent', async () => {
      const started = await client.startStep(STEP, PDF);
      assert.equal(started.documentSha256, PDF_HASH);
    });
  });

  describe('a status outage never ends the wait before the timeout', () => {
    it('20 failed checks (503 and dropped connections) in a row: still waiting, then SUCCESS with the same id', async () => {
      const { id } = await client.startStep(STEP, PDF);
      standIn.addFaults({ kind: 'statusOutage', ms: 1500, mode: 'alternate' });
      const transient: string[] = [];
      const done = await client.waitForCompletion(id, {
        timeoutMs: 20_000,
        backoff: { maxRetries: Infinity, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: Infinity },
        onTransient: e => transient.push(e.kind),
      });
      assert.equal(done.status, 'SUCCESS');
      assert.equal(done.id, id);
      assert.ok(transient.length >= 3, `transient failures seen: ${transient.join(', ')}`);
      assert.equal(standIn.executions().length, 1, 'nothing started again');
    });

    it('a laptop that slept past the deadline: the checks after waking fail for a moment, then it succeeds', async () => {
      const { id } = await client.startStep(STEP, PDF);
      standIn.addFaults({ kind: 'statusOutage', ms: 800, mode: 'alternate' });
      const t0 = Date.now();
      // 100 ms in, the clock jumps an hour: the machine was suspended while the wait slept.
      const now = () => Date.now() + (Date.now() - t0 > 100 ? 3_600_000 : 0);
      const done = await client.waitForCompletion(id, {
        now,
        timeoutMs: 20_000,
        backoff: { maxRetries: Infinity, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: Infinity },
      });
      assert.equal(done.status, 'SUCCESS');
    });

    it('an outage longer than the timeout ends as a timeout that keeps the id (never a failure)', async () => {
      const { id } = await client.startStep(STEP, PDF);
      standIn.addFaults({ kind: 'statusOutage', ms: 60_000, mode: '503' });
      const err = await rejection(
        client.waitForCompletion(id, {
          timeoutMs: 800,
          backoff: { maxRetries: Infinity, baseDelayMs: 20, maxDelayMs: 100, maxRetryAfterMs: Infinity },
        }),
      );
      assert.ok(err instanceof TimeoutError, `${err.name}: ${err.message}`);
      assert.equal(err.executionId, id);
      assert.match(err.message, /did not answer/);
    });
  });

  describe('answers have a size cap', () => {
    it('a result over maxResponseBytes is refused with a clear message, and not retried', async () => {
      const { id } = await client.startStep(STEP, PDF);
      const { client: c } = makeClient(standIn.url, { maxResponseBytes: 100_000 });
      standIn.addFaults({ kind: 'hugeResult', bytes: 300_000, count: 5 });
      await new Promise(r => setTimeout(r, 120));
      const before = standIn.requests().filter(r => r.path.startsWith(STATUS_PATH)).length;
      const err = await rejection(c.getStatus(id));
      assert.ok(err instanceof ResponseTooLargeError, `${err.name}: ${err.message}`);
      assert.match(err.message, /larger than 97\.7 KB/);
      assert.equal(standIn.requests().filter(r => r.path.startsWith(STATUS_PATH)).length - before, 1);
    });

    it('a huge and a deeply nested result within the cap are read', async () => {
      const { id } = await client.startStep(STEP, PDF);
      await new Promise(r => setTimeout(r, 120));
      standIn.addFaults([
        { kind: 'hugeResult', bytes: 2_000_000 },
        { kind: 'nestedResult', depth: 50_000 },
      ]);
      const big = await client.getStatus(id);
      assert.ok(JSON.stringify(big.data).length >= 2_000_000);
      const deep = await client.getStatus(id);
      assert.equal(deep.status, 'SUCCESS');
      assert.ok(Array.isArray(deep.data));
    });
  });
});
