/**
 * Export a table of runs: one row per document. Columns: `file` (the document), then the result's
 * fields flattened — objects as dotted paths (`vendor.name`), arrays as JSON in one cell, or, when
 * chosen, one row per item of one array (`line_items`: the item's fields as `line_items.description`…,
 * its 1-based position as `line_items#`, the parent's fields repeated on each row) — then the
 * bookkeeping columns: step (its name), step_id, execution_id, status, started_at, finished_at, error,
 * reused_from. The result's columns are every field in the order first met, the same for every row
 * (a field a row lacks is an empty cell / null).
 *
 * Rules that keep every field, whatever its name or shape:
 * - A column is a field's path, not its name: a result field named like a bookkeeping column or
 *   `file` is `data.<name>` (`data.file`, `data.status`); any other name already taken by another path
 *   (`{"a.b": 1, "a": {"b": 2}}`, or a field `data.file` next to `file`) gets ` (2)`, ` (3)`… in the
 *   order first met. `__proto__` is a field like any other.
 * - Objects are spread into columns at most MAX_COLUMN_DEPTH levels deep; deeper, the rest is kept
 *   whole in one cell (JSON, like an array). A cell nested deeper than JSON.stringify can take
 *   (MAX_STRINGIFY_DEPTH) is the text TOO_DEEP_CELL instead, and the export goes on.
 *
 * Streaming: the table is made in two passes over the runs (scanTable, then streamTable), each reading
 * one run's stored result at a time — the first fixes the columns, the second writes the rows to a
 * sink as they are made — so memory does not grow with the number of runs.
 *
 * Formats: CSV per RFC 4180 (comma, CRLF line ends, a field quoted when it holds a quote, the
 * delimiter, CR or LF, quotes doubled; UTF-8, optionally with a BOM so Excel reads accented text
 * right), JSON Lines (one object per row), or a JSON array (one object per line). JSON keeps the
 * result nested as the step returned it (`"vendor": {"name": …}`, what a JSON reader expects), so its
 * columns are the result's top-level fields (nestFields); only CSV, which has no nesting, spreads
 * objects into dotted columns. With one row per item of an array, that array's place holds the item. In CSV a text cell —
 * a header cell too — that starts with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`
 * (escapeFormulas, on by default): a document's text must not become a spreadsheet formula.
 *
 * A small writer rather than a library: csv-stringify's sync build adds 11.0 KB minified (3.5 KB
 * gzipped) to the bundle and, with CRLF record ends, leaves a field holding a bare LF unquoted unless
 * told otherwise; papaparse adds 21.6 KB (7.9 KB).
 */
import { MAX_STRINGIFY_DEPTH, fitsStringify } from './storedResult';
import { isObject } from '../json/fields';

export type ExportFormat = 'csv' | 'jsonl' | 'json';

/** One run to export. Timestamps as ISO strings or ms epoch. */
export interface ExportRun {
  file: string;
  stepId: string;
  /** The step's name as the user sees it; the id when none is known. */
  stepName?: string;
  executionId?: string;
  status: string;
  startedAt?: string | number;
  finishedAt?: string | number;
  error?: string;
  /** When the result is reused from an earlier run (skip what is done): that run's execution id. */
  reusedFrom?: string;
  /** The step's result (`data`). */
  result?: unknown;
}

export interface ExportOptions {
  format: ExportFormat;
  /** A dotted path to one array of the result: one row per item. */
  explode?: string;
  /** CSV: start with a UTF-8 BOM (for Excel). */
  bom?: boolean;
  /** CSV: the delimiter (default `,`; `;` for spreadsheets in locales with a decimal comma). */
  delimiter?: string;
  /** CSV: prefix `'` to text that a spreadsheet would take as a formula (default true). */
  escapeFormulas?: boolean;
}

/** A cell: a scalar, or an array or object kept whole (JSON in CSV, as it is in JSON). */
export type Cell = string | number | boolean | null | unknown[] | Record<string, unknown>;

/** A field of one row: its column's identity (`key`, from its path), the name it asks for, its cell. */
export interface Field {
  key: string;
  name: string;
  cell: Cell;
}

export const BOOKKEEPING_COLUMNS = [
  'step',
  'step_id',
  'execution_id',
  'status',
  'started_at',
  'finished_at',
  'error',
  'reused_from',
] as const;

/** Objects are spread into dotted columns this many levels deep; deeper, the rest is one cell. */
export const MAX_COLUMN_DEPTH = 32;

/** The cell of a value nested too deeply to write as JSON. */
export const TOO_DEEP_CELL = `(too deeply nested to export: more than ${MAX_STRINGIFY_DEPTH} levels)`;

const RESERVED: ReadonlySet<string> = new Set(['file', ...BOOKKEEPING_COLUMNS]);

function scalar(v: unknown): Cell {
  if (v === undefined || v === null) {
    return null;
  }
  if (typeof v === 'string' || typeof v === 'boolean') {
    return v;
  }
  if (typeof v === 'number') {
    return Number.isFinite(v) ? v : String(v);
  }
  if (typeof v === 'bigint') {
    return v.toString();
  }
  return String(v);
}

/** An array or object kept whole, unless it is too deep to write. */
function wholeCell(v: unknown[] | Record<string, unknown>): Cell {
  return fitsStringify(v) ? v : TOO_DEEP_CELL;
}

function field(path: readonly string[], cell: Cell): Field {
  return { key: JSON.stringify(path), name: path.join('.') || 'result', cell };
}

/**
 * A value as fields: objects spread into dotted paths (below `path`), arrays kept whole, an empty
 * object (not the top one) the cell `{}`, a value that is no object the single column `result` (or
 * `path`). Without recursion, so no result is too deep for it.
 */
export function flatten(value: unknown, path: readonly string[] = []): Field[] {
  const out: Field[] = [];
  const stack: Array<[unknown, string[]]> = [[value, [...path]]];
  while (stack.length) {
    const [v, p] = stack.pop() as [unknown, string[]];
    if (isObject(v) && p.length < MAX_COLUMN_DEPTH) {
      const keys = Object.keys(v);
      if (keys.length === 0 && p.length) {
        out.push(field(p, {}));
      }
      // Reversed onto the stack: taken off in the object's own order.
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push([v[keys[i]], [...p, keys[i]]]);
      }
    } else {
      out.push(field(p, Array.isArray(v) || isObject(v) ? wholeCell(v) : scalar(v)));
    }
  }
  return out;
}

/** A run's result as fields (none without a result). */
function resultFields(run: ExportRun): Field[] {
  return run.result === undefined ? [] : flatten(run.result);
}

/**
 * A row's flattened fields nested again, for JSON: one field per top-level key, holding its objects
 * whole (built anew, without prototype, so a key `__proto__` is a key); the position of an exploded
 * item stays a field of its own. Paths are arrays of keys, so `{"a.b": 1}` and `{"a": {"b": 2}}` stay
 * apart.
 */
export function nestFields(fields: readonly Field[]): Field[] {
  const out: Field[] = [];
  const tops = new Map<string, Record<string, unknown>>();
  for (const f of fields) {
    const path = f.key.startsWith('#') ? [] : (JSON.parse(f.key) as string[]);
    if (path.length <= 1) {
      out.push(f);
      continue;
    }
    let at = tops.get(path[0]);
    if (!at) {
      at = Object.create(null) as Record<string, unknown>;
      tops.set(path[0], at);
      out.push(field([path[0]], at));
    }
    for (const key of path.slice(1, -1)) {
      const next: unknown = at[key];
      if (isObject(next)) {
        at = next;
      } else {
        const made = Object.create(null) as Record<string, unknown>;
        at[key] = made;
        at = made;
      }
    }
    at[path[path.length - 1]] = f.cell;
  }
  return out;
}

/** A run's rows as the format writes them: flat for CSV, nested for JSON. */
function formatRows(run: ExportRun, table: TableShapeOptions): Iterable<readonly Field[]> {
  const rows = runRows(resultFields(run), table.explode);
  return table.format === 'csv' ? rows : [...rows].map(nestFields);
}

/** What decides a table's columns: its format (flat or nested) and the array spread into rows. */
export type TableShapeOptions = Pick<ExportOptions, 'format' | 'explode'>;

/** A run's rows, as fields: one, or with `explode` one per item of that array. */
export function* runRows(fields: readonly Field[], explode?: string): Generator<readonly Field[]> {
  const at = explode ? fields.findIndex(f => f.name === explode && Array.isArray(f.cell)) : -1;
  if (at < 0) {
    yield fields;
    return;
  }
  const spread = fields[at];
  const parent = fields.filter((_, i) => i !== at);
  const items = spread.cell as unknown[];
  if (!items.length) {
    yield parent;
    return;
  }
  const path = JSON.parse(spread.key) as string[];
  for (let i = 0; i < items.length; i++) {
    yield [...parent, { key: `#${spread.key}`, name: `${spread.name}#`, cell: i + 1 }, ...flatten(items[i], path)];
  }
}

/** The result columns of a table, each a field's path with its name: first met, first named. */
export class TableColumns {
  private readonly names = new Map<string, string>();
  private readonly taken = new Set<string>(RESERVED);

  /** Takes a row's fields: a path not seen before becomes a column. */
  add(fields: readonly Field[]): void {
    for (const f of fields) {
      if (this.names.has(f.key)) {
        continue;
      }
      const wanted = RESERVED.has(f.name) ? `data.${f.name}` : f.name;
      let name = wanted;
      for (let n = 2; this.taken.has(name); n++) {
        name = `${wanted} (${n})`;
      }
      this.taken.add(name);
      this.names.set(f.key, name);
    }
  }

  /** The result columns' keys, in order. */
  keys(): string[] {
    return [...this.names.keys()];
  }

  /** Every column's name, in order: `file`, the result's, the bookkeeping ones. */
  header(): string[] {
    return ['file', ...this.names.values(), ...BOOKKEEPING_COLUMNS];
  }
}

function timestamp(v: string | number | undefined): Cell {
  if (v === undefined) {
    return null;
  }
  if (typeof v === 'number') {
    return Number.isFinite(v) ? new Date(v).toISOString() : null;
  }
  return v;
}

function bookkeeping(run: ExportRun): Cell[] {
  return [
    run.stepName ?? run.stepId,
    run.stepId,
    run.executionId ?? null,
    run.status,
    timestamp(run.startedAt),
    timestamp(run.finishedAt),
    run.error ?? null,
    run.reusedFrom ?? null,
  ];
}

const FORMULA_START = /^[=+\-@\t\r]/;

function csvField(v: Cell, delimiter: string, escapeFormulas: boolean): string {
  if (v === null) {
    return '';
  }
  let s: string;
  if (typeof v === 'string') {
    s = escapeFormulas && FORMULA_START.test(v) ? `'${v}` : v;
  } else if (typeof v === 'object') {
    s = JSON.stringify(v);
  } else {
    s = String(v);
  }
  return s.includes('"') || s.includes(delimiter) || s.includes('\r') || s.includes('\n')
    ? `"${s.replace(/"/g, '""')}"`
    : s;
}

/** One row as a JSON object, written by hand so that every name — `__proto__` too — is a key. */
function jsonObject(names: readonly string[], cells: readonly Cell[]): string {
  return `{${names.map((n, i) => `${JSON.stringify(n)}:${JSON.stringify(cells[i])}`).join(',')}}`;
}

/** Writes a table's text in pieces: its start, each run's rows, its end. */
export class TableWriter {
  private readonly header: string[];
  private readonly keys: string[];
  rows = 0;

  constructor(
    columns: TableColumns,
    private readonly opts: ExportOptions,
  ) {
    this.header = columns.header();
    this.keys = columns.keys();
  }

  start(): string {
    if (this.opts.format !== 'csv') {
      return this.opts.format === 'json' ? '[' : '';
    }
    const d = this.opts.delimiter ?? ',';
    const escape = this.opts.escapeFormulas ?? true;
    // Header cells are result field names: as untrusted as the values.
    return `${this.opts.bom ? '\uFEFF' : ''}${this.header.map(c => csvField(c, d, escape)).join(d)}\r\n`;
  }

  /** The text of each row of one run, one at a time. Fields outside the columns are left out. */
  *run(run: ExportRun): Generator<string> {
    const tail = bookkeeping(run);
    for (const fields of formatRows(run, this.opts)) {
      const byKey = new Map(fields.map(f => [f.key, f.cell]));
      const cells = [run.file, ...this.keys.map(k => byKey.get(k) ?? null), ...tail];
      this.rows++;
      yield this.line(cells);
    }
  }

  private line(cells: Cell[]): string {
    switch (this.opts.format) {
      case 'csv': {
        const d = this.opts.delimiter ?? ',';
        const escape = this.opts.escapeFormulas ?? true;
        return `${cells.map(c => csvField(c, d, escape)).join(d)}\r\n`;
      }
      case 'jsonl':
        return `${jsonObject(this.header, cells)}\n`;
      case 'json':
        return `${this.rows === 1 ? '\n' : ',\n'}${jsonObject(this.header, cells)}`;
    }
  }

  end(): string {
    if (this.opts.format !== 'json') {
      return '';
    }
    return this.rows ? '\n]\n' : ']\n';
  }
}

/** The whole export as text, in the chosen format: for a few runs already in memory. */
export function exportRuns(runs: readonly ExportRun[], opts: ExportOptions): string {
  const columns = new TableColumns();
  for (const run of runs) {
    for (const fields of formatRows(run, opts)) {
      columns.add(fields);
    }
  }
  const w = new TableWriter(columns, opts);
  const parts = [w.start()];
  for (const run of runs) {
    parts.push(...w.run(run));
  }
  parts.push(w.end());
  return parts.join('');
}

/** Counts the runs that hold each array column, for `arrayPaths`. */
function countArrays(fields: readonly Field[], counts: Map<string, number>): void {
  for (const f of new Set(fields.filter(x => Array.isArray(x.cell)).map(x => x.name))) {
    counts.set(f, (counts.get(f) ?? 0) + 1);
  }
}

function mostCommon(counts: ReadonlyMap<string, number>): string[] {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([p]) => p);
}

/** Dotted paths of the arrays in these results, most common first: the choices for "one row per item of…". */
export function arrayPaths(results: readonly unknown[]): string[] {
  const counts = new Map<string, number>();
  results.forEach(r => countArrays(flatten(r), counts));
  return mostCommon(counts);
}

/** Where an export's text goes, piece by piece. */
export interface ExportSink {
  write(text: string): Promise<void>;
}

export interface PassOptions {
  /** Stops the pass (it throws the signal's reason) between two runs. */
  signal?: AbortSignal;
  /** Told how many runs are done. */
  progress?: (done: number) => void;
}

/** What the first pass finds: the columns, and the arrays one could spread into rows. */
export interface TableShape {
  columns: TableColumns;
  arrays: string[];
}

/**
 * The first pass: reads each run (its stored result) once, one at a time, and keeps only its column
 * names and array paths.
 */
export async function scanTable<T>(
  items: readonly T[],
  read: (item: T) => Promise<ExportRun>,
  table: TableShapeOptions,
  opts: PassOptions = {},
): Promise<TableShape> {
  const columns = new TableColumns();
  const counts = new Map<string, number>();
  for (let i = 0; i < items.length; i++) {
    opts.signal?.throwIfAborted();
    const fields = resultFields(await read(items[i]));
    countArrays(fields, counts);
    for (const row of runRows(fields, table.explode)) {
      columns.add(table.format === 'csv' ? row : nestFields(row));
    }
    opts.progress?.(i + 1);
  }
  return { columns, arrays: mostCommon(counts) };
}

/**
 * The second pass: reads each run again, one at a time, and writes its rows to `sink` before reading
 * the next. Returns the number of rows.
 */
export async function streamTable<T>(
  items: readonly T[],
  read: (item: T) => Promise<ExportRun>,
  columns: TableColumns,
  format: ExportOptions,
  sink: ExportSink,
  opts: PassOptions = {},
): Promise<number> {
  const w = new TableWriter(columns, format);
  await sink.write(w.start());
  for (let i = 0; i < items.length; i++) {
    opts.signal?.throwIfAborted();
    const run = await read(items[i]);
    for (const line of w.run(run)) {
      await sink.write(line);
    }
    opts.progress?.(i + 1);
  }
  await sink.write(w.end());
  return w.rows;
}
