/**
 * Every error the client can throw: its class and kind, the HTTP status, the server's request id and a
 * message fit to show; and in each case, the API key nowhere in the error or the log.
 */
import * as assert from 'node:assert/strict';
import { MockAgent } from 'undici';
import { DocuTrayClient } from '../../../../src/core/client/client';
import {
  AuthenticationError,
  BadRequestError,
  CancelledError,
  ConnectionError,
  DocuTrayError,
  HttpError,
  InvalidResponseError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionError,
  RateLimitError,
  ServerError,
  StepFailedError,
  TimeoutError,
  QuotaExceededError,
  connectionProblem,
  connectionProblemText,
} from '../../../../src/core/api/errors';
import { NOT_SENT_CODES } from '../../../../src/core/api/retry';
import { StandIn } from '../../../../stand-in/server';
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
} from './support';

const STEP = 'step_errors';
const PDF = { kind: 'bytes' as const, data: SAMPLES.pdf, fileName: 'a.pdf' };

describe('client errors', () => {
  let standIn: StandIn;
  let client: DocuTrayClient;
  let logs: string[];

  useStandInClient(
    {
      settings: { maxUploadBytes: 100 * 1024 * 1024 },
      steps: [
        { id: STEP, outcome: { status: 'SUCCESS', data: { ok: true } } },
        { id: 'step_never', outcome: { status: 'NEVER' } },
        {
          id: 'step_fails',
          enqueuedPolls: 1,
          outcome: {
            status: 'ERROR',
            error: { step: 'extract', code: 'EXTRACTION_FAILED', message: 'No total found' },
          },
        },
        { id: 'step_fails_text', outcome: { status: 'ERROR', error: 'The document is unreadable' } },
      ],
      // No retries unless a test wants them: each error surfaces from one request.
      client: { retry: { maxRetries: 0 } },
    },
    f => ({ standIn, client, logs } = f),
  );

  /** The request id the stand-in gave the last request. */
  function lastRequestId(): string {
    const reqs = standIn.requests();
    return reqs[reqs.length - 1].requestId;
  }

  function checkCommon(err: DocuTrayError, status: number | undefined, requestId?: string) {
    assert.ok(err instanceof DocuTrayError, `a DocuTrayError, got ${String(err)}`);
    assert.equal(err.status, status);
    if (requestId !== undefined) {
      assert.equal(err.requestId, requestId);
    }
    assert.ok(
      err.message.length > 10 && !/undefined|\[object/.test(err.message),
      `a message fit to show: ${err.message}`,
    );
    assertNoKey(err, logs);
  }

  describe('HTTP errors from the stand-in', () => {
    it('401 → AuthenticationError', async () => {
      const other = 'dtWRONGKEY_abcdefghijklmnopqrstuvwxyz0123';
      const { client: wrong, logs: wrongLogs } = makeClient(standIn.url, { apiKey: other });
      const err = await rejection(wrong.checkKey());
      assert.ok(err instanceof AuthenticationError);
      assert.equal(err.kind, 'authentication');
      assert.equal(err.serverMessage, 'Unauthorized', 'GET /api/usage answers {"error":"Unauthorized"}');
      checkCommon(err, 401, lastRequestId());
      assertNoKey(err, wrongLogs, other);
      assert.equal(standIn.requests().length, 1, '401 is not retried');
    });

    it('401 on a start → AuthenticationError, nothing started', async () => {
      const { client: wrong } = makeClient(standIn.url, { apiKey: 'dtWRONGKEY_abcdefghijklmnopqrstuvwxyz0123' });
      const err = await rejection(wrong.startStep(STEP, PDF));
      assert.ok(err instanceof AuthenticationError);
      assert.deepEqual(standIn.starts(), []);
    });

    it('404 on a start → NotFoundError for the step', async () => {
      const err = await rejection(client.startStep('step_missing', PDF));
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.kind, 'notFound');
      assert.equal(err.resource, 'step');
      assert.equal(err.resourceId, 'step_missing');
      assert.match(err.message, /step "step_missing"/);
      checkCommon(err, 404, lastRequestId());
    });

    it('404 on a status → NotFoundError for the execution', async () => {
      const err = await rejection(client.getStatus('exec_404'));
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.resource, 'execution');
      assert.equal(err.resourceId, 'exec_404');
      assert.match(err.message, /execution "exec_404"/);
      checkCommon(err, 404, lastRequestId());
    });

    it('413 → PayloadTooLargeError', async () => {
      standIn.configure({ maxUploadBytes: 100 });
      const err = await rejection(client.startStep(STEP, PDF));
      assert.ok(err instanceof PayloadTooLargeError);
      assert.equal(err.kind, 'payloadTooLarge');
      assert.equal(err.sizeBytes, SAMPLES.pdf.length);
      // The server's own limit was lower than DocuTray's documented 100 MB: don't claim 100 MB.
      assert.doesNotMatch(err.message, /the limit is 100 MB/);
      assert.match(err.message, /too large \(413\): File exceeds maximum allowed size \(100MB\)/);
      checkCommon(err, 413, lastRequestId());
    });

    it('a format DocuTray does not read (URL) → 400 with the reason, shown in full', async () => {
      const err = await rejection(client.startStep(STEP, { kind: 'url', url: 'https://files.example.com/notes.txt' }));
      assert.ok(err instanceof BadRequestError);
      assert.match(err.message, /\(400\): Validation error: Unsupported file type\. Supported types: PDF, JPEG/);
      checkCommon(err, 400, lastRequestId());
    });

    it('nested error bodies ({error:{code,message}}) give the server message', async () => {
      standIn.configure({ errorStyle: 'nested' });
      const err = await rejection(client.getStatus('exec_404'));
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.serverMessage, 'Execution not found');
    });

    it('429 → RateLimitError with Retry-After seconds and the rate-limit headers', async () => {
      standIn.addFaults({ kind: 'rateLimit', retryAfter: 7, count: 1, match: { path: '/api/usage' } });
      const before = Math.floor(Date.now() / 1000);
      const err = await rejection(client.checkKey());
      assert.ok(err instanceof RateLimitError);
      assert.equal(err.kind, 'rateLimited');
      assert.equal(err.info.retryAfterSeconds, 7);
      assert.equal(err.info.limitType, 'minute');
      assert.equal(err.info.limit, 60);
      assert.equal(err.info.remaining, 0);
      assert.ok(err.info.resetAt !== undefined && err.info.resetAt >= before + 7 && err.info.resetAt <= before + 9);
      assert.match(err.message, /7 s/);
      checkCommon(err, 429, lastRequestId());
    });

    it('429 with an HTTP-date Retry-After', async () => {
      standIn.addFaults({
        kind: 'rateLimit',
        retryAfter: 'http-date',
        retryAfterSeconds: 5,
        match: { path: '/api/usage' },
      });
      const err = await rejection(client.checkKey());
      assert.ok(err instanceof RateLimitError);
      const s = err.info.retryAfterSeconds ?? -1;
      // HTTP dates have one-second precision.
      assert.ok(s > 3.5 && s <= 5, `retryAfterSeconds ${s}`);
      checkCommon(err, 429, lastRequestId());
    });

    it('429 without Retry-After reads the body (retryAfter, limitType)', async () => {
      standIn.addFaults({ kind: 'rateLimit', retryAfter: 'none', retryAfterSeconds: 3, match: { path: '/api/usage' } });
      const err = await rejection(client.checkKey());
      assert.ok(err instanceof RateLimitError);
      assert.equal(err.info.retryAfterSeconds, 3);
      assert.equal(err.info.limitType, 'minute');
    });

    for (const status of [500, 502, 503, 504] as const) {
      it(`${status} → ServerError`, async () => {
        standIn.addFaults({ kind: 'serverError', status, match: { path: '/api/steps-async/status/' } });
        const err = await rejection(client.getStatus('exec_1'));
        assert.ok(err instanceof ServerError);
        assert.equal(err.kind, 'server');
        assert.equal(err.serverMessage, 'Error processing request');
        assert.match(err.message, new RegExp(`${status}`));
        checkCommon(err, status, lastRequestId());
      });
    }

    it('an HTML proxy page with 502 → ServerError without the page in the message', async () => {
      standIn.addFaults({ kind: 'html', status: 502, match: { path: '/api/usage' } });
      const err = await rejection(client.checkKey());
      assert.ok(err instanceof ServerError);
      assert.doesNotMatch(err.message, /<html|nginx/i);
      checkCommon(err, 502, lastRequestId());
    });

    it('an HTML page with 200 → InvalidResponseError', async () => {
      standIn.addFaults({ kind: 'html', status: 200, match: { path: '/api/usage' } });
      const err = await rejection(client.checkKey());
      assert.ok(err instanceof InvalidResponseError);
      assert.equal(err.kind, 'invalidResponse');
      assert.match(err.message, /HTML/);
      checkCommon(err, 200, lastRequestId());
    });

    it('truncated JSON with 200 → InvalidResponseError', async () => {
      standIn.addFaults({ kind: 'malformedJson', match: { path: '/api/steps-async/status/' } });
      const err = await rejection(client.getStatus('exec_1'));
      assert.ok(err instanceof InvalidResponseError);
      checkCommon(err, 200, lastRequestId());
    });
  });

  describe('transport errors', () => {
    it('connection refused → ConnectionError with the code, after retries', async () => {
      const port = await closedPort();
      const { client: c, logs: l } = makeClient(`http://127.0.0.1:${port}`, {
        retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 2 },
      });
      const err = await rejection(c.checkKey());
      assert.ok(err instanceof ConnectionError);
      assert.equal(err.kind, 'connection');
      assert.equal(err.code, 'ECONNREFUSED');
      assert.equal(err.status, undefined);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}: nothing answered at that address`));
      assert.doesNotMatch(err.message, /ECONNREFUSED/, 'the code is for the log, not the message');
      assert.equal(l.filter(line => / retry \d\/2 /.test(line)).length, 2, l.join('\n'));
      assertNoKey(err, l);
    });

    it('a connection the service closes → ConnectionError in words ("closed by the service"), its code kept apart', async () => {
      const { client: c, logs: l } = makeClient(standIn.url, {
        retry: { baseDelayMs: 5, maxDelayMs: 20, maxRetries: 1 },
      });
      standIn.addFaults({ kind: 'dropBeforeBody', count: 2, match: { path: '/api/usage' } });
      const err = await rejection(c.checkKey());
      assert.ok(err instanceof ConnectionError, `${err.name}: ${err.message}`);
      assert.ok(['UND_ERR_SOCKET', 'ECONNRESET'].includes(err.code ?? ''), err.code);
      assert.match(err.message, /: the connection was closed by the service\. Check the network/);
      assert.doesNotMatch(err.message, /UND_ERR|ECONN/);
      assertNoKey(err, l);
    });

    it('every system code in words; one it does not know as "the connection failed"', () => {
      const words = (code: string | undefined) => connectionProblemText(code);
      assert.equal(words('UND_ERR_SOCKET'), 'the connection was closed by the service');
      assert.equal(words('ECONNRESET'), 'the connection was closed by the service');
      assert.equal(words('ENOTFOUND'), "the server's name could not be found");
      assert.equal(words('UND_ERR_CONNECT_TIMEOUT'), 'the connection timed out');
      assert.equal(words('CERT_HAS_EXPIRED'), "the server's certificate was not accepted");
      assert.equal(words('EHOSTUNREACH'), 'the network could not reach the server');
      assert.equal(words('E_SOMETHING_NEW'), 'the connection failed');
      assert.equal(words(undefined), 'the connection failed');
      assert.equal(connectionProblem('__proto__'), 'other');
      // Each code the client tells apart (sent or not) has its words.
      for (const code of NOT_SENT_CODES) {
        assert.notEqual(connectionProblem(code), 'other', code);
      }
    });

    it('no answer within requestTimeoutMs → TimeoutError', async () => {
      const { client: c, logs: l } = makeClient(standIn.url, { requestTimeoutMs: 150, retry: { maxRetries: 0 } });
      standIn.addFaults({ kind: 'delay', ms: 2000, match: { path: '/api/usage' } });
      const t0 = Date.now();
      const err = await rejection(c.checkKey());
      assert.ok(err instanceof TimeoutError);
      assert.equal(err.kind, 'timeout');
      assert.ok(Date.now() - t0 < 1000);
      assertNoKey(err, l);
    });

    it('an abort → CancelledError, at once', async () => {
      standIn.addFaults({ kind: 'delay', ms: 5000, match: { path: '/api/usage' } });
      const controller = new AbortController();
      const p = client.checkKey({ signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      const t0 = Date.now();
      const err = await rejection(p);
      assert.ok(err instanceof CancelledError);
      assert.equal(err.kind, 'cancelled');
      assert.equal(err.mayHaveStarted, false);
      assert.ok(Date.now() - t0 < 1000);
      assertNoKey(err, logs);
    });

    it('an already aborted signal sends nothing', async () => {
      const err = await rejection(client.checkKey({ signal: AbortSignal.abort() }));
      assert.ok(err instanceof CancelledError);
      assert.equal(standIn.requests().length, 0);
    });
  });

  describe('failed executions', () => {
    it('ERROR with an error object → StepFailedError, never a success', async () => {
      const err = await rejection(client.runStep('step_fails', PDF));
      assert.ok(err instanceof StepFailedError);
      assert.equal(err.kind, 'stepFailed');
      assert.deepEqual(err.failure, { message: 'No total found', code: 'EXTRACTION_FAILED', step: 'extract' });
      assert.match(err.executionId, /^exec_\d+$/);
      assert.equal(err.execution?.status, 'ERROR');
      assert.match(err.message, /EXTRACTION_FAILED.*No total found/);
      assertNoKey(err, logs);
    });

    it('ERROR with an error string → StepFailedError', async () => {
      const err = await rejection(client.runStep('step_fails_text', PDF));
      assert.ok(err instanceof StepFailedError);
      assert.equal(err.failure.message, 'The document is unreadable');
    });

    it('waitForCompletion on an ERROR execution rejects too', async () => {
      const started = await client.startStep('step_fails_text', PDF);
      await assert.rejects(client.waitForCompletion(started.id), StepFailedError);
    });
  });

  describe('HTTP errors from a mock (statuses the stand-in does not produce)', () => {
    const BASE = 'https://app.docutray.com';
    let agent: MockAgent;
    let mocked: DocuTrayClient;
    let mockLogs: string[];

    beforeEach(() => {
      agent = newMockAgent();
      ({ client: mocked, logs: mockLogs } = makeClient(BASE, { fetch: mockFetch(agent), retry: { maxRetries: 0 } }));
    });
    afterEach(() => agent.close());

    const json = (requestId: string, extra: Record<string, string> = {}) => ({
      headers: { 'content-type': 'application/json', 'x-request-id': requestId, ...extra },
    });

    it("400 with the server's validation messages → BadRequestError", async () => {
      agent
        .get(BASE)
        .intercept({ path: `/api/steps-async/${STEP}`, method: 'POST' })
        .reply(
          400,
          {
            message: 'Validation error',
            errors: ['Image file is required', { path: 'document_metadata', message: 'must be an object' }],
          },
          json('req_m400'),
        );
      const err = await rejection(mocked.startStep(STEP, PDF));
      assert.ok(err instanceof BadRequestError);
      assert.equal(err.kind, 'badRequest');
      assert.deepEqual(err.errors, ['Image file is required', 'document_metadata: must be an object']);
      assert.match(err.message, /Image file is required; document_metadata: must be an object/);
      assert.equal(err.serverMessage, 'Validation error');
      checkCommonMock(err, 400, 'req_m400');
    });

    it('422 with only a message → BadRequestError with that message', async () => {
      agent
        .get(BASE)
        .intercept({ path: `/api/steps-async/${STEP}`, method: 'POST' })
        .reply(422, { error: { code: 'INVALID_REQUEST', message: 'The step is disabled' } }, json('req_m422'));
      const err = await rejection(mocked.startStep(STEP, PDF));
      assert.ok(err instanceof BadRequestError);
      assert.match(err.message, /422.*The step is disabled/);
      checkCommonMock(err, 422, 'req_m422');
    });

    it('403 on a start → the step id, not the key (as the reference answers an unknown step)', async () => {
      agent
        .get(BASE)
        .intercept({ path: `/api/steps-async/${STEP}`, method: 'POST' })
        .reply(403, { message: 'Step not found or access denied' }, json('req_m403'));
      const err = await rejection(mocked.startStep(STEP, PDF));
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.resource, 'step');
      assert.equal(err.resourceId, STEP);
      assert.match(
        err.message,
        /no step "step_errors" that this API key may use \(403: Step not found or access denied\)/,
      );
      checkCommonMock(err, 403, 'req_m403');
    });

    it('403 on the key check → PermissionError with the server message', async () => {
      agent
        .get(BASE)
        .intercept({ path: '/api/usage', method: 'GET' })
        .reply(403, { message: 'Forbidden for this key' }, json('req_k403'));
      const err = await rejection(mocked.checkKey());
      assert.ok(err instanceof PermissionError);
      assert.match(err.message, /403.*Forbidden for this key/);
      checkCommonMock(err, 403, 'req_k403');
    });

    it('404 on the key check → NotFoundError for the endpoint', async () => {
      agent
        .get(BASE)
        .intercept({ path: '/api/usage', method: 'GET' })
        .reply(404, 'Not Found', { headers: { 'x-request-id': 'req_m404' } });
      const err = await rejection(mocked.checkKey());
      assert.ok(err instanceof NotFoundError);
      assert.equal(err.resource, 'endpoint');
      assert.match(err.message, /base URL/);
      checkCommonMock(err, 404, 'req_m404');
    });

    it('another status (409) → HttpError with a plain-text server message', async () => {
      agent
        .get(BASE)
        .intercept({ path: '/api/usage', method: 'GET' })
        .reply(409, 'Conflicting request', { headers: { 'x-request-id': 'req_m409' } });
      const err = await rejection(mocked.checkKey());
      assert.ok(err instanceof HttpError);
      assert.equal(err.kind, 'http');
      assert.match(err.message, /409: Conflicting request/);
      checkCommonMock(err, 409, 'req_m409');
    });

    it('402 as plain text → QuotaExceededError without figures', async () => {
      agent
        .get(BASE)
        .intercept({ path: `/api/steps-async/${STEP}`, method: 'POST' })
        .reply(402, 'Quota exceeded for this month', { headers: { 'x-request-id': 'req_m402' } });
      const err = await rejection(mocked.startStep(STEP, PDF));
      assert.ok(err instanceof QuotaExceededError);
      assert.deepEqual(err.info, { quota: undefined, used: undefined, resetDate: undefined });
      checkCommonMock(err, 402, 'req_m402');
    });

    it('a redirect is not followed with the key', async () => {
      agent
        .get(BASE)
        .intercept({ path: '/api/usage', method: 'GET' })
        .reply(302, '', { headers: { location: 'https://evil.example/steal', 'x-request-id': 'req_m302' } });
      const err = await rejection(mocked.checkKey());
      assert.ok(err instanceof HttpError);
      assert.match(err.message, /evil\.example.*not sent there/);
      checkCommonMock(err, 302, 'req_m302');
    });

    it('a server that echoes the key in its messages does not make us show it', async () => {
      agent
        .get(BASE)
        .intercept({ path: `/api/steps-async/${STEP}`, method: 'POST' })
        .reply(
          400,
          { message: `Bad token Bearer ${KEY}`, errors: [`key ${KEY} is not allowed here`] },
          json('req_echo'),
        );
      const err = await rejection(mocked.startStep(STEP, PDF));
      assert.ok(err instanceof BadRequestError);
      assert.match(err.message, /key \*\*\* is not allowed here/);
      assert.equal(err.serverMessage, 'Bad token Bearer ***');
      checkCommonMock(err, 400, 'req_echo');
    });

    it('a status answer without any id uses the id asked for', async () => {
      agent
        .get(BASE)
        .intercept({ path: '/api/steps-async/status/exec_77', method: 'GET' })
        .reply(200, { status: 'PROCESSING', progress: 40 }, json('req_noid'));
      const e = await mocked.getStatus('exec_77');
      assert.equal(e.id, 'exec_77');
      assert.equal(e.progress, 40);
    });

    function checkCommonMock(err: DocuTrayError, status: number, requestId: string) {
      assert.equal(err.status, status);
      assert.equal(err.requestId, requestId);
      assertNoKey(err, mockLogs);
    }
  });
});
