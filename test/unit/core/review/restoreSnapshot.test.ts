/**
 * What a review panel keeps in its webview state to paint at once after a reload
 * (src/core/review/protocol.ts restoreSnapshot): the fields' names and values, never a verdict, a kept
 * mark or the document, and nothing at all when that would be large (the page then waits for its model).
 */
import * as assert from 'node:assert/strict';
import { restoreSnapshot, type ReviewModel, type ReviewRowView } from '../../../../src/core/review/protocol';

function model(rows: ReviewRowView[], rawJson = '{"total":1160.5}'): ReviewModel {
  return {
    v: 1,
    title: 'invoice.pdf',
    subtitle: 'Invoice extract · compared with invoice.pdf.expected.json',
    document: { name: 'invoice.pdf', kind: 'pdf', uri: 'https://file+.vscode-resource/ws/invoice.pdf' },
    rows,
    rawJson,
    tolerance: { absolute: 0, relative: 0 },
    pdfjs: { module: 'm', worker: 'w', wasm: 'x/', fonts: 'f/' },
    labels: { fields: 'Fields', checking: 'checking against the expected result…' },
  };
}

const differs: ReviewRowView = {
  path: 'total',
  group: '',
  label: 'total',
  verdict: 'differs',
  verdictText: 'differs: expected 1160 → 1160.5',
  actualText: '1160.5',
  expectedText: '1160',
  search: 1160.5,
  kept: true,
};

describe('review: the snapshot a restored panel paints before its model comes', () => {
  it('keeps titles, field names and values and the labels, never verdicts, kept marks or the document', () => {
    const s = restoreSnapshot(
      model([
        differs,
        { path: 'vendor.name', group: 'vendor', label: 'name', verdict: 'missing', verdictText: 'missing' },
      ]),
    );
    assert.deepEqual(s, {
      title: 'invoice.pdf',
      subtitle: 'Invoice extract · compared with invoice.pdf.expected.json',
      rows: [
        { path: 'total', group: '', label: 'total', actualText: '1160.5' },
        { path: 'vendor.name', group: 'vendor', label: 'name' },
      ],
      labels: { fields: 'Fields', checking: 'checking against the expected result…' },
      rawJson: '{"total":1160.5}',
    });
    assert.ok(!JSON.stringify(s).includes('differs'), 'no verdict');
    assert.ok(!JSON.stringify(s).includes('vscode-resource'), 'no document');
  });

  it('leaves out the Raw JSON when it does not fit, and is none at all when the fields alone do not', () => {
    const rows = Array.from({ length: 50 }, (_, i) => ({
      ...differs,
      path: `f${i}`,
      label: `f${i}`,
      actualText: 'x'.repeat(100),
    }));
    const big = model(rows, JSON.stringify({ text: 'y'.repeat(40_000) }));
    const withoutRaw = restoreSnapshot(big);
    assert.ok(withoutRaw, 'the fields fit');
    assert.equal(withoutRaw.rawJson, undefined);
    assert.ok(JSON.stringify(withoutRaw).length <= 32_000);
    assert.equal(restoreSnapshot(big, 2_000), undefined);
    const fits = restoreSnapshot(model(rows), 32_000);
    assert.equal(fits?.rawJson, '{"total":1160.5}');
  });
});
