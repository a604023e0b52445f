/**
 * Where a failed check's messages go in its expected file (src/core/expected/failureLayout.ts), read as
 * VS Code reads them: the first message of a line is that line's inline mark, a diff reads there as
 * `actual != expected`, and the peek opens on the last message. Whatever the differences, no line's mark
 * is the diff, and the last message is the summary at the first changed line.
 */
import * as assert from 'node:assert/strict';
import { compareResults } from '../../../../src/core/expected/compare';
import { serializeExpected } from '../../../../src/core/expected/expectedFile';
import { MAX_LOCATED, failureLayout, type FailurePart } from '../../../../src/core/expected/failureLayout';

const RECORDED = {
  currency: 'EUR',
  line_items: [{ amount: 210, description: 'Impresión offset' }],
  total: 683.53,
  vendor: { name: 'Ñandú S.A.', vat: 'B123' },
};
const TEXT = serializeExpected({ stepId: 'invoice', document: 'a.pdf', sha256: '0'.repeat(64), result: RECORDED });
const LINES = TEXT.split('\n');
/** The 0-based line of the first line that holds `s`. */
const lineOf = (s: string) => LINES.findIndex(l => l.includes(s));

function layoutFor(change: (r: typeof RECORDED & Record<string, unknown>) => void): FailurePart[] {
  const actual = structuredClone(RECORDED) as typeof RECORDED & Record<string, unknown>;
  change(actual);
  return failureLayout(compareResults(RECORDED, actual), TEXT);
}

/** Each line's inline mark as VS Code picks it: the first message given for that line. */
function inlineMarks(parts: readonly FailurePart[]): Map<number, FailurePart> {
  const marks = new Map<number, FailurePart>();
  for (const p of parts) {
    if (!marks.has(p.line)) {
      marks.set(p.line, p);
    }
  }
  return marks;
}

/** What every layout keeps, whatever the differences. */
function assertReadable(parts: readonly FailurePart[], firstLine: number): void {
  const marks = inlineMarks(parts);
  for (const [line, mark] of marks) {
    assert.notEqual(mark.kind, 'diff', `line ${line + 1} ("${LINES[line]}") would read "actual != expected"`);
  }
  assert.equal(parts.filter(p => p.kind === 'diff').length, 1, 'one diff of the whole result');
  const last = parts[parts.length - 1];
  assert.deepEqual([last.kind, last.line], ['summary', firstLine], 'the peek opens on the summary, at the change');
  assert.notEqual(marks.get(firstLine)?.kind, 'difference', "the first changed line's mark is the summary's");
}

describe('expected results: where a failure is told in the expected file', () => {
  it('one changed field: its line reads the summary, the diff sits under it, the summary last, all at that line', () => {
    const parts = layoutFor(r => (r.total = 690));
    assertReadable(parts, lineOf('"total"'));
    assert.deepEqual(
      parts.map(p => [p.kind, p.line]),
      [
        ['lead', lineOf('"total"')],
        ['diff', lineOf('"total"')],
        ['summary', lineOf('"total"')],
      ],
    );
    // Nothing at the result's closing brace (where the diff used to read "{ … } != { … }").
    const closing = LINES.lastIndexOf('  }');
    assert.ok(!parts.some(p => p.line === closing), JSON.stringify(parts));
  });

  it('one field added: at its nearest ancestor, the result, and never the diff inline there', () => {
    const parts = layoutFor(r => (r.notes = 'new'));
    assertReadable(parts, lineOf('"result"'));
    assert.deepEqual(
      parts.map(p => p.kind),
      ['lead', 'diff', 'summary'],
    );
  });

  it('one field removed deep in a list: at its line', () => {
    const parts = layoutFor(r => delete (r.line_items[0] as { amount?: number }).amount);
    assertReadable(parts, lineOf('"amount"'));
  });

  it('several fields: each other line its own mark, the diff under the first of them, the summary first', () => {
    const parts = layoutFor(r => {
      r.total = 1;
      r.vendor.name = 'Nandu SA';
      delete (r.vendor as { vat?: string }).vat;
    });
    assertReadable(parts, lineOf('"total"'));
    assert.deepEqual(
      parts.map(p => [p.kind, p.line, p.kind === 'difference' ? p.difference.path : '']),
      [
        ['difference', lineOf('"name"'), 'vendor.name'],
        ['difference', lineOf('"vat"'), 'vendor.vat'],
        ['diff', lineOf('"name"'), ''],
        ['summary', lineOf('"total"'), ''],
      ],
    );
    const name = parts[0];
    assert.equal(name.character, LINES[name.line].indexOf('"name"'), "at the field's key");
  });

  it('several fields on one line: the summary leads there, as for one', () => {
    const text = TEXT.replace(/"vendor": \{[^}]*\}/, '"vendor": { "name": "Ñandú S.A.", "vat": "B123" }');
    assert.notEqual(text, TEXT, 'the vendor on one line');
    const actual = { ...structuredClone(RECORDED), vendor: { name: 'x', vat: 'y' } };
    const parts = failureLayout(compareResults(RECORDED, actual), text);
    const line = text.split('\n').findIndex(l => l.includes('"vendor"'));
    assert.deepEqual(
      parts.map(p => [p.kind, p.line]),
      [
        ['lead', line],
        ['diff', line],
        ['summary', line],
      ],
    );
  });

  it('more differences than are marked: the first ones marked, still one diff and the summary last', () => {
    const many = Object.fromEntries(Array.from({ length: MAX_LOCATED + 20 }, (_, i) => [`f${i}`, i]));
    const text = serializeExpected({ stepId: 'invoice', document: 'a.pdf', sha256: '0'.repeat(64), result: many });
    const actual = Object.fromEntries(Object.entries(many).map(([k, v]) => [k, v + 1]));
    const parts = failureLayout(compareResults(many, actual), text);
    assert.equal(parts.filter(p => p.kind === 'difference').length, MAX_LOCATED - 1);
    const first = text.split('\n').findIndex(l => l.includes('"f0"'));
    assert.deepEqual(
      [parts[parts.length - 1].kind, parts[parts.length - 1].line, parts[parts.length - 2].kind],
      ['summary', first, 'diff'],
    );
    const marks = inlineMarks(parts);
    assert.ok(![...marks.values()].some(p => p.kind === 'diff'));
  });
});
