/**
 * Accept Field and Edit Value… (src/core/review/acceptField.ts): only the chosen path changes in the
 * expected result; keyed list elements one by one, lists by position whole; after accepting, that
 * field compares equal with the same comparison as the Testing view.
 */
import * as assert from 'node:assert/strict';
import { compareResults, type CompareOptions } from '../../../../src/core/expected/compare';
import { parsePath, parsePattern } from '../../../../src/core/expected/jsonPath';
import { acceptField, acceptTarget, editField, valueAt } from '../../../../src/core/review/acceptField';
import { fieldRows, isDifference } from '../../../../src/core/review/fieldRows';

const keyed: CompareOptions = { arrayKeys: [{ path: parsePattern('line_items'), field: 'description' }] };
const paths = (e: unknown, a: unknown, o: CompareOptions = {}) => compareResults(e, a, o).map(d => d.path);

describe('review: accept one field, edit a value', () => {
  const expected = {
    total: 1160,
    vendor: { name: 'ACME', tax_id: 'X1' },
    tags: ['a', 'b'],
    line_items: [
      { description: 'Bolts', amount: 10 },
      { description: 'Washers', amount: 2 },
    ],
  };
  const actual = {
    total: 1160.5,
    vendor: { name: 'ACME Corp' },
    currency: 'EUR',
    tags: ['b', 'a'],
    line_items: [
      { description: 'Bolts', amount: 11 },
      { description: 'Screws', amount: 3 },
    ],
  };

  it('changes only the accepted path, and the inputs not at all', () => {
    const before = JSON.stringify(expected);
    const { result } = acceptField(expected, actual, parsePath('total'), keyed);
    assert.equal(JSON.stringify(expected), before);
    assert.deepEqual(result, { ...expected, total: 1160.5 });
    assert.ok(!paths(result, actual, keyed).includes('total'));
    assert.equal(paths(result, actual, keyed).length, paths(expected, actual, keyed).length - 1);
  });

  it('removes a missing field, adds an extra one', () => {
    const removed = acceptField(expected, actual, parsePath('vendor.tax_id'), keyed).result as typeof expected;
    assert.deepEqual(removed.vendor, { name: 'ACME' });
    const added = acceptField(expected, actual, parsePath('currency'), keyed).result as Record<string, unknown>;
    assert.equal(added.currency, 'EUR');
  });

  it('accepts keyed list elements one field or one element at a time', () => {
    const one = acceptField(expected, actual, parsePath('line_items[description="Bolts"].amount'), keyed);
    assert.deepEqual((one.result as typeof expected).line_items, [
      { description: 'Bolts', amount: 11 },
      { description: 'Washers', amount: 2 },
    ]);
    const extra = acceptField(expected, actual, parsePath('line_items[description="Screws"].amount'), keyed);
    assert.equal(extra.target.length, 2, 'the element the expected result lacks is added whole');
    assert.deepEqual((extra.result as typeof expected).line_items[2], { description: 'Screws', amount: 3 });
    const gone = acceptField(expected, actual, parsePath('line_items[description="Washers"].amount'), keyed);
    assert.deepEqual(
      (gone.result as typeof expected).line_items.map(i => i.description),
      ['Bolts'],
    );
  });

  it('accepts a list paired by position whole', () => {
    assert.deepEqual(acceptTarget(expected, parsePath('tags[0]')), parsePath('tags'));
    const r = acceptField(expected, actual, parsePath('tags[1]'), keyed).result as typeof expected;
    assert.deepEqual(r.tags, ['b', 'a']);
    // Without arrayKeys, line items are by position too.
    const whole = acceptField(expected, actual, parsePath('line_items[0].amount')).result as typeof expected;
    assert.deepEqual(whole.line_items, actual.line_items);
  });

  it('after accepting every differing row, nothing differs', () => {
    let e: unknown = expected;
    for (let guard = 0; guard < 20; guard++) {
      const row = fieldRows(actual, e, { compare: keyed }).find(isDifference);
      if (!row) {
        break;
      }
      e = acceptField(e, actual, row.segments, keyed).result;
    }
    assert.deepEqual(paths(e, actual, keyed), []);
  });

  it('writes a corrected value, and one the step missed', () => {
    const fixed = editField(expected, actual, parsePath('total'), 1161, keyed) as typeof expected;
    assert.equal(fixed.total, 1161);
    const missed = editField(expected, actual, parsePath('vendor.iban'), 'ES12', keyed) as typeof expected;
    assert.deepEqual(missed.vendor, { name: 'ACME', tax_id: 'X1', iban: 'ES12' });
    const inList = editField(expected, actual, parsePath('tags[1]'), 'z') as typeof expected;
    assert.deepEqual(inList.tags, ['a', 'z']);
    const newItem = editField(expected, actual, parsePath('line_items[description="Screws"].amount'), 4, keyed);
    assert.deepEqual(valueAt(newItem, parsePath('line_items[description="Screws"]'), keyed), {
      found: true,
      value: { description: 'Screws', amount: 4 },
    });
  });
});
