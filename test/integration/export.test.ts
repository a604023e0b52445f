/**
 * Export Results as Table…: runs of real documents through the stand-in, exported as CSV, JSON Lines
 * and JSON from view nodes (runs, a batch node), with and without the questions; the file is read back
 * byte for byte, and no editor is left dirty.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { ExportOutcome } from '../../src/commands/exportCommand';
import type { RunRecord } from '../../src/core/runs/history';
import type { RunOutcome } from '../../src/runs/runService';
import {
  TEST_STEPS,
  activate,
  closeAllEditors,
  patch,
  pdfBytes,
  standIn,
  waitFor,
  workspaceFile,
  writeWorkspaceFile,
} from './support';

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
const RESULT_COLUMNS =
  'invoice_number,vendor.name,vendor.address.city,vendor.address.country,total,notes,line_items,formula';
const BOOKKEEPING = 'step,step_id,execution_id,status,started_at,finished_at,error,reused_from';
const HEADER = `file,${RESULT_COLUMNS},${BOOKKEEPING}`;

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

/** The saved file, as bytes and as text. */
function readBack(uri: vscode.Uri | undefined): { bytes: Buffer; text: string } {
  assert.ok(uri, 'the export was saved');
  const bytes = fs.readFileSync(uri.fsPath);
  return { bytes, text: bytes.toString('utf8') };
}

/** Documents open in an editor that VS Code would ask to save on close. */
function unsaved(): string[] {
  return vscode.workspace.textDocuments.filter(d => d.isDirty || d.isUntitled).map(d => d.uri.toString());
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
    const fresh = (r: RunRecord) => all.find(x => x.id === r.id) as unknown as RunRecord;
    [invoice, receipt, failed] = [fresh(invoice), fresh(receipt), fresh(failed)];
    assert.strictEqual(invoice.state, 'SUCCESS');
    assert.strictEqual(failed.state, 'ERROR');
    assert.strictEqual(invoice.stepName, 'Invoice (export test)', 'the step’s name, as DocuTray gave it');
  });

  after(async () => {
    await standIn.setSteps(TEST_STEPS);
    await closeAllEditors();
    await vscode.workspace.fs.delete(workspaceFile(folder), { recursive: true, useTrash: false });
  });

  it('CSV: the document’s fields after `file`, then step name and id…; quoting, formulas escaped, a BOM', async () => {
    const saveTo = workspaceFile(`${folder}/out.csv`);
    // Clicked the receipt, with all three selected (VS Code passes both).
    const out = await exportWith(receipt, [invoice, receipt, failed], { format: 'csv', saveTo });
    assert.ok(out, 'the command returned the export');
    assert.strictEqual(out.savedTo.toString(), saveTo.toString());
    assert.strictEqual(out.rows, 3);
    const { bytes, text } = readBack(out.savedTo);
    assert.deepStrictEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'starts with the UTF-8 BOM');
    const lines = text.replace(/^\uFEFF/, '').split('\r\n');
    assert.strictEqual(lines.length, 5, 'header, three rows, and the final line end');
    assert.strictEqual(lines[4], '');
    assert.strictEqual(lines[0], HEADER);
    assert.strictEqual(out.columns.join(','), HEADER);
    const items =
      '"[{""description"":""Impresión, 500 folletos"",""quantity"":500,""amount"":210},' +
      '{""description"":""Envío \\""urgente\\"""",""quantity"":1,""amount"":24.9}]"';
    assert.strictEqual(
      lines[1],
      [
        `"${folder}/factura ñandú, abril.pdf"`,
        'F-2026/041',
        '"Ñandú Servicios Gráficos, S.A."',
        'Madrid',
        'ES',
        '683.53',
        '"He said ""pay now"""',
        items,
        "'=SUM(A1:A2)",
        invoice.stepName,
        'it-export-inv',
        invoice.executionId,
        'succeeded',
        iso(invoice.startedAt),
        iso(invoice.finishedAt),
        '',
        '',
      ].join(','),
    );
    assert.strictEqual(
      lines[2],
      [
        `${folder}/recibo.pdf`,
        'R-7',
        '東京商事',
        '',
        '',
        '12',
        '',
        '"[{""description"":""Café"",""quantity"":3,""amount"":4}]"',
        '',
        receipt.stepName,
        'it-export-rcpt',
        receipt.executionId,
        'succeeded',
        iso(receipt.startedAt),
        iso(receipt.finishedAt),
        '',
        '',
      ].join(','),
    );
    // The failed run: no result fields, its error (DocuTray's message).
    const prefix = [`${folder}/blank.pdf`, ...Array<string>(8).fill(''), failed.stepName, 'it-failing'].join(',');
    assert.ok(
      lines[3].startsWith(`${prefix},${failed.executionId},failed on DocuTray,${iso(failed.startedAt)},`),
      lines[3],
    );
    assert.ok(lines[3].includes('No invoice found on page 1'), lines[3]);
    assert.ok(lines[3].endsWith(','), `no reused_from: ${lines[3]}`);
    assert.deepStrictEqual(
      fs.readdirSync(workspaceFile(folder).fsPath).filter(n => n.endsWith('.tmp')),
      [],
      'no temporary file left beside it',
    );
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
    const { bytes, text } = readBack(out.savedTo);
    assert.strictEqual(bytes[0], 'f'.charCodeAt(0), 'no BOM');
    const lines = text.split('\r\n');
    assert.strictEqual(
      lines[0],
      'file;invoice_number;vendor.name;vendor.address.city;vendor.address.country;total;notes;formula;' +
        'line_items#;line_items.description;line_items.quantity;line_items.amount;' +
        BOOKKEEPING.replace(/,/g, ';'),
    );
    const cells = (line: string) => line.split(';');
    const rows = lines.slice(1, 5).map(cells);
    assert.deepStrictEqual(
      rows.map(r => [r[0], r[1], r[8], r[9], r[10], r[11], r[13]]),
      [
        [
          `${folder}/factura ñandú, abril.pdf`,
          'F-2026/041',
          '1',
          'Impresión, 500 folletos',
          '500',
          '210',
          'it-export-inv',
        ],
        [`${folder}/factura ñandú, abril.pdf`, 'F-2026/041', '2', '"Envío ""urgente"""', '1', '24.9', 'it-export-inv'],
        [`${folder}/recibo.pdf`, 'R-7', '1', 'Café', '3', '4', 'it-export-rcpt'],
        [`${folder}/blank.pdf`, '', '', '', '', '', 'it-failing'],
      ],
    );
    assert.strictEqual(rows[0][2], 'Ñandú Servicios Gráficos, S.A.', 'a comma needs no quotes with `;`');
  });

  it('JSON Lines and JSON: one object per row, parseable; a run from a folder not open here by its URI', async () => {
    const jsonl = await exportWith(invoice, [invoice, receipt, failed], {
      format: 'jsonl',
      saveTo: workspaceFile(`${folder}/o.jsonl`),
    });
    assert.ok(jsonl);
    const lines = readBack(jsonl.savedTo).text.split('\n');
    assert.strictEqual(lines.pop(), '', 'ends with a line end');
    const objects = lines.map(l => JSON.parse(l) as Record<string, unknown>);
    assert.strictEqual(objects.length, 3);
    // Nested as the step returned it (CSV alone spreads objects into dotted columns).
    assert.deepStrictEqual(Object.keys(objects[0]), [
      'file',
      'invoice_number',
      'vendor',
      'total',
      'notes',
      'line_items',
      'formula',
      ...BOOKKEEPING.split(','),
    ]);
    assert.deepStrictEqual(objects[0].vendor, INVOICE.vendor);
    assert.deepStrictEqual(objects[0].line_items, INVOICE.line_items);
    assert.strictEqual(objects[0].formula, '=SUM(A1:A2)', 'no formula escape outside CSV');
    assert.deepStrictEqual(objects[1].vendor, RECEIPT.vendor);
    assert.strictEqual(objects[2].status, 'failed on DocuTray', "the Runs view's words");
    assert.strictEqual(objects[2].total, null);

    // A run another window started on its own folder (the history is shared): not a path relative to this one.
    const elsewhere = { ...failed, id: 'run-from-another-window', source: 'file:///srv/other-project/scan.pdf' };
    const json = await exportWith(failed, [failed, invoice, elsewhere], {
      format: 'json',
      saveTo: workspaceFile(`${folder}/o.json`),
    });
    assert.ok(json);
    const parsed = JSON.parse(readBack(json.savedTo).text) as Array<Record<string, unknown>>;
    assert.deepStrictEqual(
      parsed.map(p => [p.file, p.execution_id, p.status]),
      [
        [`${folder}/blank.pdf`, failed.executionId, 'failed on DocuTray'],
        [`${folder}/factura ñandú, abril.pdf`, invoice.executionId, 'succeeded'],
        ['file:///srv/other-project/scan.pdf', failed.executionId, 'failed on DocuTray'],
      ],
    );
    assert.strictEqual(parsed[1].started_at, iso(invoice.startedAt));
    assert.strictEqual(parsed[1].step, invoice.stepName);
    assert.strictEqual(parsed[1].step_id, 'it-export-inv');
  });

  it('a batch node: its documents’ runs, a skipped one with the result it reuses, ones never sent', async () => {
    const copy = workspaceFile(`${folder}/copy of factura.pdf`).toString();
    const node = {
      kind: 'batch',
      batch: {
        version: 2,
        id: 'batch_export_it',
        stepId: 'it-export-inv',
        stepName: 'Invoices, batch',
        createdAt: invoice.startedAt,
        documents: [
          { uri: workspaceFile(`${folder}/factura ñandú, abril.pdf`).toString(), runId: invoice.id },
          {
            uri: copy,
            label: 'copy of factura.pdf',
            runId: 'batch_export_it.1',
            reused: { executionId: invoice.executionId, sha256: 'a'.repeat(64), finishedAt: invoice.finishedAt },
          },
          { uri: workspaceFile(`${folder}/notes.docx`).toString(), runId: 'batch_export_it.2' },
          // A batch another window ran on its own folder: the path it recorded there.
          { uri: 'file:///srv/other-project/in/scan.pdf', label: 'in/scan.pdf', runId: 'batch_export_it.3' },
        ],
      },
    };
    // The batch clicked, with it and the receipt selected; the batch's own run once.
    const out = await exportWith(node, [node, receipt, invoice], {
      format: 'json',
      saveTo: workspaceFile(`${folder}/b.json`),
    });
    assert.ok(out);
    const rows = JSON.parse(readBack(out.savedTo).text) as Array<Record<string, unknown>>;
    assert.deepStrictEqual(
      rows.map(r => [r.file, r.status, r.execution_id, r.reused_from, r.invoice_number, r.error]),
      [
        [`${folder}/factura ñandú, abril.pdf`, 'succeeded', invoice.executionId, null, 'F-2026/041', null],
        [`${folder}/copy of factura.pdf`, 'reused', null, invoice.executionId, 'F-2026/041', null],
        [`${folder}/notes.docx`, 'not sent yet', null, null, null, null],
        ['in/scan.pdf', 'not sent yet', null, null, null, null],
        [`${folder}/recibo.pdf`, 'succeeded', receipt.executionId, null, 'R-7', null],
      ],
    );
    assert.strictEqual(rows[1].finished_at, iso(invoice.finishedAt));
    assert.deepStrictEqual([rows[1].step, rows[1].step_id], ['Invoices, batch', 'it-export-inv']);
    assert.strictEqual(rows[0].step, invoice.stepName, 'a file with a run: the run’s own');
  });

  it('asks format, array and where to save; writes the file, offers to open it; no editor left unsaved', async () => {
    const asked: string[][] = [];
    let answer: (labels: string[]) => string | undefined = () => undefined;
    let saveTo: vscode.Uri | undefined;
    const dialogs: vscode.SaveDialogOptions[] = [];
    const offered: string[] = [];
    const before = unsaved();
    const undo = [
      patch(vscode.window, 'showQuickPick', async (items: readonly vscode.QuickPickItem[]) => {
        const labels = (await items).map(i => i.label);
        asked.push(labels);
        const label = answer(labels);
        return (await items).find(i => i.label === label);
      }),
      patch(vscode.window, 'showInformationMessage', async (message: string, ...buttons: string[]) => {
        offered.push(message);
        return buttons.find(b => b === 'Open');
      }),
      patch(vscode.window, 'showSaveDialog', async (o: vscode.SaveDialogOptions) => {
        dialogs.push(o);
        return saveTo;
      }),
    ];
    try {
      saveTo = workspaceFile(`${folder}/picked.csv`);
      answer = labels => labels.find(l => l === 'CSV') ?? labels.find(l => l.includes('line_items'));
      const out = await exportWith(invoice, [invoice, receipt]);
      assert.ok(out, 'exported');
      assert.deepStrictEqual(asked[0], ['CSV', 'JSON Lines', 'JSON']);
      assert.deepStrictEqual(asked[1], ['Keep arrays as JSON in one cell', 'One row per item of line_items']);
      assert.strictEqual(out.rows, 3);
      // The save dialog: a meaningful name, in the documents' workspace folder.
      const workspace = vscode.workspace.workspaceFolders?.[0]?.uri;
      assert.ok(workspace);
      const proposed = dialogs[0].defaultUri;
      assert.ok(proposed);
      assert.match(proposed.path, /\/docutray-runs-\d{4}-\d\d-\d\d\.csv$/, 'two steps: "runs"');
      assert.strictEqual(vscode.Uri.joinPath(proposed, '..').toString(), workspace.toString());
      assert.deepStrictEqual(Object.values(dialogs[0].filters ?? {}), [['csv']]);
      // The exact bytes, BOM and all (docutray.export.csvBom is on by default), in the file picked.
      const { bytes, text } = readBack(saveTo);
      assert.strictEqual(out.savedTo.toString(), saveTo.toString());
      assert.deepStrictEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
      assert.ok(text.split('\r\n')[0].includes(',line_items#,line_items.description,'), 'one row per line item');
      assert.strictEqual(text.split('\r\n').length, 5);
      // "Open": the saved file itself, in an editor that has nothing to save.
      const editor = await waitFor('the export in an editor', () =>
        vscode.window.visibleTextEditors.find(e => e.document.uri.toString() === saveTo?.toString()),
      );
      assert.match(offered[0], /^Exported 3 rows to export-it\/picked\.csv\.$/);
      assert.strictEqual(editor.document.uri.scheme, 'file');
      assert.strictEqual(editor.document.isDirty, false);
      assert.strictEqual(editor.document.getText(), text.replace(/^\uFEFF/, ''));
      assert.deepStrictEqual(unsaved(), before, 'no untitled or dirty editor');

      // The last answers come first next time; one step: the file is named after it.
      asked.length = 0;
      answer = labels => labels[0];
      saveTo = workspaceFile(`${folder}/again.csv`);
      const again = await exportWith(invoice, [invoice]);
      assert.ok(again);
      assert.strictEqual(asked[0][0], 'CSV');
      assert.strictEqual(asked[1][0], 'One row per item of line_items');
      assert.strictEqual(again.rows, 2);
      assert.match(dialogs[1].defaultUri?.path ?? '', /\/docutray-Invoice \(export test\)-\d{4}-\d\d-\d\d\.csv$/);

      // JSON Lines: no array question, a .jsonl name.
      asked.length = 0;
      answer = labels => labels.find(l => l === 'JSON Lines');
      saveTo = workspaceFile(`${folder}/picked.jsonl`);
      const lines = await exportWith(receipt, [receipt]);
      assert.ok(lines);
      assert.strictEqual(asked.length, 1);
      assert.match(dialogs[2].defaultUri?.path ?? '', /\.jsonl$/);
      assert.strictEqual(JSON.parse(readBack(saveTo).text).invoice_number, 'R-7');

      // Escape at the format, or at the save dialog: nothing written.
      const listing = fs.readdirSync(workspaceFile(folder).fsPath).sort();
      asked.length = 0;
      answer = () => undefined;
      assert.strictEqual(await exportWith(invoice, [invoice]), undefined);
      assert.strictEqual(dialogs.length, 3, 'not asked where');
      answer = labels => labels.find(l => l === 'JSON');
      saveTo = undefined;
      assert.strictEqual(await exportWith(invoice, [invoice]), undefined);
      assert.strictEqual(dialogs.length, 4);
      assert.deepStrictEqual(fs.readdirSync(workspaceFile(folder).fsPath).sort(), listing);
      assert.deepStrictEqual(unsaved(), before, 'still no untitled or dirty editor');
    } finally {
      undo.forEach(u => u());
      await closeAllEditors();
    }
  });

  it('from the palette or the title bar: all runs picked, Escape exports nothing', async () => {
    let offered: Array<vscode.QuickPickItem & { run?: RunRecord }> = [];
    let pick: (items: typeof offered) => unknown = () => undefined;
    const saveTo = workspaceFile(`${folder}/palette.json`);
    const undo = [
      patch(
        vscode.window,
        'showQuickPick',
        async (items: readonly vscode.QuickPickItem[], o?: vscode.QuickPickOptions) => {
          offered = [...(await items)];
          return o?.canPickMany ? pick(offered) : offered.find(i => i.label === 'JSON');
        },
      ),
      patch(vscode.window, 'showSaveDialog', async () => saveTo),
      patch(vscode.window, 'showInformationMessage', async () => undefined),
    ];
    try {
      pick = () => undefined;
      assert.strictEqual(await exportWith(), undefined);
      assert.ok(offered.length >= 3 && offered.every(i => i.picked), 'every run offered, picked');
      assert.ok(!fs.existsSync(saveTo.fsPath));

      pick = items => items.filter(i => i.run?.id === receipt.id || i.run?.id === failed.id);
      const out = await exportWith();
      assert.ok(out);
      const rows = JSON.parse(readBack(saveTo).text) as Array<Record<string, unknown>>;
      assert.deepStrictEqual(rows.map(r => r.execution_id).sort(), [receipt.executionId, failed.executionId].sort());
    } finally {
      undo.forEach(u => u());
    }
  });
});
