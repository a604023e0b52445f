/** What "Compare with…" offers next to a result: the same document's results first, each group newest first. */
import * as assert from 'node:assert/strict';
import { compareCandidates, sameDocument } from '../../../../src/core/runs/compare';
import { type RunSource, parseRunSource } from '../../../../src/core/runs/source';
import { runRecord } from '../../run-records';

const src = (text: string) => parseRunSource(text) as RunSource;

const HASH = 'b'.repeat(64);

describe('compare candidates', () => {
  const mine = runRecord('mine', 'SUCCESS', { source: src('file:///ws/a.pdf'), executionId: 'e0', startedAt: 500 });
  const runs = [
    mine,
    runRecord('other-old', 'SUCCESS', { executionId: 'e1', startedAt: 100 }),
    runRecord('same-old', 'SUCCESS', {
      source: src('file:///ws/a.pdf'),
      stepId: 'r',
      executionId: 'e2',
      startedAt: 200,
    }),
    runRecord('other-new', 'SUCCESS', { executionId: 'e3', startedAt: 900 }),
    runRecord('same-new', 'SUCCESS', {
      source: src('file:///ws/a.pdf'),
      stepId: 'q',
      executionId: 'e4',
      startedAt: 800,
    }),
    runRecord('failed', 'ERROR', { source: src('file:///ws/a.pdf'), executionId: 'e5', startedAt: 950 }),
    runRecord('running', 'PROCESSING', { source: src('file:///ws/a.pdf'), executionId: 'e6', startedAt: 960 }),
    // The same execution under another record (Check Execution found it): never compared with itself.
    runRecord('twin', 'SUCCESS', { source: src('docutray-execution:e0'), executionId: 'e0', startedAt: 970 }),
  ];

  it('puts the same document first, then the others, each newest first', () => {
    const { sameDocument: same, others } = compareCandidates(mine, runs);
    assert.deepEqual(
      same.map(r => r.id),
      ['same-new', 'same-old'],
    );
    assert.deepEqual(
      others.map(r => r.id),
      ['other-new', 'other-old'],
    );
  });

  it('offers only other results: not itself, not its own execution, nothing without a result', () => {
    const { sameDocument: same, others } = compareCandidates(mine, runs);
    const offered = [...same, ...others].map(r => r.id);
    for (const id of ['mine', 'twin', 'failed', 'running']) {
      assert.ok(!offered.includes(id), `${id} is not offered`);
    }
  });

  it('counts the same bytes under another name as the same document', () => {
    const a = runRecord('a', 'SUCCESS', { source: src('file:///ws/a.pdf'), sha256: HASH });
    const copy = runRecord('copy', 'SUCCESS', { source: src('file:///ws/copy of a.pdf'), sha256: HASH });
    assert.ok(sameDocument(a, copy));
    assert.ok(!sameDocument(a, runRecord('b', 'SUCCESS', { source: src('file:///ws/b.pdf') })));
    assert.ok(!sameDocument({ source: src('x:1') }, { source: src('x:2') }), 'no hash on either side: by source only');
  });
});
