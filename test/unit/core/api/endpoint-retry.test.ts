import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { DocuTrayClient } from '../../../../src/core/client/client';
import { FETCH_BLOCKED_PORTS, apiUrl, isLoopbackHost, validateBaseUrl } from '../../../../src/core/api/endpoint';
import { InsecureBaseUrlError } from '../../../../src/core/api/errors';
import {
  DEFAULT_RETRY,
  NOT_SENT_CODES,
  backoffDelay,
  errorCode,
  parseRetryAfter,
} from '../../../../src/core/api/retry';
import { fetch as undiciFetch } from 'undici';
import { KEY, loopbackFetch } from '../client/support';

describe('base URL rules', () => {
  for (const ok of [
    'https://app.docutray.com',
    'https://app.docutray.com/',
    'https://proxy.example/docutray/',
    'http://localhost:8080',
    'http://127.0.0.1:3000',
    'http://127.1.2.3',
    'http://[::1]:9000',
    'http://api.localhost',
  ]) {
    it(`accepts ${ok}`, () => assert.ok(validateBaseUrl(ok) instanceof URL));
  }
  for (const bad of [
    'http://app.docutray.com',
    'http://localhost.example.com',
    'http://127.0.0.1.nip.io',
    'ftp://app.docutray.com',
    'https://user:pw@app.docutray.com',
    'https://app.docutray.com/?x=1',
    'https://app.docutray.com/#x',
    'not a url',
    '',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => validateBaseUrl(bad),
        (e: unknown) => e instanceof InsecureBaseUrlError && e.kind === 'insecureBaseUrl' && e.message.length > 0,
      );
    });
  }
  it('refuses the ports fetch blocks, naming the port, before any request', () => {
    for (const url of ['http://127.0.0.1:6000', 'https://app.docutray.com:22/', 'http://localhost:10080/api']) {
      assert.throws(
        () => validateBaseUrl(url),
        (e: unknown) => e instanceof InsecureBaseUrlError && /port \d+/.test(e.message),
      );
    }
    assert.ok(validateBaseUrl('http://127.0.0.1:6001') instanceof URL);
  });
  it('blocks exactly the ports fetch blocks', async () => {
    // undici's own list (internal, so read by path), and its behaviour for each of ours.
    const constants = path.join(path.dirname(require.resolve('undici')), 'lib', 'web', 'fetch', 'constants.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a file outside the package's exports
    const theirs = (require(constants) as { badPorts: readonly string[] }).badPorts;
    assert.deepEqual([...FETCH_BLOCKED_PORTS].sort(), [...theirs].sort());
    const badPort = async (port: string) => {
      try {
        await undiciFetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
        return false;
      } catch (e) {
        return (e as { cause?: { message?: string } }).cause?.message === 'bad port';
      }
    };
    for (const port of FETCH_BLOCKED_PORTS) {
      assert.equal(await badPort(port), true, `fetch blocks ${port}`);
    }
    assert.equal(await badPort('6001'), false);
  });
  it('refuses an http base URL for a non-loopback host when the client is built', () => {
    assert.throws(
      () => new DocuTrayClient({ baseUrl: 'http://docutray.example.com', apiKey: KEY, fetch: loopbackFetch }),
      InsecureBaseUrlError,
    );
  });
  it('defaults to https://app.docutray.com', () => {
    assert.equal(new DocuTrayClient({ apiKey: KEY, fetch: loopbackFetch }).baseUrl.origin, 'https://app.docutray.com');
  });
  it('keeps a path prefix and drops trailing slashes', () => {
    assert.equal(
      apiUrl(validateBaseUrl('https://proxy.example/docutray//'), '/api/auth/ok'),
      'https://proxy.example/docutray/api/auth/ok',
    );
    assert.equal(
      apiUrl(validateBaseUrl('https://app.docutray.com'), '/api/auth/ok'),
      'https://app.docutray.com/api/auth/ok',
    );
  });
  it('knows loopback hosts', () => {
    assert.equal(isLoopbackHost('LOCALHOST'), true);
    assert.equal(isLoopbackHost('127.0.0.1'), true);
    assert.equal(isLoopbackHost('[::1]'), true);
    assert.equal(isLoopbackHost('10.0.0.1'), false);
  });
});

describe('retry timing', () => {
  it('reads Retry-After in seconds', () => {
    assert.equal(parseRetryAfter('2'), 2000);
    assert.equal(parseRetryAfter(' 1.5 '), 1500);
    assert.equal(parseRetryAfter('0'), 0);
  });
  it('reads Retry-After as an HTTP date', () => {
    const now = Date.parse('Wed, 21 Oct 2015 07:28:00 GMT');
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', now), 5000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:27:00 GMT', now), 0);
  });
  it('ignores an absent or unreadable Retry-After', () => {
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter(''), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter('-3'), undefined);
  });
  it('backs off exponentially with 25–50 % jitter, capped', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelay(0, p, undefined, () => 0),
      125,
    );
    assert.equal(
      backoffDelay(0, p, undefined, () => 1),
      150,
    );
    assert.equal(
      backoffDelay(2, p, undefined, () => 0),
      500,
    );
    assert.equal(
      backoffDelay(10, p, undefined, () => 1),
      1000,
    );
  });
  it('never retries sooner than Retry-After, even past the cap', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffDelay(0, p, 3000, () => 0),
      3000,
    );
    assert.equal(
      backoffDelay(3, p, 10, () => 0),
      1000,
    );
  });
  it('digs the system code out of a fetch failure', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(errorCode(new TypeError('fetch failed', { cause: refused })), 'ECONNREFUSED');
    const both = Object.assign(new AggregateError([refused, refused]), {});
    assert.equal(errorCode(new TypeError('fetch failed', { cause: both })), 'ECONNREFUSED');
    assert.equal(errorCode(new TypeError('fetch failed')), undefined);
  });
  it('counts only failures before a byte was sent as not sent', () => {
    assert.ok(NOT_SENT_CODES.has('ECONNREFUSED'));
    assert.ok(NOT_SENT_CODES.has('ENOTFOUND'));
    assert.ok(!NOT_SENT_CODES.has('ECONNRESET'));
    assert.ok(!NOT_SENT_CODES.has('UND_ERR_SOCKET'));
    assert.ok(!NOT_SENT_CODES.has('EPIPE'));
  });
});
