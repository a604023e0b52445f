import { escapeHtml } from '../text/plainText';
import type { ReviewSnapshot, ReviewState } from './protocol';

/*
 * A restored review panel's first paint, written into its page's HTML by the host: after a window reload the
 * workbench takes about half a second to fetch a webview's stylesheet and scripts, so a page that waits for its
 * script to paint the fields it kept shows nothing until then. These are the fields as last shown (the
 * snapshot in the page's own state: names and values, no verdicts), marked "checking"; the page's script
 * adopts these elements when it runs, and the host's model replaces them.
 *
 * This is the one place the snapshot is drawn. Every text in it (field names and values come from a document
 * and its result; the labels from the page's state) is escaped: it is data, never markup. The page's CSP
 * runs no inline script in any case.
 */

/** The id of the element the page's script adopts. */
export const SNAPSHOT_ID = 'snapshot';

/** Where a restored divider starts when the state has no usable position (percent of the panel's width). */
const SPLIT_DEFAULT = 50;

/**
 * The elements of a restored page's `#app`: the header, the document's (empty) side, the fields of the
 * snapshot as rows "checking" and its Raw JSON (when it kept it), the tab that was open shown. `state` is the page's state as the
 * workbench kept it: anything in it may be missing or odd, and nothing in it is trusted.
 */
export function snapshotMarkup(snapshot: ReviewSnapshot, state: Pick<ReviewState, 'selected' | 'tab'> = {}): string {
  const labels = typeof snapshot.labels === 'object' && snapshot.labels ? snapshot.labels : {};
  const label = (name: string) => escapeHtml(typeof labels[name] === 'string' ? labels[name] : name);
  const text = (v: unknown) => escapeHtml(typeof v === 'string' ? v : '');
  const raw = state.tab === 'raw' && typeof snapshot.rawJson === 'string';
  const head = `<thead><tr><th scope="col">${label('fieldColumn')}</th><th scope="col">${label('valueColumn')}</th><th scope="col">${label('verdictColumn')}</th><th scope="col"><span class="visually-hidden">${label('actionsColumn')}</span></th></tr></thead>`;
  const verdict = `<td class="verdict"><span class="icon" aria-hidden="true">…</span><span class="words">${label('checking')}</span></td><td class="actions"></td>`;
  const sections: string[] = [];
  let group: string | undefined;
  let rows: string[] = [];
  const close = () => {
    if (group !== undefined) {
      const title = group ? `<h2 class="group-title">${text(group)}</h2>` : '';
      sections.push(
        `<section class="group">${title}<table class="rows">${head}<tbody>${rows.join('')}</tbody></table></section>`,
      );
    }
  };
  for (const row of Array.isArray(snapshot.rows) ? snapshot.rows : []) {
    const rowGroup = typeof row.group === 'string' ? row.group : '';
    if (rowGroup !== group) {
      close();
      group = rowGroup;
      rows = [];
    }
    const selected = typeof state.selected === 'string' && row.path === state.selected ? ' selected' : '';
    rows.push(
      `<tr class="row pending${selected}" tabindex="-1" data-path="${text(row.path)}"><th class="name" scope="row" title="${text(row.path)}">${text(row.label)}</th><td class="value">${typeof row.actualText === 'string' ? text(row.actualText) : '—'}</td>${verdict}</tr>`,
    );
  }
  close();
  const json =
    typeof snapshot.rawJson === 'string' ? `<pre class="json" tabindex="0">${text(snapshot.rawJson)}</pre>` : '';
  const panel =
    `<div class="panel" data-tab="fields"${raw ? ' hidden' : ''}>${sections.join('')}</div>` +
    `<div class="panel raw" data-tab="raw"${raw ? '' : ' hidden'}>${json}</div>`;
  return (
    `<div id="${SNAPSHOT_ID}" class="snapshot">` +
    `<header class="header"><h1 class="title">${text(snapshot.title)}</h1><p class="subtitle">${text(snapshot.subtitle)}</p></header>` +
    `<div class="snapshot-split"><section class="doc" aria-label="${label('document')}"><div class="pages"></div></section>` +
    `<section class="fields"><div class="snapshot-tabs" aria-hidden="true"><span${raw ? '' : ' class="active"'}>${label('fields')}</span><span${raw ? ' class="active"' : ''}>${label('raw')}</span></div>${panel}</section></div></div>`
  );
}

/**
 * The rule that puts a restored page's divider where the state says (the page allows no style attribute):
 * the document's side takes `split` percent of the width, a number kept between 10 and 90.
 */
export function snapshotSplitRule(split: unknown): string {
  const n = typeof split === 'number' && Number.isFinite(split) ? Math.min(90, Math.max(10, split)) : SPLIT_DEFAULT;
  return `.snapshot-split>.doc{flex-basis:${Math.round(n * 100) / 100}%}`;
}
