/**
 * The grid's sort and filter index (src/core/review/gridView.ts): the sort keys made once per column
 * order rows as the grid's definition says (numbers as numbers before texts, texts in natural order,
 * case and accents ignored, empty cells last, stable), the same whether the keys were made ahead in
 * steps or when first needed; the filter finds a text in any one cell.
 */
import * as assert from 'node:assert/strict';
import { GridIndex, textSortKey, viewRows, type GridRow } from '../../../../src/core/review/gridView';

/** The grid's order, written as a comparator (the definition the index must follow). */
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
function reference(rows: readonly GridRow[], column: number, direction: 1 | -1): number[] {
  const idx = rows.map((_, i) => i);
  return idx.sort((a, b) => {
    const x = rows[a].cells[column].sort;
    const y = rows[b].cells[column].sort;
    if (x === null || y === null) {
      return x === y ? a - b : x === null ? 1 : -1;
    }
    let c: number;
    if (typeof x === 'number' && typeof y === 'number') {
      c = x - y;
    } else if (typeof x === 'number' || typeof y === 'number') {
      c = typeof x === 'number' ? -1 : 1;
    } else {
      c = collator.compare(x, y);
    }
    return direction * c || a - b;
  });
}

/** A small deterministic random generator, so a failure can be reproduced. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function rowsOf(values: (number | string | null)[][]): GridRow[] {
  return values.map((cells, index) => ({
    index,
    failing: index % 3 === 0,
    cells: cells.map(v => ({ text: v === null ? '' : String(v), sort: v })),
  }));
}

describe('grid index: sort keys made once, sorting by rank', () => {
  it('orders texts naturally: digits as numbers, case and accents ignored, punctuation before digits before letters', () => {
    const sorted = [
      'b',
      'B10',
      'a',
      'b2',
      'x 1',
      'x-1',
      'Éclair',
      'eclair',
      '10',
      '9',
      'ab',
      'a_b',
      'file007',
      'file7b',
    ]
      .map(t => ({ t, k: textSortKey(t) }))
      .sort((p, q) => (p.k < q.k ? -1 : p.k > q.k ? 1 : 0))
      .map(p => p.t);
    const byCollator = [...sorted].sort(collator.compare);
    assert.deepEqual(
      sorted.map(textSortKey),
      byCollator.map(textSortKey),
      'the keys order texts as a natural collation does',
    );
    assert.equal(textSortKey('Éclair'), textSortKey('eclair'));
    assert.equal(textSortKey('file007'), textSortKey('FILE7'));
    assert.ok(textSortKey('x2') < textSortKey('x10'));
  });

  it('sorts like the comparator, either way, on random columns of numbers, texts and empty cells', () => {
    const next = random(7);
    const words = ['alpha', 'Beta', 'gamma', 'delta 2', 'delta 10', 'item 3', 'Item 3', 'zeta', 'ñandú', 'nandu'];
    const values = Array.from({ length: 400 }, () => [
      Math.floor(next() * 50) - 10,
      next() < 0.2 ? null : words[Math.floor(next() * words.length)],
      next() < 0.3 ? null : next() < 0.5 ? Math.round(next() * 1000) / 10 : `v${Math.floor(next() * 30)}`,
    ]);
    const rows = rowsOf(values);
    const index = new GridIndex(rows);
    for (let column = 0; column < 3; column++) {
      for (const [direction, sign] of [
        ['ascending', 1],
        ['descending', -1],
      ] as const) {
        assert.deepEqual(
          Array.from(index.view({ sort: { column, direction } })),
          reference(rows, column, sign),
          `column ${column} ${direction}`,
        );
      }
    }
  });

  it('gives the same views when its keys were made ahead, step by step', () => {
    const next = random(11);
    const rows = rowsOf(
      Array.from({ length: 2500 }, (_, i) => [`doc ${i}`, next() < 0.5 ? Math.floor(next() * 100) : null, 'x']),
    );
    const ahead = new GridIndex(rows);
    let steps = 0;
    while (ahead.prepare()) {
      steps++;
    }
    assert.ok(steps >= 3, `made in steps (${steps})`);
    const views = [
      { sort: { column: 1, direction: 'descending' as const }, filter: 'DOC 1' },
      { onlyFailing: true, sort: { column: 0, direction: 'ascending' as const } },
      { filter: 'doc 24' },
    ];
    for (const v of views) {
      assert.deepEqual(Array.from(ahead.view(v)), viewRows(rows, v));
    }
  });

  it('filters within one cell, ignoring case and surrounding spaces, and to failing rows', () => {
    const rows = rowsOf([
      ['Alpha', 'one'],
      ['beta', 'TWO'],
      ['gamma', 'alphabet'],
      ['delta', null],
    ]);
    const index = new GridIndex(rows);
    assert.deepEqual(Array.from(index.view({ filter: ' ALPHA ' })), [0, 2]);
    assert.deepEqual(Array.from(index.view({ filter: 'betatwo' })), []);
    assert.deepEqual(Array.from(index.view({ filter: 'two' })), [1]);
    assert.deepEqual(Array.from(index.view({ onlyFailing: true })), [0, 3]);
    assert.deepEqual(Array.from(index.view({})), [0, 1, 2, 3]);
  });
});
