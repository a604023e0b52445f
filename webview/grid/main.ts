/**
 * The batch panel's webview: a batch (or a folder's results) as a grid, one row per document, and a
 * tab with each field's accuracy across the documents. The grid is a hand-written ARIA grid (the
 * pattern of the WAI-ARIA Authoring Practices): one cell in the tab order (roving tabindex), arrows,
 * Home/End (Ctrl for the first/last row), PageUp/PageDown, Enter on a header sorts, Enter on a cell
 * opens the review panel at that document and field. Rows have a fixed height and a fixed number of row
 * elements is recycled by slot (row i always goes to slot i mod slots), whatever the number of
 * documents. Columns are drawn the same way: each row (and the header) holds only the columns in view and
 * one either side, and `aria-colcount`/`aria-colindex` say where they are among all the columns; the cells
 * stay in column order in the DOM, so assistive technology reads them in order. Everything that comes from
 * a document or a setting is set with `textContent`: never HTML.
 * Bar widths are set through CSSOM (the CSP allows no style attribute).
 *
 * Kept fast for 10,000 documents: sorting and filtering go through a GridIndex (sort keys and filter
 * texts made once, ahead of need while the page is idle); scroll events only note the position and
 * the rows are drawn once per frame; drawing reads no layout (the scroll position and the viewport's
 * height are remembered from the scroll event and the ResizeObserver), and the grid has a fixed width,
 * so changing a row's text lays out only that row.
 */
import type {
  BatchHostMessage,
  BatchKey,
  BatchStart,
  BatchState,
  BatchWebviewMessage,
} from '../../src/core/review/batchProtocol';
import { GridIndex, type CellMark, type GridRow, type SortDirection } from '../../src/core/review/gridView';
import { notEqualDocuments, type FieldAccuracy } from '../../src/core/review/accuracy';
import '../page.css';
import './grid.css';
import { el } from '../dom';
import { makeTabs } from '../tabs';

declare function acquireVsCodeApi(): {
  postMessage(m: BatchWebviewMessage): void;
  getState(): BatchState | undefined;
  setState(s: BatchState): void;
};

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
let state: BatchState | undefined = vscode.getState();
let start: BatchStart | undefined;
let rows: GridRow[] = [];
let index: GridIndex | undefined;
let received = 0;
let startedAt = 0;

/** Row height in px: the same as `.row` in grid.css. */
const ROW_H = 24;
/** Rows rendered above and below the viewport. */
const OVERSCAN = 6;
/** Column widths in px: the same as `.cell` and `.col-0` … `.col-2` in grid.css. */
const COLUMN_W = [260, 90, 160];
const CELL_W = 150;
const columnWidth = (i: number) => COLUMN_W[i] ?? CELL_W;
/** The width class of column i (`.col-0` … `.col-2`; the others are `.col-3`, of the plain `.cell` width). */
const widthClass = (i: number) => `col-${Math.min(i, 3)}`;

const MARK_ICON: Record<CellMark, string> = { differs: '✗', missing: '−', extra: '+' };

const t = (name: string, ...args: (string | number)[]) =>
  (start?.labels[name] ?? name).replace(/\{(\d)\}/g, (_, i: string) => String(args[Number(i)] ?? ''));

function saveState(patch: Partial<BatchState>): void {
  if (!start) {
    return;
  }
  state = { ...(state ?? { v: 1, key: start.key }), ...patch, key: start.key, v: 1 };
  vscode.setState(state);
}

// ---------- layout ----------

let header: HTMLElement;
let gridPanel: HTMLElement;
let accuracyPanel: HTMLElement;
let filterInput: HTMLInputElement;
let failingBox: HTMLInputElement;
let countStatus: HTMLElement;
let scroller: HTMLElement;
let grid: HTMLElement;
let headRow: HTMLElement;
let body: HTMLElement;
/**
 * The row elements, recycled by slot. Each holds `span` cells, which show the columns `col` … `col + span - 1`
 * (cell k shows column col + k); `cols[k]` is the column cell k was last written for.
 */
const slots: { row: HTMLElement; cells: HTMLElement[]; cols: Int32Array; at: number; version: number; col: number }[] =
  [];
/** The header's cells, as many as a row's, showing the same columns. */
let headCells: HTMLElement[] = [];
let headCols = new Int32Array(0);
/** Each column's left edge in px, and the grid's width at the end (columns + 1 entries). */
let columnLeft = new Float64Array(1);
/** How many columns a row draws: the most the view can show at once, plus one either side. */
let span = 0;
/** The first column drawn, as the rows and the header were last drawn. */
let drawnColumn = -1;

/** The rows shown (indexes into `rows`) in their order, and the version they were made in. */
let shown: Uint32Array = new Uint32Array(0);
let version = 0;
/** The scroller's scroll position and height, as last seen (never read while drawing). */
let viewTop = 0;
let viewHeight = 0;
let viewLeft = 0;
let viewWidth = 0;
/** A frame is asked for to draw the rows (scroll events are coalesced into it). */
let drawPending = false;
/** The one cell in the tab order. */
let tabStop: HTMLElement | undefined;
/** The focused cell: the place in `shown` (-1: the header row) and the column. */
let focus = { row: -1, column: 0 };

function layout(): void {
  app.textContent = '';
  header = el('header', 'header');
  const tabs = makeTabs(
    [
      { key: 'grid', label: t('grid'), panelClass: 'grid-panel' },
      { key: 'accuracy', label: t('accuracy'), panelClass: 'accuracy-panel' },
    ],
    state?.tab ?? 'grid',
    which => {
      saveState({ tab: which });
      if (which === 'grid') {
        render();
      }
    },
  );
  gridPanel = tabs.panels.grid;
  accuracyPanel = tabs.panels.accuracy;

  const toolbar = el('div', 'toolbar');
  filterInput = el('input', 'filter', undefined, {
    type: 'search',
    'aria-label': t('filter'),
    placeholder: t('filterPlaceholder'),
  });
  filterInput.value = state?.filter ?? '';
  filterInput.addEventListener('input', () => {
    saveState({ filter: filterInput.value });
    refilter();
  });
  const failingLabel = el('label', 'only-failing');
  failingBox = el('input', undefined, undefined, { type: 'checkbox' });
  failingBox.checked = !!state?.onlyFailing;
  failingBox.addEventListener('change', () => {
    saveState({ onlyFailing: failingBox.checked });
    refilter();
  });
  failingLabel.append(failingBox, document.createTextNode(` ${t('onlyFailing')}`));
  countStatus = el('span', 'count', '', { role: 'status', 'aria-live': 'polite' });
  toolbar.append(filterInput, failingLabel, countStatus);

  scroller = el('div', 'scroller');
  grid = el('div', 'grid', undefined, {
    role: 'grid',
    'aria-labelledby': 'title',
    'aria-describedby': 'grid-help',
  });
  const head = el('div', 'head', undefined, { role: 'rowgroup' });
  headRow = el('div', 'row head-row', undefined, { role: 'row', 'aria-rowindex': '1' });
  head.append(headRow);
  body = el('div', 'body', undefined, { role: 'rowgroup' });
  grid.append(head, body);
  scroller.append(grid);
  scroller.addEventListener('scroll', onScroll, { passive: true });
  grid.addEventListener('keydown', onKey);
  // A cell focused by Tab (the tab stop) or the mouse is where the arrows move from.
  grid.addEventListener('focusin', e => {
    const p = placeOf(e.target);
    if (p) {
      focus = p;
    }
  });
  grid.addEventListener('click', onClick);
  grid.addEventListener('dblclick', onDoubleClick);
  grid.addEventListener('pointerover', onPointerOver);
  const help = el('p', 'help', t('help'), { id: 'grid-help' });
  gridPanel.append(toolbar, scroller, help);
  app.append(header, tabs.element);
  new ResizeObserver(entries => {
    const box = entries[entries.length - 1].contentRect;
    viewHeight = box.height;
    viewWidth = box.width;
    makeSlots();
    render();
  }).observe(scroller);
}

// ---------- the grid ----------

function columnHeaders(): void {
  const s = start!;
  columnLeft = new Float64Array(s.columns.length + 1);
  s.columns.forEach((_, i) => (columnLeft[i + 1] = columnLeft[i] + columnWidth(i)));
  grid.setAttribute('aria-colcount', String(s.columns.length));
  // A fixed width: the grid's width never depends on the rows' texts, so drawing a row lays out only it.
  grid.style.width = `${columnLeft[s.columns.length]}px`;
}

/** The most columns a view `width` px wide shows at once (partly or whole), plus one either side. */
function spanFor(width: number): number {
  const n = columnLeft.length - 1;
  let most = 0;
  for (let c = 0, j = 0; c < n; c++) {
    j = Math.max(j, c);
    while (j < n && columnLeft[j] < columnLeft[c] + width) {
      j++;
    }
    most = Math.max(most, j - c);
  }
  return Math.min(n, most + 2);
}

/** The first column to draw for the view's left edge: one before the first in view, as far as `span` allows. */
function firstColumn(): number {
  const n = columnLeft.length - 1;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (columnLeft[mid] <= viewLeft) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return Math.max(0, Math.min(lo - 1, n - span));
}

/** Points a cell at another column: its place for assistive technology, the mouse and its width. */
function moveCell(c: HTMLElement, from: number, to: number): void {
  c.setAttribute('aria-colindex', String(to + 1));
  c.dataset.column = String(to);
  if (from < 0 || widthClass(from) !== widthClass(to)) {
    if (from >= 0) {
      c.classList.remove(widthClass(from));
    }
    c.classList.add(widthClass(to));
  }
}

/** The header's cells for the columns from `first`, with their names and sort marks. */
function drawHeader(first: number): void {
  const s = start!;
  headRow.style.paddingLeft = `${columnLeft[first]}px`;
  for (let k = 0; k < headCells.length; k++) {
    const h = headCells[k];
    const column = first + k;
    if (headCols[k] !== column) {
      moveCell(h, headCols[k], column);
      headCols[k] = column;
      h.textContent = s.columns[column].name;
    }
  }
  markSort();
}

function markSort(): void {
  const sort = state?.sort;
  headCells.forEach((h, k) => {
    if (sort && sort.column === headCols[k]) {
      h.setAttribute('aria-sort', sort.direction);
      h.dataset.sorted = sort.direction === 'ascending' ? '▲' : '▼';
    } else {
      h.removeAttribute('aria-sort');
      delete h.dataset.sorted;
    }
  });
}

/**
 * A fixed number of row elements: as many as the viewport shows, plus OVERSCAN above and below. The
 * same for 1,000 and for 10,000 documents.
 */
function makeSlots(): void {
  if (!start) {
    return;
  }
  const wanted = Math.ceil(Math.max(viewHeight, ROW_H * 10) / ROW_H) + 2 * OVERSCAN;
  // Before the first layout the view's width is not known yet: the window's is an upper bound.
  const columns = spanFor(viewWidth || window.innerWidth);
  if (slots.length === wanted && span === columns && headCells.length === columns) {
    return;
  }
  span = columns;
  drawnColumn = -1;
  headRow.textContent = '';
  headCells = [];
  headCols = new Int32Array(span).fill(-1);
  for (let k = 0; k < span; k++) {
    headCells.push(el('div', 'cell colhead', undefined, { role: 'columnheader', tabindex: '-1' }));
  }
  headRow.append(...headCells);
  body.textContent = '';
  slots.length = 0;
  tabStop = undefined;
  for (let r = 0; r < wanted; r++) {
    const row = el('div', 'row', undefined, { role: 'row' });
    const cells: HTMLElement[] = [];
    for (let k = 0; k < span; k++) {
      cells.push(el('div', 'cell', undefined, { role: 'gridcell', tabindex: '-1' }));
    }
    row.append(...cells);
    row.hidden = true;
    body.append(row);
    slots.push({ row, cells, cols: new Int32Array(span).fill(-1), at: -1, version: -1, col: -1 });
  }
}

function refilter(): void {
  const t0 = performance.now();
  index ??= new GridIndex(rows);
  shown = index.view({
    sort: state?.sort,
    filter: state?.filter,
    onlyFailing: state?.onlyFailing,
  });
  version++;
  focus.row = Math.min(focus.row, shown.length - 1);
  grid.setAttribute('aria-rowcount', String(shown.length + 1));
  body.style.height = `${shown.length * ROW_H}px`;
  // A shorter grid scrolls back as far as it must (the scroll event that follows draws again).
  viewTop = Math.max(0, Math.min(viewTop, shown.length * ROW_H + ROW_H - viewHeight));
  countStatus.textContent = t('shown', shown.length, rows.length);
  render();
  lastViewMs = performance.now() - t0;
}

/** For the bench and the tests: how long the last sort or filter took, rendering included. */
let lastViewMs = 0;

/**
 * Writes a cell. A plain cell (nearly all of them) keeps its one text node and changes only what
 * differs: a sort rewrites every rendered cell, and each DOM write counts.
 */
function fillCell(c: HTMLElement, row: GridRow, column: number): void {
  const cell = row.cells[column];
  if (cell.mark) {
    c.textContent = '';
    const badge = el('span', `mark mark-${cell.mark}`);
    badge.append(el('span', 'icon', MARK_ICON[cell.mark], { 'aria-hidden': 'true' }), ` ${t(cell.mark)}`);
    c.append(badge, el('span', 'value', cell.text));
    c.classList.add('marked');
    c.dataset.mark = cell.mark;
    untitle(c);
    return;
  }
  const text = c.firstChild;
  if (c.dataset.mark === undefined && text instanceof Text && !text.nextSibling) {
    if (text.data !== cell.text) {
      text.data = cell.text;
      untitle(c);
    }
    return;
  }
  c.textContent = cell.text;
  c.classList.remove('marked');
  delete c.dataset.mark;
  untitle(c);
}

/**
 * The cell with a tooltip: its whole text (a cell may cut it off), made when the pointer comes to the
 * cell rather than each time a cell is drawn, so that scrolling writes half as much to the page.
 */
let titled: HTMLElement | undefined;

function untitle(c: HTMLElement): void {
  if (c === titled) {
    c.removeAttribute('title');
    titled = undefined;
  }
}

function onPointerOver(e: PointerEvent): void {
  const p = placeOf(e.target);
  const c = (e.target as HTMLElement | null)?.closest<HTMLElement>('[role=gridcell]');
  const cell = p && p.row >= 0 ? rows[shown[p.row]]?.cells[p.column] : undefined;
  if (!c || !cell || c === titled) {
    return;
  }
  if (titled) {
    titled.removeAttribute('title');
  }
  titled = c;
  c.title = cell.mark ? `${start!.columns[p!.column].name}: ${cell.text} (${t(cell.mark)})` : cell.text;
}

function render(): void {
  if (!start || gridPanel.hidden || slots.length === 0) {
    return;
  }
  const n = slots.length;
  const first = Math.max(0, Math.floor(viewTop / ROW_H) - OVERSCAN);
  const col = firstColumn();
  if (col !== drawnColumn) {
    drawnColumn = col;
    drawHeader(col);
  }
  for (let i = first; i < first + n; i++) {
    const slot = slots[i % n];
    if (i >= shown.length) {
      slot.row.hidden = true;
      slot.at = -1;
      continue;
    }
    if (slot.at !== i || slot.version !== version || slot.col !== col) {
      const row = rows[shown[i]];
      if (slot.at !== i) {
        slot.row.style.transform = `translateY(${i * ROW_H}px)`;
        slot.row.setAttribute('aria-rowindex', String(i + 2));
        slot.row.dataset.row = String(i);
      }
      if (slot.col !== col) {
        slot.row.style.paddingLeft = `${columnLeft[col]}px`;
        slot.col = col;
      }
      slot.at = i;
      slot.version = version;
      slot.row.hidden = false;
      slot.row.classList.toggle('failing', row.failing);
      for (let k = 0; k < span; k++) {
        const c = slot.cells[k];
        if (slot.cols[k] !== col + k) {
          moveCell(c, slot.cols[k], col + k);
          slot.cols[k] = col + k;
        }
        fillCell(c, row, col + k);
      }
    }
  }
  roving();
}

/**
 * Exactly one cell in the tab order: the focused one when it is rendered, else its column's header, else
 * (its column scrolled out of view) the nearest header drawn.
 */
function roving(): void {
  const target =
    cellAt(focus.row, focus.column) ??
    cellAt(-1, focus.column) ??
    cellAt(-1, Math.max(drawnColumn, Math.min(focus.column, drawnColumn + span - 1)));
  if (target === tabStop) {
    return;
  }
  if (tabStop) {
    tabStop.tabIndex = -1;
  }
  tabStop = target;
  if (target) {
    target.tabIndex = 0;
  }
}

function cellAt(row: number, column: number): HTMLElement | undefined {
  const k = column - drawnColumn;
  if (drawnColumn < 0 || k < 0 || k >= span) {
    return undefined;
  }
  if (row < 0) {
    return headCells[k];
  }
  for (const s of slots) {
    if (s.at === row && s.col === drawnColumn && !s.row.hidden) {
      return s.cells[k];
    }
  }
  return undefined;
}

/** Notes where the grid is; the rows are drawn (and the place saved) once in the next frame. */
function onScroll(): void {
  viewTop = scroller.scrollTop;
  viewLeft = scroller.scrollLeft;
  if (drawPending) {
    return;
  }
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    render();
    saveState({ scroll: viewTop });
  });
}

/** Scrolls to `top` and remembers it (the scroll event then has nothing left to draw). */
function scrollTo(top: number): void {
  viewTop = top;
  scroller.scrollTop = top;
}

/** Scrolls sideways to `left` and remembers it, as scrollTo does. */
function scrollLeftTo(left: number): void {
  viewLeft = left;
  scroller.scrollLeft = left;
}

const pageRows = () => Math.max(1, Math.floor((viewHeight - ROW_H) / ROW_H));

function moveTo(row: number, column: number): void {
  const columns = start!.columns.length;
  focus = {
    row: Math.max(-1, Math.min(row, shown.length - 1)),
    column: Math.max(0, Math.min(column, columns - 1)),
  };
  if (focus.row >= 0) {
    // Keep the row in view below the sticky header.
    const top = focus.row * ROW_H;
    const viewBottom = viewTop + viewHeight - ROW_H * 2;
    if (top < viewTop) {
      scrollTo(top);
    } else if (top > viewBottom) {
      scrollTo(top - (viewHeight - ROW_H * 2));
    }
  }
  // Keep the column in view: a column out of view has no cells to focus.
  const left = columnLeft[focus.column];
  const right = columnLeft[focus.column + 1];
  if (left < viewLeft) {
    scrollLeftTo(left);
  } else if (viewWidth > 0 && right > viewLeft + viewWidth) {
    scrollLeftTo(Math.min(left, right - viewWidth));
  }
  render();
  const target = cellAt(focus.row, focus.column);
  target?.focus();
  const r = focus.row >= 0 ? rows[shown[focus.row]] : undefined;
  saveState({ focus: r ? { row: r.index, column: focus.column } : undefined });
}

function sortBy(column: number): void {
  const current = state?.sort;
  const direction: SortDirection =
    current?.column === column && current.direction === 'ascending' ? 'descending' : 'ascending';
  saveState({ sort: { column, direction } });
  markSort();
  refilter();
}

function openAt(place: number, column: number): void {
  const row = rows[shown[place]];
  if (!row) {
    return;
  }
  const path = column >= 3 ? row.cells[column].path : row.cells.find(c => c.mark)?.path;
  vscode.postMessage({ type: 'open', row: row.index, ...(path ? { path } : {}) });
}

function onKey(e: KeyboardEvent): void {
  if (!start) {
    return;
  }
  const { row, column } = focus;
  const last = start.columns.length - 1;
  let handled = true;
  switch (e.key) {
    case 'ArrowDown':
      moveTo(row + 1, column);
      break;
    case 'ArrowUp':
      moveTo(row - 1, column);
      break;
    case 'ArrowRight':
      moveTo(row, column + 1);
      break;
    case 'ArrowLeft':
      moveTo(row, column - 1);
      break;
    case 'Home':
      moveTo(e.ctrlKey ? 0 : row, 0);
      break;
    case 'End':
      moveTo(e.ctrlKey ? shown.length - 1 : row, last);
      break;
    case 'PageDown':
      moveTo(row + pageRows(), column);
      break;
    case 'PageUp':
      moveTo(Math.max(0, row - pageRows()), column);
      break;
    case 'Enter':
    case ' ':
      if (row < 0) {
        sortBy(column);
        cellAt(-1, column)?.focus();
      } else if (e.key === 'Enter') {
        openAt(row, column);
      }
      break;
    default:
      handled = false;
  }
  if (handled) {
    e.preventDefault();
  }
}

function placeOf(target: EventTarget | null): { row: number; column: number } | undefined {
  const cell = (target as HTMLElement | null)?.closest<HTMLElement>('[data-column]');
  if (!cell) {
    return undefined;
  }
  const column = Number(cell.dataset.column);
  const rowEl = cell.closest<HTMLElement>('[data-row]');
  return { row: rowEl ? Number(rowEl.dataset.row) : -1, column };
}

function onClick(e: MouseEvent): void {
  const p = placeOf(e.target);
  if (!p) {
    return;
  }
  if (p.row < 0) {
    focus = { row: -1, column: p.column };
    sortBy(p.column);
    cellAt(-1, p.column)?.focus();
  } else {
    moveTo(p.row, p.column);
  }
}

function onDoubleClick(e: MouseEvent): void {
  const p = placeOf(e.target);
  if (p && p.row >= 0) {
    openAt(p.row, p.column);
  }
}

// ---------- accuracy ----------

function renderAccuracy(s: BatchStart): void {
  accuracyPanel.textContent = '';
  const a = s.accuracy;
  const bar = el('div', 'toolbar');
  const csv = el('button', 'button', t('exportCsv'));
  const md = el('button', 'button', t('exportMarkdown'));
  csv.addEventListener('click', () => vscode.postMessage({ type: 'export', format: 'csv' }));
  md.addEventListener('click', () => vscode.postMessage({ type: 'export', format: 'markdown' }));
  bar.append(csv, md);
  accuracyPanel.append(bar, el('p', 'intro', t('accuracyIntro', a.compared.length, a.notCompared.length)));
  if (a.fields.length === 0) {
    accuracyPanel.append(el('p', 'empty', t('noFields')));
    return;
  }
  const table = el('table', 'accuracy', undefined, { 'aria-label': t('accuracy') });
  const head = el('tr');
  for (const name of ['field', 'match', 'compared', 'differsCol', 'missingCol', 'extraCol', 'paired', 'documents']) {
    head.append(el('th', undefined, t(name), { scope: 'col' }));
  }
  table.append(el('thead'), el('tbody'));
  table.tHead!.append(head);
  const byFile = new Map<string, number>();
  rows.forEach(r => {
    if (!byFile.has(r.cells[0].text)) {
      byFile.set(r.cells[0].text, r.index);
    }
  });
  for (const f of a.fields) {
    table.tBodies[0].append(accuracyRow(f, byFile));
  }
  accuracyPanel.append(table);
}

function accuracyRow(f: FieldAccuracy, byFile: ReadonlyMap<string, number>): HTMLTableRowElement {
  const tr = el('tr', 'field-row', undefined, { 'data-field': f.field });
  tr.append(el('th', 'field-name', f.field, { scope: 'row' }));
  const match = el('td', 'match');
  const track = el('span', 'bar', undefined, { 'aria-hidden': 'true' });
  const fill = el('span', 'bar-fill');
  fill.style.width = `${f.compared ? (100 * f.equal) / f.compared : 0}%`;
  track.append(fill);
  match.append(el('span', 'match-text', t('matchOf', f.equal, f.compared)), track);
  tr.append(match);
  for (const n of [f.compared, f.differs, f.missing, f.extra]) {
    tr.append(el('td', 'num', String(n)));
  }
  const paired = !f.pairing ? '' : f.pairing.by === 'key' ? t('pairedBy', f.pairing.field) : t('pairedByPosition');
  tr.append(el('td', undefined, paired));
  const docs = el('td', 'docs');
  const max = 10;
  f.documents.slice(0, max).forEach((d, i) => {
    if (i) {
      docs.append(', ');
    }
    const row = byFile.get(d);
    if (row === undefined) {
      docs.append(d);
      return;
    }
    const link = el('a', 'doc-link', d, { href: '#', 'data-row': String(row) });
    link.addEventListener('click', e => {
      e.preventDefault();
      // A field outside lists is one path in each document: the review opens there.
      const path = f.field.includes('[*]') ? undefined : f.field;
      vscode.postMessage({ type: 'open', row, ...(path ? { path } : {}) });
    });
    docs.append(link);
  });
  // Every document not equal that is not named here: named in the model, or only counted there.
  const more = notEqualDocuments(f) - Math.min(max, f.documents.length);
  if (more > 0) {
    docs.append(' ', el('span', 'more', t('more', more)));
  }
  tr.append(docs);
  return tr;
}

// ---------- messages ----------

function onStart(s: BatchStart): void {
  const sameKey = start && isKey(start.key, s.key);
  start = s;
  startedAt = performance.now();
  // Ready again once this model is drawn.
  delete app.dataset.ready;
  if (!sameKey && state && !isKey(state.key, s.key)) {
    state = undefined;
  }
  rows = new Array<GridRow>(s.total);
  index = undefined;
  received = 0;
  app.setAttribute('aria-busy', 'true');
  if (!header) {
    layout();
  }
  header.textContent = '';
  header.append(el('h1', 'title', s.title, { id: 'title' }), el('p', 'subtitle', s.subtitle));
  columnHeaders();
  slots.length = 0;
  makeSlots();
  countStatus.textContent = t('loading');
}

function onDone(): void {
  if (!start) {
    return;
  }
  rows.length = received;
  index = new GridIndex(rows);
  app.setAttribute('aria-busy', 'false');
  refilter();
  const saved = state?.focus;
  if (saved) {
    const place = shown.findIndex(i => rows[i].index === saved.row);
    focus = { row: place, column: Math.min(saved.column, start.columns.length - 1) };
  }
  if (state?.scroll) {
    scrollTo(state.scroll);
  }
  render();
  renderAccuracy(start);
  requestAnimationFrame(() => {
    app.dataset.ready = 'true';
    vscode.postMessage({ type: 'painted', what: 'grid', ms: performance.now() - startedAt, rows: rows.length });
    prepareAhead(index!);
  });
}

/**
 * Makes the sort keys and filter texts while the page is idle, a piece per task (none long), so the
 * first sort or filter finds them made.
 */
function prepareAhead(of: GridIndex): void {
  setTimeout(() => {
    if (of !== index) {
      return;
    }
    const until = performance.now() + 8;
    let more = true;
    while (more && performance.now() < until) {
      more = of.prepare();
    }
    if (more) {
      prepareAhead(of);
    }
  }, 0);
}

/** Whether two batch keys name the same batch (keys are small plain objects the host made alike). */
function isKey(a: BatchKey, b: BatchKey): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A sending of the model the page has whole already (see BatchStart.build): its messages are passed over. */
let repeated = false;

window.addEventListener('message', (e: MessageEvent<BatchHostMessage>) => {
  const m = e.data;
  if (m.type === 'start') {
    repeated = !!index && start?.build === m.start.build && isKey(start.key, m.start.key);
  }
  if (repeated) {
    return;
  }
  switch (m.type) {
    case 'start':
      onStart(m.start);
      return;
    case 'rows':
      for (let i = 0; i < m.rows.length; i++) {
        rows[m.from + i] = m.rows[i];
      }
      received = Math.max(received, m.from + m.rows.length);
      return;
    case 'done':
      onDone();
      return;
  }
});

/** For the bench and the browser tests: numbers the page knows. */
(window as unknown as { docutrayGrid: unknown }).docutrayGrid = {
  lastViewMs: () => lastViewMs,
  rowElements: () => grid.querySelectorAll('[role=row]').length,
  cellElements: () => grid.querySelectorAll('[role=gridcell]').length,
  shown: () => shown.length,
};

vscode.postMessage({ type: 'ready', ...(state ? { state } : {}) });
