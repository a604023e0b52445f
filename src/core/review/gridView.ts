/**
 * The grid's rows as the batch panel's webview shows them, and what it does with them: which rows a
 * text filter and "only failing" keep, in which order a column sorts them. Pure and without imports,
 * so the webview bundles it as it is and the host's tests run the same code (core/review/grid.ts makes
 * the rows).
 */

/** The verdicts that mark a cell. */
export type CellMark = 'differs' | 'missing' | 'extra';

export interface GridColumn {
  /** `file`, `status`, `check`, or a result field's column key (its path as JSON). */
  key: string;
  /** The CSV header's name (`vendor.name`, `data.status`). */
  name: string;
}

export interface GridCell {
  text: string;
  /** What sorting compares: numbers as numbers, the rest as text; null sorts last. */
  sort: number | string | null;
  /** The worst verdict of the fields in this cell, when one failed. */
  mark?: CellMark;
  /** The path of the first failed field in the cell (for opening the review there), else the column's. */
  path?: string;
}

export interface GridRow {
  /** Its position in the documents given: the host's handle for it. */
  index: number;
  failing: boolean;
  /** One per column. */
  cells: GridCell[];
}

export interface GridModel {
  columns: GridColumn[];
  rows: GridRow[];
}

export type SortDirection = 'ascending' | 'descending';

export interface GridView {
  /** A column's index, and its direction; none keeps the documents' order. */
  sort?: { column: number; direction: SortDirection };
  /** Rows whose any cell contains this text (case-insensitive). */
  filter?: string;
  onlyFailing?: boolean;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

function compareSort(a: number | string | null, b: number | string | null): number {
  if (a === b) {
    return 0;
  }
  if (a === null) {
    return 1;
  }
  if (b === null) {
    return -1;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  // Numbers before text.
  if (typeof a === 'number') {
    return -1;
  }
  if (typeof b === 'number') {
    return 1;
  }
  return collator.compare(a, b);
}

/** A row's cells as one lower-case text, made once per row: filtering while typing stays cheap. */
const haystacks = new WeakMap<GridRow, string>();
function haystack(r: GridRow): string {
  let h = haystacks.get(r);
  if (h === undefined) {
    // A character no cell text holds between cells: a filter never matches across two cells.
    h = r.cells.map(c => c.text.toLocaleLowerCase()).join('\u0000');
    haystacks.set(r, h);
  }
  return h;
}

/**
 * The rows shown, as indexes into `rows`, in order: filtered (text, only failing), then sorted (stable;
 * empty cells last in either direction).
 */
export function viewRows(rows: readonly GridRow[], view: GridView): number[] {
  const needle = view.filter?.trim().toLocaleLowerCase();
  const out: number[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (view.onlyFailing && !r.failing) {
      continue;
    }
    if (needle && !haystack(r).includes(needle)) {
      continue;
    }
    out.push(i);
  }
  const sort = view.sort;
  if (sort) {
    const sign = sort.direction === 'ascending' ? 1 : -1;
    out.sort((a, b) => {
      const x = rows[a].cells[sort.column]?.sort ?? null;
      const y = rows[b].cells[sort.column]?.sort ?? null;
      if (x === null || y === null) {
        return x === y ? a - b : x === null ? 1 : -1;
      }
      return sign * compareSort(x, y) || a - b;
    });
  }
  return out;
}
