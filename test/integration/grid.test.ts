/**
 * The batch panel in the real extension host, against the stand-in: a folder batch of three invoices
 * (one failing its expected result, one passing, one without an expected file) opens as a grid from the
 * Runs view's batch node. The model posted has the CSV export's columns (the export command's header),
 * one row per document, the failing document's failed cells marked, and the accuracy of the same
 * fieldAccuracy the command line reports; the folder opens the same grid from the Explorer. (Enter on a
 * cell, which only the webview sends, is the browser test's: test/e2e/grid.js.)
 */
import * as assert from 'assert';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { serializeExpected } from '../../src/core/expected/expectedFile';
import {
  Api,
  activate,
  answerMessages,
  closeAllEditors,
  sha256,
  standIn,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

interface Summary {
  title: string;
  columns: string[];
  rows: { file: string; failing: boolean; cells: string[]; marks: (string | null)[] }[];
  accuracy: {
    fields: { field: string; compared: number; equal: number; differs: number; documents: string[] }[];
    compared: string[];
    notCompared: { document: string; status: string }[];
  };
}

const FOLDER = 'grid-it';
const STEP = 'it-grid';
const RESULT = (n: number) => ({
  invoice: `INV-${n}`,
  line_items: [{ amount: 10 * n, description: 'Bolts' }],
  total: 100 * n,
  vendor: { name: `Vendor ${n}` },
});

describe('batch panel: a batch as a grid, with field accuracy', function () {
  this.timeout(120000);
  let api: Api;
  let batch: { id: string; documents: { uri: string }[] };

  before(async () => {
    api = await activate();
    await standIn.setSteps([
      {
        id: STEP,
        name: STEP,
        enqueuedMs: 20,
        processingMs: 50,
        outcome: { status: 'SUCCESS', data: RESULT(0) },
        outcomeByFile: Object.fromEntries([1, 2, 3].map(n => [`inv${n}.pdf`, { status: 'SUCCESS', data: RESULT(n) }])),
      },
    ]);
    const sample = Buffer.from(await vscode.workspace.fs.readFile(workspaceFile('sample.pdf')));
    for (const n of [1, 2, 3]) {
      const bytes = Buffer.concat([sample, Buffer.from(`\n% grid ${n}\n`, 'latin1')]);
      await writeWorkspaceFile(`${FOLDER}/inv${n}.pdf`, bytes);
      if (n < 3) {
        // inv1's expected total is another; inv2's is the result; inv3 has no expected file.
        const expected = { ...RESULT(n), ...(n === 1 ? { total: 99 } : {}) };
        await writeWorkspaceFile(
          `${FOLDER}/inv${n}.pdf.${STEP}.expected.json`,
          serializeExpected({ stepId: STEP, document: `inv${n}.pdf`, sha256: sha256(bytes), result: expected }),
        );
      }
    }
    const messages = answerMessages(message => (/^Run /.test(message) ? 'Run' : undefined));
    try {
      batch = (await vscode.commands.executeCommand('docutray.runStep', {
        stepId: STEP,
        folder: workspaceFile(FOLDER),
      })) as typeof batch;
      assert.ok(batch, 'the folder run made a batch');
      await waitFor('the three runs', async () => {
        const runs = (await api.runs()).filter(r => r.stepId === STEP && r.state === 'SUCCESS');
        return runs.length >= 3 ? runs : undefined;
      });
    } finally {
      messages.restore();
    }
  });
  after(async () => {
    await closeAllEditors();
    await vscode.workspace.fs.delete(workspaceFile(FOLDER), { recursive: true, useTrash: false }).then(
      () => undefined,
      () => undefined,
    );
  });

  let summary: Summary;
  it('opens from the batch node with the export’s columns, one row per document and the failed cells marked', async () => {
    summary = (await vscode.commands.executeCommand('docutray.batches.openGrid', { kind: 'batch', batch })) as Summary;
    assert.ok(summary, 'the command returned what the grid shows');
    // The export of the same batch: its header is the grid's columns (after file, status and check).
    const out = vscode.Uri.file(path.join(os.tmpdir(), `grid-it-${Date.now()}.csv`));
    const exported = (await vscode.commands.executeCommand(
      'docutray.runs.export',
      { kind: 'batch', batch },
      {
        format: 'csv',
        saveTo: out,
      },
    )) as { columns: string[] };
    const resultColumns = exported.columns.slice(1, exported.columns.indexOf('step'));
    assert.deepStrictEqual(summary.columns, ['file', 'status', 'check', ...resultColumns]);
    assert.deepStrictEqual(resultColumns, ['invoice', 'line_items', 'total', 'vendor.name']);

    const byFile = new Map(summary.rows.map(r => [path.basename(r.file), r]));
    assert.deepStrictEqual([...byFile.keys()].sort(), ['inv1.pdf', 'inv2.pdf', 'inv3.pdf']);
    const col = (name: string) => summary.columns.indexOf(name);
    const inv1 = byFile.get('inv1.pdf')!;
    assert.strictEqual(inv1.failing, true);
    assert.strictEqual(inv1.cells[col('check')], '1 field not equal');
    assert.strictEqual(inv1.marks[col('total')], 'differs');
    assert.strictEqual(inv1.cells[col('total')], '100');
    assert.strictEqual(inv1.cells[col('line_items')], '1 item');
    assert.deepStrictEqual(
      inv1.marks.filter(m => m),
      ['differs'],
      'only the total is marked',
    );
    assert.strictEqual(byFile.get('inv2.pdf')!.failing, false);
    assert.strictEqual(byFile.get('inv2.pdf')!.cells[col('check')], 'passed');
    assert.strictEqual(byFile.get('inv3.pdf')!.cells[col('check')], 'no expected result');
    assert.ok(byFile.get('inv3.pdf')!.marks.every(m => m === null));
  });

  it('counts field accuracy over the compared documents, worst first, with the differing documents', () => {
    const a = summary.accuracy;
    assert.deepStrictEqual(a.compared.map(d => path.basename(d)).sort(), ['inv1.pdf', 'inv2.pdf']);
    assert.deepStrictEqual(
      a.notCompared.map(d => `${path.basename(d.document)} ${d.status}`),
      ['inv3.pdf missing'],
    );
    const total = a.fields[0];
    assert.strictEqual(total.field, 'total', 'the worst field first');
    assert.deepStrictEqual([total.compared, total.equal, total.differs], [2, 1, 1]);
    assert.deepStrictEqual(
      total.documents.map(d => path.basename(d)),
      ['inv1.pdf'],
    );
    const invoice = a.fields.find(f => f.field === 'invoice')!;
    assert.deepStrictEqual([invoice.compared, invoice.equal], [2, 2]);
    assert.ok(a.fields.some(f => f.field === 'line_items[*].amount'));
  });

  it('opens the folder’s latest results from the Explorer as the same grid', async () => {
    const fromFolder = (await vscode.commands.executeCommand(
      'docutray.batches.openGrid',
      workspaceFile(FOLDER),
    )) as Summary;
    assert.deepStrictEqual(fromFolder.columns, summary.columns);
    assert.deepStrictEqual(fromFolder.rows.map(r => `${path.basename(r.file)} ${r.failing}`).sort(), [
      'inv1.pdf true',
      'inv2.pdf false',
      'inv3.pdf false',
    ]);
  });
});
