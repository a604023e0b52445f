/**
 * The batch panel's grid model (src/core/review/grid.ts, gridView.ts): the columns are the table
 * export's (the CSV's header, in its order and with its names), lists read "3 items", the cells whose
 * fields failed the check are marked with the fieldRows verdict, and sorting, the text filter and
 * "only failing" pick and order the rows.
 */
import * as assert from 'node:assert/strict';
import { compareResults, type CompareOptions } from '../../../../src/core/expected/compare';
import { parsePattern } from '../../../../src/core/expected/jsonPath';
import { exportRuns } from '../../../../src/core/results/export';
import { gridModel, viewRows, type GridDocument } from '../../../../src/core/review/grid';

const keyed: CompareOptions = { arrayKeys: [{ path: parsePattern('line_items'), field: 'description' }] };

function doc(file: string, result: unknown, expected?: unknown, compare: CompareOptions = keyed): GridDocument {
  if (expected === undefined) {
    return { file, status: 'SUCCESS', result, check: 'missing' };
  }
  const differences = compareResults(expected, result, compare);
  return {
    file,
    status: 'SUCCESS',
    result,
    check: differences.length ? 'failed' : 'passed',
    expected,
    differences,
    compare,
  };
}

const A = {
  invoice: 'A-1',
  total: 1160.5,
  vendor: { name: 'ACME', tax_id: 'X1' },
  line_items: [
    { description: 'Bolts', amount: 11 },
    { description: 'Nuts', amount: 5 },
  ],
};
const B = { invoice: 'B-2', total: 99, vendor: { name: 'Bolt & Co' }, line_items: [{ description: 'x', amount: 1 }] };
const C = { invoice: 'C-3', total: 20, vendor: { name: 'Zed', tax_id: 'Z9' }, status: 'paid', line_items: [] };

function docs(): GridDocument[] {
  return [
    doc('a.pdf', A, { ...A, total: 1160, line_items: [{ description: 'Bolts', amount: 10 }, A.line_items[1]] }),
    doc('b.pdf', B, B),
    doc('c.pdf', C),
    { file: 'd.pdf', status: 'ERROR', check: 'noResult' },
  ];
}

describe('grid model: a batch as rows of documents', () => {
  it('has the CSV export’s columns, in its order and with its names, after file, status and check', () => {
    const model = gridModel(docs());
    const csvHeader = exportRuns(
      docs().map(d => ({ file: d.file, stepId: 's', status: d.status, result: d.result })),
      { format: 'csv' },
    )
      .split('\r\n')[0]
      .split(',');
    const resultColumns = csvHeader.slice(1, csvHeader.indexOf('step'));
    assert.deepEqual(
      model.columns.map(c => c.name),
      ['file', 'status', 'check', ...resultColumns],
    );
    // A result field named like a bookkeeping column is `data.status`, as in the CSV.
    assert.ok(model.columns.some(c => c.name === 'data.status'));
    assert.deepEqual(resultColumns, ['invoice', 'total', 'vendor.name', 'vendor.tax_id', 'line_items', 'data.status']);
  });

  it('writes lists as "n items", empty cells for fields a document lacks, and one row per document', () => {
    const model = gridModel(docs());
    const col = (name: string) => model.columns.findIndex(c => c.name === name);
    const text = (row: number, name: string) => model.rows[row].cells[col(name)].text;
    assert.equal(model.rows.length, 4);
    assert.equal(text(0, 'line_items'), '2 items');
    assert.equal(text(1, 'line_items'), '1 item');
    assert.equal(text(2, 'line_items'), '0 items');
    assert.equal(text(1, 'vendor.tax_id'), '');
    assert.equal(text(3, 'invoice'), '');
    assert.equal(text(0, 'total'), '1160.5');
    assert.deepEqual(
      model.rows.map(r => r.cells[2].text),
      ['2 fields not equal', 'passed', 'no expected result', 'no result'],
    );
  });

  it('marks the cells whose fields failed the check with their verdict, and the path to open there', () => {
    const model = gridModel(docs());
    const marks = model.rows.map(r =>
      r.cells.flatMap((c, i) => (c.mark ? [`${model.columns[i].name}:${c.mark}:${c.path}`] : [])),
    );
    assert.deepEqual(marks, [
      ['total:differs:total', 'line_items:differs:line_items[description="Bolts"].amount'],
      [],
      [],
      [],
    ]);
    assert.deepEqual(
      model.rows.map(r => r.failing),
      [true, false, false, false],
    );
  });

  it('marks a field only the expected result has on the check cell when no document has its column', () => {
    const model = gridModel([doc('a.pdf', { total: 1 }, { total: 1, currency: 'EUR' })]);
    assert.deepEqual(
      model.columns.map(c => c.name),
      ['file', 'status', 'check', 'total'],
    );
    assert.equal(model.rows[0].cells[2].mark, 'missing');
    assert.equal(model.rows[0].cells[2].text, '1 field not equal');
    assert.equal(model.rows[0].cells[2].path, 'currency');
    assert.equal(model.rows[0].cells[3].mark, undefined);
  });

  it('sorts numbers as numbers and text naturally, either way, empty cells last, stable', () => {
    const model = gridModel([
      doc('x10.pdf', { n: 10, s: 'b' }),
      doc('x9.pdf', { n: 9 }),
      doc('x100.pdf', { n: 100, s: 'a' }),
      doc('x2.pdf', { s: 'c' }),
    ]);
    const files = (idx: number[]) => idx.map(i => model.rows[i].cells[0].text);
    assert.deepEqual(files(viewRows(model.rows, { sort: { column: 0, direction: 'ascending' } })), [
      'x2.pdf',
      'x9.pdf',
      'x10.pdf',
      'x100.pdf',
    ]);
    assert.deepEqual(files(viewRows(model.rows, { sort: { column: 3, direction: 'ascending' } })), [
      'x9.pdf',
      'x10.pdf',
      'x100.pdf',
      'x2.pdf',
    ]);
    assert.deepEqual(files(viewRows(model.rows, { sort: { column: 3, direction: 'descending' } })), [
      'x100.pdf',
      'x10.pdf',
      'x9.pdf',
      'x2.pdf',
    ]);
    assert.deepEqual(files(viewRows(model.rows, { sort: { column: 4, direction: 'descending' } })), [
      'x2.pdf',
      'x10.pdf',
      'x100.pdf',
      'x9.pdf',
    ]);
    assert.deepEqual(files(viewRows(model.rows, {})), ['x10.pdf', 'x9.pdf', 'x100.pdf', 'x2.pdf']);
  });

  it('filters by text in any cell (case-insensitive, not across cells) and to the failing documents', () => {
    const model = gridModel(docs());
    const files = (idx: number[]) => idx.map(i => model.rows[i].cells[0].text);
    assert.deepEqual(files(viewRows(model.rows, { filter: 'bolt' })), ['b.pdf']);
    assert.deepEqual(files(viewRows(model.rows, { filter: '  ZED ' })), ['c.pdf']);
    assert.deepEqual(files(viewRows(model.rows, { filter: 'pdfSUCCESS' })), []);
    assert.deepEqual(files(viewRows(model.rows, { onlyFailing: true })), ['a.pdf']);
    assert.deepEqual(files(viewRows(model.rows, { onlyFailing: true, filter: 'b.pdf' })), []);
    assert.deepEqual(files(viewRows(model.rows, { filter: 'pdf', sort: { column: 0, direction: 'descending' } })), [
      'd.pdf',
      'c.pdf',
      'b.pdf',
      'a.pdf',
    ]);
  });

  it('treats a document whose content changed since its expected file as not failing', () => {
    const model = gridModel([{ file: 'a.pdf', status: 'SUCCESS', result: { total: 2 }, check: 'documentChanged' }]);
    assert.equal(model.rows[0].failing, false);
    assert.equal(model.rows[0].cells[2].text, 'document changed');
    assert.ok(model.rows[0].cells.every(c => !c.mark));
  });
});
