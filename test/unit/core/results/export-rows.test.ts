import * as assert from 'node:assert/strict';
import { TOO_DEEP_CELL, exportRuns } from '../../../../src/core/results/export';
import {
  type ExportFolder,
  batchItems,
  exportFileName,
  exportItems,
  fileColumn,
  isExportNode,
  resultData,
  toExportRun,
} from '../../../../src/core/results/exportRows';
import { deepJson } from '../../../../src/core/results/storedResult';
import type { BatchDocument } from '../../../../src/core/batches/record';
import type { RunRecord } from '../../../../src/core/runs/history';
import { runRecord } from '../../run-records';
import { type RunSource, parseRunSource, urlSource, workspaceSource } from '../../../../src/core/runs/source';

const T = Date.parse('2026-11-29T10:00:00.000Z');

const runA: RunRecord = runRecord('run-a', 'SUCCESS', {
  source: workspaceSource('file:///ws/a.pdf'),
  sourceName: 'a.pdf',
  stepId: 'invoice',
  stepName: 'Facturas',
  executionId: 'exec_a',
  startedAt: T,
  finishedAt: T + 2000,
});
const runB: RunRecord = runRecord('run-b', 'ERROR', {
  source: urlSource('https://example.com/b.pdf'),
  sourceName: 'b.pdf',
  stepId: 'invoice',
  stepName: 'Facturas',
  executionId: 'exec_b',
  startedAt: T + 1000,
  finishedAt: T + 3000,
  error: { kind: 'step', message: 'No invoice found on page 1' },
});
const runs = new Map([runA, runB].map(r => [r.id, r]));
const byId = (id: string) => runs.get(id);

function batch(documents: BatchDocument[], stepName?: string) {
  return { kind: 'batch', batch: { version: 2, id: 'batch_1', stepId: 'invoice', stepName, createdAt: T, documents } };
}

describe('export rows: what the Runs view hands Export Results as Table…', () => {
  it('tells runs, run nodes and batch nodes from anything else', () => {
    assert.equal(isExportNode(runA), true);
    assert.equal(isExportNode({ kind: 'run', run: runA }), true);
    assert.equal(isExportNode(batch([])), true);
    assert.equal(batchItems({ kind: 'batch', batch: { id: 'x', documents: [] } }, byId), undefined, 'no step id');
    assert.equal(batchItems(runA, byId), undefined);
    assert.equal(isExportNode({ kind: 'batch', batch: { id: 'x', documents: [] } }), false);
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
      source: urlSource('https://example.com/b.pdf'),
      name: 'b.pdf',
      stepId: 'invoice',
      stepName: 'Facturas',
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

  it('expands a batch node to its documents: the run of each, a skipped one with the result it reuses, one never sent', () => {
    const node = batch(
      [
        { uri: 'file:///ws/a.pdf', label: 'a.pdf', runId: 'run-a' },
        {
          uri: 'file:///ws/copy-of-a.pdf',
          label: 'copy-of-a.pdf',
          runId: 'batch_1.1',
          reused: { executionId: 'exec_a', sha256: 'a'.repeat(64), finishedAt: T + 5000 },
        },
        // Never sent (the batch was cancelled first): no run, no result.
        { uri: 'file:///ws/c.pdf', label: 'c.pdf', runId: 'batch_1.2' },
      ],
      'Facturas (batch)',
    );
    const items = batchItems(node, byId) ?? [];
    assert.deepEqual(items[0], { ...exportItems([runA], byId)[0], label: 'a.pdf' });
    assert.equal(items[1].executionId, undefined, 'a skipped document started no execution of its own');
    assert.deepEqual(items[1], {
      key: 'batch:batch_1:file:///ws/copy-of-a.pdf',
      source: workspaceSource('file:///ws/copy-of-a.pdf'),
      name: 'copy-of-a.pdf',
      label: 'copy-of-a.pdf',
      stepId: 'invoice',
      stepName: 'Facturas (batch)',
      status: 'skipped',
      finishedAt: T + 5000,
      reusedFrom: 'exec_a',
      resultId: 'exec_a',
    });
    assert.equal(items[2].status, 'pending');
    assert.equal(items[2].resultId, undefined);

    // The batch and one of its runs both selected: that run once.
    const both = exportItems([runA, node], byId);
    assert.deepEqual(
      both.map(i => i.key),
      ['run:run-a', 'batch:batch_1:file:///ws/copy-of-a.pdf', 'batch:batch_1:file:///ws/c.pdf'],
    );
  });

  it('builds a row from an item and its stored result; a run without one still gets a row', () => {
    const [a, b] = exportItems([runA, runB], byId);
    const row = toExportRun(a, 'a.pdf', { data: { total: 42, items: [1, 2] } });
    assert.deepEqual(row, {
      file: 'a.pdf',
      stepId: 'invoice',
      stepName: 'Facturas',
      executionId: 'exec_a',
      // The Runs view's word, not the state's internal name.
      status: 'succeeded',
      startedAt: T,
      finishedAt: T + 2000,
      result: { total: 42, items: [1, 2] },
    });
    const failed = toExportRun(b, 'https://example.com/b.pdf', undefined);
    assert.equal(failed.error, 'No invoice found on page 1');
    assert.equal('result' in failed, false);
    const csv = exportRuns([row, failed], { format: 'csv' }).split('\r\n');
    assert.equal(csv[0], 'file,total,items,step,step_id,execution_id,status,started_at,finished_at,error,reused_from');
    assert.equal(
      csv[1],
      'a.pdf,42,"[1,2]",Facturas,invoice,exec_a,succeeded,2026-11-29T10:00:00.000Z,2026-11-29T10:00:02.000Z,,',
    );
    assert.equal(
      csv[2],
      'https://example.com/b.pdf,,,Facturas,invoice,exec_b,failed on DocuTray,2026-11-29T10:00:01.000Z,2026-11-29T10:00:03.000Z,No invoice found on page 1,',
    );
    // A batch's document it reused, or never sent, in the batch's words.
    assert.deepEqual(
      ['skipped', 'pending', 'mayHaveStarted', 'a state of later'].map(
        status => toExportRun({ ...a, status }, 'a.pdf', undefined).status,
      ),
      ['reused', 'not sent yet', 'may have started', 'a state of later'],
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

  it('a result stored as text because it is 10,000 levels deep: its row says so, the export goes on', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) {
      deep = { level: deep };
    }
    const [a, b] = exportItems([runA, runB], byId);
    const rows = [
      toExportRun(a, 'a.pdf', { dataText: deepJson({ total: 1, tree: deep }) }),
      toExportRun(b, 'b.pdf', { data: { total: 2 } }),
    ];
    const [, first, second] = exportRuns(rows, { format: 'csv' }).split('\r\n');
    assert.ok(first.startsWith('a.pdf,1,'), first);
    assert.ok(first.includes(TOO_DEEP_CELL), first);
    assert.ok(second.startsWith('b.pdf,2,'), second);
  });

  it('names the file after the step and the day', () => {
    const day = new Date(2026, 10, 9, 23, 59);
    assert.equal(exportFileName(['Facturas', 'Facturas'], 'csv', day), 'docutray-Facturas-2026-11-09.csv');
    assert.equal(exportFileName(['invoice', 'receipt'], 'jsonl', day), 'docutray-runs-2026-11-09.jsonl');
    assert.equal(exportFileName(['a/b:c'], 'json', day), 'docutray-a_b_c-2026-11-09.json');
  });
});

describe('export rows: the file column', () => {
  const ws: ExportFolder = { uri: 'file:///home/ana/ws', name: 'ws' };
  const docs: ExportFolder = { uri: 'file:///home/ana/docs/', name: 'Docs' };
  const col = (source: string, folders: ExportFolder[], extra: { name?: string; label?: string } = {}) =>
    fileColumn({ source: parseRunSource(source) as RunSource, ...extra }, folders);

  it('a document in the one open folder: its path relative to it, decoded', () => {
    assert.equal(col('file:///home/ana/ws/facturas/a.pdf', [ws]), 'facturas/a.pdf');
    assert.equal(
      col('file:///home/ana/ws/export/factura%20%C3%B1and%C3%BA%2C%20abril.pdf', [ws]),
      'export/factura ñandú, abril.pdf',
    );
    assert.equal(col('file:///home/ana/ws/100%25.pdf', [ws]), '100%.pdf');
  });

  it('several folders open: the document’s own folder, by name; the innermost when folders nest', () => {
    const inner: ExportFolder = { uri: 'file:///home/ana/ws/sub', name: 'Sub' };
    assert.equal(col('file:///home/ana/docs/x.pdf', [ws, docs]), 'Docs/x.pdf');
    assert.equal(col('file:///home/ana/ws/y.pdf', [ws, docs]), 'ws/y.pdf');
    assert.equal(col('file:///home/ana/ws/sub/z.pdf', [ws, inner]), 'Sub/z.pdf');
    assert.equal(col('file:///home/ana/ws/sub/z.pdf', [inner, ws]), 'Sub/z.pdf');
  });

  it('a document in no open folder: its path in its own folder when recorded, else its full URI', () => {
    // A sibling folder whose name starts like an open one is not inside it.
    assert.equal(col('file:///home/ana/ws2/a.pdf', [ws]), 'file:///home/ana/ws2/a.pdf');
    assert.equal(col('file:///home/ana/other/a.pdf', [ws], { label: 'invoices/a.pdf' }), 'invoices/a.pdf');
    assert.equal(col('file:///home/ana/other/a.pdf', []), 'file:///home/ana/other/a.pdf');
    assert.equal(col('vscode-vfs://github/o/r/a.pdf', [ws]), 'vscode-vfs://github/o/r/a.pdf');
    // In an open folder, the open folder wins over an older label.
    assert.equal(col('file:///home/ana/ws/a.pdf', [ws], { label: 'old/a.pdf' }), 'a.pdf');
  });

  it('a URL as it is; an execution looked up by id by its name', () => {
    assert.equal(col('https://example.com/b.pdf', [ws]), 'https://example.com/b.pdf');
    assert.equal(col('docutray-execution:exec_9', [ws], { name: 'exec_9 (invoice)' }), 'exec_9 (invoice)');
  });
});
