/**
 * The API key never leaves through an error or a log line. Every error the client can produce is
 * produced here with one distinctive key, and every view of it searched: message, String(err),
 * JSON.stringify, enumerable fields, util.inspect (causes included) and the client's log.
 */
import * as assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { DocuTrayClient } from '../../../../src/core/client/client';
import { inspect } from 'node:util';
import { DocuTrayError } from '../../../../src/core/api/errors';
import { redactSecret, redactUrl } from '../../../../src/core/api/redact';
import { FaultSpec, StandIn } from '../../../../stand-in/server';
import {
  KEY,
  SAMPLES,
  assertNoKey,
  closedPort,
  makeClient,
  mockFetch,
  newMockAgent,
  rejection,
  useStandInClient,
} from '../client/support';

const PDF = { kind: 'bytes' as const, data: SAMPLES.pdf, fileName: 'a.pdf' };

describe('the API key never appears in errors or logs', () => {
  let standIn: StandIn;
  let client: DocuTrayClient;
  let logs: string[];

  useStandInClient(
    {
      steps: [
        { id: 'step_ok', outcome: { status: 'SUCCESS', data: { echo: 'nothing secret' } } },
        { id: 'step_fails', outcome: { status: 'ERROR', error: { code: 'EXTRACTION_FAILED', message: 'No total' } } },
        { id: 'step_never', outcome: { status: 'NEVER' } },
      ],
      client: { retry: { baseDelayMs: 1, maxDelayMs: 5, maxRetries: 1 }, requestTimeoutMs: 300, uploadTimeoutMs: 300 },
    },
    f => ({ standIn, client, logs } = f),
  );

  const faults: [string, FaultSpec][] = [
    ['429', { kind: 'rateLimit', retryAfter: 0, count: 9 }],
    ['500', { kind: 'serverError', status: 500, count: 9 }],
    ['501', { kind: 'serverError', status: 501, count: 9 }],
    ['503', { kind: 'serverError', status: 503, count: 9 }],
    ['html', { kind: 'html', status: 200, count: 9 }],
    ['malformed JSON', { kind: 'malformedJson', count: 9 }],
    ['drop before body', { kind: 'dropBeforeBody', count: 9 }],
    ['drop after body', { kind: 'dropAfterBody', count: 9 }],
    ['delay past the timeout', { kind: 'delay', ms: 1500, count: 9 }],
    ['a redirect with the key in Location', { kind: 'redirect', withKey: true, count: 9 }],
    [
      'a 307 with the key in the path of Location',
      { kind: 'redirect', status: 307, location: `https://elsewhere.invalid/${KEY}/x`, count: 9 },
    ],
  ];
  for (const [what, fault] of faults) {
    for (const op of ['checkKey', 'startStep', 'getStatus'] as const) {
      it(`${what} on ${op}`, async () => {
        const id = op === 'getStatus' ? (await client.startStep('step_ok', PDF)).id : '';
        standIn.addFaults(fault);
        const p =
          op === 'checkKey'
            ? client.checkKey()
            : op === 'startStep'
              ? client.startStep('step_ok', PDF)
              : client.getStatus(id);
        const err = await rejection(p);
        assert.ok(err instanceof DocuTrayError, String(err));
        assertNoKey(err, logs);
      });
    }
  }

  const cases: [string, (c: DocuTrayClient) => Promise<unknown>][] = [
    ['404 step', c => c.startStep('step_missing', PDF)],
    ['404 execution', c => c.getStatus('exec_missing')],
    ['415', c => c.startStep('step_ok', { kind: 'url', url: 'https://x.example/a.txt' })],
    ['ERROR execution', c => c.runStep('step_fails', PDF)],
    ['polling timeout', c => c.runStep('step_never', PDF, { timeoutMs: 400 })],
    ['cancel', c => c.runStep('step_never', PDF, { signal: AbortSignal.timeout(300) })],
    ['local refusal', c => c.startStep('step_ok', { kind: 'bytes', data: SAMPLES.text, fileName: 'x.txt' })],
    [
      'a bad step id with a stream',
      c => c.startStep('..', { kind: 'stream', stream: Readable.from([SAMPLES.pdf]), fileName: 'a.pdf' }),
    ],
  ];
  for (const [what, run] of cases) {
    it(what, async () => {
      const err = await rejection(run(client));
      assert.ok(err instanceof DocuTrayError, String(err));
      assertNoKey(err, logs);
    });
  }

  it('401 with the key echoed back', async () => {
    const agent = newMockAgent();
    const { client: c, logs: l } = makeClient('https://app.docutray.com', {
      fetch: mockFetch(agent),
      retry: { maxRetries: 0 },
    });
    agent
      .get('https://app.docutray.com')
      .intercept({ path: '/api/usage', method: 'GET' })
      .reply(
        401,
        { message: `Invalid API key: ${KEY}`, error: { message: `token ${KEY} revoked` } },
        { headers: { 'content-type': 'application/json' } },
      );
    const err = await rejection(c.checkKey());
    assert.equal(err.kind, 'authentication');
    assertNoKey(err, l);
    await agent.close();
  });

  it('a plain-text error page quoting the request headers', async () => {
    const agent = newMockAgent();
    const { client: c, logs: l } = makeClient('https://app.docutray.com', {
      fetch: mockFetch(agent),
      retry: { maxRetries: 0 },
    });
    agent
      .get('https://app.docutray.com')
      .intercept({ path: '/api/usage', method: 'GET' })
      .reply(418, `Teapot. Your headers: Authorization: Bearer ${KEY}`);
    const err = await rejection(c.checkKey());
    assert.equal(err.kind, 'http');
    assertNoKey(err, l);
    await agent.close();
  });

  it('a redirect says where it went, without the key in any form', async () => {
    standIn.addFaults({ kind: 'redirect', withKey: true, count: 1 });
    const err = await rejection(client.checkKey());
    assert.equal(err.status, 302);
    assert.match(err.message, /elsewhere\.invalid\/moved.*not sent there/);
    assert.ok(!err.message.includes(encodeURIComponent(KEY).slice(4)), err.message);
    assertNoKey(err, logs);
  });

  it('an answer that echoes the key in its request id, execution id and result', async () => {
    const agent = newMockAgent();
    const { client: c, logs: l } = makeClient('https://app.docutray.com', {
      fetch: mockFetch(agent),
      retry: { maxRetries: 0 },
    });
    const json = (id: string) => ({ headers: { 'content-type': 'application/json', 'x-request-id': id } });
    const pool = agent.get('https://app.docutray.com');
    pool
      .intercept({ path: '/api/steps-async/step_ok', method: 'POST' })
      .reply(202, { id: `exec_${KEY.slice(0, 6)}`, status: 'ENQUEUED' }, json(`req-${KEY}`));
    pool.intercept({ path: `/api/steps-async/status/exec_${KEY.slice(0, 6)}`, method: 'GET' }).reply(
      200,
      // \u escapes spell the key where a plain search would not see it.
      `{"id":"exec_1","status":"ERROR","error":{"code":"X","message":"bad key \\u0064${KEY.slice(1)}"},"data":{"${KEY}":"${encodeURIComponent(KEY)}"}}`,
      json(`req2-${encodeURIComponent(KEY)}`),
    );
    const err = await rejection(c.runStep('step_ok', PDF));
    assert.equal(err.kind, 'stepFailed');
    assertNoKey(err, l);
    assert.ok(!inspect(err, { depth: 8 }).includes(encodeURIComponent(KEY)));
    await agent.close();
  });

  it('masks every form the key travels in', () => {
    const forms = [
      KEY,
      encodeURIComponent(`${KEY}/+=`),
      Buffer.from(KEY).toString('base64'),
      JSON.stringify(`a"${KEY}`),
    ];
    for (const f of forms) {
      const shown = redactSecret(`before ${f} after`, KEY);
      assert.ok(!decodeURIComponent(shown).includes(KEY), shown);
    }
    // Partly percent-encoded: no plain replacement finds it, so the text is withheld.
    const mixed = `x ${KEY.slice(0, 5)}%${KEY.charCodeAt(5).toString(16)}${KEY.slice(6)} y`;
    assert.ok(!decodeURIComponent(redactSecret(mixed, KEY)).includes(KEY));
    assert.equal(redactUrl(`https://h.example/p?api_key=${KEY}#${KEY}`, KEY), 'https://h.example/p?…');
    assert.equal(redactSecret('nothing secret', KEY), 'nothing secret');
  });

  it('connection refused', async () => {
    const { client: c, logs: l } = makeClient(`http://127.0.0.1:${await closedPort()}`, {
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 },
    });
    for (const run of [() => c.checkKey(), () => c.startStep('step_ok', PDF), () => c.getStatus('exec_1')]) {
      assertNoKey(await rejection(run()), l);
    }
  });

  it('a key with characters no key has', async () => {
    const bad = `${KEY} extra`;
    const { client: c, logs: l } = makeClient(standIn.url, { apiKey: bad });
    const err = await rejection(c.checkKey());
    assertNoKey(err, l, KEY);
  });

  it('successful requests log no key either', async () => {
    await client.checkKey();
    await client.runStep('step_ok', PDF);
    assert.ok(logs.length >= 3);
    assertNoKey(new Error('none'), logs);
  });
});
