/**
 * Export Results as Table… (issue 14): runs of real documents through the stand-in, exported as CSV,
 * JSON Lines and JSON from view nodes (runs, a batch node), with and without the questions.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { ExportOutcome } from '../../src/commands/exportCommand';
import type { RunRecord } from '../../src/core/runs/history';
import type { RunOutcome } from '../../src/runs/runService';
import { TEST_STEPS, activate, patch, pdfBytes, standIn, waitFor, workspaceFile, writeWorkspaceFile } from './support';

const INVOICE = {
  invoice_number: 'F-2026/041',
  vendor: { name: 'Ñandú Servicios Gráficos, S.A.', address: { city: 'Madrid', country: 'ES' } },
  total: 683.53,
  notes: 'He said "pay now"',
  line_items: [
    { description: 'Impresión, 500 folletos', quantity: 500, amount: 210 },
    { description: 'Envío "urgente"', quantity: 1, amount: 24.9 },
  ],
  formula: '=SUM(A1:A2)',
};
const RECEIPT = {
  invoice_number: 'R-7',
  vendor: { name: '東京商事' },
  total: 12,
  line_items: [{ description: 'Café', quantity: 3, amount: 4 }],
};
const EXPORT_STEPS = [
  {
    id: 'it-export-inv',
    name: 'Invoice (export test)',
    enqueuedMs: 20,
    processingMs: 80,
    outcome: { status: 'SUCCESS', data: INVOICE },
  },
  {
    id: 'it-export-rcpt',
    name: 'Receipt (export test)',
    enqueuedMs: 20,
    processingMs: 80,
    outcome: { status: 'SUCCESS', data: RECEIPT },
  },
];
const HEADER =
  'file,step,execution_id,status,started_at,finished_at,error,reused_from,' +
  'invoice_number,vendor.name,vendor.address.city,vendor.address.country,total,notes,line_items,formula';

async function runOne(stepId: string, uri: vscode.Uri): Promise<RunRecord> {
  const outcomes = await vscode.commands.executeCommand<RunOutcome[] | undefined>('docutray.runStep', {
    stepId,
    uris: [uri],
  });
  const run = outcomes?.[0]?.run;
  assert.ok(run, 'the run command returned its run');
  return run;
}

function exportWith(...args: unknown[]): Thenable<ExportOutcome | undefined> {
  return vscode.commands.executeCommand<ExportOutcome | undefined>('docutray.runs.export', ...args);
}

const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());

/** Closes an untitled export without the "save?" question. */
async function discard(uri: vscode.Uri | undefined): Promise<void> {
  const doc = vscode.workspace.textDocuments.find(d => d.uri.toString() === uri?.toString());
  if (doc) {
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }
}

describe('export results as a table', function () {
  this.timeout(60000);
  let invoice: RunRecord;
  let receipt: RunRecord;
  let failed: RunRecord;
  const folder = 'export-it';

  before(async () => {
    await activate();
    await standIn.setSteps([...TEST_STEPS, ...EXPORT_STEPS]);
    await standIn.clearFaults();
    const a = await writeWorkspaceFile(`${folder}/factura ñandú, abril.pdf`, pdfBytes('export a'));
    const b = await writeWorkspaceFile(`${folder}/recibo.pdf`, pdfBytes('export b'));
    const c = await writeWorkspaceFile(`${folder}/blank.pdf`, pdfBytes('export c'));
    invoice = await runOne('it-export-inv', a);
    receipt = await runOne('it-export-rcpt', b);
    failed = await runOne('it-failing', c);
    // Their current records (finished times, execution ids).
    const api = await activate();
    const all = await api.runs();
    const fresh = (r: RunRecord) => all.find(x => x.id === r.id) as RunRecord;
    [invoice, receipt, failed] = [fresh(invoice), fresh(receipt), fresh(failed)];
    assert.strictEqual(invoice.state, 'SUCCESS');
    assert.strictEqual(failed.state, 'ERROR');
  });

  after(async () => {
    await standIn.setSteps(TEST_STEPS);
    await vscode.workspace.fs.delete(workspaceFile(folder), { recursive: true, useTrash: false });
  });

  it('CSV: dotted paths, arrays as JSON in one cell, quoting, formulas escaped, a BOM in the saved bytes', async () => {
    const saveTo = workspaceFile(`${folder}/out.csv`);
    // Clicked the receipt, with all three selected (VS Code passes both).
    const out = await exportWith(receipt, [invoice, receipt, failed], { format: 'csv', saveTo });
    assert.ok(out, 'the command returned the export');
    assert.strictEqual(out.savedTo?.toString(), saveTo.toString());
    assert.strictEqual(out.rows, 3);
    const bytes = fs.readFileSync(saveTo.fsPath);
    assert.deepStrictEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 BOM');
    assert.strictEqual(bytes.toString('utf8'), out.text);
    const lines = out.text.replace(/^\uFEFF/, '').split('\r\n');
    assert.strictEqual(lines.length, 5, 'header, three rows, and the final line end');
    assert.strictEqual(lines[4], '');
    assert.strictEqual(lines[0], HEADER);
    const items =
      '"[{""description"":""Impresión, 500 folletos"",""quantity"":500,""amount"":210},' +
      '{""description"":""Envío \\""urgente\\"""",""quantity"":1,""amount"":24.9}]"';
    assert.strictEqual(
      lines[1],
      [
        `"${folder}/factura ñandú, abril.pdf"`,
        'it-export-inv',
        invoice.executionId,
        'SUCCESS',
        iso(invoice.startedAt),
        iso(invoice.finishedAt),
        '',
        '',
        'F-2026/041',
        '"Ñandú Servicios Gráficos, S.A."',
        'Madrid',
        'ES',
        '683.53',
        '"He said ""pay now"""',
        items,
        "'=SUM(A1:A2)",
      ].join(','),
    );
    assert.strictEqual(
      lines[2],
      [
        `${folder}/recibo.pdf`,
        'it-export-rcpt',
        receipt.executionId,
        'SUCCESS',
        iso(receipt.startedAt),
        iso(receipt.finishedAt),
        '',
        '',
        'R-7',
        '東京商事',
        '',
        '',
        '12',
        '',
        '"[{""description"":""Café"",""quantity"":3,""amount"":4}]"',
        '',
      ].join(','),
    );
    // The failed run: its error (DocuTray's message), no result fields.
    const prefix = [
      `${folder}/blank.pdf`,
      'it-failing',
      failed.executionId,
      'ERROR',
      iso(failed.startedAt),
      iso(failed.finishedAt),
    ].join(',');
    assert.ok(lines[3].startsWith(`${prefix},`), lines[3]);
    assert.ok(lines[3].includes('No invoice found on page 1'), lines[3]);
    assert.ok(lines[3].endsWith(','.repeat(9)), `no reused_from, no result fields: ${lines[3]}`);
  });

  it('CSV, one row per line item: the parent repeated, no BOM when asked, `;` as the delimiter', async () => {
    const saveTo = workspaceFile(`${folder}/items.csv`);
    const out = await exportWith(invoice, [invoice, receipt, failed], {
      format: 'csv',
      explode: 'line_items',
      bom: false,
      delimiter: ';',
      saveTo,
    });
    assert.ok(out);
    assert.strictEqual(out.rows, 4, '2 items + 1 item + the failed run');
    const bytes = fs.readFileSync(saveTo.fsPath);
    assert.strictEqual(bytes[0], 'f'.charCodeAt(0), 'no BOM');
    const lines = out.text.split('\r\n');
    assert.strictEqual(
      lines[0],
      'file;step;execution_id;status;started_at;finished_at;error;reused_from;invoice_number;vendor.name;' +
        'vendor.address.city;vendor.address.country;total;notes;formula;line_items#;line_items.description;' +
        'line_items.quantity;line_items.amount',
    );
    const cells = (line: string) => line.split(';');
    const rows = lines.slice(1, 5).map(cells);
    assert.deepStrictEqual(
      rows.map(r => [r[0], r[8], r[15], r[16], r[17], r[18]]),
      [
        [`${folder}/factura ñandú, abril.pdf`, 'F-2026/041', '1', 'Impresión, 500 folletos', '500', '210'],
        [`${folder}/factura ñandú, abril.pdf`, 'F-2026/041', '2', '"Envío ""urgente"""', '1', '24.9'],
        [`${folder}/recibo.pdf`, 'R-7', '1', 'Café', '3', '4'],
        [`${folder}/blank.pdf`, '', '', '', '', ''],
      ],
    );
    assert.strictEqual(rows[0][9], 'Ñandú Servicios Gráficos, S.A.', 'a comma needs no quotes with `;`');
  });

  it('JSON Lines and JSON: one object per row, parseable, the result fields flattened', async () => {
    const jsonl = await exportWith(invoice, [invoice, receipt, failed], {
      format: 'jsonl',
      saveTo: workspaceFile(`${folder}/o.jsonl`),
    });
    assert.ok(jsonl);
    const lines = jsonl.text.split('\n');
    assert.strictEqual(lines.pop(), '', 'ends with a line end');
    const objects = lines.map(l => JSON.parse(l) as Record<string, unknown>);
    assert.strictEqual(objects.length, 3);
    assert.strictEqual(objects[0]['vendor.address.city'], 'Madrid');
    assert.deepStrictEqual(objects[0].line_items, INVOICE.line_items);
    assert.strictEqual(objects[0].formula, '=SUM(A1:A2)', 'no formula escape outside CSV');
    assert.strictEqual(objects[1]['vendor.name'], '東京商事');
    assert.strictEqual(objects[2].status, 'ERROR');
    assert.strictEqual(objects[2].total, null);

    const json = await exportWith(failed, [failed, invoice], {
      format: 'json',
      saveTo: workspaceFile(`${folder}/o.json`),
    });
    assert.ok(json);
    const parsed = JSON.parse(json.text) as Array<Record<string, unknown>>;
    assert.deepStrictEqual(
      parsed.map(p => [p.file, p.execution_id, p.status]),
      [
        [`${folder}/blank.pdf`, failed.executionId, 'ERROR'],
        [`${folder}/factura ñandú, abril.pdf`, invoice.executionId, 'SUCCESS'],
      ],
    );
    assert.strictEqual(parsed[1].started_at, iso(invoice.startedAt));
  });

  it('a batch node: its files’ runs, a skipped file with the result it reuses, a file never sent', async () => {
    const copy = workspaceFile(`${folder}/copy of factura.pdf`).toString();
    const node = {
      kind: 'batch',
      batch: {
        id: 'batch_export_it',
        stepId: 'it-export-inv',
        files: [
          {
            uri: workspaceFile(`${folder}/factura ñandú, abril.pdf`).toString(),
            state: 'succeeded',
            runId: invoice.id,
            executionId: invoice.executionId,
          },
          {
            uri: copy,
            label: 'copy of factura.pdf',
            state: 'skipped',
            reusedExecutionId: invoice.executionId,
            endedAt: invoice.finishedAt,
          },
          {
            uri: workspaceFile(`${folder}/notes.docx`).toString(),
            state: 'unavailable',
            error: 'not a document DocuTray takes',
          },
        ],
      },
    };
    // The batch clicked, with it and the receipt selected; the batch's own run once.
    const out = await exportWith(node, [node, receipt, invoice], {
      format: 'json',
      saveTo: workspaceFile(`${folder}/b.json`),
    });
    assert.ok(out);
    const rows = JSON.parse(out.text) as Array<Record<string, unknown>>;
    assert.deepStrictEqual(
      rows.map(r => [r.file, r.status, r.execution_id, r.reused_from, r.invoice_number, r.error]),
      [
        [`${folder}/factura ñandú, abril.pdf`, 'SUCCESS', invoice.executionId, null, 'F-2026/041', null],
        [`${folder}/copy of factura.pdf`, 'skipped', null, invoice.executionId, 'F-2026/041', null],
        [`${folder}/notes.docx`, 'unavailable', null, null, null, 'not a document DocuTray takes'],
        [`${folder}/recibo.pdf`, 'SUCCESS', receipt.executionId, null, 'R-7', null],
      ],
    );
    assert.strictEqual(rows[1].finished_at, iso(invoice.finishedAt));
    assert.strictEqual(rows[1].step, 'it-export-inv');
  });

  it('asks format and array, remembers them, opens an untitled editor and saves the exact bytes on Save As…', async () => {
    const asked: string[][] = [];
    let answer: (labels: string[]) => string | undefined = () => undefined;
    const saveTo = workspaceFile(`${folder}/saved-as.csv`);
    const undo = [
      patch(vscode.window, 'showQuickPick', async (items: readonly vscode.QuickPickItem[]) => {
        const labels = (await items).map(i => i.label);
        asked.push(labels);
        const label = answer(labels);
        return (await items).find(i => i.label === label);
      }),
      patch(vscode.window, 'showInformationMessage', async (_m: string, ...buttons: string[]) =>
        buttons.find(b => b.startsWith('Save As')),
      ),
      patch(vscode.window, 'showSaveDialog', async (o: vscode.SaveDialogOptions) => {
        assert.match(o.defaultUri?.path ?? '', /\/docutray-runs-\d{4}-\d\d-\d\d\.csv$/);
        return saveTo;
      }),
    ];
    const opened: vscode.Uri[] = [];
    try {
      answer = labels => labels.find(l => l === 'CSV') ?? labels.find(l => l.includes('line_items'));
      const out = await exportWith(invoice, [invoice, receipt]);
      assert.ok(out?.document, 'opened in an editor');
      opened.push(out.document);
      assert.deepStrictEqual(asked[0], ['CSV', 'JSON Lines', 'JSON']);
      assert.deepStrictEqual(asked[1], ['Keep arrays as JSON in one cell', 'One row per item of line_items']);
      assert.strictEqual(out.rows, 3);
      const doc = await vscode.workspace.openTextDocument(out.document);
      assert.strictEqual(doc.uri.scheme, 'untitled');
      assert.ok(['csv', 'plaintext'].includes(doc.languageId), doc.languageId);
      assert.strictEqual(doc.getText(), out.text.replace(/^\uFEFF/, ''), 'the editor shows the text without the BOM');
      assert.ok(out.text.startsWith('\uFEFF'), 'docutray.export.csvBom is on by default');
      const saved = await waitFor('the saved file', () =>
        fs.existsSync(saveTo.fsPath) ? fs.readFileSync(saveTo.fsPath) : undefined,
      );
      assert.deepStrictEqual([...saved.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
      assert.strictEqual(saved.toString('utf8'), out.text);

      // The last answers come first next time.
      asked.length = 0;
      answer = labels => labels[0];
      const again = await exportWith(invoice, [invoice]);
      assert.ok(again?.document);
      opened.push(again.document);
      assert.strictEqual(asked[0][0], 'CSV');
      assert.strictEqual(asked[1][0], 'One row per item of line_items');
      assert.strictEqual(again.rows, 2);

      // JSON Lines: no array question.
      asked.length = 0;
      answer = labels => labels.find(l => l === 'JSON Lines');
      const lines = await exportWith(receipt, [receipt]);
      assert.ok(lines?.document);
      opened.push(lines.document);
      assert.strictEqual(asked.length, 1);
      const linesDoc = await vscode.workspace.openTextDocument(lines.document);
      assert.ok(['jsonl', 'plaintext'].includes(linesDoc.languageId), linesDoc.languageId);

      // Escape: nothing opened, nothing written.
      asked.length = 0;
      answer = () => undefined;
      const before = vscode.workspace.textDocuments.length;
      assert.strictEqual(await exportWith(invoice, [invoice]), undefined);
      assert.strictEqual(vscode.workspace.textDocuments.length, before);
    } finally {
      undo.forEach(u => u());
      for (const uri of opened) {
        await discard(uri);
      }
    }
  });

  it('from the palette or the title bar: all runs picked, Escape exports nothing', async () => {
    let offered: Array<vscode.QuickPickItem & { run?: RunRecord }> = [];
    let pick: (items: typeof offered) => unknown = () => undefined;
    const undo = patch(
      vscode.window,
      'showQuickPick',
      async (items: readonly vscode.QuickPickItem[], o?: vscode.QuickPickOptions) => {
        offered = [...(await items)];
        return o?.canPickMany ? pick(offered) : offered.find(i => i.label === 'JSON');
      },
    );
    const opened: vscode.Uri[] = [];
    try {
      pick = () => undefined;
      assert.strictEqual(await exportWith(), undefined);
      assert.ok(offered.length >= 3 && offered.every(i => i.picked), 'every run offered, picked');

      pick = items => items.filter(i => i.run?.id === receipt.id || i.run?.id === failed.id);
      const out = await exportWith();
      assert.ok(out?.document);
      opened.push(out.document);
      const rows = JSON.parse(out.text) as Array<Record<string, unknown>>;
      assert.deepStrictEqual(rows.map(r => r.execution_id).sort(), [receipt.executionId, failed.executionId].sort());
    } finally {
      undo();
      for (const uri of opened) {
        await discard(uri);
      }
    }
  });
});
