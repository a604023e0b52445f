/** Sleeping for the client, the poller and the stores. */
import * as assert from 'node:assert/strict';
import { sleep } from '../../../../src/core/async/sleep';

describe('core async: sleep', () => {
  it('wakes early on abort, rejecting with the reason', async () => {
    const c = new AbortController();
    // An hour: only the abort can end it within the test's timeout.
    const p = sleep(3_600_000, c.signal);
    setTimeout(() => c.abort(new Error('stop')), 20);
    await assert.rejects(p, /stop/);
  });
  it('rejects at once when the signal has already aborted', async () => {
    const c = new AbortController();
    c.abort(new Error('already'));
    await assert.rejects(sleep(3_600_000, c.signal), /already/);
  });
  it('resolves after a short wait', async () => {
    await sleep(5);
  });
});
