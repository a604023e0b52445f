/**
 * The review panel's messages between the extension host and its webview (webview/review/): typed and
 * versioned. The host reads the stored result, the expected file and the settings and posts a view
 * model; the webview reads only the document (through its webview URI) and never a file of its own.
 * Values cross as text the host made (`valueText`): the webview shows them with `textContent`, never as
 * HTML.
 */
import { formatPath } from '../expected/jsonPath';
import type { FieldRow, Pairing, Verdict } from './fieldRows';

export const REVIEW_PROTOCOL = 1;

export interface ReviewRowView {
  path: string;
  /** The parent's path ('' at the top): rows of one group share it. */
  group: string;
  /** The last part of the path (`amount`, `[2]`, `[description="Bolts"]`). */
  label: string;
  verdict: Verdict;
  /** The verdict in words, localised by the host ("differs: expected 1160 → 1160.5"). */
  verdictText: string;
  actualText?: string;
  expectedText?: string;
  /** "paired by description" / "paired by position", for rows inside lists. */
  pairingText?: string;
  /** The value the text search looks for (the result's, else the expected one). */
  search?: string | number;
  /** Marked "kept" (Keep Expected) in this panel. */
  kept?: boolean;
}

export interface ReviewModel {
  v: typeof REVIEW_PROTOCOL;
  title: string;
  document: { name: string; uri?: string; kind: 'pdf' | 'image' | 'other' };
  /** A line under the title: the step, the expected file, or why there is no verdict. */
  subtitle: string;
  rows: ReviewRowView[];
  rawJson: string;
  /** Tolerances the text search uses (the settings'). */
  tolerance: { absolute: number; relative: number };
  /** pdf.js's folder and worker, as webview URIs. */
  pdfjs?: { module: string; worker: string; wasm: string; fonts: string };
  selected?: string;
  /** Localised words the webview shows. */
  labels: Record<string, string>;
}

/** What the webview keeps with setState: enough to come back after a reload. */
export interface ReviewState {
  v: typeof REVIEW_PROTOCOL;
  /** The document, step and execution the panel shows: the host reads them again. */
  key: { documentUri: string; stepId: string; executionId?: string };
  selected?: string;
  zoom?: number;
  tab?: 'fields' | 'raw';
  pageScroll?: number;
  /** Where the divider between the document and the fields is, in percent of the panel's width. */
  split?: number;
  /** What the panel last showed, for painting at once after a reload (see {@link restoreSnapshot}). */
  snapshot?: ReviewSnapshot;
}

/**
 * The fields as last shown, kept in the webview's state so that after a reload the page paints them at
 * once, before the extension host has started and sent the model. Deliberately without verdicts, kept
 * fields or actions: the expected file may have changed meanwhile, so the page shows these rows as
 * "checking" until the fresh model replaces them all. Small (no document, capped in size).
 */
export interface ReviewSnapshot {
  title: string;
  subtitle: string;
  rows: { path: string; group: string; label: string; actualText?: string }[];
  /** The labels the page needs to lay itself out (tabs, toolbar, table headers, "checking"). */
  labels: Record<string, string>;
  /** The Raw JSON tab, when it fits. */
  rawJson?: string;
}

/** The most characters (as JSON) a snapshot may take in the state; a larger panel waits for its model. */
export const SNAPSHOT_MAX_CHARS = 32_000;

/** The snapshot of a model, or none when even without its Raw JSON it is larger than `maxChars`. */
export function restoreSnapshot(model: ReviewModel, maxChars = SNAPSHOT_MAX_CHARS): ReviewSnapshot | undefined {
  const snapshot: ReviewSnapshot = {
    title: model.title,
    subtitle: model.subtitle,
    rows: model.rows.map(r => {
      const row: ReviewSnapshot['rows'][number] = { path: r.path, group: r.group, label: r.label };
      if (r.actualText !== undefined) {
        row.actualText = r.actualText;
      }
      return row;
    }),
    labels: model.labels,
  };
  const size = JSON.stringify(snapshot).length;
  if (size > maxChars) {
    return undefined;
  }
  if (size + JSON.stringify(model.rawJson).length + 12 <= maxChars) {
    snapshot.rawJson = model.rawJson;
  }
  return snapshot;
}

export type HostMessage =
  | { type: 'model'; model: ReviewModel; key: ReviewState['key'] }
  | { type: 'select'; path: string }
  | { type: 'zoom'; factor: number };

export type WebviewMessage =
  | { type: 'ready'; state?: ReviewState }
  | { type: 'selected'; path: string }
  | { type: 'accept'; path: string }
  | { type: 'keep'; path: string }
  | { type: 'edit'; path: string }
  | { type: 'painted'; what: 'fields' | 'firstPage'; ms: number };

/** A value as one line of text for the panel: strings quoted (white space shows), the rest as JSON. */
export function valueText(v: unknown, max = 300): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The last segment of a row's path, as shown in the form. */
export function rowLabel(row: FieldRow): string {
  const last = row.segments[row.segments.length - 1];
  if (!last) {
    return '$';
  }
  if ('key' in last) {
    return last.key;
  }
  if ('index' in last) {
    return `[${last.index}]`;
  }
  return `[${last.field}=${JSON.stringify(last.value)}${last.occurrence ? `#${last.occurrence}` : ''}]`;
}

export interface RowWords {
  equal: string;
  /** With {0} expected and {1} actual. */
  differs: string;
  /** With {0} expected. */
  missing: string;
  /** With {0} actual. */
  extra: string;
  unchecked: string;
  ignored: string;
  /** With {0} the key field. */
  pairedByKey: string;
  pairedByPosition: string;
}

const fill = (t: string, ...a: string[]) => t.replace(/\{(\d)\}/g, (_, i: string) => a[Number(i)] ?? '');

export function pairingWords(p: Pairing | undefined, w: RowWords): string | undefined {
  return !p ? undefined : p.by === 'key' ? fill(w.pairedByKey, p.field) : w.pairedByPosition;
}

/** The rows as the webview shows them. */
export function rowViews(rows: readonly FieldRow[], words: RowWords, kept: ReadonlySet<string>): ReviewRowView[] {
  return rows.map(r => {
    const actualText = r.hasActual ? valueText(r.actual) : undefined;
    const expectedText = r.hasExpected ? valueText(r.expected) : undefined;
    const verdictText: Record<Verdict, string> = {
      equal: words.equal,
      differs: fill(words.differs, expectedText ?? '', actualText ?? ''),
      missing: fill(words.missing, expectedText ?? ''),
      extra: fill(words.extra, actualText ?? ''),
      unchecked: words.unchecked,
      ignored: words.ignored,
    };
    const value = r.hasActual ? r.actual : r.expected;
    const view: ReviewRowView = {
      path: r.path,
      group: r.segments.length > 1 ? formatPath(r.segments.slice(0, -1)) : '',
      label: rowLabel(r),
      verdict: r.verdict,
      verdictText: verdictText[r.verdict],
    };
    if (actualText !== undefined) {
      view.actualText = actualText;
    }
    if (expectedText !== undefined) {
      view.expectedText = expectedText;
    }
    const pairing = pairingWords(r.pairing, words);
    if (pairing) {
      view.pairingText = pairing;
    }
    if (typeof value === 'string' || typeof value === 'number') {
      view.search = value;
    }
    if (kept.has(r.path)) {
      view.kept = true;
    }
    return view;
  });
}
