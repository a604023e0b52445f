/**
 * Field rows with verdicts (src/core/review/fieldRows.ts): the review panel's rows agree with the one
 * comparison (compareResults) the Testing view and the command line use — every difference it reports
 * is a non-equal row at the same path, and no other row is — with lists paired by key or by position.
 */
import * as assert from 'node:assert/strict';
import { compareResults, type CompareOptions } from '../../../../src/core/expected/compare';
import { parsePattern } from '../../../../src/core/expected/jsonPath';
import { compareOptionsFor, readExpectedSettings } from '../../../../src/core/expected/settings';
import { fieldRows, isDifference, verdictCounts, type FieldRow } from '../../../../src/core/review/fieldRows';

const lines = (rows: FieldRow[]) => rows.map(r => `${r.verdict} ${r.path}`);

/** The property the panel must keep: its non-equal rows are exactly the comparison's differences. */
function assertAgrees(actual: unknown, expected: unknown, opts: CompareOptions): FieldRow[] {
  const rows = fieldRows(actual, expected, { compare: opts });
  const diffs = compareResults(expected, actual, opts);
  const paths = new Set(rows.map(r => r.path));
  for (const d of diffs) {
    // A difference on an object or list is spread into its leaves: one of them is at or below it.
    assert.ok(
      paths.has(d.path) || rows.some(r => r.path.startsWith(d.path) && isDifference(r)),
      `no row for ${d.kind} ${d.path}: ${lines(rows).join('; ')}`,
    );
  }
  for (const r of rows.filter(isDifference)) {
    assert.ok(
      diffs.some(d => r.path === d.path || r.path.startsWith(d.path + '.') || r.path.startsWith(d.path + '[')),
      `row ${r.verdict} ${r.path} is no difference of the comparison: ${diffs.map(d => d.path).join(', ')}`,
    );
  }
  return rows;
}

describe('review: field rows with verdicts', () => {
  it('marks leaves equal, differs, missing and extra as the comparison does, in the result order', () => {
    const expected = { invoice: 'A-1', total: 1160, vendor: { name: 'ACME', tax_id: 'X1' }, notes: null };
    const actual = { invoice: 'A-1', total: 1160.5, vendor: { name: 'ACME' }, currency: 'EUR', notes: null };
    const rows = assertAgrees(actual, expected, {});
    assert.deepEqual(lines(rows), [
      'equal invoice',
      'differs total',
      'equal vendor.name',
      'missing vendor.tax_id',
      'extra currency',
      'equal notes',
    ]);
    const total = rows[1];
    assert.equal(total.expected, 1160);
    assert.equal(total.actual, 1160.5);
    assert.equal(rows[3].hasActual, false);
    assert.equal(rows[3].expected, 'X1');
    assert.equal(rows[4].hasExpected, false);
  });

  it('uses the tolerances and string rules of the settings', () => {
    const { settings } = readExpectedSettings(
      n => ({ 'expected.absoluteTolerance': 0.5, 'expected.strings': 'whitespaceAndCase' })[n],
    );
    const opts = compareOptionsFor(settings, 'invoice-extract');
    const rows = assertAgrees({ total: 1160.5, name: ' acme  corp' }, { total: 1160, name: 'ACME Corp' }, opts);
    assert.deepEqual(lines(rows), ['equal total', 'equal name']);
    const strict = assertAgrees({ total: 1160.5 }, { total: 1160 }, {});
    assert.deepEqual(lines(strict), ['differs total']);
  });

  it('pairs keyed lists as the comparison names them, and says by which key', () => {
    const opts: CompareOptions = { arrayKeys: [{ path: parsePattern('line_items'), field: 'description' }] };
    const expected = {
      line_items: [
        { description: 'Bolts', amount: 10 },
        { description: 'Nuts', amount: 5 },
        { description: 'Washers', amount: 2 },
      ],
    };
    const actual = {
      line_items: [
        { description: 'Nuts', amount: 5 },
        { description: 'Bolts', amount: 11 },
        { description: 'Screws', amount: 3 },
      ],
    };
    const rows = assertAgrees(actual, expected, opts);
    assert.deepEqual(lines(rows), [
      'equal line_items[description="Nuts"].description',
      'equal line_items[description="Nuts"].amount',
      'equal line_items[description="Bolts"].description',
      'differs line_items[description="Bolts"].amount',
      'extra line_items[description="Screws"].description',
      'extra line_items[description="Screws"].amount',
      'missing line_items[description="Washers"].description',
      'missing line_items[description="Washers"].amount',
    ]);
    assert.ok(rows.every(r => r.field.startsWith('line_items[*].')));
    assert.deepEqual(rows[0].pairing, { by: 'key', field: 'description' });
  });

  it('pairs repeated keys by occurrence, and unkeyed elements by their order, as the comparison does', () => {
    const opts: CompareOptions = { arrayKeys: [{ path: parsePattern('items'), field: 'sku' }] };
    const expected = { items: [{ sku: 'A', n: 1 }, { sku: 'A', n: 2 }, { n: 3 }, { sku: 'B', n: 4 }] };
    const actual = { items: [{ sku: 'B', n: 4 }, { n: 30 }, { sku: 'A', n: 1 }, { sku: 'A', n: 20 }] };
    const rows = assertAgrees(actual, expected, opts);
    assert.ok(lines(rows).includes('differs items[sku="A"#2].n'), lines(rows).join('\n'));
    assert.ok(lines(rows).includes('differs items[2].n'), lines(rows).join('\n'));
  });

  it('pairs keys the string rule takes as equal, as the comparison does, and shows them in the result order', () => {
    const opts: CompareOptions = {
      strings: 'whitespaceAndCase',
      arrayKeys: [{ path: parsePattern('items'), field: 'sku' }],
    };
    const expected = {
      items: [
        { sku: 'Envío  Rápido', n: 1 },
        { sku: 'B', n: 2 },
      ],
    };
    const actual = {
      items: [
        { sku: 'b', n: 2 },
        { sku: ' envío rápido ', n: 1 },
      ],
    };
    const rows = assertAgrees(actual, expected, opts);
    assert.deepEqual(lines(rows), [
      'equal items[sku="B"].sku',
      'equal items[sku="B"].n',
      'equal items[sku="Envío  Rápido"].sku',
      'equal items[sku="Envío  Rápido"].n',
    ]);
  });

  it('pairs other lists by position and says so', () => {
    const rows = assertAgrees({ tags: ['a', 'x', 'c'] }, { tags: ['a', 'b'] }, {});
    assert.deepEqual(lines(rows), ['equal tags[0]', 'differs tags[1]', 'extra tags[2]']);
    assert.deepEqual(rows[0].pairing, { by: 'position' });
    assert.equal(rows[0].field, 'tags[*]');
  });

  it('keeps a changed type as one row, and ignored paths apart', () => {
    const opts: CompareOptions = { ignore: [parsePattern('processed_at'), parsePattern('**.confidence')] };
    const rows = assertAgrees(
      { a: { b: 1 }, processed_at: 'now', x: { confidence: 0.2, v: 1 } },
      { a: 5, processed_at: 'then', x: { confidence: 0.9, v: 1 } },
      opts,
    );
    assert.deepEqual(lines(rows), ['differs a', 'ignored processed_at', 'ignored x.confidence', 'equal x.v']);
    assert.deepEqual(rows[0].actual, { b: 1 });
  });

  it('without an expected result every row is unchecked', () => {
    const rows = fieldRows({ a: 1, b: [{ c: 2 }], d: {} }, undefined);
    assert.deepEqual(lines(rows), ['unchecked a', 'unchecked b[0].c', 'unchecked d']);
    assert.equal(verdictCounts(rows).unchecked, 3);
  });

  it('takes the differences a check already has and gives the same rows', () => {
    const e = { a: 1, b: { c: [1, 2] } };
    const a = { a: 2, b: { c: [1] } };
    assert.deepEqual(fieldRows(a, e, {}, compareResults(e, a)), fieldRows(a, e));
  });

  it('agrees with the comparison on mixed random results', () => {
    // A small deterministic generator: nested objects, lists keyed and not, numbers and strings.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const value = (depth: number): unknown => {
      const k = rnd(depth > 2 ? 3 : 6);
      if (k === 0) {
        return rnd(4);
      }
      if (k === 1) {
        return ['x', 'y', 'Z '][rnd(3)];
      }
      if (k === 2) {
        return rnd(2) ? null : true;
      }
      if (k === 3) {
        return Array.from({ length: rnd(4) }, () => ({ id: ['a', 'b', 'c'][rnd(3)], v: value(depth + 1) }));
      }
      if (k === 4) {
        return Array.from({ length: rnd(3) }, () => value(depth + 1));
      }
      return Object.fromEntries(Array.from({ length: rnd(4) }, (_, i) => [`k${rnd(5)}${i}`, value(depth + 1)]));
    };
    const opts: CompareOptions = {
      arrayKeys: [{ path: parsePattern('**'), field: 'id' }],
      strings: 'whitespace',
    };
    for (let i = 0; i < 300; i++) {
      const e = value(0);
      const a = rnd(3) ? value(0) : e;
      assertAgrees(a, e, opts);
      assertAgrees(a, e, {});
    }
  });
});
