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

/**
 * A text's sort key: ordered by plain code-unit comparison the way the grid sorts text ("natural"
 * order: letter case and accents ignored, runs of digits compared as numbers, white space and
 * punctuation before digits before letters). Made once per distinct text, so a sort compares
 * numbers, not texts: an `Intl.Collator` comparing 10,000 file names takes over 100 ms on its own.
 */
export function textSortKey(s: string): string {
  const folded = /^[\x20-\x7e]*$/.test(s)
    ? s.toLowerCase()
    : s.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase();
  return folded.replace(/(\d+)|([^\p{L}\p{N}])/gu, (_, digits: string | undefined, other: string | undefined) => {
    if (digits === undefined) {
      return `\u0001${other!}`;
    }
    // A digit run as its length, then its digits: a longer number (without leading zeros) is larger.
    const d = digits.replace(/^0+/, '');
    return `\u0002${String.fromCharCode(0x21 + d.length)}${d}`;
  });
}

/** A column's sort keys: per row, its cell's place among the column's distinct values (0: empty). */
interface ColumnRanks {
  rank: Uint32Array;
  /** The highest rank. */
  top: number;
}

/** Rows whose filter text is made in one step of {@link GridIndex.prepare}. */
const TEXT_CHUNK = 1000;

/**
 * What sorting and filtering a set of rows need, made once: per column, each row's rank among the
 * column's distinct values (numbers as numbers, before texts in their natural order, see
 * {@link textSortKey}), and per row its cells as one lower-case text. A sort is then a counting sort of
 * row indexes by rank (linear, stable) and a filter one substring search per row: each takes a few
 * milliseconds for 10,000 rows. The keys are made when first needed, or ahead in small steps
 * ({@link prepare}) while the page is idle.
 */
export class GridIndex {
  private readonly ranks: (ColumnRanks | undefined)[] = [];
  private readonly texts: string[] = [];
  private nextColumn = 0;

  constructor(private readonly rows: readonly GridRow[]) {}

  /**
   * Makes one piece of the keys ahead of need (a chunk of rows' filter texts, or one column's ranks).
   * Returns false when everything is made.
   */
  prepare(): boolean {
    if (this.texts.length < this.rows.length) {
      this.text(Math.min(this.rows.length, this.texts.length + TEXT_CHUNK) - 1);
      return true;
    }
    const columns = this.rows[0]?.cells.length ?? 0;
    while (this.nextColumn < columns && this.ranks[this.nextColumn]) {
      this.nextColumn++;
    }
    if (this.nextColumn >= columns) {
      return false;
    }
    this.columnRanks(this.nextColumn++);
    return this.nextColumn < columns;
  }

  /** Row `i`'s cells as one lower-case text (and every row's before it). */
  private text(i: number): string {
    for (let k = this.texts.length; k <= i; k++) {
      // A character no cell text holds between cells: a filter never matches across two cells.
      this.texts.push(this.rows[k].cells.map(c => c.text.toLocaleLowerCase()).join('\u0000'));
    }
    return this.texts[i];
  }

  private columnRanks(column: number): ColumnRanks {
    const made = this.ranks[column];
    if (made) {
      return made;
    }
    const n = this.rows.length;
    const numbers = new Map<number, number>();
    const texts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const v = this.rows[i].cells[column]?.sort ?? null;
      if (typeof v === 'number') {
        numbers.set(v, 0);
      } else if (v !== null) {
        texts.set(v, 0);
      }
    }
    let top = 0;
    for (const v of Float64Array.from(numbers.keys()).sort()) {
      numbers.set(v, ++top);
    }
    const keyed = [...texts.keys()].map(t => ({ t, k: textSortKey(t) }));
    keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    let last: string | undefined;
    for (const { t, k } of keyed) {
      // Texts that differ only in case or accents share a rank: the documents' order decides.
      if (k !== last) {
        top++;
        last = k;
      }
      texts.set(t, top);
    }
    const rank = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const v = this.rows[i].cells[column]?.sort ?? null;
      rank[i] = v === null ? 0 : typeof v === 'number' ? numbers.get(v)! : texts.get(v)!;
    }
    const ranks = { rank, top };
    this.ranks[column] = ranks;
    return ranks;
  }

  /**
   * The rows shown, as indexes into the rows, in order: filtered (text, only failing), then sorted
   * (stable; empty cells last in either direction).
   */
  view(view: GridView): Uint32Array {
    const n = this.rows.length;
    const needle = view.filter?.trim().toLocaleLowerCase();
    const kept = new Uint32Array(n);
    let count = 0;
    if (needle) {
      this.text(n - 1);
    }
    for (let i = 0; i < n; i++) {
      if (view.onlyFailing && !this.rows[i].failing) {
        continue;
      }
      if (needle && !this.texts[i].includes(needle)) {
        continue;
      }
      kept[count++] = i;
    }
    const sort = view.sort;
    if (!sort) {
      return kept.slice(0, count);
    }
    // A counting sort by rank: buckets in the direction asked, empty cells (rank 0) last, each bucket
    // in the documents' order.
    const { rank, top } = this.columnRanks(sort.column);
    const at = new Uint32Array(top + 1);
    for (let j = 0; j < count; j++) {
      at[rank[kept[j]]]++;
    }
    let place = 0;
    const ascending = sort.direction === 'ascending';
    for (let b = 1; b <= top; b++) {
      const bucket = ascending ? b : top + 1 - b;
      const size = at[bucket];
      at[bucket] = place;
      place += size;
    }
    at[0] = place;
    const out = new Uint32Array(count);
    for (let j = 0; j < count; j++) {
      const i = kept[j];
      out[at[rank[i]]++] = i;
    }
    return out;
  }
}

/**
 * The rows shown, as indexes into `rows`, in order: filtered (text, only failing), then sorted (stable;
 * empty cells last in either direction). For a single view; a page that sorts and filters the same
 * rows again keeps a {@link GridIndex}.
 */
export function viewRows(rows: readonly GridRow[], view: GridView): number[] {
  return Array.from(new GridIndex(rows).view(view));
}
