/**
 * Export a table of runs (issue 14): one row per document — file, step, execution id, status,
 * timestamps, error — plus the result's fields flattened: objects as dotted paths (`vendor.name`),
 * arrays as JSON in one cell, or, when chosen, one row per item of one array (`line_items`: the
 * item's fields as `line_items.description`…, its 1-based position as `line_items#`, the parent's
 * fields repeated on each row). Columns are the base ones, then every result field in the order first
 * met, the same for every row (a field a row lacks is an empty cell / null).
 *
 * Formats: CSV per RFC 4180 (comma, CRLF line ends, a field quoted when it holds a quote, the
 * delimiter, CR or LF, quotes doubled; UTF-8, optionally with a BOM so Excel reads accented text
 * right), JSON Lines (one object per row), or a JSON array. In CSV a text cell that starts with
 * `=`, `+`, `-`, `@`, tab or CR gets a leading `'` (escapeFormulas, on by default): a document's text
 * must not become a spreadsheet formula.
 *
 * A small writer rather than a library: csv-stringify's sync build adds 11.0 KB minified (3.5 KB
 * gzipped) to the bundle and, with CRLF record ends, leaves a field holding a bare LF unquoted unless
 * told otherwise; papaparse adds 21.6 KB (7.9 KB). This file bundles to 2.4 KB minified (1.2 KB gzipped).
 */

export type ExportFormat = 'csv' | 'jsonl' | 'json';

/** One run to export. Timestamps as ISO strings or ms epoch. */
export interface ExportRun {
  file: string;
  stepId: string;
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

/** A cell: a scalar, or an array kept whole (JSON in CSV, an array in JSON). */
export type Cell = string | number | boolean | null | unknown[];

export interface ExportTable {
  columns: string[];
  rows: Map<string, Cell>[];
}

export const BASE_COLUMNS = [
  'file',
  'step',
  'execution_id',
  'status',
  'started_at',
  'finished_at',
  'error',
  'reused_from',
] as const;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

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
  return JSON.stringify(v) ?? null;
}

/**
 * Flattens a value into dotted-path cells: objects recurse, arrays stay whole, an empty object is
 * the cell `{}`. A non-object result becomes the single column `prefix` (or `result`).
 */
export function flatten(value: unknown, prefix = '', out = new Map<string, Cell>()): Map<string, Cell> {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0 && prefix) {
      out.set(prefix, '{}');
    }
    for (const k of keys) {
      flatten(value[k], prefix ? `${prefix}.${k}` : k, out);
    }
    return out;
  }
  const column = prefix || 'result';
  out.set(column, Array.isArray(value) ? value : scalar(value));
  return out;
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

/** Reads a dotted path of an object. */
function at(value: unknown, path: string): unknown {
  let v = value;
  for (const part of path.split('.')) {
    if (!isObject(v)) {
      return undefined;
    }
    v = v[part];
  }
  return v;
}

export function exportTable(runs: readonly ExportRun[], opts: Pick<ExportOptions, 'explode'> = {}): ExportTable {
  const base = new Set<string>(BASE_COLUMNS);
  const resultColumns: string[] = [];
  const seen = new Set<string>();
  const rows: Map<string, Cell>[] = [];
  const add = (row: Map<string, Cell>, key: string, v: Cell) => {
    // A result field named like a base column keeps its value under `data.<name>`.
    const column = base.has(key) ? `data.${key}` : key;
    row.set(column, v);
    if (!seen.has(column)) {
      seen.add(column);
      resultColumns.push(column);
    }
  };
  for (const run of runs) {
    const head = new Map<string, Cell>([
      ['file', run.file],
      ['step', run.stepId],
      ['execution_id', run.executionId ?? null],
      ['status', run.status],
      ['started_at', timestamp(run.startedAt)],
      ['finished_at', timestamp(run.finishedAt)],
      ['error', run.error ?? null],
      ['reused_from', run.reusedFrom ?? null],
    ]);
    const explodePath = opts.explode;
    const items = explodePath ? at(run.result, explodePath) : undefined;
    const parent = new Map<string, Cell>();
    const fields = flatten(run.result === undefined ? {} : run.result);
    for (const [k, v] of fields) {
      if (!(explodePath && Array.isArray(items) && k === explodePath)) {
        parent.set(k, v);
      }
    }
    const one = (extra?: Map<string, Cell>) => {
      const row = new Map(head);
      for (const [k, v] of parent) {
        add(row, k, v);
      }
      for (const [k, v] of extra ?? []) {
        add(row, k, v);
      }
      rows.push(row);
    };
    if (explodePath && Array.isArray(items) && items.length > 0) {
      items.forEach((item, i) => {
        const extra = new Map<string, Cell>([[`${explodePath}#`, i + 1]]);
        flatten(item, explodePath, extra);
        one(extra);
      });
    } else {
      one();
    }
  }
  return { columns: [...BASE_COLUMNS, ...resultColumns], rows };
}

const FORMULA_START = /^[=+\-@\t\r]/;

function csvField(v: Cell, delimiter: string, escapeFormulas: boolean): string {
  if (v === null) {
    return '';
  }
  let s: string;
  if (Array.isArray(v)) {
    s = JSON.stringify(v);
  } else if (typeof v === 'string') {
    s = escapeFormulas && FORMULA_START.test(v) ? `'${v}` : v;
  } else {
    s = String(v);
  }
  return s.includes('"') || s.includes(delimiter) || s.includes('\r') || s.includes('\n')
    ? `"${s.replace(/"/g, '""')}"`
    : s;
}

export function toCsv(table: ExportTable, opts: Omit<ExportOptions, 'format' | 'explode'> = {}): string {
  const d = opts.delimiter ?? ',';
  const escape = opts.escapeFormulas ?? true;
  const lines = [table.columns.map(c => csvField(c, d, false)).join(d)];
  for (const row of table.rows) {
    lines.push(table.columns.map(c => csvField(row.get(c) ?? null, d, escape)).join(d));
  }
  return `${opts.bom ? '\uFEFF' : ''}${lines.join('\r\n')}\r\n`;
}

function rowObject(table: ExportTable, row: Map<string, Cell>): Record<string, Cell> {
  const o: Record<string, Cell> = {};
  for (const c of table.columns) {
    o[c] = row.get(c) ?? null;
  }
  return o;
}

export function toJsonl(table: ExportTable): string {
  return table.rows.map(r => JSON.stringify(rowObject(table, r))).join('\n') + (table.rows.length ? '\n' : '');
}

export function toJson(table: ExportTable): string {
  return `${JSON.stringify(
    table.rows.map(r => rowObject(table, r)),
    null,
    2,
  )}\n`;
}

/** The whole export as text, in the chosen format. */
export function exportRuns(runs: readonly ExportRun[], opts: ExportOptions): string {
  const table = exportTable(runs, opts);
  switch (opts.format) {
    case 'csv':
      return toCsv(table, opts);
    case 'jsonl':
      return toJsonl(table);
    case 'json':
      return toJson(table);
  }
}

/** Dotted paths of the arrays in these results, most common first: the choices for "one row per item of…". */
export function arrayPaths(results: readonly unknown[]): string[] {
  const counts = new Map<string, number>();
  const walk = (v: unknown, prefix: string) => {
    if (!isObject(v)) {
      return;
    }
    for (const [k, x] of Object.entries(v)) {
      const p = prefix ? `${prefix}.${k}` : k;
      if (Array.isArray(x)) {
        counts.set(p, (counts.get(p) ?? 0) + 1);
      } else {
        walk(x, p);
      }
    }
  };
  results.forEach(r => walk(r, ''));
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([p]) => p);
}
