/**
 * The batch panel's messages (`docutray.batch`: a batch or a folder's results as a grid, and their field
 * accuracy) between the extension host and its webview (webview/grid/): typed and versioned. The host
 * reads the stored results, the expected files and the settings and posts the grid model in chunks of
 * rows; the webview reads nothing itself. Every text crosses as data and is shown with `textContent`.
 */
import type { AccuracyReport } from './accuracy';
import type { GridColumn, GridRow, SortDirection } from './grid';

export const BATCH_PROTOCOL = 1;

/** Rows per `rows` message: a 10,000-document grid arrives in pieces the page takes without a long task. */
export const GRID_CHUNK = 500;

/** Which documents a panel shows: the host reads them again after a reload. */
export type BatchKey = { batchId: string } | { folder: string; stepId: string };

export interface BatchStart {
  v: typeof BATCH_PROTOCOL;
  key: BatchKey;
  /**
   * Which model of this panel it is (counted by the host): the same model sent again (when the page says
   * it is ready, which it may after it got the first sending) is not drawn again.
   */
  build: number;
  title: string;
  subtitle: string;
  columns: GridColumn[];
  /** How many rows the `rows` messages will bring. */
  total: number;
  accuracy: AccuracyReport;
  /** Localised words the page shows. */
  labels: Record<string, string>;
}

export interface BatchState {
  v: typeof BATCH_PROTOCOL;
  key: BatchKey;
  tab?: 'grid' | 'accuracy';
  sort?: { column: number; direction: SortDirection };
  filter?: string;
  onlyFailing?: boolean;
  /** The focused cell: a row's index among the documents (not its place in the view), a column. */
  focus?: { row: number; column: number };
  scroll?: number;
}

export type BatchHostMessage =
  { type: 'start'; start: BatchStart } | { type: 'rows'; from: number; rows: GridRow[] } | { type: 'done' };

export type BatchWebviewMessage =
  | { type: 'ready'; state?: BatchState }
  /** Enter on a cell: the review panel at that document and field (`path`, when the cell has one). */
  | { type: 'open'; row: number; path?: string }
  | { type: 'export'; format: 'csv' | 'markdown' }
  | { type: 'painted'; what: 'grid'; ms: number; rows: number };
