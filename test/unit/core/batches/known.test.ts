/**
 * The batches a window holds (src/core/batches/known.ts): made before the run history and the batch records,
 * it is what the history bound reads its groups from, so neither is patched into the other after both exist.
 */
import * as assert from 'node:assert/strict';
import { KnownBatches } from '../../../../src/core/batches/known';
import { createBatch } from '../../../../src/core/batches/record';
import type { RunRecord } from '../../../../src/core/runs/history';
import { runRecord } from '../../run-records';

function batch(id: string, n: number, now = 100) {
  return createBatch({
    id,
    stepId: 's',
    files: Array.from({ length: n }, (_, i) => ({ uri: `file:///ws/${id}/${i}.pdf` })),
    now,
  });
}

describe('the batches a window holds', () => {
  it('has no groups before the first whole read (the bound then keeps every batch run)', () => {
    const known = new KnownBatches();
    known.set(batch('batch_a', 1));
    assert.equal(known.known(), undefined);
    assert.equal(
      known.groups([], () => false),
      undefined,
    );
    known.loaded();
    assert.deepEqual(
      known.known()?.map(b => b.id),
      ['batch_a'],
    );
  });

  it('groups each batch with its runs; alive while a document is open or while this window holds it', () => {
    const known = new KnownBatches();
    known.set(batch('batch_a', 2, 5), true);
    known.set(batch('batch_b', 1, 7), true);
    known.loaded();
    const runs: RunRecord[] = [
      runRecord('batch_a.0', 'SUCCESS', { executionId: 'e0', batchId: 'batch_a' }),
      runRecord('batch_a.1', 'SUCCESS', { executionId: 'e1', batchId: 'batch_a' }),
      runRecord('batch_b.0', 'PROCESSING', { executionId: 'e2', batchId: 'batch_b' }),
      runRecord('single', 'SUCCESS', { executionId: 'e3' }),
    ];
    assert.deepEqual(
      known.groups(runs, () => false),
      [
        { id: 'batch_a', runIds: ['batch_a.0', 'batch_a.1'], alive: false, createdAt: 5 },
        { id: 'batch_b', runIds: ['batch_b.0'], alive: true, createdAt: 7 },
      ],
    );
    assert.equal(known.groups(runs, id => id === 'batch_a')?.[0].alive, true, 'a batch held here stays alive');
  });

  it('tells its listeners of each change, once for a whole read, and stops when asked', () => {
    const known = new KnownBatches();
    let told = 0;
    const stop = known.onChange(() => told++);
    known.set(batch('batch_a', 1), true);
    known.drop('batch_a', true);
    assert.equal(told, 0, 'parts of a read are quiet');
    known.loaded();
    assert.equal(told, 1);
    known.set(batch('batch_b', 1));
    known.forget(['batch_b']);
    assert.equal(told, 3);
    assert.equal(known.get('batch_b'), undefined);
    stop();
    known.set(batch('batch_c', 1));
    assert.equal(told, 3);
  });
});
