import * as assert from 'node:assert/strict';
import { arrayPaths, exportRuns, exportTable, flatten, toCsv, type ExportRun } from '../../src/core/results/export';

const T = Date.parse('2026-11-29T10:00:00.000Z');

const invoice: ExportRun = {
  file: 'facturas/Ñandú, "abril".pdf',
  stepId: 'invoice',
  executionId: 'exec_1',
  status: 'SUCCESS',
  startedAt: T,
  finishedAt: '2026-11-29T10:00:02.500Z',
  result: {
    vendor: { name: 'Ñandú Servicios Gráficos S.A.', address: 'Calle de Alcalá 42,\n28014 Madrid' },
    total: 683.53,
    paid: false,
    notes: 'He said "pay now"',
    line_items: [
      { description: 'Impresión, 500 folletos', quantity: 500, amount: 210 },
      { description: 'Envío', quantity: 1, amount: 24.9, tags: ['urgent'] },
    ],
    empty: {},
    status: 'booked',
  },
};
const receipt: ExportRun = {
  file: 'receipts/café.png',
  stepId: 'invoice',
  executionId: 'exec_2',
  status: 'SUCCESS',
  startedAt: T,
  finishedAt: T + 1000,
  result: { total: 12.5, vendor: { name: 'Café Zürich' }, currency: 'CHF' },
};
const failed: ExportRun = {
  file: 'broken.pdf',
  stepId: 'invoice',
  executionId: 'exec_3',
  status: 'ERROR',
  startedAt: T,
  error: 'No invoice found',
};

/** A tiny RFC 4180 reader, to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else {
      assert.notEqual(c, '\n', `bare LF outside quotes at ${i}`);
      field += c;
    }
  }
  assert.equal(field, '', 'ends with CRLF');
  return rows;
}

describe('export', () => {
  it('flattens nested objects to dotted paths, keeps arrays whole, marks an empty object', () => {
    const f = flatten({ a: { b: { c: 1 } }, list: [1, { x: 2 }], e: {}, n: null });
    assert.deepEqual(
      [...f],
      [
        ['a.b.c', 1],
        ['list', [1, { x: 2 }]],
        ['e', '{}'],
        ['n', null],
      ],
    );
    assert.deepEqual([...flatten('plain text')], [['result', 'plain text']]);
  });

  it('one row per document, base columns first, result columns in first-met order, the same for every row', () => {
    const t = exportTable([invoice, receipt, failed]);
    assert.deepEqual(t.columns, [
      'file',
      'step',
      'execution_id',
      'status',
      'started_at',
      'finished_at',
      'error',
      'reused_from',
      'vendor.name',
      'vendor.address',
      'total',
      'paid',
      'notes',
      'line_items',
      'empty',
      'data.status',
      'currency',
    ]);
    assert.equal(t.rows.length, 3);
    const rows = parseCsv(toCsv(t));
    assert.equal(rows.length, 4);
    assert.ok(
      rows.every(r => r.length === t.columns.length),
      'every row has every column',
    );
    const [header, inv, rec, bad] = rows;
    const col = (name: string) => header.indexOf(name);
    assert.equal(inv[col('file')], 'facturas/Ñandú, "abril".pdf');
    assert.equal(inv[col('started_at')], '2026-11-29T10:00:00.000Z');
    assert.equal(inv[col('vendor.address')], 'Calle de Alcalá 42,\n28014 Madrid');
    assert.equal(inv[col('notes')], 'He said "pay now"');
    assert.equal(inv[col('paid')], 'false');
    assert.equal(inv[col('total')], '683.53');
    assert.deepEqual(JSON.parse(inv[col('line_items')]), (invoice.result as { line_items: unknown }).line_items);
    assert.equal(inv[col('data.status')], 'booked', 'a result field named like a base column is kept apart');
    assert.equal(inv[col('status')], 'SUCCESS');
    assert.equal(rec[col('vendor.name')], 'Café Zürich');
    assert.equal(rec[col('notes')], '', 'missing field: empty cell');
    assert.equal(rec[col('currency')], 'CHF');
    assert.equal(bad[col('error')], 'No invoice found');
    assert.equal(bad[col('total')], '');
  });

  it('CSV per RFC 4180: CRLF, quotes doubled, quoted only when needed; UTF-8 with an optional BOM', () => {
    const csv = exportRuns([receipt], { format: 'csv' });
    assert.ok(!csv.startsWith('\uFEFF'));
    assert.ok(csv.endsWith('\r\n'));
    assert.ok(csv.includes(',Café Zürich,'), 'not quoted without need');
    const withBom = exportRuns([invoice], { format: 'csv', bom: true });
    assert.ok(withBom.startsWith('\uFEFF'));
    assert.ok(withBom.includes('"He said ""pay now"""'));
    assert.ok(withBom.includes('"Calle de Alcalá 42,\n28014 Madrid"'));
    assert.equal(Buffer.from(withBom, 'utf8').subarray(0, 3).toString('hex'), 'efbbbf');
    const semi = exportRuns([receipt], { format: 'csv', delimiter: ';' });
    assert.ok(semi.split('\r\n')[0].startsWith('file;step;'));
  });

  it('a text cell that would be a spreadsheet formula is defused (on by default), numbers are not', () => {
    const run: ExportRun = {
      file: '=cmd.pdf',
      stepId: 's',
      status: 'SUCCESS',
      result: { a: '=HYPERLINK("x")', b: -5, c: '+1', d: '@SUM(1)', e: 'plain' },
    };
    const rows = parseCsv(exportRuns([run], { format: 'csv' }));
    assert.deepEqual(rows[1].slice(0, 1), ["'=cmd.pdf"]);
    assert.deepEqual(rows[1].slice(-5), ['\'=HYPERLINK("x")', '-5', "'+1", "'@SUM(1)", 'plain']);
    const raw = parseCsv(exportRuns([run], { format: 'csv', escapeFormulas: false }));
    assert.equal(raw[1].at(-5), '=HYPERLINK("x")');
  });

  it("one row per item of a chosen array, the parent's fields repeated", () => {
    const t = exportTable([invoice, receipt], { explode: 'line_items' });
    assert.equal(t.rows.length, 3, 'two items + a document without the array');
    assert.ok(!t.columns.includes('line_items'));
    assert.deepEqual(t.columns.slice(8), [
      'vendor.name',
      'vendor.address',
      'total',
      'paid',
      'notes',
      'empty',
      'data.status',
      'line_items#',
      'line_items.description',
      'line_items.quantity',
      'line_items.amount',
      'line_items.tags',
      'currency',
    ]);
    const [a, b, c] = t.rows;
    assert.equal(a.get('vendor.name'), 'Ñandú Servicios Gráficos S.A.');
    assert.equal(b.get('vendor.name'), 'Ñandú Servicios Gráficos S.A.');
    assert.equal(a.get('line_items#'), 1);
    assert.equal(b.get('line_items#'), 2);
    assert.equal(a.get('line_items.description'), 'Impresión, 500 folletos');
    assert.deepEqual(b.get('line_items.tags'), ['urgent']);
    assert.equal(a.get('line_items.tags'), undefined);
    assert.equal(c.get('currency'), 'CHF');
    const rows = parseCsv(toCsv(t));
    assert.ok(rows.every(r => r.length === t.columns.length));
    assert.equal(rows[2][t.columns.indexOf('line_items.tags')], '["urgent"]');
  });

  it('JSON Lines and JSON: one object per row, every column, arrays as arrays, nulls for missing', () => {
    const lines = exportRuns([invoice, failed], { format: 'jsonl' })
      .trimEnd()
      .split('\n')
      .map(l => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(Object.keys(lines[0]), Object.keys(lines[1]), 'same keys, same order');
    assert.ok(Array.isArray(lines[0].line_items));
    assert.equal(lines[1].total, null);
    assert.equal(lines[0]['vendor.name'], 'Ñandú Servicios Gráficos S.A.');
    const json = JSON.parse(exportRuns([invoice, failed], { format: 'json' })) as unknown[];
    assert.deepEqual(json, lines);
    assert.equal(exportRuns([], { format: 'jsonl' }), '');
    assert.equal(
      exportRuns([], { format: 'csv' }).split('\r\n')[0],
      'file,step,execution_id,status,started_at,finished_at,error,reused_from',
    );
  });

  it('lists the arrays one could spread into rows, most common first', () => {
    assert.deepEqual(arrayPaths([invoice.result, { line_items: [], taxes: { lines: [] } }, receipt.result]), [
      'line_items',
      'taxes.lines',
    ]);
  });
});
