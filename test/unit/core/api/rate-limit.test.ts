/** What an answer says about the rate limit (rateLimit.ts), read relative to the answer. */
import * as assert from 'node:assert/strict';
import { rateLimitInfo, readRateLimit } from '../../../../src/core/api/rateLimit';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('rate-limit reading', () => {
  it('reads X-RateLimit-* and Retry-After from Headers or a record, whatever the case', () => {
    const fromHeaders = readRateLimit(
      {
        status: 200,
        headers: new Headers({
          'X-RateLimit-Limit': '60',
          'X-RateLimit-Remaining': '7',
          'X-RateLimit-Reset': String(NOW / 1000 + 60),
          'X-RateLimit-Limit-Type': 'Minute',
        }),
      },
      NOW,
    );
    assert.deepEqual(fromHeaders, {
      limit: 60,
      limitType: 'minute',
      remaining: 7,
      resetAt: NOW + 60_000,
      resetRounded: true,
      resetTime: NOW / 1000 + 60,
      retryAfterMs: undefined,
      headers: true,
    });
    assert.equal(readRateLimit({ status: 429, headers: { 'Retry-After': '7' } }, NOW).retryAfterMs, 7000);
    assert.equal(readRateLimit({ status: 429, headers: { 'retry-after': '-3' } }, NOW).retryAfterMs, undefined);
  });

  it("reads a 429's body when the headers say nothing, and only a 429's", () => {
    const body = {
      error: 'Rate limit exceeded',
      limitType: 'hour',
      limit: 1000,
      remaining: 0,
      resetTime: NOW / 1000 + 90,
      retryAfter: 90,
    };
    const r = readRateLimit({ status: 429, headers: {}, body }, NOW);
    assert.deepEqual(
      [r.limit, r.limitType, r.remaining, r.resetAt, r.retryAfterMs, r.headers],
      [1000, 'hour', 0, NOW + 90_000, 90_000, false],
    );
    assert.equal(readRateLimit({ status: 200, body }, NOW).limit, undefined, "a 2xx body is the execution's");
  });

  it('takes a reset in milliseconds, in unix seconds, or as seconds from now', () => {
    const reset = (v: string) => readRateLimit({ status: 200, headers: { 'x-ratelimit-reset': v } }, NOW).resetAt;
    assert.equal(reset(String(NOW + 12_345)), NOW + 12_345);
    assert.equal(reset(String(NOW / 1000 + 30)), NOW + 30_000);
    assert.equal(reset('42'), NOW + 42_000);
    assert.equal(
      readRateLimit({ status: 200, headers: { 'x-ratelimit-reset': String(NOW + 5) } }, NOW).resetRounded,
      false,
    );
  });

  it("measures times from the answer's Date header when the clocks disagree, not from the local clock", () => {
    const server = NOW + 120_000; // the local clock is two minutes behind
    const date = new Date(server).toUTCString();
    const r = readRateLimit(
      {
        status: 429,
        headers: {
          date,
          'x-ratelimit-reset': String(server / 1000 + 60),
          'retry-after': new Date(server + 45_000).toUTCString(),
        },
      },
      NOW,
    );
    assert.equal(r.resetAt, NOW + 60_000);
    assert.equal(r.retryAfterMs, 45_000, 'an HTTP-date Retry-After, from the Date header');
    // Within the Date header's second (and a little latency) the local clock is trusted as it is.
    const near = readRateLimit(
      {
        status: 200,
        headers: { date: new Date(NOW - 700).toUTCString(), 'x-ratelimit-reset': String(NOW / 1000 + 60) },
      },
      NOW,
    );
    assert.equal(near.resetAt, NOW + 60_000);
  });

  it('never waits longer than a day, however far off the answer says', () => {
    const r = readRateLimit(
      {
        status: 429,
        headers: { 'retry-after': String(365 * 86_400), 'x-ratelimit-reset': String(NOW / 1000 + 365 * 86_400) },
      },
      NOW,
    );
    assert.equal(r.retryAfterMs, 86_400_000);
    assert.equal(r.resetAt, NOW + 86_400_000);
  });

  it("says when to try again for the user: Retry-After, or else the reset's distance from the answer", () => {
    assert.equal(rateLimitInfo({ status: 429, headers: { 'retry-after': '20' } }, NOW).retryAfterSeconds, 20);
    const info = rateLimitInfo(
      { status: 429, headers: {}, body: { limitType: 'minute', limit: 60, remaining: 0, resetTime: NOW / 1000 + 31 } },
      NOW,
    );
    assert.deepEqual(info, {
      retryAfterSeconds: 31,
      limitType: 'minute',
      limit: 60,
      remaining: 0,
      resetAt: NOW / 1000 + 31,
    });
  });
});
