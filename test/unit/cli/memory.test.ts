/**
 * What `docutray-steps check` keeps per document while thousands of documents stream through it: the
 * core check pipeline hands each document's check to the reporters, which keep a small record
 * (`keptForReport`, MAX_KEPT_IN_ALL differences in all) and per-field counts (`fields`), never a result or an expected value. Measured as
 * the heap retained after a full collection, per document, over a 2,000-document run of the real
 * pipeline with big, differing results (no timing involved).
 */
import * as assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { checkDocuments, type CheckIo, type DocumentCheck } from '../../../src/core/expected/check';
import { serializeExpected } from '../../../src/core/expected/expectedFile';
import { documentFieldCounts, type FieldCount } from '../../../src/core/review/accuracy';
import {
  keptForReport,
  KeptChecks,
  MAX_KEPT,
  MAX_KEPT_IN_ALL,
  MAX_VALUE_CHARS,
  REPORTERS,
  type CheckReporter,
  type KeptCheck,
} from '../../../src/cli/reporters';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const sha = (i: number) => i.toString(16).padStart(64, '0');
const name = (i: number) => `docs/doc-${String(i).padStart(5, '0')}.pdf`;

/** A result of ~`rows` line items with a long text: every item differs from the expected one. */
function bigResult(i: number, rows: number): unknown {
  return {
    number: `INV-${i}`,
    notes: `${'Lorem ipsum dolor sit amet. '.repeat(4000)}${i}`,
    rows: Array.from({ length: rows }, (_, r) => ({ line: `Item ${r} of document ${i}`, amount: r + i / 7 })),
  };
}

/**
 * Runs `count` documents through the check pipeline as the command line wires it (each check handed to
 * every reporter, then kept as `keptForReport`), keeping what the command line keeps.
 */
async function pipeline(
  count: number,
  rows: number,
): Promise<{ kept: KeptCheck[]; reporters: CheckReporter[]; before: number }> {
  const io: CheckIo = {
    readText: async p =>
      serializeExpected({
        stepId: 'big',
        document: 'x.pdf',
        sha256: sha(Number(/(\d+)\.pdf/.exec(p)![1])),
        result: { rows: [] },
      }),
    writeText: async () => assert.fail('a check writes nothing'),
    sha256: async d => sha(Number(/(\d+)\.pdf$/.exec(d)![1])),
  };
  const reporters = (['pretty', 'json', 'junit', 'fields'] as const).map(n => REPORTERS[n]());
  const keeper = new KeptChecks();
  const kept: KeptCheck[] = keeper.checks;
  const counts = new Map<string, FieldCount[]>();
  const documents = Array.from({ length: count }, (_, i) => name(i));
  const before = heapAfterGc();
  await checkDocuments(documents, io, {
    stepId: 'big',
    update: false,
    folder: '',
    compare: {},
    run: async (ds, onOutcome) => {
      for (const [i, d] of ds.entries()) {
        await onOutcome(d, { kind: 'result', data: bigResult(i, rows), executionId: `exec-${i}`, durationMs: 5 });
      }
      return undefined;
    },
    onCompared: (c, e, a, differences) => void counts.set(c.document, documentFieldCounts(e, a, {}, differences)),
    onCheck: (c: DocumentCheck) => {
      const fields = counts.get(c.document);
      counts.delete(c.document);
      for (const r of reporters) {
        r.onCheck?.(c, fields);
      }
      keeper.add(c);
    },
  });
  return { kept, reporters, before };
}

describe('docutray-steps check: memory per document', () => {
  it('keeps of a document a bounded record: no result, no path segments, at most MAX_KEPT cut values', () => {
    const huge = 'x'.repeat(1_000_000);
    const differences = Array.from({ length: 5000 }, (_, i) => ({
      kind: 'changed' as const,
      path: `rows[${i}].line`,
      segments: [{ key: 'rows' }, { index: i }, { key: 'line' }],
      expected: { text: huge, i },
      actual: huge,
      line: i + 3,
    }));
    const check: DocumentCheck = {
      document: 'a.pdf',
      expectedFile: 'a.pdf.big.expected.json',
      status: 'failed',
      differences,
      unusable: huge,
    };
    const kept = keptForReport(check);
    assert.equal(kept.differences!.length, MAX_KEPT);
    assert.equal(kept.differenceCount, 5000);
    for (const d of kept.differences!) {
      assert.ok(!('segments' in d));
      assert.ok(JSON.stringify(d.expected).length < MAX_VALUE_CHARS + 100);
      assert.ok(JSON.stringify(d.actual).length < MAX_VALUE_CHARS + 100);
    }
    assert.ok(!('unusable' in kept));
    assert.ok(JSON.stringify(kept).length < MAX_KEPT * (2 * MAX_VALUE_CHARS + 200) + 500);
  });

  it('retains under 2.5 KB per differing document over 2,000 documents with big results, whatever their size', async function () {
    this.timeout(120_000);
    const count = 2000;
    const { kept, reporters, before } = await pipeline(count, 100);
    const after = heapAfterGc();
    const perDocument = (after - before) / count;
    // What is retained is what the reports need: each document is there, with its counted differences,
    // the first ones listing MAX_KEPT of them until MAX_KEPT_IN_ALL, the later ones their first.
    assert.equal(kept.length, count);
    assert.ok(kept.every(c => c.status === 'failed' && c.differenceCount! >= 100));
    assert.equal(kept[0].differences!.length, MAX_KEPT);
    assert.equal(kept[count - 1].differences!.length, 1);
    assert.equal(
      kept.reduce((n, c) => n + c.differences!.length, 0),
      MAX_KEPT_IN_ALL + count - MAX_KEPT_IN_ALL / MAX_KEPT,
    );
    const fields = reporters[3].render({
      stepId: 'big',
      update: false,
      checks: kept,
      exitCode: 1,
      durationMs: 1,
      startedAt: 0,
    });
    assert.match(fields, /\| `rows\[\*\]\.amount` \| 0 of 200000 \|/);
    assert.ok(perDocument < 2.5 * 1024, `${Math.round(perDocument)} bytes retained per document`);
  });
});
