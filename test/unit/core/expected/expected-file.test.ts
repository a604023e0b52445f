/**
 * Expected-result files (src/core/expected/expectedFile.ts, locate.ts, settings.ts): the canonical
 * text (stable key order, 2-space indent, trailing newline) and its round trip, what makes a file
 * unusable, where files live beside documents or under a folder, the line of a path in a file, and the
 * `docutray.expected.*` settings.
 */
import * as assert from 'node:assert/strict';
import {
  ExpectedFileError,
  ExpectedFolderError,
  documentPathFor,
  expectedFilePath,
  isExpectedFileName,
  normalizeExpectedFolder,
  parseExpected,
  serializeExpected,
  stableStringify,
  type ExpectedFile,
} from '../../../../src/core/expected/expectedFile';
import { compareResults } from '../../../../src/core/expected/compare';
import { parsePath } from '../../../../src/core/expected/jsonPath';
import { locateResultPath } from '../../../../src/core/expected/locate';
import { compareOptionsFor, readExpectedSettings } from '../../../../src/core/expected/settings';

const SHA = 'a'.repeat(64);

function file(result: unknown): ExpectedFile {
  return { stepId: 'invoice-extract', document: 'invoice-001.pdf', sha256: SHA, result };
}

describe('expected results: the file', () => {
  it('writes a fixed header, sorted result keys, 2-space indent and a trailing newline', () => {
    const text = serializeExpected(file({ total: 10.5, vendor: { name: 'Ñandú', city: 'Madrid' }, items: [] }));
    assert.equal(
      text,
      [
        '{',
        '  "docutrayExpected": 1,',
        '  "stepId": "invoice-extract",',
        '  "document": "invoice-001.pdf",',
        `  "sha256": "${SHA}",`,
        '  "result": {',
        '    "items": [],',
        '    "total": 10.5,',
        '    "vendor": {',
        '      "city": "Madrid",',
        '      "name": "Ñandú"',
        '    }',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('writes the same bytes whatever order the service sent keys in; list order is kept', () => {
    const a = { b: 1, a: { y: [3, 1, { q: 1, p: 2 }], x: null }, c: {} };
    const b = { c: {}, a: { x: null, y: [3, 1, { p: 2, q: 1 }] }, b: 1 };
    assert.equal(serializeExpected(file(a)), serializeExpected(file(b)));
    assert.match(stableStringify([3, 1, 2]), /3,\n {2}1,\n {2}2/);
  });

  it('reads back what it wrote, and writes back what it read', () => {
    const results: unknown[] = [
      { 'a.b': 1, '': [null, true, false, 0, -1.5e-7, 'x'], nested: { deep: { deeper: [[[]]] } } },
      { text: 'line\nbreak "quoted" \\ \u0000 \u2028 😀 \ud800', __proto__key: 1 },
      JSON.parse('{"__proto__": {"x": 1}}'),
      [1, 'two', { three: 3 }],
      'just text',
      null,
      123.456,
    ];
    for (const result of results) {
      const text = serializeExpected(file(result));
      const back = parseExpected(text);
      assert.deepEqual(back, file(result));
      assert.equal(serializeExpected(back), text);
      assert.deepEqual(compareResults(result, back.result), []);
    }
  });

  it('is valid JSON that JSON.parse reads to the same values', () => {
    const result = { z: [1, { b: 2, a: 1 }], ключ: 'значение' };
    assert.deepEqual(JSON.parse(serializeExpected(file(result))).result, result);
  });

  it('refuses, saying why, a file that is not a usable expected result', () => {
    const ok = JSON.parse(serializeExpected(file({ a: 1 })));
    const cases: [string, RegExp][] = [
      ['{ not json', /not valid JSON/],
      ['[1]', /not a JSON object/],
      [JSON.stringify({ ...ok, docutrayExpected: undefined }), /not a DocuTray expected result/],
      [JSON.stringify({ ...ok, docutrayExpected: 2 }), /newer format \(2\)/],
      [JSON.stringify({ ...ok, docutrayExpected: '1' }), /must be 1/],
      [JSON.stringify({ ...ok, stepId: '' }), /"stepId"/],
      [JSON.stringify({ ...ok, sha256: 'ABC' }), /"sha256"/],
      [JSON.stringify({ ...ok, sha256: SHA.toUpperCase() }), /"sha256"/],
      [JSON.stringify({ ...ok, result: undefined }), /no "result"/],
    ];
    for (const [text, why] of cases) {
      assert.throws(
        () => parseExpected(text),
        (e: unknown) => e instanceof ExpectedFileError && why.test(e.message),
      );
    }
    assert.throws(() => parseExpected(JSON.stringify(ok), 'other-step'), /of step "invoice-extract", not "other-step"/);
    // A byte order mark (an editor may add one) is not an error.
    assert.deepEqual(parseExpected(`\ufeff${JSON.stringify(ok)}`).result, { a: 1 });
    // A result that is null is a result.
    assert.equal(parseExpected(JSON.stringify({ ...ok, result: null })).result, null);
  });
});

describe('expected results: where the files are', () => {
  it('puts a document’s expected file beside it, named after the document and the step', () => {
    assert.equal(expectedFilePath('samples/inv-001.pdf', 'invoice'), 'samples/inv-001.pdf.invoice.expected.json');
    assert.equal(expectedFilePath('scan.png', 'a/b:c'), 'scan.png.a_b_c.expected.json');
    assert.equal(expectedFilePath('./samples//x.pdf', 's'), 'samples/x.pdf.s.expected.json');
    assert.equal(expectedFilePath('samples\\win.pdf', 's'), 'samples/win.pdf.s.expected.json');
  });

  it('puts them under the folder setting at the document’s workspace path', () => {
    const folder = normalizeExpectedFolder('test/expected/');
    assert.equal(folder, 'test/expected');
    assert.equal(
      expectedFilePath('samples/inv.pdf', 'invoice', folder),
      'test/expected/samples/inv.pdf.invoice.expected.json',
    );
  });

  it('finds the document back from its expected file, in either layout', () => {
    for (const folder of ['', 'expected']) {
      for (const [doc, step] of [
        ['samples/inv-001.pdf', 'invoice'],
        ['a b/ñ.v2.pdf', 'step.with.dots'],
        ['x.pdf', 'a/b'],
      ]) {
        assert.equal(documentPathFor(expectedFilePath(doc, step, folder), step, folder), doc);
      }
    }
    assert.equal(documentPathFor('samples/x.pdf.other.expected.json', 'invoice'), undefined);
    assert.equal(documentPathFor('samples/x.pdf.invoice.expected.json', 'invoice', 'expected'), undefined);
    assert.equal(documentPathFor('.invoice.expected.json', 'invoice'), undefined);
    assert.ok(isExpectedFileName('x.pdf.s.expected.json'));
    assert.ok(!isExpectedFileName('x.pdf.s.json') && !isExpectedFileName('.expected.json'));
  });

  it('keeps expected files inside the workspace', () => {
    assert.equal(normalizeExpectedFolder(''), '');
    assert.equal(normalizeExpectedFolder(' ./ '), '');
    assert.equal(normalizeExpectedFolder('a\\b'), 'a/b');
    for (const bad of ['/abs', 'C:\\x', '../out', 'a/../../b']) {
      assert.throws(() => normalizeExpectedFolder(bad), ExpectedFolderError, bad);
    }
    assert.throws(() => expectedFilePath('../outside.pdf', 's'), ExpectedFolderError);
    assert.throws(() => expectedFilePath('/abs.pdf', 's'), ExpectedFolderError);
  });
});

describe('expected results: locating a path in the file', () => {
  const text = serializeExpected(
    file({
      vendor: { name: 'Ñandú', 'a.b': 1 },
      line_items: [
        { description: 'Impresión', amount: 210 },
        { description: 'Envío', amount: 24.9 },
        { description: 'Envío', amount: 5 },
      ],
      total: 683.53,
    }),
  );
  const lineOf = (needle: string) => text.split('\n').findIndex(l => l.includes(needle));

  it('gives the 0-based line and character of a field', () => {
    const at = locateResultPath(text, parsePath('vendor.name'))!;
    assert.equal(at.line, lineOf('"name": "Ñandú"'));
    assert.equal(at.character, text.split('\n')[at.line].indexOf('"name"'));
    assert.ok(at.exact);
    assert.equal(text.slice(at.offset, at.offset + at.length), '"name": "Ñandú"');
    assert.equal(locateResultPath(text, parsePath('total'))!.line, lineOf('"total"'));
    assert.equal(locateResultPath(text, parsePath('vendor["a.b"]'))!.line, lineOf('"a.b"'));
  });

  it('finds list elements by index and by key (with the occurrence)', () => {
    const second = locateResultPath(text, parsePath('line_items[1].amount'))!;
    assert.equal(second.line, lineOf('24.9'));
    const byKey = locateResultPath(text, parsePath('line_items[description="Envío"#2].amount'))!;
    assert.equal(byKey.line, lineOf('"amount": 5'));
    assert.ok(byKey.exact);
    const first = locateResultPath(text, parsePath('line_items[description="Envío"]'))!;
    assert.equal(text.slice(first.offset, first.offset + 1), '{');
    assert.equal(first.line, lineOf('24.9') - 1); // keys sorted: amount comes first
  });

  it('falls back to the nearest ancestor for a path the file does not have', () => {
    const added = locateResultPath(text, parsePath('vendor.vat'))!;
    assert.equal(added.exact, false);
    assert.equal(added.line, lineOf('"vendor"'));
    const deep = locateResultPath(text, parsePath('line_items[description="Nuevo"].amount'))!;
    assert.equal(deep.line, lineOf('"line_items"'));
    assert.equal(locateResultPath(text, [])!.line, lineOf('"result"'));
    assert.equal(locateResultPath('{"nothing": 1}', parsePath('a')), undefined);
  });
});

describe('expected results: settings', () => {
  const read = (values: Record<string, unknown>) =>
    readExpectedSettings(name => (Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined));

  it('defaults to exact comparison beside the documents', () => {
    const { settings, problems } = read({});
    assert.deepEqual(problems, []);
    assert.deepEqual(
      { ...settings, arrayKeys: { ...settings.arrayKeys } },
      {
        folder: '',
        absoluteTolerance: 0,
        relativeTolerance: 0,
        strings: 'exact',
        ignorePaths: [],
        arrayKeys: {},
      },
    );
  });

  it('reads every setting, and makes comparison options for a step (its own list keys and those for all)', () => {
    const { settings, problems } = read({
      'expected.folder': 'expected',
      'expected.absoluteTolerance': 0.01,
      'expected.relativeTolerance': 0.001,
      'expected.strings': 'whitespace',
      'expected.ignorePaths': ['processed_at', '**.confidence'],
      'expected.arrayKeys': {
        invoice: { line_items: 'description' },
        '*': { 'pages[*].rows': 'n' },
        other: { x: 'y' },
      },
    });
    assert.deepEqual(problems, []);
    assert.equal(settings.folder, 'expected');
    const opts = compareOptionsFor(settings, 'invoice');
    assert.equal(opts.absoluteTolerance, 0.01);
    assert.equal(opts.relativeTolerance, 0.001);
    assert.equal(opts.strings, 'whitespace');
    assert.equal(opts.ignore?.length, 2);
    assert.deepEqual(
      opts.arrayKeys?.map(k => k.field),
      ['description', 'n'],
    );
    assert.deepEqual(
      compareOptionsFor(settings, 'unknown').arrayKeys?.map(k => k.field),
      ['n'],
    );
    // The options do what the settings say.
    const e = { processed_at: 1, t: 1, line_items: [{ description: 'a' }, { description: 'b' }] };
    const a = { processed_at: 2, t: 1.005, line_items: [{ description: 'b' }, { description: 'a' }] };
    assert.deepEqual(compareResults(e, a, opts), []);
    assert.equal(compareResults(e, a, compareOptionsFor(settings, 'other')).length, 2);
  });

  it('names every unusable value and keeps the default for it', () => {
    const { settings, problems } = read({
      'expected.folder': '../outside',
      'expected.absoluteTolerance': -1,
      'expected.relativeTolerance': '0.1',
      'expected.strings': 'fuzzy',
      'expected.ignorePaths': ['ok', 'not ok'],
      'expected.arrayKeys': { s: { 'a b': 'x', good: '' }, t: 'x' },
    });
    assert.equal(problems.length, 8, problems.join('\n'));
    assert.match(problems.join('\n'), /folder.*inside the workspace/);
    assert.match(problems.join('\n'), /"not ok" must be quoted/);
    assert.deepEqual(settings.ignorePaths, ['ok']);
    assert.equal(settings.folder, '');
    assert.equal(settings.strings, 'exact');
    assert.equal(settings.absoluteTolerance, 0);
  });

  it('takes a step called __proto__ as a step, touching no prototype', () => {
    const values = JSON.parse('{"expected.arrayKeys": {"__proto__": {"polluted": "yes"}}}');
    const { settings, problems } = read(values);
    assert.deepEqual(problems, []);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(
      compareOptionsFor(settings, '__proto__').arrayKeys?.map(k => k.field),
      ['yes'],
    );
    assert.deepEqual(compareOptionsFor(settings, 'constructor').arrayKeys, []);
  });
});
