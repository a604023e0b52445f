import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BOOKKEEPING_COLUMNS,
  MAX_COLUMN_DEPTH,
  TOO_DEEP_CELL,
  arrayPaths,
  exportRuns,
  flatten,
  scanTable,
  streamTable,
  type ExportOptions,
  type ExportRun,
} from '../../../../src/core/results/export';
import { FileSink, TextSink } from '../../../../src/core/results/exportSink';
import type { AliveStats } from './exportAlive';

const T = Date.parse('2026-11-29T10:00:00.000Z');

const invoice: ExportRun = {
  file: 'facturas/Ñandú, "abril".pdf',
  stepId: 'invoice',
  stepName: 'Facturas',
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
  stepName: 'Facturas',
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
function parseCsv(text: string, delimiter = ','): string[][] {
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
    } else if (c === delimiter) {
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

/** The CSV as objects, one per row, by header name (every row as long as the header). */
function csvObjects(text: string): Array<Record<string, string>> {
  const [header, ...rows] = parseCsv(text);
  assert.equal(new Set(header).size, header.length, `no two columns share a name: ${header.join(',')}`);
  return rows.map(r => {
    assert.equal(r.length, header.length, 'every row has every column');
    return Object.fromEntries(header.map((h, i) => [h, r[i]]));
  });
}

const header = (runs: ExportRun[], opts: Partial<ExportOptions> = {}) =>
  parseCsv(exportRuns(runs, { format: 'csv', ...opts }))[0];

describe('export', () => {
  it('flattens nested objects to dotted paths, keeps arrays whole, marks an empty object', () => {
    const f = flatten({ a: { b: { c: 1 } }, list: [1, { x: 2 }], e: {}, n: null });
    assert.deepEqual(
      f.map(x => [x.name, x.cell]),
      [
        ['a.b.c', 1],
        ['list', [1, { x: 2 }]],
        ['e', {}],
        ['n', null],
      ],
    );
    assert.deepEqual(
      flatten('plain text').map(x => [x.name, x.cell]),
      [['result', 'plain text']],
    );
  });

  it('columns: file, then the result’s fields in first-met order, then the bookkeeping ones (step name and id)', () => {
    const rows = parseCsv(exportRuns([invoice, receipt, failed], { format: 'csv' }));
    assert.deepEqual(rows[0], [
      'file',
      'vendor.name',
      'vendor.address',
      'total',
      'paid',
      'notes',
      'line_items',
      'empty',
      'data.status',
      'currency',
      ...BOOKKEEPING_COLUMNS,
    ]);
    assert.deepEqual(BOOKKEEPING_COLUMNS, [
      'step',
      'step_id',
      'execution_id',
      'status',
      'started_at',
      'finished_at',
      'error',
      'reused_from',
    ]);
    const [inv, rec, bad] = csvObjects(exportRuns([invoice, receipt, failed], { format: 'csv' }));
    assert.equal(inv.file, 'facturas/Ñandú, "abril".pdf');
    assert.equal(inv.step, 'Facturas');
    assert.equal(inv.step_id, 'invoice');
    assert.equal(bad.step, 'invoice', 'no name known: the id');
    assert.equal(inv.started_at, '2026-11-29T10:00:00.000Z');
    assert.equal(inv['vendor.address'], 'Calle de Alcalá 42,\n28014 Madrid');
    assert.equal(inv.notes, 'He said "pay now"');
    assert.equal(inv.paid, 'false');
    assert.equal(inv.total, '683.53');
    assert.deepEqual(JSON.parse(inv.line_items), (invoice.result as { line_items: unknown }).line_items);
    assert.equal(inv['data.status'], 'booked', 'a result field named like a bookkeeping column is kept apart');
    assert.equal(inv.status, 'SUCCESS');
    assert.equal(rec['vendor.name'], 'Café Zürich');
    assert.equal(rec.notes, '', 'missing field: empty cell');
    assert.equal(rec.currency, 'CHF');
    assert.equal(bad.error, 'No invoice found');
    assert.equal(bad.total, '');
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
    assert.ok(semi.split('\r\n')[0].startsWith('file;total;'));
    assert.equal(parseCsv(semi, ';')[1][2], 'Café Zürich');
  });

  it('a text cell that would be a spreadsheet formula is defused (on by default), numbers are not', () => {
    const run: ExportRun = {
      file: '=cmd.pdf',
      stepId: 's',
      status: 'SUCCESS',
      result: { a: '=HYPERLINK("x")', b: -5, c: '+1', d: '@SUM(1)', e: 'plain' },
    };
    const rows = parseCsv(exportRuns([run], { format: 'csv' }));
    assert.deepEqual(rows[1].slice(0, 6), ["'=cmd.pdf", '\'=HYPERLINK("x")', '-5', "'+1", "'@SUM(1)", 'plain']);
    const raw = parseCsv(exportRuns([run], { format: 'csv', escapeFormulas: false }));
    assert.equal(raw[1][1], '=HYPERLINK("x")');
  });

  it('a header cell (a result’s field name) that would be a formula is defused like a value', () => {
    const run: ExportRun = {
      file: 'a.pdf',
      stepId: 's',
      status: 'SUCCESS',
      result: { '=HYPERLINK("http://evil.example","click")': 1, '@cmd': 2, '-x': 3, '+y': { '=z': 4 }, ok: 5 },
    };
    const [head] = parseCsv(exportRuns([run], { format: 'csv' }));
    assert.deepEqual(head.slice(0, 6), [
      'file',
      '\'=HYPERLINK("http://evil.example","click")',
      "'@cmd",
      "'-x",
      "'+y.=z",
      'ok',
    ]);
    assert.equal(header([run], { escapeFormulas: false })[1], '=HYPERLINK("http://evil.example","click")');
    // JSON keeps the names as they are: no spreadsheet reads it.
    const line = JSON.parse(exportRuns([run], { format: 'jsonl' })) as Record<string, unknown>;
    assert.equal(line['=HYPERLINK("http://evil.example","click")'], 1);
  });

  it("one row per item of a chosen array, the parent's fields repeated", () => {
    const csv = exportRuns([invoice, receipt], { format: 'csv', explode: 'line_items' });
    const [head] = parseCsv(csv);
    assert.ok(!head.includes('line_items'));
    assert.deepEqual(head.slice(1, -BOOKKEEPING_COLUMNS.length), [
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
    const [a, b, c, ...more] = csvObjects(csv);
    assert.equal(more.length, 0, 'two items + a document without the array');
    assert.equal(a['vendor.name'], 'Ñandú Servicios Gráficos S.A.');
    assert.equal(b['vendor.name'], 'Ñandú Servicios Gráficos S.A.');
    assert.equal(a['line_items#'], '1');
    assert.equal(b['line_items#'], '2');
    assert.equal(a['line_items.description'], 'Impresión, 500 folletos');
    assert.equal(b['line_items.tags'], '["urgent"]');
    assert.equal(a['line_items.tags'], '');
    assert.equal(c.currency, 'CHF');
    assert.equal(c['line_items#'], '');
  });

  it('JSON Lines and JSON: one object per row, the result nested as it was, nulls for missing fields', () => {
    const lines = exportRuns([invoice, failed], { format: 'jsonl' })
      .trimEnd()
      .split('\n')
      .map(l => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2);
    assert.deepEqual(Object.keys(lines[0]), Object.keys(lines[1]), 'same keys, same order');
    assert.deepEqual(Object.keys(lines[0]), [
      'file',
      'vendor',
      'total',
      'paid',
      'notes',
      'line_items',
      'empty',
      'data.status',
      ...BOOKKEEPING_COLUMNS,
    ]);
    assert.ok(Array.isArray(lines[0].line_items));
    assert.equal(lines[1].total, null);
    assert.equal(lines[1].vendor, null);
    // Nested, not flattened: the objects are the result's own.
    assert.ok(!('vendor.name' in lines[0]), Object.keys(lines[0]).join(','));
    const { vendor, total, paid, notes, line_items, empty } = invoice.result as Record<string, unknown>;
    assert.deepEqual(
      { vendor: lines[0].vendor, total: lines[0].total, paid: lines[0].paid, notes: lines[0].notes },
      { vendor, total, paid, notes },
    );
    assert.deepEqual(lines[0].line_items, line_items);
    assert.deepEqual(lines[0].empty, empty);
    assert.equal(lines[0]['data.status'], 'booked');
    assert.equal(lines[0].step, 'Facturas');
    const json = JSON.parse(exportRuns([invoice, failed], { format: 'json' })) as unknown[];
    assert.deepEqual(json, lines);
    assert.equal(exportRuns([], { format: 'jsonl' }), '');
    assert.deepEqual(JSON.parse(exportRuns([], { format: 'json' })), []);
    assert.equal(exportRuns([], { format: 'csv' }).split('\r\n')[0], ['file', ...BOOKKEEPING_COLUMNS].join(','));
  });

  it('lists the arrays one could spread into rows, most common first', () => {
    assert.deepEqual(arrayPaths([invoice.result, { line_items: [], taxes: { lines: [] } }, receipt.result]), [
      'line_items',
      'taxes.lines',
    ]);
  });

  it('a value too deep to write becomes a cell that says so; the row, the other rows and the export go on', () => {
    const deep = (levels: number, leaf: unknown = 'bottom'): unknown => {
      let v = leaf;
      for (let i = 0; i < levels; i++) {
        v = { k: v };
      }
      return v;
    };
    let deepArray: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) {
      deepArray = [deepArray];
    }
    const runs: ExportRun[] = [
      { file: 'deep.pdf', stepId: 's', status: 'SUCCESS', result: { before: 1, nest: deep(10_000), after: 2 } },
      { file: 'array.pdf', stepId: 's', status: 'SUCCESS', result: { before: 3, list: deepArray } },
      { file: 'fine.pdf', stepId: 's', status: 'SUCCESS', result: { before: 4, nest: deep(3) } },
    ];
    for (const format of ['csv', 'jsonl', 'json'] as const) {
      assert.doesNotThrow(() => exportRuns(runs, { format }), format);
    }
    const spread = `nest${'.k'.repeat(MAX_COLUMN_DEPTH - 1)}`;
    const [a, b, c] = csvObjects(exportRuns(runs, { format: 'csv' }));
    assert.equal(a[spread], TOO_DEEP_CELL, 'spread to MAX_COLUMN_DEPTH levels, the rest too deep for one cell');
    assert.equal(a.before, '1');
    assert.equal(a.after, '2');
    assert.equal(b.list, TOO_DEEP_CELL);
    assert.equal(b.before, '3');
    assert.equal(c['nest.k.k.k'], 'bottom');
    // Deeper than MAX_COLUMN_DEPTH but shallow enough to write: the rest of the object as JSON in one cell.
    const [d] = csvObjects(
      exportRuns([{ file: 'd', stepId: 's', status: 'SUCCESS', result: deep(40) }], { format: 'csv' }),
    );
    assert.deepEqual(JSON.parse(d[`k${'.k'.repeat(MAX_COLUMN_DEPTH - 1)}`]), deep(40 - MAX_COLUMN_DEPTH));
    const json = JSON.parse(exportRuns(runs, { format: 'json' })) as Array<Record<string, unknown>>;
    // Nested in JSON: the same MAX_COLUMN_DEPTH levels, then the cell that says so.
    let at: unknown = json[0].nest;
    for (let i = 1; i < MAX_COLUMN_DEPTH; i++) {
      at = (at as Record<string, unknown>).k;
    }
    assert.equal(at, TOO_DEEP_CELL);
    assert.equal(json[0].after, 2);
    assert.equal(json[1].list, TOO_DEEP_CELL);
    assert.deepEqual(json[2].nest, deep(3));
  });

  it("JSON with one row per item of an array: the item in the array's place, nested, and its position", () => {
    const lines = exportRuns([invoice, receipt], { format: 'jsonl', explode: 'line_items' })
      .trimEnd()
      .split('\n')
      .map(l => JSON.parse(l) as Record<string, unknown>);
    const items = (invoice.result as { line_items: unknown[] }).line_items;
    assert.deepEqual(
      lines.map(l => [l.file, l['line_items#'], l.line_items]),
      [
        [invoice.file, 1, items[0]],
        [invoice.file, 2, items[1]],
        [receipt.file, null, null],
      ],
    );
    assert.deepEqual(lines[0].vendor, (invoice.result as Record<string, unknown>).vendor);
    // A nested array: the item in its place inside its parent object.
    const nestedRun: ExportRun = {
      file: 'n.pdf',
      stepId: 's',
      status: 'SUCCESS',
      result: { taxes: { rate: 21, lines: [{ base: 1 }, { base: 2 }] } },
    };
    const nested = exportRuns([nestedRun], { format: 'json', explode: 'taxes.lines' });
    assert.deepEqual(
      (JSON.parse(nested) as Array<Record<string, unknown>>).map(r => [r['taxes.lines#'], r.taxes]),
      [
        [1, { rate: 21, lines: { base: 1 } }],
        [2, { rate: 21, lines: { base: 2 } }],
      ],
    );
  });

  it('keeps a field named __proto__, at the top and nested, in every format', () => {
    const result = JSON.parse('{"__proto__":{"x":1},"a":{"__proto__":"two"},"b":3}') as unknown;
    const run: ExportRun = { file: 'p.pdf', stepId: 's', status: 'SUCCESS', result };
    const [row] = csvObjects(exportRuns([run], { format: 'csv' }));
    assert.equal(row['__proto__.x'], '1');
    assert.equal(row['a.__proto__'], 'two');
    assert.equal(row.b, '3');
    const line = JSON.parse(exportRuns([run], { format: 'jsonl' })) as Record<string, unknown>;
    assert.ok(Object.hasOwn(line, '__proto__'), 'an own key, not the prototype');
    assert.deepEqual({ ...(Object.getOwnPropertyDescriptor(line, '__proto__')?.value as object) }, { x: 1 });
    assert.ok(Object.hasOwn(line.a as object, '__proto__'));
    assert.equal(Object.getOwnPropertyDescriptor(line.a, '__proto__')?.value, 'two');
    const bare = JSON.parse('{"__proto__":[1,2]}') as unknown;
    const one = JSON.parse(
      exportRuns([{ file: 'q', stepId: 's', status: 'SUCCESS', result: bare }], { format: 'json' }),
    ) as Array<Record<string, unknown>>;
    assert.ok(Object.hasOwn(one[0], '__proto__'), 'an own key, not the prototype');
    assert.deepEqual(Object.getOwnPropertyDescriptor(one[0], '__proto__')?.value, [1, 2]);
    const spread = csvObjects(
      exportRuns([{ file: 'q', stepId: 's', status: 'SUCCESS', result: bare }], {
        format: 'csv',
        explode: '__proto__',
      }),
    );
    assert.deepEqual(
      spread.map(r => r['__proto__']),
      ['1', '2'],
      'its items spread into rows',
    );
  });

  it('a field whose name is taken keeps its value in a column of its own: data.<name>, then " (2)"', () => {
    const first: ExportRun = {
      file: 'the document.pdf',
      stepId: 's',
      status: 'SUCCESS',
      result: JSON.parse(
        '{"file":"from the result","a.b":"literal dot","a":{"b":"nested"},"data":{"file":"nested file"},"step":"x"}',
      ) as unknown,
    };
    const second: ExportRun = {
      file: 'other.pdf',
      stepId: 's',
      status: 'SUCCESS',
      result: { a: { b: 'nested only' }, data: { file: 'nested only' } },
    };
    const csv = exportRuns([first, second], { format: 'csv' });
    assert.deepEqual(parseCsv(csv)[0].slice(0, 6), [
      'file',
      'data.file',
      'a.b',
      'a.b (2)',
      'data.file (2)',
      'data.step',
    ]);
    const [a, b] = csvObjects(csv);
    assert.equal(a.file, 'the document.pdf');
    assert.equal(a['data.file'], 'from the result');
    assert.equal(a['a.b'], 'literal dot');
    assert.equal(a['a.b (2)'], 'nested');
    assert.equal(a['data.file (2)'], 'nested file');
    assert.equal(a['data.step'], 'x');
    assert.equal(a.step, 's');
    // The same path, the same column, in every row.
    assert.equal(b['a.b'], '');
    assert.equal(b['a.b (2)'], 'nested only');
    assert.equal(b['data.file (2)'], 'nested only');
    const objects = JSON.parse(exportRuns([first, second], { format: 'json' })) as Array<Record<string, unknown>>;
    assert.equal(objects[0].file, 'the document.pdf');
    assert.equal(objects[0]['data.file'], 'from the result');
  });
});

/** Runs exportAlive.ts in a fresh process with `--expose-gc` and reads its stats. */
function countAlive(mode: 'streamed' | 'kept', count: number, bytes: number): Promise<AliveStats> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--expose-gc', join(__dirname, 'exportAlive.js'), mode, String(count), String(bytes)],
      { maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

describe('export, streamed', () => {
  it('reads one result at a time and keeps none it has written: at most 2 alive, whatever the count', async () => {
    const stats = await countAlive('streamed', 60, 256 * 1024);
    assert.equal(stats.maxInFlight, 1, 'one read at a time');
    assert.equal(stats.rows, 60);
    assert.equal(stats.reads, 120, 'each result read once per pass');
    assert.ok(stats.maxAlive <= 2, `${stats.maxAlive} results alive at once`);
    assert.ok((stats.bytesWritten ?? 0) > 60 * 256 * 1024, 'every result written');
    assert.deepEqual(stats.arrays, ['items']);
  });

  it('the count above can fail: a reader whose results are all kept shows them alive', async () => {
    const stats = await countAlive('kept', 20, 1024);
    assert.equal(stats.maxAlive, 20);
    assert.equal(stats.rows, 20);
  });

  it('streams the same text as the whole export in memory, in every format and with explode', async () => {
    const runs = [invoice, receipt, failed];
    const read = (r: ExportRun) => Promise.resolve(r);
    for (const opts of [
      { format: 'csv', bom: true },
      { format: 'csv', explode: 'line_items', delimiter: ';' },
      { format: 'jsonl' },
      { format: 'json' },
    ] as ExportOptions[]) {
      const shape = await scanTable(runs, read, opts);
      const sink = new TextSink();
      const rows = await streamTable(runs, read, shape.columns, opts, sink);
      assert.equal(sink.text(), exportRuns(runs, opts), JSON.stringify(opts));
      assert.equal(rows, opts.explode ? 4 : 3);
    }
  });

  it('stops between two runs when asked', async () => {
    const stop = new AbortController();
    let reads = 0;
    const read = (r: ExportRun) => {
      if (++reads === 2) {
        stop.abort(new Error('cancelled'));
      }
      return Promise.resolve(r);
    };
    await assert.rejects(
      scanTable([invoice, receipt, failed], read, { format: 'csv' }, { signal: stop.signal }),
      /cancelled/,
    );
    assert.equal(reads, 2);
  });
});

describe('export file sink', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'docutray-export-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the exact bytes (BOM and all) under a temporary name, then in place on commit', async () => {
    const file = join(dir, 'out.csv');
    writeFileSync(file, 'old');
    const sink = await FileSink.open(file);
    const big = 'é'.repeat(100_000);
    await sink.write('\uFEFFa,b\r\n');
    await sink.write(big);
    assert.equal(readFileSync(file, 'utf8'), 'old', 'the target is untouched until the export is complete');
    await sink.commit();
    const bytes = readFileSync(file);
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.equal(bytes.toString('utf8'), `\uFEFFa,b\r\n${big}`);
    assert.deepEqual(readdirSync(dir), ['out.csv'], 'no temporary file left');
  });

  it('abort leaves the file that was there, and nothing else', async () => {
    const file = join(dir, 'out.csv');
    writeFileSync(file, 'old');
    const sink = await FileSink.open(file);
    await sink.write('x'.repeat(200_000));
    await sink.abort();
    assert.equal(readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['out.csv']);
  });
});
