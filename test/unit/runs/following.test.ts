/**
 * What a window follows (src/runs/following.ts): told by the runs and batches, asked by the history.
 */
import * as assert from 'node:assert/strict';
import { Following } from '../../../src/runs/following';

describe('what a window follows', () => {
  it('a run is followed from followRun to unfollowRun', () => {
    const f = new Following();
    assert.equal(f.followsRun('r1'), false);
    f.followRun('r1');
    assert.equal(f.followsRun('r1'), true);
    assert.equal(f.followsRun('r2'), false);
    f.unfollowRun('r1');
    assert.equal(f.followsRun('r1'), false);
  });

  it('a batch is driven from startDriving to stopDriving', () => {
    const f = new Following();
    f.startDriving('b');
    assert.equal(f.drivesBatch('b'), true);
    f.stopDriving('b');
    assert.equal(f.drivesBatch('b'), false);
  });

  it('a batch held for two reasons stays held until both are released', () => {
    const f = new Following();
    f.hold('b', 'reserve');
    f.hold('b', 'drive');
    f.release('b', 'reserve');
    assert.equal(f.holdsBatch('b'), true, 'still driven');
    f.release('b', 'drive');
    assert.equal(f.holdsBatch('b'), false);
    f.release('b', 'drive');
    assert.equal(f.holdsBatch('b'), false, 'a second release changes nothing');
  });
});
