/**
 * The comparison of a result with its expected result (src/core/expected/compare.ts) and the JSON
 * paths it reports (jsonPath.ts): numbers within tolerance, strings exact or loosened, lists by index
 * or matched by a key field, ignored paths, nested values, Unicode keys and keys with dots, and `null`
 * kept apart from a missing field.
 */
import * as assert from 'node:assert/strict';
import {
  compareResults,
  ignorePatterns,
  type CompareOptions,
  type Difference,
} from '../../../../src/core/expected/compare';
import {
  PathSyntaxError,
  formatPath,
  matchesPattern,
  parsePath,
  parsePattern,
  type PathSegment,
} from '../../../../src/core/expected/jsonPath';

/** The differences as `kind path` lines, for readable assertions. */
function lines(diffs: Difference[]): string[] {
  return diffs.map(d => `${d.kind} ${d.path}`);
}

const keyed = (path: string, field: string): CompareOptions['arrayKeys'] => [{ path: parsePattern(path), field }];

describe('expected results: JSON paths', () => {
  it('writes plain keys with dots, indexes in brackets and the root as $', () => {
    assert.equal(formatPath([]), '$');
    assert.equal(formatPath([{ key: 'vendor' }, { key: 'name' }]), 'vendor.name');
    assert.equal(formatPath([{ key: 'line_items' }, { index: 2 }, { key: 'amount' }]), 'line_items[2].amount');
    assert.equal(formatPath([{ index: 0 }]), '[0]');
  });

  it('quotes keys that are not plain names: dots, spaces, brackets, quotes, empty, leading digit or $', () => {
    assert.equal(formatPath([{ key: 'a.b' }]), '["a.b"]');
    assert.equal(formatPath([{ key: 'x' }, { key: 'a.b' }, { key: 'c' }]), 'x["a.b"].c');
    assert.equal(formatPath([{ key: 'unit price' }]), '["unit price"]');
    assert.equal(formatPath([{ key: 'say "hi"' }]), '["say \\"hi\\""]');
    assert.equal(formatPath([{ key: '' }]), '[""]');
    assert.equal(formatPath([{ key: '2024' }]), '["2024"]');
    assert.equal(formatPath([{ key: '$schema' }]), '["$schema"]');
    assert.equal(formatPath([{ key: 'a[0]' }]), '["a[0]"]');
    assert.equal(formatPath([{ key: '*' }]), '["*"]');
  });

  it('writes Unicode names bare', () => {
    assert.equal(formatPath([{ key: 'proveedor' }, { key: 'razón_social' }]), 'proveedor.razón_social');
    assert.equal(formatPath([{ key: '請求書' }, { key: 'Straße' }]), '請求書.Straße');
    assert.equal(formatPath([{ key: 'tax-id' }]), 'tax-id');
    // An emoji is not a letter: quoted.
    assert.equal(formatPath([{ key: '💶' }]), '["💶"]');
  });

  it('names a keyed element by its key, with the occurrence when the key repeats', () => {
    assert.equal(
      formatPath([{ key: 'line_items' }, { field: 'description', value: 'Envío urgente' }, { key: 'amount' }]),
      'line_items[description="Envío urgente"].amount',
    );
    assert.equal(formatPath([{ key: 'l' }, { field: 'sku', value: 42, occurrence: 2 }]), 'l[sku=42#2]');
    assert.equal(formatPath([{ key: 'l' }, { field: 'a.b', value: null }]), 'l["a.b"=null]');
  });

  it('reads back every path it writes', () => {
    const paths: PathSegment[][] = [
      [],
      [{ key: 'vendor' }, { key: 'name' }],
      [{ key: 'a.b' }, { index: 3 }, { key: '' }],
      [{ key: 'línea' }, { field: 'descripción', value: 'Café "con" leche]' }, { key: 'importe' }],
      [{ key: 'x' }, { field: 'k', value: -1.5e3, occurrence: 3 }],
      [{ key: 'x' }, { field: 'k', value: true }],
      [{ key: 'new\nline' }, { key: '\u0000' }],
    ];
    for (const p of paths) {
      assert.deepEqual(parsePath(formatPath(p)), p, formatPath(p));
    }
  });

  it('accepts a leading $ or $. and refuses what is not a path, saying where', () => {
    assert.deepEqual(parsePath('$.vendor.name'), [{ key: 'vendor' }, { key: 'name' }]);
    assert.deepEqual(parsePath('$["a.b"]'), [{ key: 'a.b' }]);
    for (const bad of ['', ' a', 'a..b', 'a.', 'a[', 'a[x]', 'a b', '$schema', 'a["b"', 'a[01]', 'a[k=]', 'a[k=1#0]']) {
      assert.throws(() => parsePath(bad), PathSyntaxError, bad);
    }
    assert.throws(() => parsePath('a b'), /must be quoted, like \["a b"\]/);
  });

  it('takes wildcards in patterns only', () => {
    assert.deepEqual(parsePattern('line_items[*].confidence'), [
      { key: 'line_items' },
      { anyElement: true },
      { key: 'confidence' },
    ]);
    assert.deepEqual(parsePattern('**.timestamp'), [{ anyDepth: true }, { key: 'timestamp' }]);
    assert.deepEqual(parsePattern('meta.*'), [{ key: 'meta' }, { anyKey: true }]);
    assert.throws(() => parsePath('a[*]'), /patterns only/);
    assert.throws(() => parsePath('**'), /patterns only/);
  });

  it('matches patterns: exactly, or as an ancestor with prefix', () => {
    const path = parsePath('pages[1].lines[description="x"].amount');
    assert.ok(matchesPattern(parsePattern('pages[*].lines[*].amount'), path));
    assert.ok(matchesPattern(parsePattern('**.amount'), path));
    assert.ok(matchesPattern(parsePattern('pages[1].**'), path));
    assert.ok(matchesPattern(parsePattern('pages[*].lines[description="x"].*'), path));
    assert.ok(!matchesPattern(parsePattern('pages[0].**'), path));
    assert.ok(!matchesPattern(parsePattern('pages[*].lines'), path));
    assert.ok(matchesPattern(parsePattern('pages[*].lines'), path, { prefix: true }));
    assert.ok(!matchesPattern(parsePattern('pages.lines'), path, { prefix: true }));
    // An index pattern cannot tell which keyed element it is.
    assert.ok(!matchesPattern(parsePattern('pages[1].lines[0]'), path, { prefix: true }));
  });
});

describe('expected results: comparison', () => {
  it('finds nothing in equal results, whatever the key order', () => {
    const e = { a: 1, b: { c: [1, 2, { d: 'x' }], e: null }, f: true };
    const a = { f: true, b: { e: null, c: [1, 2, { d: 'x' }] }, a: 1 };
    assert.deepEqual(compareResults(e, a), []);
  });

  it('reports changed, added and removed fields by path, with their values', () => {
    const diffs = compareResults(
      { vendor: { name: 'ACME', email: 'a@acme.test' }, total: 10 },
      { vendor: { name: 'ACME Corp', vat: 'ES1' }, total: 10 },
    );
    assert.deepEqual(diffs, [
      {
        kind: 'changed',
        path: 'vendor.name',
        segments: [{ key: 'vendor' }, { key: 'name' }],
        expected: 'ACME',
        actual: 'ACME Corp',
      },
      {
        kind: 'removed',
        path: 'vendor.email',
        segments: [{ key: 'vendor' }, { key: 'email' }],
        expected: 'a@acme.test',
      },
      { kind: 'added', path: 'vendor.vat', segments: [{ key: 'vendor' }, { key: 'vat' }], actual: 'ES1' },
    ]);
    assert.ok(!('actual' in diffs[1]) && !('expected' in diffs[2]));
  });

  it('keeps null apart from a missing field', () => {
    assert.deepEqual(lines(compareResults({ a: null }, {})), ['removed a']);
    assert.deepEqual(lines(compareResults({}, { a: null })), ['added a']);
    assert.deepEqual(lines(compareResults({ a: null }, { a: 0 })), ['changed a']);
    assert.deepEqual(lines(compareResults({ a: null }, { a: null })), []);
    const [removed] = compareResults({ a: null }, {});
    assert.ok('expected' in removed && removed.expected === null && !('actual' in removed));
  });

  it('reports a whole subtree once when it is added, removed or changes type', () => {
    assert.deepEqual(lines(compareResults({ a: 1 }, { a: 1, b: { c: { d: [1, 2, 3] } } })), ['added b']);
    assert.deepEqual(lines(compareResults({ a: { x: 1, y: 2 } }, { a: [1, 2] })), ['changed a']);
    assert.deepEqual(lines(compareResults({ a: '1' }, { a: 1 })), ['changed a']);
    assert.deepEqual(lines(compareResults([1], { 0: 1 })), ['changed $']);
  });

  it('walks nested objects and lists to the field that changed', () => {
    const e = { doc: { pages: [{ lines: [{ text: 'a' }, { text: 'b' }] }] } };
    const a = { doc: { pages: [{ lines: [{ text: 'a' }, { text: 'B' }] }] } };
    assert.deepEqual(lines(compareResults(e, a)), ['changed doc.pages[0].lines[1].text']);
  });

  it('compares lists by index by default: extra and missing elements at their index', () => {
    assert.deepEqual(lines(compareResults([1, 2, 3], [1, 2])), ['removed [2]']);
    assert.deepEqual(lines(compareResults({ l: [1] }, { l: [1, 5, 6] })), ['added l[1]', 'added l[2]']);
    // Reordered, by index: every element differs.
    assert.deepEqual(lines(compareResults({ l: ['a', 'b'] }, { l: ['b', 'a'] })), ['changed l[0]', 'changed l[1]']);
  });

  it('compares numbers exactly by default, and within the absolute or relative tolerance', () => {
    assert.deepEqual(lines(compareResults({ t: 683.53 }, { t: 683.54 })), ['changed t']);
    assert.deepEqual(compareResults({ t: 683.53 }, { t: 683.54 }, { absoluteTolerance: 0.011 }), []);
    assert.deepEqual(lines(compareResults({ t: 683.53 }, { t: 683.55 }, { absoluteTolerance: 0.011 })), ['changed t']);
    // Relative: 1% of the larger magnitude.
    assert.deepEqual(compareResults({ t: 1000 }, { t: 1009 }, { relativeTolerance: 0.01 }), []);
    assert.deepEqual(lines(compareResults({ t: 1000 }, { t: 1011 }, { relativeTolerance: 0.01 })), ['changed t']);
    assert.deepEqual(lines(compareResults({ t: 0 }, { t: 0.001 }, { relativeTolerance: 0.5 })), ['changed t']);
    // Either tolerance is enough.
    assert.deepEqual(compareResults({ t: 0 }, { t: 0.001 }, { relativeTolerance: 0.5, absoluteTolerance: 0.01 }), []);
    // Numbers only: a numeric string is compared as text.
    assert.deepEqual(lines(compareResults({ t: '1.00' }, { t: '1.001' }, { absoluteTolerance: 1 })), ['changed t']);
    assert.deepEqual(compareResults({ t: 0.1 + 0.2 }, { t: 0.3 }, { absoluteTolerance: 1e-9 }), []);
  });

  it('compares strings exactly by default; whitespace and case only when asked', () => {
    assert.deepEqual(lines(compareResults({ s: 'Café  Zürich ' }, { s: 'Café Zürich' })), ['changed s']);
    assert.deepEqual(compareResults({ s: ' Café \n Zürich ' }, { s: 'Café Zürich' }, { strings: 'whitespace' }), []);
    // NFC: a precomposed é and e + combining acute are the same text when not exact.
    assert.deepEqual(lines(compareResults({ s: 'Caf\u00e9' }, { s: 'Cafe\u0301' })), ['changed s']);
    assert.deepEqual(compareResults({ s: 'Caf\u00e9' }, { s: 'Cafe\u0301' }, { strings: 'whitespace' }), []);
    assert.deepEqual(lines(compareResults({ s: 'ACME' }, { s: 'acme' }, { strings: 'whitespace' })), ['changed s']);
    assert.deepEqual(compareResults({ s: 'ÑANDÚ  s.a.' }, { s: 'ñandú s.a.' }, { strings: 'whitespaceAndCase' }), []);
  });

  it('matches a list by its key field: a reordered list has no differences', () => {
    const items = [
      { description: 'Impresión offset', amount: 210 },
      { description: 'Diseño', amount: 330 },
      { description: 'Envío urgente', amount: 24.9 },
    ];
    const reordered = [items[2], items[0], items[1]];
    assert.equal(compareResults({ line_items: items }, { line_items: reordered }).length, 6);
    assert.deepEqual(
      compareResults(
        { line_items: items },
        { line_items: reordered },
        { arrayKeys: keyed('line_items', 'description') },
      ),
      [],
    );
  });

  it('reports one changed, added or removed keyed element at its key', () => {
    const e = {
      line_items: [
        { description: 'a', amount: 1 },
        { description: 'b', amount: 2 },
        { description: 'c', amount: 3 },
      ],
    };
    const a = {
      line_items: [
        { description: 'd', amount: 4 },
        { description: 'b', amount: 2.5 },
        { description: 'a', amount: 1 },
      ],
    };
    assert.deepEqual(lines(compareResults(e, a, { arrayKeys: keyed('line_items', 'description') })), [
      'changed line_items[description="b"].amount',
      'removed line_items[description="c"]',
      'added line_items[description="d"]',
    ]);
  });

  it('pairs repeated keys by occurrence, and elements without the key by their order', () => {
    const e = { l: [{ k: 'x', v: 1 }, { k: 'x', v: 2 }, 'loose', { v: 9 }] };
    const a = { l: [{ k: 'x', v: 1 }, 'loose!', { k: 'x', v: 3 }, { v: 9 }] };
    assert.deepEqual(lines(compareResults(e, a, { arrayKeys: keyed('l', 'k') })), [
      'changed l[k="x"#2].v',
      'changed l[2]',
    ]);
  });

  it('matches key values by type: the number 1 and the string "1" are different keys', () => {
    const diffs = compareResults({ l: [{ id: 1 }] }, { l: [{ id: '1' }] }, { arrayKeys: keyed('l', 'id') });
    assert.deepEqual(lines(diffs), ['removed l[id=1]', 'added l[id="1"]']);
  });

  it('matches keyed lists at any depth a pattern names', () => {
    const e = {
      pages: [
        {
          rows: [
            { n: 'a', q: 1 },
            { n: 'b', q: 2 },
          ],
        },
      ],
    };
    const a = {
      pages: [
        {
          rows: [
            { n: 'b', q: 2 },
            { n: 'a', q: 1 },
          ],
        },
      ],
    };
    assert.deepEqual(compareResults(e, a, { arrayKeys: keyed('pages[*].rows', 'n') }), []);
    assert.deepEqual(compareResults(e, a, { arrayKeys: keyed('**.rows', 'n') }), []);
    assert.equal(compareResults(e, a, { arrayKeys: keyed('rows', 'n') }).length, 4);
  });

  it('leaves ignored paths out, with everything below them', () => {
    const e = { processed_at: '2024-01-01', meta: { id: 1, ts: 2 }, items: [{ c: 0.9, v: 1 }], total: 5 };
    const a = {
      processed_at: '2025-02-02',
      meta: { id: 7 },
      items: [
        { c: 0.1, v: 1 },
        { c: 0.2, v: 2 },
      ],
      total: 5,
    };
    assert.deepEqual(lines(compareResults(e, a)), [
      'changed processed_at',
      'changed meta.id',
      'removed meta.ts',
      'changed items[0].c',
      'added items[1]',
    ]);
    const ignore = ignorePatterns(['processed_at', 'meta', 'items[*].c']);
    assert.deepEqual(lines(compareResults(e, a, { ignore })), ['added items[1]']);
    assert.deepEqual(lines(compareResults(e, a, { ignore: ignorePatterns(['**.c', 'meta.*', 'processed_at']) })), [
      'added items[1]',
    ]);
    // Ignoring an added or removed field hides it too.
    assert.deepEqual(compareResults({ a: 1 }, { a: 1, stamp: 'x' }, { ignore: ignorePatterns(['stamp']) }), []);
    assert.deepEqual(compareResults({ a: 1, stamp: 'x' }, { a: 1 }, { ignore: ignorePatterns(['stamp']) }), []);
  });

  it('compares Unicode keys and keys with dots as the keys they are', () => {
    const diffs = compareResults(
      { 'a.b': 1, a: { b: 2 }, 'razón social': 'Ñandú', 請求: { 'x.y': [1] } },
      { 'a.b': 1, a: { b: 3 }, 'razón social': 'Ñandu', 請求: { 'x.y': [2] } },
    );
    assert.deepEqual(lines(diffs), ['changed a.b', 'changed ["razón social"]', 'changed 請求["x.y"][0]']);
    // A dotted key and a nested path print differently, and each reads back to its own segments.
    const dotted = compareResults({ 'a.b': 1 }, { 'a.b': 2 })[0];
    assert.equal(dotted.path, '["a.b"]');
    assert.deepEqual(parsePath(dotted.path), [{ key: 'a.b' }]);
  });

  it('treats __proto__ as an ordinary key', () => {
    const e = JSON.parse('{"__proto__": {"x": 1}, "y": 1}');
    const a = JSON.parse('{"__proto__": {"x": 2}, "y": 1}');
    assert.deepEqual(lines(compareResults(e, a)), ['changed __proto__.x']);
    assert.deepEqual(lines(compareResults(e, { y: 1 })), ['removed __proto__']);
  });

  it('compares whole results of any JSON type', () => {
    assert.deepEqual(compareResults(null, null), []);
    assert.deepEqual(lines(compareResults(null, {})), ['changed $']);
    assert.deepEqual(lines(compareResults('a', 'b')), ['changed $']);
  });
});
