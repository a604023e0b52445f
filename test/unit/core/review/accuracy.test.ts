/**
 * Field accuracy across documents (src/core/review/accuracy.ts): counts per field from the same rows
 * as the panel, worst first, "x of n", lists paired by key or position, CSV and the Markdown of
 * `check --reporter fields`; and the numbers agree with the check engine's own differences.
 */
import * as assert from 'node:assert/strict';
import { type DocumentCheck, checkDocuments, type CheckIo } from '../../../../src/core/expected/check';
import { type CompareOptions } from '../../../../src/core/expected/compare';
import { serializeExpected } from '../../../../src/core/expected/expectedFile';
import { parsePattern } from '../../../../src/core/expected/jsonPath';
import { KeptChecks, jsonReport } from '../../../../src/cli/reporters';
import {
  AccuracyTally,
  accuracyCsv,
  accuracyMarkdown,
  documentFieldCounts,
  fieldAccuracy,
  MAX_NAMED,
  fieldsReportMarkdown,
  matchText,
  notEqualDocuments,
  type AccuracyDocument,
} from '../../../../src/core/review/accuracy';

const keyed: CompareOptions = { arrayKeys: [{ path: parsePattern('line_items'), field: 'description' }] };

function docs(): AccuracyDocument[] {
  const expected = (total: number, amount: number) => ({
    total,
    vendor: 'ACME',
    line_items: [
      { description: 'Bolts', amount },
      { description: 'Nuts', amount: 5 },
    ],
  });
  return [
    { document: 'a.pdf', status: 'passed', expected: expected(15, 10), actual: expected(15, 10), compare: keyed },
    { document: 'b.pdf', status: 'failed', expected: expected(15, 10), actual: expected(16, 10), compare: keyed },
    {
      document: 'c.pdf',
      status: 'failed',
      expected: expected(15, 10),
      actual: { total: 15, line_items: [{ description: 'Bolts', amount: 11 }] },
      compare: keyed,
    },
    { document: 'd.pdf', status: 'missing' },
  ];
}

describe('review: field accuracy across documents', () => {
  it('counts each field worst first, lists per element, and names the documents that differ', () => {
    const r = fieldAccuracy(docs());
    assert.deepEqual(r.compared, ['a.pdf', 'b.pdf', 'c.pdf']);
    assert.deepEqual(r.notCompared, [{ document: 'd.pdf', status: 'missing' }]);
    const by = Object.fromEntries(r.fields.map(f => [f.field, f]));
    assert.deepEqual(
      { ...by['total'], documents: by['total'].documents },
      { field: 'total', compared: 3, equal: 2, differs: 1, missing: 0, extra: 0, documents: ['b.pdf'] },
    );
    assert.equal(matchText(by['vendor']), '2 of 3');
    assert.equal(by['vendor'].missing, 1);
    // 2 line items in each of 3 documents: 6 values, one amount differs and one item is missing.
    const amount = by['line_items[*].amount'];
    assert.equal(amount.compared, 6);
    assert.equal(amount.equal, 4);
    assert.equal(amount.differs, 1);
    assert.equal(amount.missing, 1);
    assert.deepEqual(amount.documents, ['c.pdf']);
    assert.deepEqual(amount.pairing, { by: 'key', field: 'description' });
    // Worst first: share equal ascending.
    const shares = r.fields.map(f => f.equal / f.compared);
    assert.deepEqual(
      shares,
      [...shares].sort((x, y) => x - y),
    );
    assert.equal(r.fields[r.fields.length - 1].field, 'line_items[*].description');
  });

  it('writes CSV (RFC 4180, formulas defused) and the Markdown the fields reporter prints', () => {
    const r = fieldAccuracy([
      ...docs(),
      { document: '=e|f.pdf', status: 'failed', expected: { code: 1 }, actual: { code: 2 } },
    ]);
    const csv = accuracyCsv(r);
    assert.ok(csv.startsWith('field,compared,equal,differs,missing,extra,match,lists paired,documents\r\n'));
    assert.match(csv, /\r\ncode,1,0,1,0,0,0 of 1,,'=e\|f\.pdf\r\n/);
    assert.match(csv, /line_items\[\*\]\.amount,6,4,1,1,0,4 of 6,by description,c\.pdf\r\n/);
    const md = fieldsReportMarkdown([
      ...docs(),
      { document: '=e|f.pdf', status: 'failed', expected: { code: 1 }, actual: { code: 2 } },
    ]);
    assert.equal(md, accuracyMarkdown(r));
    assert.match(md, /^## Field accuracy\n\n4 documents compared, 1 not compared\./);
    assert.match(
      md,
      /\| `line_items\[\*\]\.amount` \| 4 of 6 \| [█░]{10} \| 1 \| 1 \| 0 \| by description \| `c\.pdf` \|/,
    );
    // A pipe in a document's name does not break the table.
    assert.match(md, /`=e\\\|f\.pdf`/);
    assert.doesNotMatch(md, /%/);
  });

  it('gives the numbers of the check engine: a differing value per difference it reports', async () => {
    // The same documents through checkDocuments (what `docutray-steps check --reporter json` prints).
    const results: Record<string, unknown> = {};
    const files: Record<string, string> = {};
    const sha = (d: string) => d.charCodeAt(0).toString(16).padStart(64, '0');
    const input = docs().filter(d => d.expected !== undefined);
    for (const d of input) {
      files[`${d.document}.x.expected.json`] = serializeExpected({
        stepId: 'x',
        document: d.document,
        sha256: sha(d.document),
        result: d.expected,
      });
      results[d.document] = d.actual;
    }
    const io: CheckIo = {
      readText: async p => files[p],
      writeText: async () => assert.fail('a check writes nothing'),
      sha256: async d => sha(d),
    };
    // Checks are handed over as each is final; ordered as the documents were given.
    const checks: DocumentCheck[] = [];
    await checkDocuments(
      input.map(d => d.document),
      io,
      {
        stepId: 'x',
        update: false,
        folder: '',
        compare: keyed,
        run: async (ds, onOutcome) => {
          for (const d of ds) {
            await onOutcome(d, { kind: 'result' as const, data: results[d], executionId: 'e', durationMs: 1 });
          }
          return undefined;
        },
        onCheck: c => void checks.push(c),
      },
    );
    checks.sort(
      (a, b) => input.findIndex(d => d.document === a.document) - input.findIndex(d => d.document === b.document),
    );
    const r = fieldAccuracy(
      checks.map(c => ({
        document: c.document,
        status: c.status,
        expected: input.find(d => d.document === c.document)!.expected,
        actual: results[c.document],
        differences: c.differences,
        compare: keyed,
      })),
    );
    const fromEngine = checks.reduce((n, c) => n + (c.differences?.length ?? 0), 0);
    const notEqual = r.fields.reduce((n, f) => n + f.differs + f.missing + f.extra, 0);
    // c.pdf's missing "Nuts" item is one difference of the engine, spread into its two fields here.
    assert.equal(fromEngine, 4);
    assert.equal(notEqual, 5);
    assert.deepEqual(
      checks.map(c => c.status),
      ['passed', 'failed', 'failed'],
    );
    assert.deepEqual(r, fieldAccuracy(input));
  });

  it('adds up streamed per-document counts to the same report, naming at most MAX_NAMED documents per field', () => {
    // As the command line does: each document's counts as its check comes, in another order, then dropped.
    const tally = new AccuracyTally();
    const input = docs();
    for (const d of input) {
      tally.add(
        d.document,
        d.status,
        d.expected !== undefined ? documentFieldCounts(d.expected, d.actual, d.compare) : undefined,
      );
    }
    assert.deepEqual(tally.report(), fieldAccuracy(input));

    const many = new AccuracyTally();
    for (let i = 0; i < MAX_NAMED + 7; i++) {
      many.add(`d${i}.pdf`, 'failed', documentFieldCounts({ total: 1, code: 'a' }, { total: 2, code: 'a' }));
    }
    const total = many.report().fields.find(f => f.field === 'total')!;
    assert.equal(total.differs, MAX_NAMED + 7);
    assert.equal(total.documents.length, MAX_NAMED);
    assert.equal(total.moreDocuments, 7);
    assert.equal(many.report().fields.find(f => f.field === 'code')!.documents.length, 0);
    const md = accuracyMarkdown(many.report(), { step: 'inv|1', notes: ['Incomplete: <b>stopped</b>'] });
    assert.match(md, /^## Field accuracy of step `inv\\\|1`\n\nIncomplete: &lt;b&gt;stopped&lt;\/b&gt;\n/);
    assert.match(md, /\| `total` \| 0 of 107 \| .* `d4\.pdf` and 102 more \|/);
  });

  it('past MAX_NAMED documents differing, counts each field as the JSON report of the same check does', async () => {
    // 130 documents: the first 120 with a total that differs, every fourth of those without its vendor's
    // name, every tenth from the fifth with a field the expected result lacks.
    const n = 130;
    const name = (i: number) => `docs/d${String(i).padStart(3, '0')}.pdf`;
    const expected = { total: 100, vendor: { name: 'ACME' }, code: 'X' };
    const input: AccuracyDocument[] = Array.from({ length: n }, (_, i) => {
      const actual: Record<string, unknown> = structuredClone(expected);
      if (i < 120) {
        actual.total = 101;
        if (i % 4 === 0) {
          actual.vendor = {};
        }
      }
      if (i % 10 === 5) {
        actual.note = 'extra';
      }
      return { document: name(i), status: 'failed', expected, actual };
    });
    const files: Record<string, string> = {};
    const sha = (d: string) => Buffer.from(d).toString('hex').padEnd(64, '0').slice(0, 64);
    for (const d of input) {
      files[`${d.document}.x.expected.json`] = serializeExpected({
        stepId: 'x',
        document: d.document,
        sha256: sha(d.document),
        result: d.expected,
      });
    }
    const actualOf = new Map(input.map(d => [d.document, d.actual]));
    const kept = new KeptChecks();
    const checks: DocumentCheck[] = [];
    await checkDocuments(
      input.map(d => d.document),
      {
        readText: async p => files[p],
        writeText: async () => assert.fail('a check writes nothing'),
        sha256: async d => sha(d),
      },
      {
        stepId: 'x',
        update: false,
        folder: '',
        compare: {},
        run: async (ds, onOutcome) => {
          for (const d of ds) {
            await onOutcome(d, { kind: 'result' as const, data: actualOf.get(d), executionId: 'e', durationMs: 1 });
          }
          return undefined;
        },
        onCheck: c => {
          checks.push(c);
          kept.add(c);
        },
      },
    );
    // What `docutray-steps check --reporter json` prints for this check, read back as a script would.
    const json = JSON.parse(
      jsonReport({ stepId: 'x', update: false, checks: kept.checks, exitCode: 1, durationMs: 1, startedAt: 0 }),
    ) as { documents: { document: string; status: string; differences?: { kind: string; path: string }[] }[] };
    const fromJson = new Map<string, { differs: number; missing: number; extra: number; documents: Set<string> }>();
    for (const doc of json.documents) {
      for (const d of doc.differences ?? []) {
        const f = fromJson.get(d.path) ?? { differs: 0, missing: 0, extra: 0, documents: new Set<string>() };
        f[d.kind === 'changed' ? 'differs' : d.kind === 'removed' ? 'missing' : 'extra']++;
        f.documents.add(doc.document);
        fromJson.set(d.path, f);
      }
    }
    const order = new Map(input.map((d, i) => [d.document, i]));
    checks.sort((a, b) => order.get(a.document)! - order.get(b.document)!);
    const r = fieldAccuracy(
      checks.map(c => ({
        document: c.document,
        status: c.status,
        expected,
        actual: actualOf.get(c.document),
        differences: c.differences,
      })),
    );
    assert.equal(json.documents.filter(d => d.status === 'failed').length, 120 + 1); // d125 only has a note
    assert.deepEqual(
      r.fields.filter(f => notEqualDocuments(f) > 0).map(f => f.field),
      ['note', 'total', 'vendor.name'],
    );
    for (const f of r.fields) {
      const j = fromJson.get(f.field) ?? { differs: 0, missing: 0, extra: 0, documents: new Set<string>() };
      assert.deepEqual(
        { field: f.field, differs: f.differs, missing: f.missing, extra: f.extra, notEqual: notEqualDocuments(f) },
        { field: f.field, differs: j.differs, missing: j.missing, extra: j.extra, notEqual: j.documents.size },
      );
      assert.deepEqual(f.documents, [...j.documents].slice(0, MAX_NAMED));
      assert.equal(f.compared, f.equal + f.differs + f.missing + f.extra);
    }
    const total = r.fields.find(f => f.field === 'total')!;
    assert.deepEqual([total.compared, total.equal, total.differs], [n, 10, 120]);
    assert.equal(total.documents.length, MAX_NAMED);
    assert.equal(total.moreDocuments, 20);
    assert.equal(total.documents.at(-1), name(MAX_NAMED - 1));
    // The Markdown names five and counts the other 115, named in the report or not.
    assert.match(accuracyMarkdown(r), /\| `total` \| 10 of 130 \| .* `docs\/d004\.pdf` and 115 more \|/);
  });

  it('says when nothing was compared', () => {
    const md = accuracyMarkdown(fieldAccuracy([{ document: 'x.pdf', status: 'documentChanged' }]));
    assert.match(md, /0 documents compared, 1 not compared/);
    assert.match(md, /No fields were compared\./);
    assert.match(md, /- `x\.pdf`: documentChanged/);
  });
});
