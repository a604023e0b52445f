/**
 * The review panel's webview: the document on the left (PDF pages through pdf.js's legacy build,
 * rendered lazily with their text layer; an image as it is), the fields on the right with their
 * verdicts in words and icon, a Raw JSON tab, and the field actions. Everything shown that comes from a
 * document, a result or a setting is set with `textContent`: never HTML. The host owns the data; this
 * page keeps only what it needs to come back after a reload (setState).
 *
 * After a reload the host has written the fields it showed last into the page's HTML, from that state (a
 * snapshot: titles, field names and values, no verdicts: src/core/review/snapshotMarkup.ts), so they paint
 * before this script is even fetched; it adopts them into its layout, those rows say "checking" and offer
 * no action, and the model, when it comes, replaces them all.
 */
import {
  restoreSnapshot,
  type HostMessage,
  type ReviewModel,
  type ReviewRowView,
  type ReviewSnapshot,
  type ReviewState,
  type WebviewMessage,
} from '../../src/core/review/protocol';
import { ValueSearch } from '../../src/core/review/locateValue';
import { SNAPSHOT_ID } from '../../src/core/review/snapshotMarkup';
import { PdfView, yieldTask } from './pdfView';
import '../page.css';
import './review.css';
import { el } from '../dom';
import { makeSplit } from '../split';
import { makeTabs } from '../tabs';

declare function acquireVsCodeApi(): {
  postMessage(m: WebviewMessage): void;
  getState(): ReviewState | undefined;
  setState(s: ReviewState): void;
};

// For the bench: when the page's script starts to run (after its fetch and parse).
performance.mark('docutray:script');
const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
let model: ReviewModel | undefined;
let key: ReviewState['key'] | undefined;
let state: ReviewState | undefined = vscode.getState();
let pdf: PdfView | undefined;
/** The latest search: an older one stops at its next page when a newer one starts. */
let searchRun = 0;
let shownDocument: string | undefined;
/** The snapshot painted after a reload, until the model replaces it. */
let painted: ReviewSnapshot | undefined;

const VERDICT_ICON: Record<ReviewRowView['verdict'], string> = {
  equal: '✓',
  differs: '✗',
  missing: '−',
  extra: '+',
  unchecked: '·',
  ignored: '○',
};

function saveState(patch: Partial<ReviewState>): void {
  if (!key) {
    return;
  }
  state = { ...(state ?? { v: 1, key }), ...patch, key, v: 1 };
  vscode.setState(state);
}

/** Saves the document's scroll position at most once per SCROLL_SAVE_MS (the state carries the snapshot). */
const SCROLL_SAVE_MS = 200;
let scrollSave: ReturnType<typeof setTimeout> | undefined;
function saveScroll(): void {
  scrollSave ??= setTimeout(() => {
    scrollSave = undefined;
    saveState({ pageScroll: docPane.scrollTop });
  }, SCROLL_SAVE_MS);
}

const t = (name: string, ...args: (string | number)[]) =>
  ((model ?? painted)?.labels[name] ?? name).replace(/\{(\d)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));

// ---------- layout ----------

let docPane: HTMLElement;
let docStatus: HTMLElement;
let fieldsPanel: HTMLElement;
let rawPanel: HTMLElement;
let header: HTMLElement;

function layout(): void {
  app.textContent = '';
  header = el('header', 'header');
  const left = el('section', 'doc', undefined, { id: 'document-pane', 'aria-label': t('document') });
  const toolbar = el('div', 'toolbar', undefined, { role: 'toolbar', 'aria-label': t('document') });
  const zoomOut = el('button', 'tool', '−', { 'aria-label': t('zoomOut'), title: t('zoomOut') });
  const zoomIn = el('button', 'tool', '+', { 'aria-label': t('zoomIn'), title: t('zoomIn') });
  zoomOut.addEventListener('click', () => zoom(1 / 1.25));
  zoomIn.addEventListener('click', () => zoom(1.25));
  docStatus = el('div', 'doc-status', '', { role: 'status', 'aria-live': 'polite' });
  toolbar.append(zoomOut, zoomIn, docStatus);
  docPane = el('div', 'pages', undefined, { tabindex: '0', 'aria-label': t('document') });
  docPane.addEventListener('scroll', saveScroll, { passive: true });
  left.append(toolbar, docPane);

  const right = el('section', 'fields');
  const tabs = makeTabs(
    [
      { key: 'fields', label: t('fields') },
      { key: 'raw', label: t('raw'), panelClass: 'raw' },
    ],
    state?.tab ?? 'fields',
    tab => saveState({ tab }),
  );
  fieldsPanel = tabs.panels.fields;
  rawPanel = tabs.panels.raw;
  right.append(tabs.element);
  const split = makeSplit(left, right, {
    position: state?.split,
    label: t('resizeSplit'),
    onChange: position => saveState({ split: position }),
  });
  app.append(header, split);
}

// ---------- fields ----------

/** The fields of a model, with their verdicts and actions. */
function renderFields(m: Pick<ReviewModel, 'title' | 'subtitle' | 'rows' | 'rawJson' | 'selected'>): void {
  header.textContent = '';
  header.append(el('h1', 'title', m.title), el('p', 'subtitle', m.subtitle));
  fieldsPanel.textContent = '';
  let group: string | undefined;
  let tbody: HTMLTableSectionElement | undefined;
  for (const row of m.rows) {
    if (row.group !== group || !tbody) {
      group = row.group;
      const section = el('section', 'group');
      if (group) {
        section.append(el('h2', 'group-title', group));
      }
      const table = el('table', 'rows');
      const head = el('thead');
      const hr = el('tr');
      for (const h of ['fieldColumn', 'valueColumn', 'verdictColumn']) {
        hr.append(el('th', undefined, t(h), { scope: 'col' }));
      }
      // The actions column shows no heading (its buttons say what they do); a screen reader still gets its name.
      const actions = el('th', undefined, undefined, { scope: 'col' });
      actions.append(el('span', 'visually-hidden', t('actionsColumn')));
      hr.append(actions);
      head.append(hr);
      tbody = el('tbody');
      table.append(head, tbody);
      section.append(table);
      fieldsPanel.append(section);
    }
    tbody.append(rowElement(row));
  }
  rawPanel.textContent = '';
  rawPanel.append(el('pre', 'json', m.rawJson, { tabindex: '0' }));
  const selected = m.selected ?? state?.selected;
  if (selected) {
    select(selected, false);
  }
}

function rowElement(row: ReviewRowView): HTMLTableRowElement {
  const name = el('th', 'name', row.label, { scope: 'row', title: row.path });
  const value = el('td', 'value', row.actualText ?? '—');
  const verdict = el('td', 'verdict');
  const tr = el('tr', `row verdict-${row.verdict}${row.kept ? ' kept' : ''}`, undefined, { tabindex: '-1' });
  tr.dataset.path = row.path;
  verdict.append(
    el('span', 'icon', VERDICT_ICON[row.verdict], { 'aria-hidden': 'true' }),
    el('span', 'words', row.verdictText + (row.kept ? ` (${t('kept')})` : '')),
  );
  if (row.pairingText) {
    verdict.append(el('span', 'pairing', row.pairingText));
  }
  const actions = el('td', 'actions');
  if (row.verdict === 'differs' || row.verdict === 'missing' || row.verdict === 'extra') {
    actions.append(action('accept', row), action('keep', row));
  }
  if (row.verdict !== 'ignored' && row.verdict !== 'unchecked') {
    actions.append(action('edit', row));
  }
  tr.append(name, value, verdict, actions);
  tr.addEventListener('click', e => {
    if (!(e.target as HTMLElement).closest('button')) {
      select(row.path, true);
    }
  });
  tr.addEventListener('keydown', e => {
    const rows = [...fieldsPanel.querySelectorAll<HTMLTableRowElement>('tr.row')];
    const i = rows.indexOf(tr);
    const to =
      e.key === 'ArrowDown'
        ? rows[i + 1]
        : e.key === 'ArrowUp'
          ? rows[i - 1]
          : e.key === 'Home'
            ? rows[0]
            : e.key === 'End'
              ? rows[rows.length - 1]
              : undefined;
    if (to) {
      select(to.dataset.path!, true);
      e.preventDefault();
    } else if (e.key === 'Enter' && e.target === tr) {
      void locate(row);
      e.preventDefault();
    }
  });
  return tr;
}

function action(kind: 'accept' | 'keep' | 'edit', row: ReviewRowView): HTMLButtonElement {
  const b = el('button', `action ${kind}`, t(kind), { 'aria-label': `${t(kind)}: ${row.path}` });
  b.addEventListener('click', () => vscode.postMessage({ type: kind, path: row.path }));
  return b;
}

function select(path: string, focus: boolean): void {
  const rows = fieldsPanel.querySelectorAll<HTMLTableRowElement>('tr.row');
  let chosen: HTMLTableRowElement | undefined;
  rows.forEach(r => {
    const on = r.dataset.path === path;
    r.classList.toggle('selected', on);
    r.setAttribute('aria-selected', String(on));
    r.tabIndex = on ? 0 : -1;
    if (on) {
      chosen = r;
    }
  });
  if (!chosen) {
    return;
  }
  chosen.scrollIntoView({ block: 'nearest' });
  if (focus) {
    chosen.focus();
  }
  saveState({ selected: path });
  vscode.postMessage({ type: 'selected', path });
  const row = model?.rows.find(r => r.path === path);
  if (row) {
    void locate(row);
  }
}

// ---------- the document ----------

function zoom(factor: number): void {
  const z = Math.min(4, Math.max(0.25, (state?.zoom ?? 1) * factor));
  saveState({ zoom: z });
  pdf?.setZoom(z);
  docPane.querySelector('img')?.style.setProperty('width', `${Math.round(z * 100)}%`);
}

function showDocument(m: ReviewModel): void {
  if (shownDocument === m.document.uri) {
    return;
  }
  shownDocument = m.document.uri;
  pdf?.dispose();
  pdf = undefined;
  docPane.textContent = '';
  if (m.document.kind === 'image' && m.document.uri) {
    const img = el('img', 'image', undefined, { alt: m.document.name, src: m.document.uri });
    img.style.setProperty('width', `${Math.round((state?.zoom ?? 1) * 100)}%`);
    docPane.append(img);
    return;
  }
  if (m.document.kind !== 'pdf' || !m.document.uri || !m.pdfjs) {
    docStatus.textContent = t('cannotShow');
    return;
  }
  docStatus.textContent = t('loading');
  const view = (pdf = new PdfView(docPane, m.pdfjs, state?.zoom ?? 1, t));
  view
    .open(m.document.uri)
    .then(() => {
      if (pdf !== view) {
        return;
      }
      docStatus.textContent = '';
      if (state?.pageScroll) {
        docPane.scrollTop = state.pageScroll;
      }
      view.onFirstPage(() => vscode.postMessage({ type: 'painted', what: 'firstPage', ms: performance.now() }));
      const selected = model?.rows.find(r => r.path === (model?.selected ?? state?.selected));
      if (selected) {
        void locate(selected);
      }
    })
    .catch((e: unknown) => {
      docStatus.textContent = t('pdfFailed', e instanceof Error ? e.message : String(e));
    });
}

/**
 * Searches the document's text for a field's value, and says how it went. A page at a time, yielding
 * between pages (and pdfView between chunks of a long page's items), so no task of the page is long; a
 * newer search (another field clicked) ends this one.
 */
async function locate(row: ReviewRowView): Promise<void> {
  const run = ++searchRun;
  const m = model;
  if (!m) {
    return;
  }
  if (m.document.kind === 'image') {
    docStatus.textContent = t('imageNoText');
    return;
  }
  if (!pdf || !pdf.ready) {
    return;
  }
  if (row.search === undefined) {
    docStatus.textContent = t('notSearched');
    pdf.highlight([]);
    return;
  }
  const view = pdf;
  const search = new ValueSearch(row.search, {
    absoluteTolerance: m.tolerance.absolute,
    relativeTolerance: m.tolerance.relative,
  });
  const current = () => run === searchRun && view === pdf;
  if (!search.notSearched) {
    // Every page's text asked for at once (pdf.js's worker reads them one after another without
    // waiting for this page), then searched in order.
    const pages = Array.from({ length: view.pageCount }, (_, i) => view.searchablePage(i + 1));
    pages.forEach(p => p.catch(() => undefined));
    for (const next of pages) {
      const page = await next;
      if (!current()) {
        return;
      }
      search.add(page);
      await yieldTask();
      if (!current()) {
        return;
      }
    }
  }
  const r = search.result();
  switch (r.outcome) {
    case 'found': {
      docStatus.textContent =
        t('foundOn', r.matches[0].page) + (r.matches.length > 1 ? ` (${t('foundPlaces', r.matches.length)})` : '');
      view.highlight(r.matches);
      return;
    }
    case 'notFound':
      docStatus.textContent = t('notFound');
      break;
    case 'noText':
      docStatus.textContent = t('noText');
      break;
    case 'notSearched':
      docStatus.textContent = t('notSearched');
      break;
  }
  view.highlight([]);
}

// ---------- messages ----------

window.addEventListener('message', (e: MessageEvent<HostMessage>) => {
  const msg = e.data;
  if (!msg || typeof msg !== 'object') {
    return;
  }
  if (msg.type === 'model') {
    const first = !model;
    model = msg.model;
    key = msg.key;
    painted = undefined;
    if (first) {
      layout();
    }
    renderFields(model);
    app.setAttribute('aria-busy', 'false');
    delete app.dataset.restored;
    if (first) {
      // For the browser tests: the order of the snapshot (after a reload) and the model.
      performance.mark('docutray:model');
    }
    saveState({ snapshot: restoreSnapshot(model) });
    if (first) {
      requestAnimationFrame(() => vscode.postMessage({ type: 'painted', what: 'fields', ms: performance.now() }));
    }
    showDocument(model);
  } else if (msg.type === 'select') {
    select(msg.path, true);
  } else if (msg.type === 'zoom') {
    zoom(msg.factor);
  }
});

/**
 * After a reload: the host painted the fields as last shown into the page (see the file's comment); they
 * move into the page's layout as they are, still marked as being checked, until the model replaces them.
 */
function adoptSnapshot(s: ReviewSnapshot, shown: HTMLElement): void {
  painted = s;
  const title = shown.querySelector('.header');
  const fields = shown.querySelector('.panel[data-tab="fields"]');
  const raw = shown.querySelector('.panel[data-tab="raw"]');
  layout();
  header.append(...(title ? [...title.childNodes] : []));
  fieldsPanel.append(...(fields ? [...fields.childNodes] : []));
  rawPanel.append(...(raw ? [...raw.childNodes] : []));
  app.dataset.restored = 'snapshot';
  performance.mark('docutray:snapshot', { detail: { rows: fieldsPanel.querySelectorAll('tr.row').length } });
}

const shownSnapshot = document.getElementById(SNAPSHOT_ID);
if (shownSnapshot && state?.snapshot && Array.isArray(state.snapshot.rows)) {
  adoptSnapshot(state.snapshot, shownSnapshot);
}

// The host needs the state's key and place, not the snapshot.
vscode.postMessage({ type: 'ready', state: state && { ...state, snapshot: undefined } });
