/**
 * A restored review panel's first paint, written by the host into the page's HTML
 * (src/core/review/snapshotMarkup.ts): the fields as last shown, marked "checking", every text escaped.
 */
import * as assert from 'node:assert/strict';
import type { ReviewSnapshot } from '../../../../src/core/review/protocol';
import { snapshotMarkup, snapshotSplitRule } from '../../../../src/core/review/snapshotMarkup';

const LABELS = {
  fieldColumn: 'Field',
  valueColumn: 'Value',
  verdictColumn: 'Verdict',
  actionsColumn: 'Actions',
  checking: 'checking against the expected result…',
  fields: 'Fields',
  raw: 'Raw JSON',
  document: 'Document',
};

function snapshot(rows: ReviewSnapshot['rows'], rawJson?: string): ReviewSnapshot {
  return { title: 'invoice.pdf', subtitle: 'Invoice (example)', rows, labels: LABELS, ...(rawJson ? { rawJson } : {}) };
}

/** The texts between tags, in order (what a person reads), with the entities HTML would decode. */
function texts(html: string): string[] {
  const decode = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
  return (html.match(/>[^<]+</g) ?? []).map(t => decode(t.slice(1, -1)));
}

describe('snapshotMarkup: a restored review painted by the host', () => {
  it('draws each field as a row "checking", grouped as the panel groups them, the selected one marked', () => {
    const html = snapshotMarkup(
      snapshot([
        { path: 'total', group: '', label: 'total', actualText: '1,160.50' },
        { path: 'vendor.name', group: 'vendor', label: 'name', actualText: 'ACME' },
        { path: 'vendor.tax_id', group: 'vendor', label: 'tax_id' },
      ]),
      { selected: 'vendor.name' },
    );
    assert.equal((html.match(/<section class="group">/g) ?? []).length, 2, 'one table without a group, one for vendor');
    assert.equal((html.match(/<tr class="row pending/g) ?? []).length, 3);
    assert.match(html, /<tr class="row pending selected" tabindex="-1" data-path="vendor.name">/);
    assert.equal((html.match(/ selected"/g) ?? []).length, 1);
    const read = texts(html);
    assert.deepEqual(read.slice(0, 2), ['invoice.pdf', 'Invoice (example)']);
    for (const t of [
      'total',
      '1,160.50',
      'vendor',
      'name',
      'ACME',
      'tax_id',
      '—',
      LABELS.checking,
      'Field',
      'Actions',
    ]) {
      assert.ok(read.includes(t), `"${t}" is shown: ${JSON.stringify(read)}`);
    }
    assert.doesNotMatch(html, /✓|✗|differs|equal/, 'no verdict before the host has compared again');
    assert.match(html, /data-tab="fields">/, 'the fields tab is shown');
    assert.match(html, /data-tab="raw" hidden>/);
  });

  it('escapes every text it was given: names, values, paths, titles and labels are data', () => {
    const hostile = `</td></table><script>alert(1)</script><img src=x onerror="alert(2)"> & 'quoted'`;
    const html = snapshotMarkup(
      {
        title: hostile,
        subtitle: hostile,
        rows: [{ path: `a"><b x="`, group: hostile, label: hostile, actualText: hostile }],
        labels: { ...LABELS, checking: hostile, fields: hostile },
        rawJson: JSON.stringify({ note: hostile }),
      },
      { tab: 'raw' },
    );
    assert.doesNotMatch(html, /<script|<img|<b |<\/td><\/table><script/);
    assert.match(html, /data-path="a&quot;&gt;&lt;b x=&quot;"/);
    const read = texts(html);
    assert.ok(read.filter(t => t === hostile).length >= 5, `the hostile text reads as itself: ${JSON.stringify(read)}`);
    assert.ok(read.includes(JSON.stringify({ note: hostile })), 'the Raw JSON reads as itself');
    assert.match(html, /data-tab="fields" hidden>/, 'the Raw JSON tab was the one open');
  });

  it('takes a state that is missing parts or odd without throwing, and draws what it can', () => {
    const odd = {
      title: 7,
      subtitle: undefined,
      rows: [{ path: 'x', group: null, label: { no: 1 }, actualText: 3 }],
      labels: null,
    } as unknown as ReviewSnapshot;
    const html = snapshotMarkup(odd, { selected: 4 as unknown as string, tab: 'nonsense' as 'raw' });
    assert.match(html, /<tr class="row pending" tabindex="-1" data-path="x">/);
    assert.ok(texts(html).includes('checking'), 'the label falls back to its name');
    assert.equal(snapshotMarkup({ ...odd, rows: 'x' as unknown as ReviewSnapshot['rows'] }).includes('<tr'), false);
  });

  it('puts the divider where the state says, between 10% and 90%, or in the middle', () => {
    assert.equal(snapshotSplitRule(37.456), '.snapshot-split>.doc{flex-basis:37.46%}');
    assert.equal(snapshotSplitRule(3), '.snapshot-split>.doc{flex-basis:10%}');
    assert.equal(snapshotSplitRule(400), '.snapshot-split>.doc{flex-basis:90%}');
    assert.equal(snapshotSplitRule('30%;}body{display:none'), '.snapshot-split>.doc{flex-basis:50%}');
    assert.equal(snapshotSplitRule(Number.NaN), '.snapshot-split>.doc{flex-basis:50%}');
  });
});
