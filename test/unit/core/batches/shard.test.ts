/** `--shard i/n`'s split: disjoint, covering, stable as documents come and go, even on average, fixed across versions. */
import * as assert from 'node:assert/strict';
import { inShard, shardOf } from '../../../../src/core/batches/shard';

const paths = (n: number, prefix = 'samples') =>
  Array.from({ length: n }, (_, i) => `${prefix}/${String(i).padStart(4, '0')}.pdf`);

describe('shards of a check', () => {
  it('puts every document in exactly one of the n parts', () => {
    const all = paths(500);
    for (let n = 1; n <= 7; n++) {
      const parts = Array.from({ length: n }, (_, i) => inShard(all, { index: i + 1, count: n }));
      assert.deepEqual(parts.flat().sort(), [...all].sort(), `n = ${n}: together, every document`);
      assert.equal(new Set(parts.flat()).size, all.length, `n = ${n}: no document twice`);
    }
  });

  it('keeps each document in its part when others are added or removed', () => {
    const before = paths(300);
    const after = [...before.filter((_, i) => i % 7 !== 0), ...paths(100, 'new')];
    for (const n of [2, 3, 4, 8]) {
      for (let i = 1; i <= n; i++) {
        const was = new Set(inShard(before, { index: i, count: n }));
        for (const d of inShard(after, { index: i, count: n })) {
          assert.ok(was.has(d) || d.startsWith('new/'), `${d} moved into part ${i}/${n}`);
        }
      }
    }
  });

  it('is even on average: 2,000 documents in 4 parts, each within 10% of 500', () => {
    const all = paths(2000);
    const sizes = [1, 2, 3, 4].map(index => inShard(all, { index, count: 4 }).length);
    for (const size of sizes) {
      assert.ok(size >= 450 && size <= 550, `sizes ${sizes.join(', ')}`);
    }
  });

  it('is the same on every machine and in every version (a change would move documents between CI jobs)', () => {
    // The SHA-256 of the `/`-separated workspace-relative path, first 32 bits, modulo n.
    assert.deepEqual(
      [2, 3, 4, 10].map(n => shardOf('samples/a.pdf', n)),
      [1, 3, 1, 7],
    );
    assert.deepEqual(
      [2, 3, 4, 10].map(n => shardOf('ñandú/factura.pdf', n)),
      [2, 1, 4, 4],
    );
  });
});
