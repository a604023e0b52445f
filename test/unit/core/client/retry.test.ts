/**
 * Retries: status polls and the key check are retried with backoff (and never sooner than Retry-After);
 * a start is retried only when DocuTray cannot have accepted it, so no fault ever makes two executions.
 */
import * as assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DocuTrayClient, FetchLike } from '../../../../src/core/client/client';
import { ConnectionError, RateLimitError, ServerError, StartUncertainError } from '../../../../src/core/api/errors';
import { FaultSpec, StandIn } from '../../../../stand-in/server';
import {
  FAST_RETRY,
  SAMPLES,
  assertNoKey,
  closedPort,
  loopbackFetch,
  makeClient,
  mockFetch,
  newMockAgent,
  rejection,
  useStandInClient,
} from './support';

const STEP = 'step_retry';
const STATUS_PATH = '/api/steps-async/status/';
const START_PATH = `/api/steps-async/${STEP}`;
const PDF = { kind: 'bytes' as const, data: SAMPLES.pdf, fileName: 'a.pdf' };
const PDF_HASH = createHash('sha256').update(SAMPLES.pdf).digest('hex');

describe('client retries', () => {
  let standIn: StandIn;
  let client: DocuTrayClient;
  let logs: string[];

  useStandInClient(
    { steps: [{ id: STEP, outcome: { status: 'SUCCESS', data: { ok: true } } }] },
    f => ({ standIn, client, logs } = f),
  );

  const gets = (path = STATUS_PATH) => standIn.requests().filter(r => r.method === 'GET' && r.path.startsWith(path));
  const posts = () => standIn.requests().filter(r => r.method === 'POST' && r.path === START_PATH);
  const startsOfPdf = () =>
    standIn
      .starts()
      .filter(s => s.hash === PDF_HASH)
      .reduce((n, s) => n + s.count, 0);

  async function startedExecution(): Promise<string> {
    return (await client.startStep(STEP, PDF)).id;
  }

  describe('status polls and the key check', () => {
    it('retry a 503 twice and succeed on the third attempt', async () => {
      const id = await startedExecution();
      standIn.addFaults({ kind: 'serverError', status: 503, count: 2, match: { path: STATUS_PATH } });
      const e = await client.getStatus(id);
      assert.equal(e.id, id);
      assert.deepEqual(
        gets().map(r => r.status),
        [503, 503, 200],
      );
      assert.equal(logs.filter(l => / retry \d\/3 in \d+ ms \(server\)/.test(l)).length, 2, logs.join('\n'));
    });

    it('give up after maxRetries with the last error', async () => {
      standIn.addFaults({ kind: 'serverError', status: 500, count: 10, match: { path: '/api/usage' } });
      const err = await rejection(client.checkKey());
      assert.ok(err instanceof ServerError);
      assert.equal(gets('/api/usage').length, 4, 'one attempt and three retries');
      assertNoKey(err, logs);
    });

    it('back off between attempts, growing', async () => {
      const { client: c } = makeClient(standIn.url, { retry: { baseDelayMs: 40, maxDelayMs: 1000 }, random: () => 0 });
      standIn.addFaults({ kind: 'serverError', status: 502, count: 3, match: { path: '/api/usage' } });
      await c.checkKey();
      const t = gets('/api/usage').map(r => r.time);
      const gaps = t.slice(1).map((x, i) => x - t[i]);
      // 40·2^n·1.25 → 50, 100, 200 ms.
      assert.ok(gaps[0] >= 45 && gaps[1] >= 95 && gaps[2] >= 195, `gaps ${gaps.join(', ')}`);
    });

    it('retry a dropped connection, an HTML page and truncated JSON', async () => {
      const id = await startedExecution();
      standIn.addFaults([
        { kind: 'dropAfterBody', match: { path: STATUS_PATH } },
        { kind: 'html', status: 200, match: { path: STATUS_PATH } },
        { kind: 'malformedJson', match: { path: STATUS_PATH } },
      ]);
      const e = await client.getStatus(id);
      assert.equal(e.id, id);
      assert.deepEqual(
        gets().map(r => r.fault ?? r.status),
        ['dropAfterBody', 'html', 'malformedJson', 200],
      );
    });

    it('retry an attempt that timed out', async () => {
      const { client: c } = makeClient(standIn.url, { requestTimeoutMs: 150 });
      standIn.addFaults({ kind: 'delay', ms: 1000, match: { path: '/api/usage' } });
      await c.checkKey();
      assert.equal(gets('/api/usage').length, 2);
    });

    it('honour Retry-After in seconds (the measured gap is at least the header)', async () => {
      standIn.addFaults({ kind: 'rateLimit', retryAfter: 1, match: { path: '/api/usage' } });
      await client.checkKey();
      const [first, second] = gets('/api/usage');
      assert.equal(first.status, 429);
      assert.equal(second.status, 200);
      assert.ok(second.time - first.time >= 1000, `gap ${second.time - first.time} ms`);
    });

    it('honour Retry-After as an HTTP date', async () => {
      standIn.addFaults({
        kind: 'rateLimit',
        retryAfter: 'http-date',
        retryAfterSeconds: 2,
        match: { path: '/api/usage' },
      });
      await client.checkKey();
      const [first, second] = gets('/api/usage');
      // The date the stand-in sent: its clock at the request plus 2 s, to the second.
      const sentDate = Math.floor((first.time + 2000) / 1000) * 1000;
      assert.ok(second.time >= sentDate - 5, `retried at ${second.time}, Retry-After was ${sentDate}`);
      assert.ok(second.time - first.time >= 900, `gap ${second.time - first.time} ms`);
    });

    it('give up at once when Retry-After is longer than maxRetryAfterMs', async () => {
      const { client: c } = makeClient(standIn.url, { retry: { ...FAST_RETRY, maxRetryAfterMs: 500 } });
      standIn.addFaults({ kind: 'rateLimit', retryAfter: 30, match: { path: '/api/usage' } });
      const t0 = Date.now();
      const err = await rejection(c.checkKey());
      assert.ok(err instanceof RateLimitError);
      assert.equal(err.info.retryAfterSeconds, 30);
      assert.equal(gets('/api/usage').length, 1);
      assert.ok(Date.now() - t0 < 500);
    });

    it('do not retry a 501 or a 4xx', async () => {
      standIn.addFaults({ kind: 'serverError', status: 501, count: 5, match: { path: '/api/usage' } });
      await assert.rejects(client.checkKey(), ServerError);
      assert.equal(gets('/api/usage').length, 1);
      standIn.reset();
      await assert.rejects(client.getStatus('exec_missing'));
      assert.equal(gets().length, 1);
    });

    it('cancel during the wait between retries', async () => {
      standIn.addFaults({ kind: 'rateLimit', retryAfter: 10, match: { path: '/api/usage' } });
      const controller = new AbortController();
      const p = client.checkKey({ signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      const err = await rejection(p);
      assert.equal(err.kind, 'cancelled');
      assert.equal(gets('/api/usage').length, 1);
    });
  });

  describe('no duplicate start', () => {
    it('a 429 is retried (after Retry-After): exactly one execution', async () => {
      standIn.addFaults({ kind: 'rateLimit', retryAfter: 1, match: { method: 'POST', path: START_PATH } });
      const started = await client.startStep(STEP, PDF);
      assert.equal(started.status, 'ENQUEUED');
      const p = posts();
      assert.deepEqual(
        p.map(r => r.status),
        [429, 202],
      );
      assert.ok(p[1].time - p[0].time >= 1000, `gap ${p[1].time - p[0].time} ms`);
      assert.equal(startsOfPdf(), 1);
      assert.equal(standIn.executions().length, 1);
    });

    it('a 429 after a stream was read is not retried (it cannot be sent again): RateLimitError, nothing started', async () => {
      standIn.addFaults({ kind: 'rateLimit', retryAfter: 0, match: { method: 'POST', path: START_PATH } });
      const data = Buffer.concat([SAMPLES.pdf, Buffer.alloc(200_000, 0x42)]);
      const err = await rejection(
        client.startStep(STEP, { kind: 'stream', stream: Readable.from([data]), fileName: 'a.pdf', size: data.length }),
      );
      assert.ok(err instanceof RateLimitError, `${err?.name}: ${err?.message}`);
      assert.equal(posts().length, 1);
      assert.equal(standIn.executions().length, 0);
      assertNoKey(err, logs);
    });

    it('a 429 on bytes is retried with the whole document', async () => {
      standIn.addFaults({ kind: 'rateLimit', retryAfter: 0, match: { method: 'POST', path: START_PATH } });
      const data = Buffer.concat([SAMPLES.pdf, Buffer.alloc(200_000, 0x42)]);
      await client.startStep(STEP, { kind: 'bytes', data, fileName: 'a.pdf' });
      const p = posts();
      assert.deepEqual(
        p.map(r => r.status),
        [429, 202],
      );
      assert.equal(p[1].multipart?.files[0].size, data.length);
      assert.equal(standIn.executions().length, 1);
    });

    const uncertain: [string, FaultSpec[], number, Partial<{ uploadTimeoutMs: number }>][] = [
      ['a 500', [{ kind: 'serverError', status: 500 }], 500, {}],
      ['a 502', [{ kind: 'serverError', status: 502 }], 502, {}],
      ['a 503 with Retry-After', [{ kind: 'serverError', status: 503, retryAfter: 0 }], 503, {}],
      ['a 504', [{ kind: 'serverError', status: 504 }], 504, {}],
      ['a connection dropped after the body', [{ kind: 'dropAfterBody' }], 0, {}],
      ['no answer within uploadTimeoutMs', [{ kind: 'delay', ms: 3000 }], 0, { uploadTimeoutMs: 300 }],
      ['truncated JSON', [{ kind: 'malformedJson' }], 200, {}],
      ['an HTML page (200)', [{ kind: 'html', status: 200 }], 200, {}],
      ['an HTML page (502)', [{ kind: 'html', status: 502 }], 502, {}],
      ['a connection dropped before the body', [{ kind: 'dropBeforeBody' }], 0, {}],
    ];
    for (const [what, faults, status, opts] of uncertain) {
      it(`${what} → StartUncertainError, not retried, at most one execution`, async () => {
        const { client: c, logs: l } = makeClient(standIn.url, opts);
        standIn.addFaults(faults.map(f => ({ ...f, count: 5, match: { method: 'POST', path: START_PATH } })));
        const err = await rejection(c.startStep(STEP, PDF));
        assert.ok(err instanceof StartUncertainError, `${err?.name}: ${err?.message}`);
        assert.equal(err.kind, 'startUncertain');
        assert.equal(err.status, status || undefined);
        assert.match(err.message, /may have started.*not retried/);
        assert.equal(posts().length, 1, 'exactly one start request');
        assert.ok(startsOfPdf() <= 1);
        if (faults[0].kind === 'dropBeforeBody') {
          assert.equal(startsOfPdf(), 0, 'the stand-in never read the body');
        }
        if (status) {
          assert.match(err.requestId ?? '', /^req_\d+$/);
        }
        assert.ok(!l.some(line => / retry \d/.test(line)), l.join('\n'));
        assertNoKey(err, l);
      });
    }

    it('a 2xx without an execution id → StartUncertainError', async () => {
      const agent = newMockAgent();
      const { client: c, logs: l } = makeClient('https://app.docutray.com', { fetch: mockFetch(agent) });
      agent
        .get('https://app.docutray.com')
        .intercept({ path: START_PATH, method: 'POST' })
        .reply(
          202,
          { status: 'ENQUEUED' },
          { headers: { 'content-type': 'application/json', 'x-request-id': 'req_noid' } },
        );
      const err = await rejection(c.startStep(STEP, PDF));
      assert.ok(err instanceof StartUncertainError);
      assert.equal(err.requestId, 'req_noid');
      assertNoKey(err, l);
      await agent.close();
    });

    it('connection refused is retried (nothing was sent), then ConnectionError', async () => {
      const port = await closedPort();
      let calls = 0;
      const counting: FetchLike = (url, init) => {
        calls++;
        return loopbackFetch(url, init);
      };
      const { client: c, logs: l } = makeClient(`http://127.0.0.1:${port}`, {
        fetch: counting,
        retry: { ...FAST_RETRY, maxRetries: 2 },
      });
      const err = await rejection(c.startStep(STEP, PDF));
      assert.ok(err instanceof ConnectionError, `${err?.name}: ${err?.message}`);
      assert.equal(err.code, 'ECONNREFUSED');
      assert.equal(calls, 3);
      assertNoKey(err, l);
    });

    it('connection refused with a file from disk and a stream are retried too', async () => {
      const port = await closedPort();
      let calls = 0;
      const counting: FetchLike = (url, init) => {
        calls++;
        return loopbackFetch(url, init);
      };
      const { client: c } = makeClient(`http://127.0.0.1:${port}`, {
        fetch: counting,
        retry: { ...FAST_RETRY, maxRetries: 2 },
      });
      const data = Buffer.concat([SAMPLES.pdf, Buffer.alloc(100_000, 0x43)]);
      const err = await rejection(
        c.startStep(STEP, { kind: 'stream', stream: Readable.from([data]), fileName: 'a.pdf', size: data.length }),
      );
      assert.ok(err instanceof ConnectionError, `${err?.name}: ${err?.message}`);
      assert.equal(calls, 3);
    });
  });
});
