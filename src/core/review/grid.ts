/**
 * A set of documents (a batch, a folder's results) as a grid: one row per document, the columns of the
 * table export (`flatten` and `TableColumns` of core/results/export.ts, so the grid has the CSV's
 * columns, named as the CSV names them), each cell's text as the panel shows it (lists "3 items",
 * objects kept whole "2 fields"), and the cells whose field failed the document's check marked with the
 * verdict of `fieldRows` (the Testing view's comparison). Sorting and filtering are here too, pure, so
 * the webview and the tests run the same code.
 *
 * A field's verdict goes to the column that holds it: the longest run of object keys at the start of its
 * path that is a column (`line_items[description="Bolts"].amount` → `line_items`, `vendor.name` →
 * `vendor.name`). A failed field with no column (only the expected result has it, and no document's
 * result) marks the row's `check` cell only.
 *
 * Pure: no I/O, no `vscode`.
 */
import type { CompareOptions, Difference } from '../expected/compare';
import { flatten, TableColumns, type Cell, type Field } from '../results/export';
import { formatPath, type PathSegment } from '../expected/jsonPath';
import { fieldRows, isDifference } from './fieldRows';
import type { CellMark, GridCell, GridColumn, GridModel, GridRow } from './gridView';

export type { CellMark, GridCell, GridColumn, GridModel, GridRow } from './gridView';
export { viewRows, type GridView, type SortDirection } from './gridView';

/** One document of the grid: the table export's row and, when it could be checked, its check. */
export interface GridDocument {
  /** The `file` column (core/results/exportRows.ts `fileColumn`). */
  file: string;
  /** The run's status (`SUCCESS`, `ERROR`, `skipped`, …). */
  status: string;
  result?: unknown;
  /**
   * The check against the expected file: `passed` / `failed` when compared (then `expected` is set),
   * else why not (`missing`, `documentChanged`, `invalidExpected`, `noResult`).
   */
  check: GridCheck;
  expected?: unknown;
  differences?: readonly Difference[];
  compare?: CompareOptions;
}

export type GridCheck = 'passed' | 'failed' | 'missing' | 'documentChanged' | 'invalidExpected' | 'noResult';

/** Words the grid writes into cells; `{0}` is a number. Localised by the host. */
export interface GridWords {
  items: string;
  oneItem: string;
  fields: string;
  checks: Record<GridCheck, string>;
  /** "{0} fields not equal" after a failed check, and its singular. */
  failedFields: string;
  oneFailedField: string;
}

export const ENGLISH_GRID_WORDS: GridWords = {
  items: '{0} items',
  oneItem: '1 item',
  fields: '{0} fields',
  checks: {
    passed: 'passed',
    failed: 'failed',
    missing: 'no expected result',
    documentChanged: 'document changed',
    invalidExpected: 'expected file unusable',
    noResult: 'no result',
  },
  failedFields: '{0} fields not equal',
  oneFailedField: '1 field not equal',
};

const FIXED: readonly GridColumn[] = [
  { key: 'file', name: 'file' },
  { key: 'status', name: 'status' },
  { key: 'check', name: 'check' },
];

const MARK_RANK: Record<CellMark, number> = { extra: 1, missing: 2, differs: 3 };

const fill = (t: string, n: number) => t.replace('{0}', String(n));

/** A cell's text: scalars as they are, lists "3 items", objects "2 fields", null empty. */
export function cellText(cell: Cell | undefined, words: GridWords = ENGLISH_GRID_WORDS): string {
  if (cell === null || cell === undefined) {
    return '';
  }
  if (Array.isArray(cell)) {
    return cell.length === 1 ? words.oneItem : fill(words.items, cell.length);
  }
  if (typeof cell === 'object') {
    return fill(words.fields, Object.keys(cell).length);
  }
  return String(cell);
}

function cellSort(cell: Cell | undefined): number | string | null {
  if (cell === null || cell === undefined) {
    return null;
  }
  if (Array.isArray(cell)) {
    return cell.length;
  }
  if (typeof cell === 'object') {
    return Object.keys(cell).length;
  }
  if (typeof cell === 'number') {
    return cell;
  }
  return String(cell);
}

/** The grid of these documents, in their order. */
export function gridModel(documents: readonly GridDocument[], words: GridWords = ENGLISH_GRID_WORDS): GridModel {
  const table = new TableColumns();
  const flat: Field[][] = documents.map(d => (d.result === undefined ? [] : flatten(d.result)));
  flat.forEach(f => table.add(f));
  const keys = table.keys();
  const names = table.header().slice(1, 1 + keys.length);
  const columns: GridColumn[] = [...FIXED, ...keys.map((key, i) => ({ key, name: names[i] }))];
  const columnOf = new Map(keys.map((k, i) => [k, FIXED.length + i]));
  const paths = keys.map(k => formatPath((JSON.parse(k) as string[]).map(key => ({ key }))));

  const rows = documents.map((doc, index): GridRow => {
    const byKey = new Map(flat[index].map(f => [f.key, f.cell]));
    const cells: GridCell[] = [
      { text: doc.file, sort: doc.file },
      { text: doc.status, sort: doc.status },
      { text: words.checks[doc.check], sort: doc.check },
      ...keys.map((k, i): GridCell => {
        const cell = byKey.get(k);
        return { text: cellText(cell, words), sort: cellSort(cell), path: paths[i] };
      }),
    ];
    let failed = 0;
    if (doc.check === 'failed' && doc.expected !== undefined) {
      // A cell's path is its first failed field's, so Enter opens the review where it differs.
      const pointed = new Set<GridCell>();
      for (const r of fieldRows(doc.result, doc.expected, { compare: doc.compare }, doc.differences)) {
        if (!isDifference(r)) {
          continue;
        }
        failed++;
        const mark = r.verdict as CellMark;
        const cell = cells[columnFor(r.segments, columnOf) ?? 2];
        if (!cell.mark || MARK_RANK[mark] > MARK_RANK[cell.mark]) {
          cell.mark = mark;
        }
        if (!pointed.has(cell)) {
          pointed.add(cell);
          cell.path = r.path;
        }
      }
      cells[2].text = failed === 1 ? words.oneFailedField : fill(words.failedFields, failed);
    }
    return { index, failing: doc.check === 'failed', cells };
  });
  return { columns, rows };
}

/** The column of a field: the longest run of leading object keys that is a column. */
function columnFor(segments: readonly PathSegment[], columnOf: ReadonlyMap<string, number>): number | undefined {
  const keys: string[] = [];
  for (const s of segments) {
    if (!('key' in s)) {
      break;
    }
    keys.push(s.key);
  }
  for (let n = keys.length; n > 0; n--) {
    const at = columnOf.get(JSON.stringify(keys.slice(0, n)));
    if (at !== undefined) {
      return at;
    }
  }
  return undefined;
}
