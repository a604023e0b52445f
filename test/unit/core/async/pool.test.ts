/** The bounded pool that runs many documents at once (runs, folder batches, checks of expected results). */
import * as assert from 'assert';
import { runPool } from '../../../../src/core/async/pool';

describe('core async: runPool', () => {
  it('never has more than the limit in flight, keeps order, settles failures', async () => {
    let inFlight = 0;
    let most = 0;
    const results = await runPool([1, 2, 3, 4, 5, 6], 2, async n => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise(r => setTimeout(r, 10));
      inFlight--;
      if (n === 4) {
        throw new Error('four');
      }
      return n * 10;
    });
    assert.strictEqual(most, 2);
    assert.deepStrictEqual(
      results.map(r => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      [10, 20, 30, 'four', 50, 60],
    );
  });
});
