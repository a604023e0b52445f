import * as assert from 'node:assert/strict';
import {
  batchKeepsRun,
  cancelBatch,
  createBatch,
  estimateBatch,
  etaParts,
  isBatchAlive,
  newBatchId,
  prepareResume,
  resolveUncertain,
  resumeCancelled,
  summarizeBatch,
  updateFile,
  type BatchRecord,
} from '../../src/core/runs/batch';

const T0 = 1_700_000_000_000;

function batchOf(n: number): BatchRecord {
  return createBatch({
    stepId: 'invoice',
    stepName: 'Invoices',
    files: Array.from({ length: n }, (_, i) => ({ uri: `file:///w/${i}.pdf`, label: `${i}.pdf` })),
    now: T0,
  });
}

describe('batch record', () => {
  it('has an id, the step, the files (each once, pending) and no start/end yet', () => {
    const b = createBatch({
      stepId: 's',
      files: [{ uri: 'file:///a.pdf' }, { uri: 'file:///b.pdf' }, { uri: 'file:///a.pdf' }],
      now: T0,
    });
    assert.match(b.id, /^batch_[0-9a-z]+_[0-9a-z]{6}$/);
    assert.notEqual(newBatchId(T0), newBatchId(T0));
    assert.deepEqual(
      b.files.map(f => [f.uri, f.state]),
      [
        ['file:///a.pdf', 'pending'],
        ['file:///b.pdf', 'pending'],
      ],
    );
    assert.equal(b.startedAt, undefined);
    assert.equal(b.endedAt, undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(b)), b, 'plain JSON');
  });

  it("records each file's start and end, and the batch's", () => {
    const b = batchOf(2);
    updateFile(b, 'file:///w/0.pdf', { state: 'uploading' }, T0 + 10);
    assert.equal(b.startedAt, T0 + 10);
    updateFile(b, 'file:///w/0.pdf', { state: 'waiting', executionId: 'e0' }, T0 + 20);
    updateFile(b, 'file:///w/0.pdf', { state: 'succeeded' }, T0 + 30);
    assert.equal(b.files[0].startedAt, T0 + 10);
    assert.equal(b.files[0].endedAt, T0 + 30);
    assert.equal(b.endedAt, undefined);
    updateFile(b, 'file:///w/1.pdf', { state: 'unavailable', error: 'deleted' }, T0 + 40);
    assert.equal(b.endedAt, T0 + 40);
    assert.equal(updateFile(b, 'file:///nope', { state: 'failed' }, T0), undefined);
  });

  describe('summary', () => {
    it('counts "37 of 120 done · 2 failed" and estimates from the batch\'s own pace', () => {
      const b = batchOf(120);
      for (let i = 0; i < 40; i++) {
        const uri = `file:///w/${i}.pdf`;
        updateFile(b, uri, { state: 'uploading' }, T0 + i * 1000);
        updateFile(b, uri, { state: 'waiting', executionId: `e${i}` }, T0 + i * 1000 + 100);
        if (i < 35) {
          updateFile(b, uri, { state: 'succeeded' }, T0 + i * 1000 + 5000);
        } else if (i < 37) {
          updateFile(b, uri, { state: 'failed', error: 'ERROR' }, T0 + i * 1000 + 5000);
        }
      }
      updateFile(b, 'file:///w/40.pdf', { state: 'skipped', reusedExecutionId: 'old' }, T0);
      updateFile(b, 'file:///w/41.pdf', { state: 'skipped', reusedExecutionId: 'old' }, T0);
      const now = T0 + 40_000;
      const s = summarizeBatch(b, now);
      assert.equal(s.total, 120);
      assert.equal(s.done, 37);
      assert.equal(s.failed, 2);
      assert.equal(s.running, 3);
      assert.equal(s.pending, 78);
      // 37 ran to the end in 40 s; 81 left at that pace: about 87.6 s.
      assert.equal(s.etaMs, Math.round((81 * 40_000) / 37));
      assert.deepEqual(etaParts(s.etaMs as number), { minutes: 1 });
      assert.deepEqual(etaParts(20_100), { seconds: 21 });
    });

    it('before enough files ran, estimates from the request budget', () => {
      const b = batchOf(100);
      const s = summarizeBatch(b, T0, { ratePerMs: 60 / 60_000, expectedDurationMs: 20_000, requestsPerDocument: 2 });
      assert.equal(s.etaMs, 200_000 + 20_000);
      assert.equal(summarizeBatch(b, T0).etaMs, undefined);
    });

    it('a finished batch has nothing left', () => {
      const b = batchOf(1);
      updateFile(b, 'file:///w/0.pdf', { state: 'succeeded' }, T0);
      assert.equal(summarizeBatch(b, T0).etaMs, 0);
    });
  });

  describe('resume after a reload', () => {
    function midway(): BatchRecord {
      const b = batchOf(5);
      updateFile(b, 'file:///w/0.pdf', { state: 'succeeded', executionId: 'e0' }, T0);
      updateFile(b, 'file:///w/1.pdf', { state: 'waiting', executionId: 'e1' }, T0);
      updateFile(b, 'file:///w/2.pdf', { state: 'uploading' }, T0);
      updateFile(b, 'file:///w/3.pdf', { state: 'uncertain', error: 'answer lost' }, T0);
      return b;
    }

    it('sends what was never sent, polls what waits, and never re-sends an uncertain start', () => {
      const b = midway();
      const plan = prepareResume(b, T0 + 1);
      assert.deepEqual(
        plan.send.map(f => f.uri),
        ['file:///w/4.pdf'],
      );
      assert.deepEqual(
        plan.poll.map(f => f.executionId),
        ['e1'],
      );
      assert.deepEqual(
        plan.uncertain.map(f => f.uri),
        ['file:///w/2.pdf', 'file:///w/3.pdf'],
      );
      assert.equal(b.files[2].state, 'uncertain', 'an unanswered upload becomes uncertain');
      // Nothing is lost: every file is in exactly one list or terminal.
      const listed =
        [...plan.send, ...plan.poll, ...plan.uncertain].length + b.files.filter(f => f.state === 'succeeded').length;
      assert.equal(listed, b.files.length);
    });

    it('the user decides on an uncertain file: send it again, or dismiss it', () => {
      const b = midway();
      prepareResume(b, T0);
      resolveUncertain(b, 'file:///w/2.pdf', 'send', T0);
      resolveUncertain(b, 'file:///w/3.pdf', 'dismiss', T0);
      assert.equal(b.files[2].state, 'pending');
      assert.equal(b.files[3].state, 'failed');
    });

    it('cancel stops everything; resume picks up the cancelled ones (polling those that started)', () => {
      const b = midway();
      cancelBatch(b, T0 + 5);
      assert.equal(isBatchAlive(b), false);
      assert.deepEqual(
        b.files.map(f => f.state),
        ['succeeded', 'cancelled', 'uncertain', 'uncertain', 'cancelled'],
      );
      assert.deepEqual(prepareResume(b, T0 + 6).send, []);
      resumeCancelled(b);
      const plan = prepareResume(b, T0 + 7);
      assert.deepEqual(
        plan.poll.map(f => f.executionId),
        ['e1'],
      );
      assert.deepEqual(
        plan.send.map(f => f.uri),
        ['file:///w/4.pdf'],
      );
      assert.equal(isBatchAlive(b), true);
    });
  });

  it('a live batch keeps its runs from the history bound; a finished one does not', () => {
    const b = batchOf(2);
    updateFile(b, 'file:///w/0.pdf', { state: 'succeeded', executionId: 'e0', runId: 'r0' }, T0);
    const keep = batchKeepsRun([b]);
    assert.equal(keep({ id: 'r0' }), true);
    assert.equal(keep({ executionId: 'e0' }), true);
    assert.equal(keep({ id: 'other', executionId: 'other' }), false);
    updateFile(b, 'file:///w/1.pdf', { state: 'succeeded', executionId: 'e1' }, T0);
    assert.equal(batchKeepsRun([b])({ id: 'r0' }), false);
  });

  it('estimates requests and time for the confirmation', () => {
    assert.deepEqual(estimateBatch(120, { limit: 60, windowMs: 60_000 }, 5000, 2), {
      documents: 120,
      requests: 240,
      durationMs: 245_000,
    });
    assert.equal(estimateBatch(120).durationMs, undefined);
    assert.equal(estimateBatch(10).requests, 22);
  });
});
