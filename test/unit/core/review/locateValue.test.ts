/**
 * The value search over a PDF's page texts (src/core/review/locateValue.ts): strings folded, numbers in
 * both decimal conventions within the settings' tolerance, dates in common forms, matches mapped back
 * to pdf.js text items, and honest outcomes when there is no text or nothing to search.
 */
import * as assert from 'node:assert/strict';
import {
  locateValue,
  readNumberBothWays,
  searchablePage,
  type PageText,
} from '../../../../src/core/review/locateValue';

const page = (n: number, ...lines: string[]): PageText => ({
  page: n,
  items: lines.map(s => ({ str: s, hasEOL: true })),
});

const pages = [
  page(1, 'FACTURA N.º A-2024-17', 'Fecha: 15 de enero de 2024', 'Proveedor: Café Ñandú S.A.'),
  page(2, 'Subtotal 1.000,00', 'IVA   160,00', 'Total   1.160,00 EUR'),
  page(3, 'Invoice total: 2,320.50', 'Due January 31, 2024'),
];

function found(value: unknown, opts = {}) {
  const r = locateValue(pages, value, opts);
  assert.equal(r.outcome, 'found', JSON.stringify(r));
  return r.outcome === 'found' ? r : assert.fail();
}

describe('review: where is this value (text search)', () => {
  it('reads numbers both ways', () => {
    assert.deepEqual(readNumberBothWays('1,160.00'), [1160]);
    assert.deepEqual(readNumberBothWays('1.160,00'), [1160]);
    assert.deepEqual(readNumberBothWays('1.160').sort(), [1.16, 1160].sort());
    assert.deepEqual(readNumberBothWays("1'160.5"), [1160.5]);
    assert.deepEqual(readNumberBothWays('-12'), [-12]);
  });

  it('finds a number written 1.160,00 and one written 2,320.50, with the page and the text as printed', () => {
    const r = found(1160);
    assert.equal(r.kind, 'number');
    assert.equal(r.matches.length, 1);
    assert.equal(r.matches[0].page, 2);
    assert.equal(r.matches[0].text, '1.160,00');
    assert.deepEqual(r.matches[0].start, { item: 2, offset: 8 });
    assert.deepEqual(r.matches[0].end, { item: 2, offset: 16 });
    assert.equal(r.locations[0].source, 'text-search');
    assert.equal(found(2320.5).matches[0].text, '2,320.50');
    assert.equal(found('1160.00').matches[0].page, 2);
  });

  it('uses the tolerance of the settings, and finds nothing outside it', () => {
    assert.equal(locateValue(pages, 1160.4).outcome, 'notFound');
    assert.equal(found(1160.4, { absoluteTolerance: 0.5 }).matches[0].text, '1.160,00');
    assert.equal(found(1161, { relativeTolerance: 0.001 }).matches[0].page, 2);
    // 160 is IVA, not the 160 inside 1.160,00.
    const iva = found(160);
    assert.deepEqual(
      iva.matches.map(m => m.text),
      ['160,00'],
    );
  });

  it('finds dates in ISO, Spanish and English forms', () => {
    const jan15 = found('2024-01-15');
    assert.equal(jan15.kind, 'date');
    assert.equal(jan15.matches[0].text, '15 de enero de 2024');
    assert.equal(found('2024-01-31').matches[0].text, 'January 31, 2024');
    assert.equal(found('31/01/2024').matches[0].page, 3);
    assert.equal(
      locateValue([page(1, 'issued 01/02/2024')], '2024-02-01').outcome,
      'found',
      'd/m/y and m/d/y are both tried',
    );
  });

  it('folds case, accents and white space in strings, across items', () => {
    const r = found('cafe ñandu');
    assert.equal(r.matches[0].page, 1);
    assert.equal(r.matches[0].text, 'Café Ñandú');
    const split: PageText = { page: 1, items: [{ str: 'ACME' }, { str: ' Corp', hasEOL: true }, { str: 'Ltd' }] };
    const across = locateValue([split], 'acme corp ltd');
    assert.equal(across.outcome, 'found');
    if (across.outcome === 'found') {
      assert.deepEqual(across.matches[0].start, { item: 0, offset: 0 });
      assert.deepEqual(across.matches[0].end, { item: 2, offset: 3 });
    }
  });

  it('says what it could not do: no text, not found, not searched', () => {
    assert.deepEqual(locateValue([page(1), page(2, '   ')], 'ACME'), { outcome: 'noText', pages: 2 });
    const nf = locateValue([page(1, 'x'), page(2)], 'Globex');
    assert.deepEqual(nf, { outcome: 'notFound', kind: 'string', pagesSearched: 2, pagesWithoutText: [2] });
    assert.deepEqual(locateValue(pages, true), { outcome: 'notSearched', reason: 'notText' });
    assert.deepEqual(locateValue(pages, null), { outcome: 'notSearched', reason: 'notText' });
    assert.deepEqual(locateValue(pages, 'EU'), { outcome: 'notSearched', reason: 'tooShort' });
    assert.deepEqual(locateValue(pages, '  '), { outcome: 'notSearched', reason: 'empty' });
    assert.deepEqual(locateValue(pages, { a: 1 }), { outcome: 'notSearched', reason: 'notText' });
  });

  it('searches pages made searchable once (cached per document) alike', () => {
    const cached = pages.map(searchablePage);
    assert.deepEqual(locateValue(cached, 1160), locateValue(pages, 1160));
  });
});
