/**
 * The value search a page at a time (src/core/review/locateValue.ts: SearchablePageBuilder,
 * ValueSearch), as the review panel runs it to keep every task of the page short: a page made
 * searchable a few items at a time, and pages searched one by one, give what the one-call search gives.
 */
import * as assert from 'node:assert/strict';
import {
  locateValue,
  searchablePage,
  SearchablePageBuilder,
  ValueSearch,
  type PageText,
} from '../../../../src/core/review/locateValue';

function page(n: number, ...lines: string[]): PageText {
  return {
    page: n,
    items: lines.flatMap(l => l.split('|').map((str, i, all) => ({ str, hasEOL: i === all.length - 1 }))),
  };
}

const pages = [
  page(1, 'Factura Nº 2040|  Ñandú   Café', 'Fecha: 15 de enero de 2024'),
  page(2, '   '),
  page(3, 'Subtotal|1.160,00 EUR', 'TOTAL   2,320.50', 'ﬁnal Straße'),
];

describe('review: the value search, a page at a time', () => {
  it('makes a page searchable a few items at a time exactly as in one go', () => {
    for (const p of pages) {
      const b = new SearchablePageBuilder(p);
      let steps = 0;
      while (!b.done) {
        b.add(2);
        steps++;
      }
      assert.ok(steps >= Math.ceil(p.items.length / 2));
      assert.deepEqual(b.result(), searchablePage(p));
    }
    assert.equal(searchablePage(pages[0]).text, 'factura no 2040 nandu cafe fecha: 15 de enero de 2024 ');
  });

  it('finds the same, page by page, as the one-call search, and says why it did not search', () => {
    for (const value of [1160, '2320.5', 'ñandú café', '2024-01-15', 'FINAL', 'Globex', 'EU', true]) {
      const search = new ValueSearch(value, { absoluteTolerance: 0.01 });
      for (const p of pages) {
        search.add(searchablePage(p));
      }
      assert.deepEqual(search.result(), locateValue(pages, value, { absoluteTolerance: 0.01 }), String(value));
    }
    assert.equal(new ValueSearch('EU').notSearched, 'tooShort');
    assert.equal(new ValueSearch(1160).notSearched, undefined);
    assert.equal(new ValueSearch(1160).result().outcome, 'noText');
  });
});
