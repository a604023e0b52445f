import * as assert from 'node:assert/strict';
import { exportRuns } from '../../src/core/results/export';
import {
  type BatchNodeLike,
  type RunLike,
  batchItems,
  exportFileName,
  exportItems,
  exportLanguage,
  isBatchNode,
  isExportNode,
  resultData,
  toExportRun,
} from '../../src/core/results/exportRows';

const T = Date.parse('2026-11-29T10:00:00.000Z');

const runA: RunLike = {
  id: 'run-a',
  source: 'file:///ws/a.pdf',
  sourceName: 'a.pdf',
  stepId: 'invoice',
  executionId: 'exec_a',
  state: 'SUCCESS',
  startedAt: T,
  finishedAt: T + 2000,
};
const runB: RunLike = {
  id: 'run-b',
  source: 'https://example.com/b.pdf',
  sourceName: 'b.pdf',
  stepId: 'invoice',
  executionId: 'exec_b',
  state: 'ERROR',
  startedAt: T + 1000,
  finishedAt: T + 3000,
  error: { message: 'No invoice found on page 1' },
};
const runs = new Map([runA, runB].map(r => [r.id, r]));
const byId = (id: string) => runs.get(id);

function batch(files: BatchNodeLike['batch']['files']): BatchNodeLike {
  return { kind: 'batch', batch: { id: 'batch_1', stepId: 'invoice', files } };
}

describe('export rows: what the Runs view hands Export Results as Table…', () => {
  it('tells runs, run nodes and batch nodes from anything else', () => {
    assert.equal(isExportNode(runA), true);
    assert.equal(isExportNode({ kind: 'run', run: runA }), true);
    assert.equal(isExportNode(batch([])), true);
    assert.equal(isBatchNode(batch([])), true);
    assert.equal(isBatchNode({ kind: 'batch', batch: { id: 'x', files: [] } }), false, 'no step id');
    assert.equal(isExportNode({ format: 'csv' }), false);
    assert.equal(isExportNode(undefined), false);
    assert.equal(isExportNode('run-a'), false);
    assert.equal(isExportNode({ ...runA, startedAt: 'yesterday' }), false);
  });

  it('lists each run once, in the order given, reading the history’s current copy', () => {
    const stale = { ...runA, state: 'PROCESSING' };
    const items = exportItems([stale, runB, { kind: 'run', run: runA }, { format: 'csv' }, runB], byId);
    assert.deepEqual(
      items.map(i => [i.key, i.status]),
      [
        ['run:run-a', 'SUCCESS'],
        ['run:run-b', 'ERROR'],
      ],
    );
    assert.deepEqual(items[1], {
      key: 'run:run-b',
      source: 'https://example.com/b.pdf',
      name: 'b.pdf',
      stepId: 'invoice',
      executionId: 'exec_b',
      status: 'ERROR',
      startedAt: T + 1000,
      finishedAt: T + 3000,
      error: 'No invoice found on page 1',
      resultId: 'exec_b',
    });
    // A run the history no longer has is exported as the view knew it.
    const gone = { ...runA, id: 'run-gone' };
    assert.equal(exportItems([gone], byId)[0].key, 'run:run-gone');
  });

  it('expands a batch node to its files: the run a file names, a skipped file with the result it reuses', () => {
    const node = batch([
      { uri: 'file:///ws/a.pdf', label: 'a.pdf', state: 'succeeded', runId: 'run-a', executionId: 'exec_a' },
      {
        uri: 'file:///ws/copy-of-a.pdf',
        label: 'copy-of-a.pdf',
        state: 'skipped',
        reusedExecutionId: 'exec_a',
        endedAt: T + 5000,
      },
      { uri: 'file:///ws/broken.pdf', label: 'broken.pdf', state: 'unavailable', error: 'not a PDF' },
      // Its run was removed from the history: the batch's own knowledge.
      {
        uri: 'file:///ws/c.pdf',
        state: 'succeeded',
        runId: 'run-removed',
        executionId: 'exec_c',
        startedAt: T,
        endedAt: T + 1,
      },
    ]);
    const items = batchItems(node, byId);
    assert.deepEqual(items[0], exportItems([runA], byId)[0]);
    assert.equal(items[1].executionId, undefined, 'a skipped file started no execution of its own');
    assert.deepEqual(items[1], {
      key: 'batch:batch_1:file:///ws/copy-of-a.pdf',
      source: 'file:///ws/copy-of-a.pdf',
      name: 'copy-of-a.pdf',
      stepId: 'invoice',
      status: 'skipped',
      startedAt: undefined,
      finishedAt: T + 5000,
      error: undefined,
      reusedFrom: 'exec_a',
      resultId: 'exec_a',
    });
    assert.equal(items[2].status, 'unavailable');
    assert.equal(items[2].error, 'not a PDF');
    assert.equal(items[2].resultId, undefined);
    assert.equal(items[3].executionId, 'exec_c');
    assert.equal(items[3].resultId, 'exec_c');
    assert.equal(items[3].status, 'succeeded');

    // The batch and one of its runs both selected: that run once.
    const both = exportItems([runA, node], byId);
    assert.deepEqual(
      both.map(i => i.key),
      [
        'run:run-a',
        'batch:batch_1:file:///ws/copy-of-a.pdf',
        'batch:batch_1:file:///ws/broken.pdf',
        'batch:batch_1:file:///ws/c.pdf',
      ],
    );
  });

  it('builds a row from an item and its stored result; a run without one still gets a row', () => {
    const [a, b] = exportItems([runA, runB], byId);
    const row = toExportRun(a, 'a.pdf', { data: { total: 42, items: [1, 2] } });
    assert.deepEqual(row, {
      file: 'a.pdf',
      stepId: 'invoice',
      executionId: 'exec_a',
      status: 'SUCCESS',
      startedAt: T,
      finishedAt: T + 2000,
      result: { total: 42, items: [1, 2] },
    });
    const failed = toExportRun(b, 'https://example.com/b.pdf', undefined);
    assert.equal(failed.error, 'No invoice found on page 1');
    assert.equal('result' in failed, false);
    const csv = exportRuns([row, failed], { format: 'csv' }).split('\r\n');
    assert.equal(csv[0], 'file,step,execution_id,status,started_at,finished_at,error,reused_from,total,items');
    assert.equal(csv[1], 'a.pdf,invoice,exec_a,SUCCESS,2026-11-29T10:00:00.000Z,2026-11-29T10:00:02.000Z,,,42,"[1,2]"');
    assert.equal(
      csv[2],
      'https://example.com/b.pdf,invoice,exec_b,ERROR,2026-11-29T10:00:01.000Z,2026-11-29T10:00:03.000Z,No invoice found on page 1,,,',
    );
    // The stored result's error when the run has none.
    assert.equal(toExportRun({ ...b, error: undefined }, 'b', { error: { message: 'Broken' } }).error, 'Broken');
  });

  it('reads a result stored as JSON text (too deep to pretty-print)', () => {
    assert.deepEqual(resultData({ dataText: '{"a":{"b":1}}' }), { a: { b: 1 } });
    assert.equal(resultData({ dataText: 'not json' }), 'not json');
    assert.equal(resultData({ data: 0, dataText: '1' }), 0);
    assert.equal(resultData(undefined), undefined);
    assert.equal(resultData({}), undefined);
  });

  it('names the file after the step and the day', () => {
    const day = new Date(2026, 10, 9, 23, 59);
    assert.equal(exportFileName(['invoice', 'invoice'], 'csv', day), 'docutray-invoice-2026-11-09.csv');
    assert.equal(exportFileName(['invoice', 'receipt'], 'jsonl', day), 'docutray-runs-2026-11-09.jsonl');
    assert.equal(exportFileName(['a/b:c'], 'json', day), 'docutray-a_b_c-2026-11-09.json');
  });

  it('opens an export in a language the host knows', () => {
    const bare = new Set(['json', 'plaintext']);
    assert.equal(exportLanguage('csv', bare), 'plaintext');
    assert.equal(exportLanguage('jsonl', bare), 'plaintext');
    assert.equal(exportLanguage('json', bare), 'json');
    const rich = new Set(['json', 'plaintext', 'csv', 'jsonl']);
    assert.equal(exportLanguage('csv', rich), 'csv');
    assert.equal(exportLanguage('jsonl', rich), 'jsonl');
  });
});
